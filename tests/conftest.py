"""Shared fixtures: a fixed cast of test people (healthchecks habit)."""
import pytest
from django.contrib.auth.models import Group

from tests.factories import MemberFactory, UserFactory
from timebank.models import Role, Timebank


@pytest.fixture
def timebank(db) -> Timebank:
    return Timebank.get_default()


@pytest.fixture
def alice(db):
    return MemberFactory(display_name="Alice", user__username="alice")


@pytest.fixture
def bob(db):
    return MemberFactory(display_name="Bob", user__username="bob")


@pytest.fixture
def carol(db):
    return MemberFactory(display_name="Carol", user__username="carol")


@pytest.fixture
def coordinator(db):
    return UserFactory(username="cora", first_name="Cora", roles=[Role.COORDINATOR])


@pytest.fixture
def roles_exist(db):
    return {g.name for g in Group.objects.all()}
