"""The voice app's models in the personal-data registry (privacy/registry.py):
what each holds about a member, how to find one member's rows for the subject
access export, and what erasure blanks. Imported by privacy.selectors."""

from django.utils.translation import gettext_lazy

from coproduction.voice.models import Idea, IdeaVote, Rating
from coproduction.voice.services import voice_member_erase
from privacy.registry import Selection, register_member_eraser, register_personal_data

register_personal_data(
    "voice.Rating",
    Selection(
        rows=lambda member: Rating.objects.filter(member=member),
        note=gettext_lazy(
            "The member's ratings of exchanges and services, with their words. "
            "Ratings recorded on a referred person's behalf hold a score only and are "
            "part of the referral, not of a member."
        ),
    ),
)
register_personal_data(
    "voice.Idea",
    Selection(
        rows=lambda member: Idea.objects.filter(proposed_by=member), note=gettext_lazy("Ideas the member suggested.")
    ),
)
register_personal_data(
    "voice.IdeaVote",
    Selection(
        rows=lambda member: IdeaVote.objects.filter(member=member), note=gettext_lazy("Ideas the member voted for.")
    ),
)
# Erasure blanks the member's words (ratings, ideas); scores and votes stay.
register_member_eraser(voice_member_erase)
