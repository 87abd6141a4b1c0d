"""Every write in brokering, one module per sub-domain: introductions (a
proposed exchange from the workbench), safeguarding (checks, incidents,
restrictions, expiry reminders) and digests (the weekly digest and the
reminders to confirm an exchange). Import from the module: `from
brokering.services.safeguarding import check_record`."""
