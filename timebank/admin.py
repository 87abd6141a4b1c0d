"""The Django admin for every timebank model, set up for coordinators.

Coordinators (is_staff, in the "coordinator" group; permissions granted by
migration 0004) use it to look things up and fix details. What it must never
do is bypass the domain rules:
- ledger rows (transfers, entries) and exchange history are read-only for
  everyone, superusers included: corrections are reversals, made through
  timebank.ledger from the coordinator pages;
- an account's balance is read-only; only its limits change, through
  ledger.account_set_limits under a row lock (a plain save would write back a
  stale balance);
- an exchange's lifecycle fields are read-only: transitions go through the
  exchange services so every change writes a history row.

Tenancy (timebank.permissions): a staff user who is not a network
administrator sees and changes only the rows of the timebanks they coordinate.
Every admin of timebank data is a TimebankScopedAdmin: its list is filtered
(`get_queryset`), its foreign-key choices are filtered the same way
(`formfield_for_foreignkey`), and the change, history and delete pages of
another timebank's object answer 404 (Django's default would redirect with
"does not exist", which still tells the visitor something). Only a network
administrator adds a timebank or changes who coordinates one.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html

from core.errors import DomainError
from core.places.postcodes import normalise_postcode, postcode_district
from timebank import ledger
from timebank.hours import format_minutes
from timebank.models import (
    Account,
    Availability,
    Category,
    CategoryRestriction,
    CommunicationNeed,
    Entry,
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    Incident,
    Listing,
    Member,
    SafeguardingCheck,
    Timebank,
    Transfer,
    User,
)
from timebank.permissions import coordinated_timebanks, is_network_admin
from timebank.services.timebanks import categories_from_template

admin.site.site_header = "TimeCommons administration"
admin.site.site_title = "TimeCommons admin"
admin.site.index_title = "Run the timebank"


class ReadOnlyAdminMixin:
    """Viewing only, whatever the user's permissions: for append-only rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def scoped_to_coordinated(queryset: QuerySet, user: object, timebank_field: str) -> QuerySet:
    """`queryset` limited to rows whose `timebank_field` (a path to a Timebank, or
    "pk" for timebanks themselves) is a timebank `user` coordinates; all rows for a
    network administrator."""
    if is_network_admin(user):
        return queryset
    return queryset.filter(**{f"{timebank_field}__in": coordinated_timebanks(user).values("pk")})


