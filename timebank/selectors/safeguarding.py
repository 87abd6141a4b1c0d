"""The safeguarding rule: may this member help with this kind of help, here?

One definition for every path that puts two people together: listing an
offer, proposing, accepting, a coordinator's introduction, recording for
members, group exchanges (timebank.services.safeguarding enforces it there),
and match suggestions (brokering.selectors.matching applies the same
definitions in its candidate SQL for speed, and reads them from here).

A helper has a problem when:
- a coordinator has restricted them from the category (CategoryRestriction);
- a DBS check is needed and they have no current one: the category needs it
  (Category.needs_dbs_check), or the help is in someone's home (`where` is
  home) and home visits need DBS (setting BROKERING_HOME_VISITS_NEED_DBS);
- references are needed (Category.needs_references) and none is current;
- the help is a carer's break (Listing.carers_break) and they have no current
  DBS check: someone may be left alone with the person cared for;
- it is one-to-one help between someone under 18 (a young carer) and an
  adult (`young_person_problems`): a coordinator must approve that pairing,
  which they do by going ahead with a reason. Group exchanges (several
  receivers) are the way young carers take part without it.

A check is *current* on a day when it was made on or before that day and has
not expired (no expiry date means it does not expire): `current_checks_q`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from timebank.models import (
    Category,
    CategoryRestriction,
    Exchange,
    Listing,
    ListingKind,
    Member,
    SafeguardingCheck,
    SafeguardingCheckKind,
    SafeguardingOverride,
    Where,
)

DBS_KINDS = [SafeguardingCheckKind.DBS_BASIC, SafeguardingCheckKind.DBS_STANDARD, SafeguardingCheckKind.DBS_ENHANCED]
REFERENCE_KINDS = [SafeguardingCheckKind.REFERENCE]

# Problem codes, as recorded on a SafeguardingOverride.
RESTRICTED = "restricted"
NEEDS_DBS = "needs-dbs"
NEEDS_REFERENCES = "needs-references"
YOUNG_PERSON = "young-person"
PROBLEM_CODES = (RESTRICTED, NEEDS_DBS, NEEDS_REFERENCES, YOUNG_PERSON)

COORDINATOR_FIRST = gettext_lazy("A coordinator needs to check this first.")


@dataclass(frozen=True)
class Problem:
    """One reason a member may not help: `code` (one of PROBLEM_CODES) and a
    plain message that says what to do."""

    code: str
    message: str
    # What someone other than the helper or a coordinator is told, when it differs.
    others_message: str = ""

    @property
    def message_for_others(self) -> str:
        return self.others_message or self.message


def current_checks_q(*, today: datetime.date, prefix: str = "") -> Q:
    """Checks that are current on `today` (the same condition as matching's candidate SQL)."""
    return Q(**{f"{prefix}checked_on__lte": today}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": today})
    )


def home_visits_need_dbs() -> bool:
    """Whether help in someone's home needs a current DBS check (the setting
    keeps the name it had when only suggestions applied it)."""
    need: bool = settings.BROKERING_HOME_VISITS_NEED_DBS
    return need


def home_visit_needs_dbs(*, where: str | None) -> bool:
    """True when help given at `where` needs a DBS check because it is in someone's home."""
    return where == Where.HOME and home_visits_need_dbs()


def dbs_needed(*, category: Category | None, where: str | None, carers_break: bool = False) -> bool:
    return carers_break or bool(category is not None and category.needs_dbs_check) or home_visit_needs_dbs(where=where)


def young_person_problems(*, helper: Member, receivers: Sequence[Member]) -> list[Problem]:
    """One-to-one help between someone under 18 and an adult needs a
    coordinator's approval; a group (several receivers) does not, and neither
    do two adults or two under-18s."""
    if len(receivers) != 1:
        return []
    receiver = receivers[0]
    if helper.under_18 == receiver.under_18:
        return []
    young, adult = (helper, receiver) if helper.under_18 else (receiver, helper)
    return [
        Problem(
            YOUNG_PERSON,
            gettext(
                "%(young)s is under 18, so one-to-one help between them and %(adult)s needs a coordinator's "
                "approval. Group activities are fine."
            )
            % {"young": young.display_name, "adult": adult.display_name}
            + f" {COORDINATOR_FIRST}",
            gettext("One-to-one help between a young carer and an adult needs a coordinator's approval.")
            + f" {COORDINATOR_FIRST}",
        )
    ]


def references_needed(*, category: Category | None) -> bool:
    return bool(category is not None and category.needs_references)


def safeguarding_problems(
    *,
    helper: Member,
    category: Category | None,
    where: str | None,
    today: datetime.date,
    carers_break: bool = False,
    receivers: Sequence[Member] | None = None,
) -> list[Problem]:
    """What stops `helper` giving help in `category` at `where` on `today`, in
    plain words; an empty list when nothing does. At most two queries.

    `category` or `where` may be unknown (None), e.g. an exchange arranged
    without a listing: only the rules that do not depend on it apply.
    `carers_break`: the help answers a carer's break request (needs DBS).
    `receivers`: who would receive the help, when known (the young-person rule)."""
    problems = safeguarding_problems_by_helper(
        helpers=[helper], category=category, where=where, today=today, carers_break=carers_break
    )[helper.pk]
    if receivers is not None:
        problems += young_person_problems(helper=helper, receivers=receivers)
    return problems


def safeguarding_problems_by_helper(
    *,
    helpers: list[Member],
    category: Category | None,
    where: str | None,
    today: datetime.date,
    carers_break: bool = False,
) -> dict[int, list[Problem]]:
    """`safeguarding_problems` for several helpers at once (by member pk), in
    at most two queries however many there are: the coordinators' list of
    helpers left out of suggestions reads it."""
    member_ids = [helper.pk for helper in helpers]
    restricted: set[int] = set()
    if category is not None and member_ids:
        restricted = set(
            CategoryRestriction.objects.filter(member_id__in=member_ids, category=category).values_list(
                "member_id", flat=True
            )
        )
    need_dbs = dbs_needed(category=category, where=where, carers_break=carers_break)
    need_refs = references_needed(category=category)
    checks: dict[int, list[tuple[str, datetime.date | None]]] = {pk: [] for pk in member_ids}
    if (need_dbs or need_refs) and member_ids:
        wanted = [*(DBS_KINDS if need_dbs else []), *(REFERENCE_KINDS if need_refs else [])]
        rows = SafeguardingCheck.objects.filter(
            member_id__in=member_ids, kind__in=wanted, checked_on__lte=today
        ).values_list("member_id", "kind", "expires_on")
        for member_id, kind, expires_on in rows:
            checks[member_id].append((kind, expires_on))
    return {
        helper.pk: _problems(
            name=helper.display_name,
            category=category,
            where=where,
            today=today,
            restricted=helper.pk in restricted,
            checks=checks.get(helper.pk, []),
            carers_break=carers_break,
        )
        for helper in helpers
    }


def _problems(
    *,
    name: str,
    category: Category | None,
    where: str | None,
    today: datetime.date,
    restricted: bool,
    checks: list[tuple[str, datetime.date | None]],
    carers_break: bool = False,
) -> list[Problem]:
    """The rule for one helper, given whether they are restricted from the
    category and their checks of the kinds needed (made on or before `today`)."""
    problems: list[Problem] = []
    if category is not None and restricted:
        problems.append(
            Problem(
                RESTRICTED,
                gettext(
                    "%(name)s may not help with %(category)s: a coordinator has restricted this. "
                    "Please talk to a coordinator."
                )
                % {"name": name, "category": category.label},
                gettext("%(name)s cannot help with %(category)s just now. Please talk to a coordinator.")
                % {"name": name, "category": category.label},
            )
        )
    need_dbs = dbs_needed(category=category, where=where, carers_break=carers_break)
    need_refs = references_needed(category=category)
    if not (need_dbs or need_refs):
        return problems
    current = {kind for kind, expires_on in checks if expires_on is None or expires_on >= today}
    expired = {kind for kind, expires_on in checks if kind not in current}
    if need_dbs and not current & set(DBS_KINDS):
        if category is not None and category.needs_dbs_check:
            doing = gettext("helping with %(category)s") % {"category": category.label}
        elif carers_break:
            doing = gettext("giving a carer a break")
        else:
            doing = gettext("helping at someone's home")
        if expired & set(DBS_KINDS):
            needs = gettext("%(name)s needs a current DBS check (the last one has run out) before %(doing)s.")
        else:
            needs = gettext("%(name)s needs a current DBS check before %(doing)s.")
        problems.append(Problem(NEEDS_DBS, f"{needs % {'name': name, 'doing': doing}} {COORDINATOR_FIRST}"))
    if need_refs and category is not None and not current & set(REFERENCE_KINDS):
        if expired & set(REFERENCE_KINDS):
            needs = gettext(
                "%(name)s needs current references (the last ones have run out) before helping with %(category)s."
            )
        else:
            needs = gettext("%(name)s needs current references before helping with %(category)s.")
        needs = needs % {"name": name, "category": category.label}
        problems.append(Problem(NEEDS_REFERENCES, f"{needs} {COORDINATOR_FIRST}"))
    return problems


def overridden_codes(*, exchange: Exchange | None = None, listing: Listing | None = None) -> set[str]:
    """Problem codes a coordinator has already overridden for this exchange, or
    for this offer (an offer a coordinator let through may then be booked)."""
    where = Q(pk__in=[])
    if exchange is not None and exchange.pk is not None:
        where |= Q(exchange=exchange)
    if listing is not None and listing.pk is not None and listing.kind == ListingKind.OFFER:
        where |= Q(listing=listing, member_id=listing.member_id)
    codes: set[str] = set()
    for problems in SafeguardingOverride.objects.filter(where).values_list("problems", flat=True):
        codes.update(problems)
    return codes
