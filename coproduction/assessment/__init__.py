"""The co-production self-assessment."""
