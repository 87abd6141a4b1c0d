"""Members' rights over their data: subject access export and erasure. Reads
what every lower app holds about a person; nothing below imports it."""
