"""Timebank services, one module per subject."""
