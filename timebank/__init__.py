"""The timebank domain: members, listings, exchanges and the hour ledger (ledger.py is its only writer)."""
