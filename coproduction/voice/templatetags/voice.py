"""`{% rate_link thing %}`: the "Rate this" box on pages of the lower apps
(an exchange, a directory service, an involvement opportunity, a referral), which may not import this app.
It shows only to someone who may rate the thing now, in one or two queries."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from assets.models import Service
from coproduction.involvement.models import Opportunity, Participation, ParticipationStatus
from coproduction.voice import services
from coproduction.voice.models import Rating
from coproduction.voice.selectors import voting_member
from referrals import states
from referrals.actors import actor_for_user
from referrals.consent import consent_allows, referral_parties
from referrals.models import ConsentScope, Referral
from timebank.models import Exchange

register = template.Library()

NOTHING: dict[str, Any] = {"rate_url": ""}


@register.inclusion_tag("voice/_rate_link.html", takes_context=True)
def rate_link(context: template.Context, thing: object) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return NOTHING
    if isinstance(thing, Referral):
        return _referral_link(thing, user)
    member = voting_member(user)
    if member is None:
        return NOTHING
    if isinstance(thing, Exchange):
        is_party = thing.provider_id == member.pk or any(r.pk == member.pk for r in thing.receivers.all())
        if not is_party or thing.status not in services.RATEABLE_EXCHANGE_STATUSES:
            return NOTHING
        return {
            "rate_url": reverse("voice:rate-exchange", args=[thing.public_id]),
            "rated": Rating.objects.filter(member=member, exchange=thing).exists(),
            "heading": _("How did it go?"),
            "link_text": _("Rate this exchange"),
        }
    if isinstance(thing, Opportunity):
        attended = Participation.objects.filter(
            opportunity=thing, member=member, status=ParticipationStatus.ATTENDED
        ).exists()
        if not attended:
            return NOTHING
        return {
            "rate_url": reverse("voice:rate-opportunity", args=[thing.public_id]),
            "rated": Rating.objects.filter(member=member, opportunity=thing).exists(),
            "heading": _("How did it go?"),
            "link_text": _("Rate this activity"),
        }
    if isinstance(thing, Service):
        return {
            "rate_url": reverse("voice:rate-service", args=[thing.pk]),
            "rated": Rating.objects.filter(member=member, service=thing).exists(),
            "heading": _("Have you used this service?"),
            "link_text": _("Rate this service"),
        }
    return NOTHING


def _referral_link(referral: Referral, user: object) -> dict[str, Any]:
    # Only the receiving side records the person's rating, with their consent
    # to share their details with the service (the rating page checks again).
    if referral.status not in services.RATEABLE_REFERRAL_STATUSES or referral.anonymised_at is not None:
        return NOTHING
    if states.RECEIVER not in referral_parties(actor_for_user(user), referral):
        return NOTHING
    if not consent_allows(referral, ConsentScope.SHARE_WITH_SERVICE):
        return NOTHING
    return {
        "rate_url": reverse("voice:rate-referral", args=[referral.pk]),
        "rated": Rating.objects.filter(referral=referral).exists(),
        "heading": _("The person's first contact"),
        "link_text": _("Record how the person said their first contact went"),
    }
