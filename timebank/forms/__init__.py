"""Timebank forms, one module per subject."""
