"""Explicit serializers (never `__all__`), one module per subject."""
