"""Brokering: explained match suggestions, the coordinators' workbench,
safeguarding records, reports for funders and the reminder/digest e-mails.

matching.py ranks helpers for requests; safeguarding.py owns checks, incidents
and restrictions; reports.py computes the figures and charts.py draws them;
digests.py builds the scheduled e-mails; views.py and forms.py are the pages.
"""
