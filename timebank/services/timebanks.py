"""Timebank writes: a network administrator starts a new timebank.

A timebank is a tenant: its members, listings, exchanges and hour accounts
belong to it alone, and so do its categories of help and their safeguarding
rules: a new timebank gets its own row, its community pot, its coordinators
and its own copy of the template categories (timebank.categories).
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from core.text import clean_text
from timebank import ledger
from timebank.categories import DEFAULT_CATEGORIES, WELSH
from timebank.models import AccountKind, Category, Timebank, User
from timebank.permissions import is_network_admin
from timebank.services.members import user_make_coordinator

NOT_A_NETWORK_ADMIN = gettext_lazy("Only a network administrator can start a new timebank.")
SLUG_MAX_LENGTH = 60
# Hours a member may owe, at most, as a default for a new timebank's accounts.
MAX_OVERDRAFT_MINUTES = 100 * 60
MAX_CEILING_MINUTES = 1000 * 60


def _slug(slug: str, *, name: str) -> str:
    """The given short name, or one made from the name; lower-case letters,
    numbers and hyphens, as it appears in the timebank's address (/t/<slug>/)."""
    text = clean_text(slug, field="slug", label=gettext("the short name"), max_length=SLUG_MAX_LENGTH)
    made = slugify(text or name)[:SLUG_MAX_LENGTH].strip("-")
    if text and made != text:
        raise InvalidInputError(
            gettext("Use only lower-case letters, numbers and hyphens in the short name, for example caversham."),
            field="slug",
        )
    if not made:
        raise InvalidInputError(
            gettext(
                "Enter a short name for the timebank's web address, using letters and numbers, for example caversham."
            ),
            field="slug",
        )
    return made


def _slug_taken(slug: str) -> ConflictError:
    return ConflictError(
        gettext("Another timebank already uses the short name %(slug)s. Choose a different short name.")
        % {"slug": slug},
        field="slug",
    )


def _email(value: str) -> str:
    email = clean_text(
        value, field="contact_email", label=gettext("the contact e-mail address"), max_length=254
    ).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInputError(
                gettext("Enter the contact e-mail address in the right format, like name@example.org."),
                field="contact_email",
            ) from None
    return email


def _limits(min_balance: int, max_balance: int | None) -> tuple[int, int | None]:
    """Check the default limits for new member accounts, in minutes."""
    for field, value in (("default_min_balance", min_balance), ("default_max_balance", max_balance)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidInputError(gettext("Enter a whole number of hours."), field=field)
    if not -MAX_OVERDRAFT_MINUTES <= min_balance <= 0:
        raise InvalidInputError(
            gettext("Enter how many hours a member may owe, from 0 to %(max)s.") % {"max": MAX_OVERDRAFT_MINUTES // 60},
            field="default_min_balance",
        )
    if max_balance is not None and not 0 < max_balance <= MAX_CEILING_MINUTES:
        raise InvalidInputError(
            gettext("Enter the most hours a member may hold, from 1 to %(max)s, or leave it blank.")
            % {"max": MAX_CEILING_MINUTES // 60},
            field="default_max_balance",
        )
    return min_balance, max_balance


def categories_from_template(*, timebank: Timebank) -> list[Category]:
    """Give `timebank` its own copy of the template categories
    (timebank.categories.DEFAULT_CATEGORIES), in the template's order; those it
    already has (by slug) are left as they are. Part of timebank_create, inside
    its transaction; no permission check of its own."""
    have = set(Category.objects.filter(timebank=timebank).values_list("slug", flat=True))
    return Category.objects.bulk_create(
        Category(
            timebank=timebank,
            name=template.name,
            slug=template.slug,
            description=template.description,
            name_cy=WELSH.get(template.slug, ("", ""))[0],
            description_cy=WELSH.get(template.slug, ("", ""))[1],
            needs_dbs_check=template.needs_dbs_check,
            needs_references=template.needs_references,
            position=position,
        )
        for position, template in enumerate(DEFAULT_CATEGORIES)
        if template.slug not in have
    )


def timebank_create(
    *,
    by_user: User,
    name: str,
    slug: str = "",
    area: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    default_min_balance: int = -600,
    default_max_balance: int | None = None,
    coordinators: Iterable[User] = (),
) -> Timebank:
    """Start a new timebank, with its community pot and first coordinators.

    - `slug`: the short name in its address (/t/<slug>/); made from the name
      when blank. A short name another timebank uses is refused with a message.
    - `default_min_balance` / `default_max_balance`: the limits new member
      accounts open with, in minutes (the overdraft limit is zero or below;
      no ceiling when None).
    - `coordinators`: existing logins who will coordinate it; each is given the
      coordinator role. A network administrator coordinates every timebank
      without being listed.

    The timebank starts with its own copy of the template categories
    (categories_from_template), which its coordinators then edit as their own.
    """
    if not is_network_admin(by_user):
        raise NotAllowedError(str(NOT_A_NETWORK_ADMIN))
    name = clean_text(name, field="name", label=gettext("the timebank's name"), max_length=120, required=True)
    slug = _slug(slug, name=name)
    area = clean_text(area, field="area", label=gettext("the area"), max_length=160)
    contact_email = _email(contact_email)
    contact_phone = clean_text(
        contact_phone, field="contact_phone", label=gettext("the contact phone number"), max_length=30
    )
    default_min_balance, default_max_balance = _limits(default_min_balance, default_max_balance)
    coordinators = list(dict.fromkeys(coordinators))
    if any(user.pk is None or not user.is_active for user in coordinators):
        raise InvalidInputError(gettext("Choose coordinators from the people who can log in."), field="coordinators")
    if Timebank.objects.filter(slug=slug).exists():
        raise _slug_taken(slug)
    # Why atomic: the timebank, its community pot, its categories and its
    # coordinators exist together or not at all (a timebank without a pot could
    # not grant hours, one without categories could not list anything).
    try:
        with transaction.atomic():
            timebank = Timebank.objects.create(
                name=name,
                slug=slug,
                area=area,
                contact_email=contact_email,
                contact_phone=contact_phone,
                default_min_balance=default_min_balance,
                default_max_balance=default_max_balance,
            )
            # The same pot migration 0002 gives the default timebank, made by the ledger.
            ledger.system_account(timebank=timebank, kind=AccountKind.POT)
            categories_from_template(timebank=timebank)
            for user in coordinators:
                user_make_coordinator(user=user)
            timebank.coordinators.add(*coordinators)
    except IntegrityError:
        # Another administrator took the same short name a moment ago.
        raise _slug_taken(slug) from None
    return timebank
