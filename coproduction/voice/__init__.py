"""Feedback, ideas and votes, and "You said, we did"."""
