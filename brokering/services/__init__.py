"""Every write in brokering, one module per sub-domain: introductions (a
proposed exchange from the workbench), safeguarding (checks, incidents,
restrictions, expiry reminders) and digests (the weekly digest and the
reminders to confirm an exchange). Import from the module: `from
brokering.services.safeguarding import incident_record`. Recording a DBS
check or a reference is the timebank's (timebank.services.safeguarding),
because the rule that reads them lives there too."""
