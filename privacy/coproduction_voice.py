"""The voice app's models in the personal-data registry (privacy/registry.py):
what each holds about a member, how to find one member's rows for the subject
access export, and what erasure blanks. Imported by privacy.selectors."""
