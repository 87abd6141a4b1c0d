"""Every read in brokering, one module per sub-domain: matching (ranked
helpers for requests, with reasons), workbench (the coordinators' lists and the
member's matches), safeguarding (checks, incidents, restrictions) and reports
(the figures funders see). Import from the module: `from
brokering.selectors.matching import suggest_helpers`."""
