"""Referral models (issue 4)."""
