"""Carers' details in the personal-data registry and erasure (privacy/registry.py).
Imported by privacy.selectors."""
