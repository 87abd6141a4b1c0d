"""Timebank selectors, one module per subject."""
