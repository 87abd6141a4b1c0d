"""The involvement app's models in the personal-data registry (privacy/registry.py):
what each holds about a member, how to find one member's rows for the subject
access export, and what erasure blanks. Imported by privacy.selectors.

Erasure blanks what a person told us (access needs, what a cost was for, the
written questions and answers about their claim) and deletes their receipts;
the amounts, states and dates stay, so the expenses report still adds up and
the ledger transfers that credited their hours are untouched."""

from typing import Any

from django.utils.translation import gettext_lazy

from coproduction.involvement.models import (
    ExpenseClaim,
    ExpenseClaimEvent,
    ExpenseLine,
    ExpenseReceipt,
    InvolvementProfile,
    Opportunity,
    Participation,
)
from privacy.registry import Selection, register_member_eraser, register_personal_data

register_personal_data(
    "involvement.Opportunity",
    Selection(
        lambda m: Opportunity.objects.filter(created_by_id=m.user_id) if m.user_id else Opportunity.objects.none(),
        note=gettext_lazy("Opportunities to take part that you posted."),
    ),
)
register_personal_data(
    "involvement.Participation",
    Selection(
        lambda m: Participation.objects.filter(member=m),
        note=gettext_lazy(
            "Opportunities you signed up to, the needs you shared with the organiser, and whether you came."
        ),
    ),
)
register_personal_data(
    "involvement.InvolvementProfile",
    Selection(
        lambda m: InvolvementProfile.objects.filter(member=m),
        note=gettext_lazy("The access needs you told us once, shared with organisers when you sign up."),
    ),
)
register_personal_data(
    "involvement.ExpenseClaim",
    Selection(
        lambda m: ExpenseClaim.objects.filter(participation__member=m), note=gettext_lazy("Your expense claims.")
    ),
)
register_personal_data(
    "involvement.ExpenseLine",
    Selection(
        lambda m: ExpenseLine.objects.filter(claim__participation__member=m),
        note=gettext_lazy("What each cost was and how much, in pence."),
    ),
)
register_personal_data(
    "involvement.ExpenseReceipt",
    Selection(
        lambda m: ExpenseReceipt.objects.filter(line__claim__participation__member=m),
        exclude=("data",),
        note=gettext_lazy("Receipts you uploaded (the files themselves are on your claim's page)."),
    ),
)
register_personal_data(
    "involvement.ExpenseClaimEvent",
    Selection(
        lambda m: ExpenseClaimEvent.objects.filter(claim__participation__member=m),
        note=gettext_lazy("Each step of your claims, with the questions asked and your answers."),
    ),
)


def involvement_erase_member(member: Any) -> None:
    """Blank what the member told us about themselves and their costs."""
    Participation.objects.filter(member=member).update(access_needs="", communication_needs=[])
    InvolvementProfile.objects.filter(member=member).delete()
    ExpenseLine.objects.filter(claim__participation__member=member).update(description="")
    ExpenseReceipt.objects.filter(line__claim__participation__member=member).delete()
    ExpenseClaimEvent.objects.filter(claim__participation__member=member).update(text="")


register_member_eraser(involvement_erase_member)
