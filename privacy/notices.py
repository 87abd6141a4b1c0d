"""The public notices every page's footer links to: the accessibility
statement, the privacy notice, cookies, and how to contact the timebank.

No login is needed for any of them. They speak for the timebank the page is
about (timebank.context_processors.request_timebank) and fall back to plain
wording when it has no contact details.

The privacy notice is generated from what the app holds: each model in
privacy.registry.EXPORT_REGISTRY (the same table the subject access export and
erasure use) is listed with its own note, grouped under a heading that says
why it is held, who sees it and how long it is kept. A model entered in the
registry but not in RECORD_GROUPS is still listed, under "Other records", so
the notice never leaves out something the export includes. Retention periods
come from settings (REFERRAL_RETENTION_DAYS, SESSION_COOKIE_AGE), so the notice
says what the install is configured to do.

Lives in privacy (it reads privacy's registry, and timebank for the
timebank's name); config/urls.py includes privacy.notice_urls.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext, gettext as _, ngettext

from core.i18n import EASY_READ_COOKIE

# Importing the selectors fills EXPORT_REGISTRY with the lower apps' models.
from privacy import selectors as _selectors  # noqa: F401
from privacy.registry import EXPORT_REGISTRY
from timebank.context_processors import request_timebank

# When the accessibility statement was prepared and last reviewed.
ACCESSIBILITY_STATEMENT_PREPARED = datetime.date(2026, 12, 7)


@dataclass
class RecordGroup:
    """Personal data held for one purpose: what, why, who sees it, how long."""

    title: str
    why: str
    who: str
    how_long: str
    labels: tuple[str, ...] = ()
    items: list[str] = field(default_factory=list)


def _days(seconds_or_days: int, *, seconds: bool = False) -> str:
    days = seconds_or_days // 86400 if seconds else seconds_or_days
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


def record_groups() -> list[RecordGroup]:
    """The privacy notice's sections, each listing the registry's notes for its models."""
    referral_days = settings.REFERRAL_RETENTION_DAYS
    groups = [
        RecordGroup(
            _("Your login and your member profile"),
            _("So you can log in, and so coordinators can match you safely with people near you."),
            _("You and your timebank’s coordinators. Other members see your name and what you offer or ask for."),
            _("While you are a member. When you leave, a coordinator can erase your name and contact details."),
            ("timebank.User", "timebank.Member", "timebank.Timebank", "assets.OrganisationMembership"),
        ),
        RecordGroup(
            _("Your hours, offers and exchanges"),
            _("To keep a fair record of the time you give and receive."),
            _("You, the people you exchanged with, and your timebank's coordinators."),
            _(
                "As long as the timebank runs. If your data is erased, the hours stay but show as from a "
                "“former member”."
            ),
            (
                "timebank.Listing",
                "timebank.Exchange",
                "timebank.ExchangeReceiver",
                "timebank.ExchangeHistory",
                "timebank.Account",
                "timebank.Transfer",
                "timebank.TransferNote",
                "timebank.Entry",
            ),
        ),
        RecordGroup(
            _("Safeguarding records"),
            _("To keep members safe, for example a DBS check before someone helps in a person's home."),
            _("Your timebank's coordinators only."),
            _("While you are a member, and for as long as the law on safeguarding records asks after that."),
            (
                "timebank.SafeguardingCheck",
                "timebank.Incident",
                "timebank.CategoryRestriction",
                "timebank.SafeguardingOverride",
            ),
        ),
        RecordGroup(
            _("Referrals from a link worker or your GP practice (health information)"),
            _("To connect you with a group or with the timebank when a link worker refers you, with your consent."),
            _(
                "The link worker's organisation, the group you were referred to (only what it needs to contact "
                "you), and your timebank's coordinators. Every look at a referral is logged."
            ),
            _(
                "Until %(days)s after the referral closes. Then your name, contact details and "
                "notes are removed; only numbers for reports are kept."
            )
            % {"days": _days(referral_days)},
            (
                "referrals.Referral",
                "referrals.Consent",
                "referrals.ReferralHistory",
                "referrals.Outcome",
                "referrals.GpRecordEvent",
                "referrals.ReferralAccessLog",
            ),
        ),
        RecordGroup(
            _("Things you told us about local groups"),
            _("To keep the directory of local groups correct."),
            _("The timebank's coordinators."),
            _("Until the report or request is dealt with, and while you are a member."),
            ("assets.OrganisationClaim", "assets.ProblemReport"),
        ),
    ]
    other = RecordGroup(
        _("Other records"),
        _("To run the service safely."),
        _("The people who run the service."),
        _("As short a time as the record needs. Each one says how long."),
    )
    by_label = {label: group for group in groups for label in group.labels}
    for label, selection in EXPORT_REGISTRY.items():
        group = by_label.get(label, other)
        note = str(selection.note) or gettext("A record about you.")
        if note not in group.items:
            group.items.append(note)
    return [group for group in [*groups, other] if group.items]


def _context(request) -> dict:
    timebank = request_timebank(request)
    return {"notice_timebank": timebank}


def accessibility_statement(request):
    context = _context(request)
    context["prepared"] = ACCESSIBILITY_STATEMENT_PREPARED
    return render(request, "notices/accessibility.html", context)


def privacy_notice(request):
    context = _context(request)
    context["groups"] = record_groups()
    context["session_days"] = _days(settings.SESSION_COOKIE_AGE, seconds=True)
    return render(request, "notices/privacy.html", context)


def cookies(request):
    context = _context(request)
    context["session_cookie"] = settings.SESSION_COOKIE_NAME
    context["csrf_cookie"] = settings.CSRF_COOKIE_NAME
    context["csrf_days"] = _days(settings.CSRF_COOKIE_AGE, seconds=True) if settings.CSRF_COOKIE_AGE else ""
    context["session_days"] = _days(settings.SESSION_COOKIE_AGE, seconds=True)
    context["language_cookie"] = settings.LANGUAGE_COOKIE_NAME
    context["easy_read_cookie"] = EASY_READ_COOKIE
    context["preference_days"] = _days(settings.LANGUAGE_COOKIE_AGE, seconds=True)
    return render(request, "notices/cookies.html", context)


def contact(request):
    return render(request, "notices/contact.html", _context(request))
