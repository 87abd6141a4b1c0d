"""A member's own timebank through the API: me, my statement, my listings,
my exchanges and one POST per exchange move. For people (session) only:
API clients have no member and get 403 (no `required_scopes`).

Tenancy: every read here is also limited to the timebanks the caller may see
(timebank.permissions.visible_timebank_ids: their own once approved, and those
they coordinate), so another timebank's listing or exchange is a 404, and an
applicant, who sees no timebank's data yet, sees no listings or exchanges.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.permissions import ClientHasScope, IsMember
from api.serializers import timebank as t
from api.views.base import ApiView
from core.errors import InvalidInputError, NotFoundError
from timebank.models import Category, Listing, User
from timebank.permissions import visible_timebank_ids
from timebank.selectors.accounts import account_statement, member_account, member_hours_summary
from timebank.selectors.exchanges import exchange_detail, exchange_of_party, exchanges_for_member
from timebank.selectors.listings import active_category_by_slug, listings_of_member
from timebank.services import exchanges as exchange_services, listings as listing_services


class MemberView(ApiView):
    permission_classes = [IsAuthenticated, ClientHasScope, IsMember]
    throttle_scope = "timebank"
    queryset = Listing.objects.none()

    @property
    def member(self):
        return self.request.user.member

    @property
    def by_user(self) -> User:
        """The person acting: the permissions let in only a logged-in member (no
        anonymous visitor, no API client)."""
        user = self.request.user
        assert isinstance(user, User)
        return user

    @property
    def timebank_ids(self) -> set[int]:
        """The timebanks whose data the caller may see, read once per request."""
        cached: set[int] | None = getattr(self, "_timebank_ids", None)
        if cached is None:
            cached = self._timebank_ids = visible_timebank_ids(self.request.user)
        return cached


class MeView(MemberView):
    serializer_class = t.MeSerializer

    @extend_schema(summary="My profile and hours", responses=t.MeSerializer)
    def get(self, request):
        data = {"member": self.member, "summary": member_hours_summary(member=self.member)}
        return Response(t.MeSerializer(data).data)


class StatementView(MemberView):
    serializer_class = t.StatementPageSerializer

    @extend_schema(
        summary="My statement, newest first",
        parameters=[
            OpenApiParameter("older_than", int, description="From a `next` link"),
            OpenApiParameter("newer_than", int, description="From a `previous` link"),
        ],
        responses=t.StatementPageSerializer,
    )
    def get(self, request):
        cursors = {}
        for name in ("older_than", "newer_than"):
            value = request.query_params.get(name)
            if value is not None:
                if not value.isdigit() or len(value) > 18:
                    raise InvalidInputError(_("Use the links from the previous page."), field=name)
                cursors[name] = int(value)
        account = member_account(member=self.member)
        url = request.build_absolute_uri()
        if account is None or account.timebank_id not in self.timebank_ids:
            return Response({"count": None, "next": None, "previous": None, "results": []})
        page = account_statement(account=account, **cursors)
        base = remove_query_param(remove_query_param(url, "older_than"), "newer_than")
        return Response(
            {
                "count": None,
                "next": replace_query_param(base, "older_than", page.older_than) if page.older_than else None,
                "previous": replace_query_param(base, "newer_than", page.newer_than) if page.newer_than else None,
                "results": t.StatementLineSerializer(page.lines, many=True).data,
            }
        )


def _category(slug: str, *, timebank_id: int) -> Category:
    """The category in use with this slug in the listing's timebank: each
    timebank has its own categories, so another timebank's is not found."""
    category = active_category_by_slug(timebank=timebank_id, slug=slug)
    if category is None:
        raise InvalidInputError(_("Choose a category from your timebank's list."), field="category")
    return category


