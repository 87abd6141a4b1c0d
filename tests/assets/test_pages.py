"""Directory pages: the list works without JavaScript, the map gets the same results,
bad input comes back on the form, reports and claims reach the coordinators' queues."""

import pytest
from django.core import mail

from assets.models import ClaimStatus, OrganisationClaim, OrganisationMembership, ProblemReport, Service, ServiceStatus
from tests.assets.factories import service_at
from tests.factories import UserFactory
from timebank.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk(db):
    return service_at(51.4600, -0.9700, name="Thames walk", categories=["physical-activity"], days=["TU"])


@pytest.fixture
def organiser(db):
    return UserFactory(username="olly", roles=[Role.GROUP_ORGANISER])


def test_the_results_list_is_plain_html_and_the_map_has_a_marker_for_each(client, walk):
    service_at(51.4700, -0.9700, name="Lunch club")
    response = client.get("/directory/", {"near": "RG1", "radius": 3})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Thames walk") < html.index("Lunch club") < html.index('id="directory-map"')
    assert "0.6 miles away" in html
    data = response.context["map_data"]
    assert [m["name"] for m in data["markers"]] == ["Thames walk", "Lunch club"]
    assert (
        data["markers"][0]["lat"] == 51.46
        and data["markers"][0]["url"] == f"/directory/services/{walk.id}/?near=RG1&radius=3"
    )
    assert 'id="directory-map-data"' in html and "leaflet/leaflet.js" in html and "assets/directory-map.js" in html
    assert "contains OS data © Crown copyright" in html
    assert "GeoNames" in html and "Find local groups" in html


def test_the_search_page_query_count_does_not_grow_with_results(client, walk, django_assert_max_num_queries):
    client.get("/directory/", {"near": "RG1"})
    for n in range(15):
        service_at(51.46, -0.97, name=f"Extra {n}", categories=["food"])
    with django_assert_max_num_queries(8):
        assert client.get("/directory/", {"near": "RG1"}).status_code == 200


@pytest.mark.parametrize(
    "params, message",
    [
        ({"near": "XX9 9ZZ"}, "We could not find"),
        ({"near": "RG1", "radius": "999"}, "Choose how far from the list"),
        ({"near": "RG1", "category": "nonsense"}, "Choose what kind of thing from the list"),
        ({"near": "RG1", "q": "x" * 200}, "at most 100 characters"),
    ],
)
def test_bad_search_input_comes_back_on_the_form(client, params, message):
    response = client.get("/directory/", params)
    assert response.status_code == 200 and message in response.content.decode()
    assert response.context["page"] is None


def test_an_ambiguous_place_offers_links_to_choose(client):
    html = client.get("/directory/", {"near": "Newport"}).content.decode()
    assert "Which place do you mean?" in html and "Newport (Wales, near NP20)" in html


def test_a_service_page_shows_what_when_where_and_report_link(client, walk):
    html = client.get(f"/directory/services/{walk.id}/").content.decode()
    assert "Thames walk" in html and "Tuesday, 10:00 a.m. to 12:00 p.m." in html and "Report a problem" in html
    assert "Refer someone" not in html
    assert client.get("/directory/services/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_link_workers_see_refer_someone(client, walk):
    client.force_login(UserFactory(roles=[Role.LINK_WORKER]))
    assert f"/referrals/new/?service={walk.id}" in client.get(f"/directory/services/{walk.id}/").content.decode()


def test_anyone_can_report_a_problem_and_a_coordinator_resolves_it(client, walk, coordinator):
    bad = client.post(f"/directory/services/{walk.id}/report/", {"kind": "other", "details": ""})
    assert bad.status_code == 200 and "Tell us what is wrong" in bad.content.decode()
    assert ProblemReport.objects.count() == 0
    client.post(f"/directory/services/{walk.id}/report/", {"kind": "closed", "details": "Stopped in May"})
    report = ProblemReport.objects.get()
    assert report.kind == "closed" and report.reporter is None
    assert client.get("/coordinator/directory/reports/").status_code == 302  # login first
    client.force_login(coordinator)
    assert "Stopped in May" in client.get("/coordinator/directory/reports/").content.decode()
    client.post(f"/coordinator/directory/reports/{report.id}/resolve/", {"note": "Checked", "close_service": "1"})
    report.refresh_from_db()
    walk.refresh_from_db()
    assert report.resolved_by == coordinator and report.resolution_note == "Checked"
    assert walk.status == ServiceStatus.DEFUNCT


def test_members_cannot_see_the_coordinator_queues(client, alice):
    client.force_login(alice.user)
    assert client.get("/coordinator/directory/reports/").status_code == 404
    assert client.get("/coordinator/directory/claims/").status_code == 404


def test_an_organiser_claims_a_group_a_coordinator_approves_and_then_they_can_edit(
    client, walk, organiser, coordinator
):
    client.force_login(organiser)
    assert client.get(f"/directory/services/{walk.id}/edit/").status_code == 404
    empty = client.post(f"/directory/services/{walk.id}/claim/", {"message": ""})
    assert empty.status_code == 200 and OrganisationClaim.objects.count() == 0
    client.post(f"/directory/services/{walk.id}/claim/", {"message": "I lead the walks"})
    again = client.post(f"/directory/services/{walk.id}/claim/", {"message": "Me again"})
    assert "already asked" in again.content.decode() and OrganisationClaim.objects.count() == 1
    claim = OrganisationClaim.objects.get()

    client.force_login(coordinator)
    client.post(f"/coordinator/directory/claims/{claim.id}/decide/", {"decision": "approve"})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert OrganisationMembership.objects.get(user=organiser).organisation == walk.organisation

    client.force_login(organiser)
    form = client.get(f"/directory/services/{walk.id}/edit/")
    assert form.status_code == 200
    fields = {f"service-{k}": v for k, v in form.context["form"].initial.items() if v is not None and v is not False}
    bad = client.post(
        f"/directory/services/{walk.id}/edit/", {**fields, "service-minimum_age": "70", "service-maximum_age": "20"}
    )
    assert bad.status_code == 200 and "oldest age must not be less" in bad.content.decode()
    assert Service.objects.get(pk=walk.pk).minimum_age is None
    client.post(
        f"/directory/services/{walk.id}/edit/",
        {**fields, "service-name": "Thames walk and talk", "capacity-places_available": "4"},
    )
    walk.refresh_from_db()
    assert walk.name == "Thames walk and talk" and walk.capacity.places_available == 4


def test_an_outsider_organiser_cannot_edit_and_a_claim_on_a_second_group_is_refused(client, walk, organiser):
    other = service_at(51.46, -0.97, name="Other group")
    OrganisationMembership.objects.create(user=organiser, organisation=other.organisation, role="organiser")
    client.force_login(organiser)
    assert client.post(f"/directory/services/{walk.id}/edit/", {"service-name": "Hijack"}).status_code == 404
    response = client.post(f"/directory/services/{walk.id}/claim/", {"message": "Mine too"})
    assert "already belong to" in response.content.decode() and not OrganisationClaim.objects.exists()
    assert Service.objects.get(pk=walk.pk).name == "Thames walk"
    assert len(mail.outbox) == 0
