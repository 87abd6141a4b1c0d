"""No admin for feedback, ideas and votes: coordinators answer ideas and read
ratings on their own pages (coproduction.voice.views), which keep to their
timebank. An admin here would need the timebank scoping of timebank.admin and
a place in tests/api/test_tenancy.py's admin matrix."""
