"""Opportunities to take part, attendance credited in hours, and expenses."""