class NotFoundOutsideScopeMixin:
    """The change, history and delete pages of an object outside the admin's
    `get_queryset` answer 404 (docs/architecture.md "404, not 403")."""

    def _object_or_404(self, request, object_id) -> None:
        if object_id is not None and self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            raise Http404("Not found.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def delete_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]


# How each model that a form may point at reaches its timebank, for the
# choices of a foreign key (TimebankScopedAdmin.formfield_for_foreignkey).
TIMEBANK_FIELD_OF: dict[type, str] = {
    Timebank: "pk",
    Member: "timebank",
    Listing: "timebank",
    Category: "timebank",
    Exchange: "timebank",
    Account: "timebank",
    Transfer: "timebank",
}


class TimebankScopedAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """An admin over one timebank's data: see the module docstring."""

    # The path from this model to its Timebank.
    timebank_field = "timebank"

    def get_queryset(self, request):
        return scoped_to_coordinated(super().get_queryset(request), request.user, self.timebank_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs:
            if related in TIMEBANK_FIELD_OF:
                kwargs["queryset"] = scoped_to_coordinated(
                    related._default_manager.all(), request.user, TIMEBANK_FIELD_OF[related]
                )
            elif related is User:
                kwargs["queryset"] = users_visible_in_admin(User.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def users_visible_in_admin(queryset: QuerySet[User], user: object) -> QuerySet[User]:
    """Logins a staff user may look up: all for a network administrator; for a
    coordinator, their own and those of the members and coordinators of the
    timebanks they coordinate."""
    if is_network_admin(user):
        return queryset
    timebanks = coordinated_timebanks(user).values("pk")
    user_id: int = getattr(user, "pk", 0)
    inside = User.objects.filter(
        Q(pk=user_id) | Q(member__timebank__in=timebanks) | Q(coordinated_timebanks__in=timebanks)
    ).values("pk")
    return queryset.filter(pk__in=inside)


class RecordedByMixin:
    """Safeguarding records note which staff member wrote them."""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


# --- People -------------------------------------------------------------------


@admin.register(User)
class UserAdmin(NotFoundOutsideScopeMixin, DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "roles"]
    list_filter = ["groups", "is_staff", "is_active", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    readonly_fields = ["public_id", "last_login", "date_joined"]

    def get_queryset(self, request):
        return users_visible_in_admin(super().get_queryset(request), request.user).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all()))


@admin.register(Timebank)
class TimebankAdmin(TimebankScopedAdmin):
    list_display = ["name", "slug", "default_min_balance_hours", "auto_confirm_days", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    timebank_field = "pk"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Who coordinates a timebank is the network's decision, not its coordinators'.
        return fields if is_network_admin(request.user) else [*fields, "coordinators"]

    def has_add_permission(self, request):
        # A new timebank is a new tenant: only a network administrator makes one.
        return is_network_admin(request.user) and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # Its own categories, as timebank_create gives a timebank started from its page.
            categories_from_template(timebank=obj)

    @admin.display(description="Default overdraft limit", ordering="default_min_balance")
    def default_min_balance_hours(self, obj: Timebank) -> str:
        return format_minutes(obj.default_min_balance)

    def has_delete_permission(self, request, obj=None):
        # Members, accounts and the ledger hang off a timebank: it is never removed.
        return False


class MemberAdminForm(forms.ModelForm):
    availability = forms.MultipleChoiceField(
        choices=Availability.choices(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="When this member is usually free.",
    )
    communication_needs = forms.MultipleChoiceField(
        choices=CommunicationNeed.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Member
        fields = [
            "timebank",
            "user",
            "kind",
            "display_name",
            "email",
            "phone",
            "postcode",
            "travel_radius_km",
            "availability",
            "communication_needs",
            "about",
            "status",
            "status_note",
            "digest",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["availability"] = Availability.to_slots(self.instance.availability)
            self.initial["communication_needs"] = list(self.instance.communication_needs or [])

    def clean_postcode(self) -> str:
        text = self.cleaned_data.get("postcode", "")
        if not text.strip():
            return ""
        try:
            return normalise_postcode(text)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def clean_availability(self) -> int:
        return Availability.from_slots(self.cleaned_data.get("availability") or [])

    def save(self, commit=True):
        member = super().save(commit=False)
        member.postcode_district = postcode_district(member.postcode) if member.postcode else ""
        if commit:
            member.save()
        return member


class SafeguardingCheckInline(admin.TabularInline):
    model = SafeguardingCheck
    extra = 0
    fields = ["kind", "reference_number", "referee_name", "checked_on", "expires_on", "recorded_by"]
    readonly_fields = ["recorded_by"]


class CategoryRestrictionInline(admin.TabularInline):
    model = CategoryRestriction
    extra = 0
    fields = ["category", "reason", "recorded_by"]
    readonly_fields = ["recorded_by"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # The member's own timebank's categories (each timebank has its own list);
        # for a member being added, those of the timebanks the staff user coordinates.
        categories = Category.objects.select_related("timebank")
        if obj is not None:
            categories = categories.filter(timebank_id=obj.timebank_id)
        else:
            categories = scoped_to_coordinated(categories, request.user, "timebank")
        formset.form.base_fields["category"].queryset = categories
        return formset


@admin.register(Member)
class MemberAdmin(TimebankScopedAdmin):
    form = MemberAdminForm
    list_display = ["display_name", "status", "kind", "postcode_district", "balance", "timebank", "joined_at"]
    list_filter = ["status", "kind", ("timebank", admin.RelatedOnlyFieldListFilter), "digest"]
    search_fields = ["display_name", "email", "phone", "postcode", "user__username", "=public_id"]
    list_select_related = ["account", "timebank"]
    readonly_fields = [
        "public_id",
        "balance",
        "joined_at",
        "approved_at",
        "first_exchange_at",
        "last_exchange_at",
        "last_digest_sent_at",
    ]
    autocomplete_fields = ["user"]
    inlines = [SafeguardingCheckInline, CategoryRestrictionInline]

    @admin.display(description="Balance")
    def balance(self, obj: Member) -> str:
        account = getattr(obj, "account", None) if obj.pk else None
        return format_minutes(account.balance) if account else "No account yet"

    def save_formset(self, request, form, formset, change):
        records = formset.save(commit=False)
        for record in records:
            if record.pk is None and hasattr(record, "recorded_by_id"):
                record.recorded_by = request.user
            record.save()
        for record in formset.deleted_objects:
            record.delete()
        formset.save_m2m()

    def has_delete_permission(self, request, obj=None):
        # A member's account and exchanges keep them: they leave (status), never vanish.
        return False


# --- Listings -------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(TimebankScopedAdmin):
    # Each timebank has its own categories: a coordinator sees and edits only theirs.
    list_display = ["name", "slug", "timebank", "needs_dbs_check", "needs_references", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = [("timebank", admin.RelatedOnlyFieldListFilter), "is_active", "needs_dbs_check", "needs_references"]
    list_select_related = ["timebank"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A category stays in its timebank: its listings and restrictions are that timebank's.
        return [*fields, "timebank"] if obj is not None else fields


@admin.register(Listing)
class ListingAdmin(TimebankScopedAdmin):
    list_display = ["title", "kind", "category", "member", "status", "where", "expires_on"]
    list_filter = [
        "kind",
        "status",
        # Only the categories of the listings shown: another timebank's are not listed.
        ("category", admin.RelatedOnlyFieldListFilter),
        "where",
        ("timebank", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "description", "member__display_name"]
    list_select_related = ["category", "member"]
    autocomplete_fields = ["member"]
    readonly_fields = ["public_id", "created_at", "updated_at", "closed_at", "matched_at", "reminded_at"]


# --- Exchanges ------------------------------------------------------------------


class ExchangeReceiverInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ExchangeReceiver
    extra = 0
    fields = ["member"]
    readonly_fields = ["member"]


class ExchangeHistoryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ExchangeHistory
    extra = 0
    fields = ["at", "from_status", "to_status", "actor", "note"]
    # django-stubs types `fields` as a list of names or groups of names (an
    # invariant list), so one flat list of names cannot also be readonly_fields.
    readonly_fields = fields  # type: ignore[assignment]


@admin.register(Exchange)
class ExchangeAdmin(TimebankScopedAdmin):
    list_display = ["public_id", "provider", "status", "time_given", "agreed_for", "created_at"]
    list_filter = ["status", "recorded_by_coordinator", ("timebank", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=public_id", "description", "provider__display_name", "receivers__display_name"]
    list_select_related = ["provider"]
    fields = [
        "public_id",
        "timebank",
        "listing",
        "provider",
        "description",
        "agreed_for",
        "status",
        "minutes",
        "proposed_by",
        "recorded_by_coordinator",
        "done_at",
        "confirmed_at",
        "posted_at",
        "created_at",
        "updated_at",
    ]
    # Only the description and planned time may be edited here; the lifecycle
    # belongs to the exchange services. (The ignore: as in ExchangeHistoryInline.)
    readonly_fields = [name for name in fields if name not in ("description", "agreed_for")]  # type: ignore[misc]
    inlines = [ExchangeReceiverInline, ExchangeHistoryInline]

    @admin.display(description="Time given", ordering="minutes")
    def time_given(self, obj: Exchange) -> str:
        return format_minutes(obj.minutes) if obj.minutes else "-"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExchangeHistory)
class ExchangeHistoryAdmin(ReadOnlyAdminMixin, TimebankScopedAdmin):
    timebank_field = "exchange__timebank"
    list_display = ["exchange", "from_status", "to_status", "actor", "at"]
    list_filter = ["to_status"]
    search_fields = ["=exchange__public_id", "note"]
    list_select_related = ["exchange", "actor"]


# --- The hour ledger ------------------------------------------------------------


class AccountAdminForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["min_balance", "max_balance"]

    def clean(self):
        cleaned = super().clean()
        problems = ledger.account_limits_problems(
            balance=self.instance.balance,
            min_balance=cleaned.get("min_balance"),
            max_balance=cleaned.get("max_balance"),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return cleaned


@admin.register(Account)
class AccountAdmin(TimebankScopedAdmin):
    form = AccountAdminForm
    list_display = ["name", "kind", "timebank", "balance_hours", "min_balance", "max_balance"]
    list_filter = ["kind", ("timebank", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "member__display_name", "=public_id"]
    list_select_related = ["timebank"]
    fields = [
        "public_id",
        "name",
        "kind",
        "timebank",
        "member",
        "balance_hours",
        "min_balance",
        "max_balance",
        "statement",
        "created_at",
    ]
    readonly_fields = ["public_id", "name", "kind", "timebank", "member", "balance_hours", "statement", "created_at"]

    @admin.display(description="Balance", ordering="balance")
    def balance_hours(self, obj: Account) -> str:
        return f"{format_minutes(obj.balance)} ({obj.balance} minutes)"

    @admin.display(description="Statement")
    def statement(self, obj: Account) -> str:
        url = reverse("admin:timebank_entry_changelist") + f"?account__id__exact={obj.pk}"
        return format_html('<a href="{}">Entries for {}</a>', url, obj.name)

    def save_model(self, request, obj, form, change):
        # Never obj.save(): it would write back the balance read when the form
        # opened, losing any transfer posted since.
        ledger.account_set_limits(
            account=obj, min_balance=form.cleaned_data["min_balance"], max_balance=form.cleaned_data["max_balance"]
        )

    def has_add_permission(self, request):
        # Accounts are opened by the ledger (account_for_member, system_account).
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Entry
    extra = 0
    fields = ["account", "minutes", "balance_after", "created_at"]
    readonly_fields = fields  # type: ignore[assignment]  # as in ExchangeHistoryInline

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, TimebankScopedAdmin):
    list_display = ["public_id", "kind", "memo", "timebank", "recorded_by", "created_at"]
    list_filter = ["kind", ("timebank", admin.RelatedOnlyFieldListFilter)]
    # Never the memo or the note: searching them would find people by what was
    # written about them, erased people included (issue 12). Ids only.
    search_fields = ["=public_id", "=idempotency_key"]
    list_select_related = ["timebank", "recorded_by"]
    show_full_result_count = False
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, TimebankScopedAdmin):
    timebank_field = "account__timebank"
    list_display = ["created_at", "account", "minutes", "balance_after", "transfer"]
    search_fields = ["account__name", "=account__public_id", "=transfer__public_id"]
    list_select_related = ["account", "transfer"]
    # Filtering by account comes from the account page's statement link; a
    # sidebar listing every account would not scale.
    list_filter = ["transfer__kind"]
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "account__id__exact" or super().lookup_allowed(lookup, value, request)


# --- Safeguarding -------------------------------------------------------------------


@admin.register(SafeguardingCheck)
class SafeguardingCheckAdmin(RecordedByMixin, TimebankScopedAdmin):
    timebank_field = "member__timebank"
    list_display = ["member", "kind", "checked_on", "expires_on", "recorded_by"]
    list_filter = ["kind", "expires_on"]
    search_fields = ["member__display_name", "reference_number", "referee_name"]
    list_select_related = ["member", "recorded_by"]
    autocomplete_fields = ["member"]
    readonly_fields = ["recorded_by", "reminded_at", "created_at"]


@admin.register(Incident)
class IncidentAdmin(RecordedByMixin, TimebankScopedAdmin):
    timebank_field = "member__timebank"
    list_display = ["member", "occurred_at", "recorded_by"]
    search_fields = ["member__display_name"]
    list_select_related = ["member", "recorded_by"]
    autocomplete_fields = ["member"]
    readonly_fields = ["recorded_by", "created_at"]


@admin.register(CategoryRestriction)
class CategoryRestrictionAdmin(RecordedByMixin, TimebankScopedAdmin):
    timebank_field = "member__timebank"
    list_display = ["member", "category", "reason", "recorded_by"]
    list_filter = [("category", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["member__display_name"]
    list_select_related = ["member", "category", "recorded_by"]
    autocomplete_fields = ["member"]
    readonly_fields = ["recorded_by", "created_at"]