class ListingListCreateView(MemberView):
    serializer_class = t.ListingOutSerializer

    def get_queryset(self):
        return listings_of_member(member=self.member).filter(timebank_id__in=self.timebank_ids)

    @extend_schema(summary="My offers and requests", responses=t.ListingOutSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(t.ListingOutSerializer(page, many=True).data)

    @extend_schema(
        summary="List an offer or a request", request=t.ListingInSerializer, responses={201: t.ListingOutSerializer}
    )
    def post(self, request):
        body = t.ListingInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["category"] = _category(data["category"], timebank_id=self.member.timebank_id)
        listing = listing_services.listing_create(member=self.member, by_user=request.user, **data)
        return Response(t.ListingOutSerializer(listing).data, status=status.HTTP_201_CREATED)


class MyListingView(MemberView):
    def get_listing(self, listing_id) -> Listing:
        listing = (
            listings_of_member(member=self.member)
            .filter(public_id=listing_id, timebank_id__in=self.timebank_ids)
            .first()
        )
        if listing is None:
            raise NotFoundError(_("You have no offer or request with this id."))
        return listing


class ListingDetailView(MyListingView):
    serializer_class = t.ListingOutSerializer

    @extend_schema(
        summary="Change my offer or request", request=t.ListingUpdateSerializer, responses=t.ListingOutSerializer
    )
    def patch(self, request, listing_id):
        listing = self.get_listing(listing_id)
        body = t.ListingUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        if "category" in fields:
            fields["category"] = _category(fields["category"], timebank_id=listing.timebank_id)
        listing = listing_services.listing_update(listing=listing, by_user=request.user, **fields)
        return Response(t.ListingOutSerializer(listing).data)


class ListingCloseView(MyListingView):
    serializer_class = t.ListingOutSerializer

    @extend_schema(summary="Close my offer or request", request=None, responses=t.ListingOutSerializer)
    def post(self, request, listing_id):
        listing = listing_services.listing_close(listing=self.get_listing(listing_id), by_user=request.user)
        return Response(t.ListingOutSerializer(listing).data)


class ExchangeListCreateView(MemberView):
    serializer_class = t.ExchangeOutSerializer

    def get_queryset(self):
        return exchanges_for_member(member=self.member).filter(timebank_id__in=self.timebank_ids)

    @extend_schema(summary="My exchanges, newest first", responses=t.ExchangeOutSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(t.ExchangeOutSerializer(page, many=True).data)

    @extend_schema(
        summary="Propose an exchange by answering an offer or request",
        request=t.ExchangeProposeSerializer,
        responses={201: t.ExchangeOutSerializer},
    )
    def post(self, request):
        body = t.ExchangeProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Another timebank's listing is answered as one that does not exist.
        listing = (
            Listing.objects.select_related("member", "timebank")
            .filter(public_id=body.validated_data["listing"], timebank_id__in=self.timebank_ids)
            .first()
        )
        if listing is None:
            raise InvalidInputError(_("There is no offer or request with this id."), field="listing")
        exchange = exchange_services.exchange_propose_from_listing(
            listing=listing,
            member=self.member,
            by_user=request.user,
            agreed_for=body.validated_data.get("agreed_for"),
            description=body.validated_data["description"],
        )
        exchange = exchange_detail(public_id=exchange.public_id, user=request.user)
        return Response(t.ExchangeOutSerializer(exchange).data, status=status.HTTP_201_CREATED)


class ExchangeActionView(MemberView):
    """POST /api/v1/exchanges/{id}/<action>/: one endpoint per move."""

    serializer_class = t.ExchangeOutSerializer
    action_name = ""

    def run(self, exchange, body) -> None:
        service = getattr(exchange_services, f"exchange_{self.action_name}")
        service(exchange=exchange, by_user=self.by_user, note=body["note"])

    def post(self, request, exchange_id):
        # Another timebank's exchange, one the caller takes no part in, or none: not
        # found, before anything else is read. Coordinators act through their own
        # pages, not a member's API.
        exchange = exchange_of_party(public_id=exchange_id, user=self.by_user, timebank_ids=self.timebank_ids)
        body_class = t.ExchangeRecordSerializer if self.action_name == "record" else t.ExchangeNoteSerializer
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        # The service copies the new state onto `exchange` (its status, minutes,
        # dates); who takes part does not change, so it answers without a re-read.
        self.run(exchange, body.validated_data)
        return Response(t.ExchangeOutSerializer(exchange).data)


def _action_view(name: str, summary: str, body):
    class View(ExchangeActionView):
        action_name = name

        @extend_schema(
            summary=summary, request=body, responses=t.ExchangeOutSerializer, operation_id=f"exchange_{name}"
        )
        def post(self, request, exchange_id):
            return super().post(request, exchange_id)

        if name == "record":

            def run(self, exchange, data) -> None:
                exchange_services.exchange_record(
                    exchange=exchange, by_user=self.by_user, minutes=data["minutes"], helped_on=data.get("helped_on")
                )

    View.__name__ = View.__qualname__ = f"Exchange{name.title()}View"
    return View


EXCHANGE_ACTIONS = {
    "accept": _action_view("accept", "Accept a proposed exchange", t.ExchangeNoteSerializer),
    "decline": _action_view("decline", "Decline a proposed exchange", t.ExchangeNoteSerializer),
    "record": _action_view("record", "Record the minutes given (provider)", t.ExchangeRecordSerializer),
    "confirm": _action_view(
        "confirm", "Confirm the recorded time (receiver): the hours are posted", t.ExchangeNoteSerializer
    ),
    "dispute": _action_view("dispute", "Say the recorded time is wrong (receiver)", t.ExchangeNoteSerializer),
    "cancel": _action_view("cancel", "Call the exchange off", t.ExchangeNoteSerializer),
}
