"""Brokering: explained match suggestions, the coordinators' workbench,
safeguarding records, reports for funders and the reminder/digest e-mails.

Reads are in selectors/ (matching.py ranks helpers for requests; workbench.py
the coordinators' lists; safeguarding.py checks, incidents and restrictions;
reports.py the figures), writes in services/ (introductions.py, safeguarding.py,
digests.py: the scheduled e-mails). charts.py draws the reports, mail.py sends
e-mail after commit, views.py and forms.py are the pages.
"""
