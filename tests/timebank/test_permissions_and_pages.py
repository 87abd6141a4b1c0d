"""The rules every app shares: who holds a role (timebank.permissions), what a
page answers to someone who may not open it, and where a service's refusal
shows on a form (timebank.pages); and the one way a member is made."""

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from core.errors import InvalidInputError, NotAllowedError
from tests.factories import UserFactory
from timebank.models import Account, Member, MemberStatus, Role
from timebank.pages import put_error_on_form, role_page
from timebank.permissions import has_role, is_coordinator, require_coordinator
from timebank.services.members import member_create

pytestmark = pytest.mark.django_db


def test_an_administrator_can_do_what_a_coordinator_can(db):
    admin = UserFactory(roles=[Role.ADMIN])
    assert is_coordinator(admin) and has_role(admin, Role.COORDINATOR)
    assert not has_role(admin, Role.LINK_WORKER)


def test_nobody_else_is_a_coordinator(alice):
    for user in (None, AnonymousUser(), alice.user):
        assert not is_coordinator(user)
        with pytest.raises(NotAllowedError):
            require_coordinator(user)


def test_a_role_page_sends_visitors_to_log_in_and_answers_not_found_to_other_roles(alice, coordinator):
    page = role_page(Role.COORDINATOR)(lambda request: HttpResponse("queue"))
    visitor = RequestFactory().get("/queue/")
    visitor.user = AnonymousUser()
    assert page(visitor).status_code == 302
    member = RequestFactory().get("/queue/")
    member.user = alice.user
    with pytest.raises(Http404):
        page(member)
    allowed = RequestFactory().get("/queue/")
    allowed.user = coordinator
    assert page(allowed).content == b"queue"


class PersonForm(forms.Form):
    phone = forms.CharField(required=False)
    consent_scopes = forms.CharField(required=False)
    consent_given = forms.BooleanField(required=False)
    service_error_fields = {"consent": "consent_given"}


@pytest.mark.parametrize(
    ("field", "shown_next_to"),
    [
        ("phone", "phone"),
        ("person.phone", "phone"),
        ("consent.scopes", "consent_scopes"),
        ("consent", "consent_given"),
        ("target.service", None),
        (None, None),
    ],
)
def test_a_refusal_is_shown_next_to_the_field_it_names(field, shown_next_to):
    form = PersonForm({})
    form.is_valid()
    put_error_on_form(form, InvalidInputError("Not like that.", field=field))
    assert form.errors == {shown_next_to or "__all__": ["Not like that."]}


def test_a_member_approved_at_once_has_an_account_and_only_a_coordinator_may_do_it(timebank, alice, coordinator):
    with pytest.raises(NotAllowedError):
        member_create(timebank=timebank, display_name="Edna", postcode="RG4", status=MemberStatus.APPROVED)
    with pytest.raises(NotAllowedError):
        member_create(
            timebank=timebank, display_name="Edna", postcode="RG4", status=MemberStatus.APPROVED, by_user=alice.user
        )
    edna = member_create(
        timebank=timebank, display_name="Edna", postcode="RG4", status=MemberStatus.APPROVED, by_user=coordinator
    )
    assert edna.approved_at is not None and Account.objects.filter(member=edna).exists()


def test_an_application_made_for_someone_keeps_a_postcode_the_geocoder_does_not_know(timebank):
    with pytest.raises(InvalidInputError) as refused:
        member_create(timebank=timebank, display_name="Jo", postcode="ZZ99 9ZZ")
    assert refused.value.field == "postcode"
    jo = member_create(timebank=timebank, display_name="Jo", postcode="ZZ99 9ZZ", keep_unknown_postcode=True)
    assert (jo.status, jo.postcode, jo.latitude) == (MemberStatus.APPLIED, "ZZ99 9ZZ", None)
    assert not Account.objects.filter(member=jo).exists()
    assert Member.objects.filter(display_name="Jo").count() == 1
