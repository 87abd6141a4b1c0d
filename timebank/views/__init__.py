"""Timebank pages, one module per area (members.py, exchanges.py, ...)."""
