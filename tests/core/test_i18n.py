"""Choosing a language and the easy-read view (timebank/i18n.py, core/i18n.py):
what a visitor and a member see, and what is kept for them."""

import pytest
from django.conf import settings
from django.utils import translation

from timebank.i18n import member_language, speaking_to
from timebank.models import CommunicationNeed, Member

pytestmark = pytest.mark.django_db


def test_a_visitor_switches_to_welsh_and_every_later_page_is_in_welsh(client):
    english = client.get("/")
    assert '<html lang="en-GB">' in english.content.decode()
    assert "Skip to main content" in english.content.decode()

    response = client.post("/language/", {"language": "cy", "next": "/directory/"})

    assert response.status_code == 302
    assert response["Location"] == "/directory/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    page = client.get("/")
    html = page.content.decode()
    assert '<html lang="cy">' in html
    assert "Neidio i’r prif gynnwys" in html
    assert page["Content-Language"] == "cy"
    # The switch names each language in itself, the current one marked.
    assert 'aria-current="true">Cymraeg</span>' in html
    assert 'value="en-gb" lang="en-GB"' in html and ">English</button>" in html


def test_a_member_choice_is_kept_on_their_profile_and_wins_over_the_cookie(client, alice):
    client.force_login(alice.user)
    client.post("/language/", {"language": "cy", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "cy"

    # Another computer, whose cookie says English: the profile decides.
    other = client.__class__()
    other.force_login(alice.user)
    other.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    assert '<html lang="cy">' in other.get("/").content.decode()


def test_an_unknown_language_changes_nothing_and_the_next_address_must_be_ours(client, alice):
    client.force_login(alice.user)
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    alice.refresh_from_db()
    assert alice.language == ""
    assert client.get("/language/").status_code == 405


def test_lang_in_the_address_shows_that_language_for_that_page_only(client):
    assert '<html lang="cy">' in client.get("/?lang=cy").content.decode()
    assert '<html lang="en-GB">' in client.get("/").content.decode()


def test_every_page_links_its_alternates_in_each_language(client):
    html = client.get("/directory/?q=walking").content.decode()
    assert '<link rel="alternate" hreflang="cy" href="http://testserver/directory/?q=walking&amp;lang=cy">' in html
    assert 'hreflang="en-GB" href="http://testserver/directory/?q=walking&amp;lang=en-gb"' in html
    assert 'hreflang="x-default" href="http://testserver/directory/?q=walking"' in html


def test_the_browser_language_is_used_until_the_person_chooses(client):
    assert '<html lang="cy">' in client.get("/", HTTP_ACCEPT_LANGUAGE="cy,en;q=0.5").content.decode()


def test_easy_read_for_a_visitor_is_a_cookie_and_for_a_member_a_communication_need(client, alice):
    response = client.post("/easy-read/", {"easy_read": "on", "next": "/"})
    assert response.cookies["timecommons_easy_read"].value == "1"
    assert 'class="easy-read"' in client.get("/").content.decode()
    client.post("/easy-read/", {"easy_read": "off", "next": "/"})
    assert 'class="easy-read"' not in client.get("/").content.decode()

    client.force_login(alice.user)
    client.post("/easy-read/", {"easy_read": "on", "next": "/"})
    alice.refresh_from_db()
    assert CommunicationNeed.EASY_READ in alice.communication_needs
    client.post("/easy-read/", {"easy_read": "off", "next": "/"})
    alice.refresh_from_db()
    assert CommunicationNeed.EASY_READ not in alice.communication_needs


def test_letters_and_e_mails_are_written_in_the_members_language(alice):
    assert member_language(alice) == settings.LANGUAGE_CODE
    Member.objects.filter(pk=alice.pk).update(language="cy")
    alice.refresh_from_db()
    with speaking_to(alice):
        assert translation.get_language() == "cy"
        assert translation.gettext("Skip to main content") == "Neidio i’r prif gynnwys"
    assert translation.get_language() != "cy"


def test_categories_have_welsh_names_shown_to_people_reading_welsh(timebank):
    gardening = timebank.categories.get(slug="gardening")
    assert gardening.name_cy == "Garddio"
    with translation.override("cy"):
        assert gardening.label == "Garddio"
        assert str(gardening) == "Garddio"
    with translation.override("en-gb"):
        assert gardening.label == "Gardening"


def test_a_visitor_who_joins_in_welsh_keeps_welsh_and_easy_read_and_gets_the_e_mail_in_welsh(
    client, timebank, mailoutbox, django_capture_on_commit_callbacks
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    client.cookies["timecommons_easy_read"] = "1"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/join/",
            {
                "display_name": "Dewi",
                "email": "dewi@example.org",
                "postcode": "RG1 7QE",
                "password": "a long and careful passphrase",
                "password_again": "a long and careful passphrase",
            },
        )
    assert response.status_code == 302
    dewi = Member.objects.get(display_name="Dewi")
    assert dewi.language == "cy"
    assert CommunicationNeed.EASY_READ in dewi.communication_needs
    with translation.override("cy"):
        subject = translation.gettext("Finish joining: confirm your e-mail address")
    assert subject != "Finish joining: confirm your e-mail address"
    assert mailoutbox[-1].subject.endswith(subject)


def test_each_person_is_written_to_in_their_own_language(alice, bob, django_capture_on_commit_callbacks, mailoutbox):
    from tests.factories import ListingFactory, category, dbs_checked
    from timebank.services.exchanges import exchange_propose_from_listing

    Member.objects.filter(pk=alice.pk).update(language="cy")
    alice.refresh_from_db()
    dbs_checked(alice)
    offer = ListingFactory(member=alice, kind="offer", category=category("gardening"), title="Weeding")
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        exchange_propose_from_listing(listing=offer, member=bob, by_user=bob.user)
    to_alice = [m for m in mailoutbox if alice.user.email in m.to]
    assert len(to_alice) == 1
    with translation.override("cy"):
        welsh = translation.gettext("%(name)s has suggested an exchange") % {"name": bob.display_name}
    assert welsh != f"{bob.display_name} has suggested an exchange"
    assert to_alice[0].subject.endswith(welsh)


def test_choosing_english_on_a_welsh_alternate_page_leaves_the_welsh_address(client):
    response = client.post("/language/", {"language": "en-gb", "next": "/directory/?q=walk&lang=cy"})
    assert response["Location"] == "/directory/?q=walk"
    assert '<html lang="en-GB">' in client.get(response["Location"]).content.decode()
    for hostile in ("//evil.example/", "javascript:alert(1)", "https://evil.example/x", ""):
        response = client.post("/language/", {"language": "cy", "next": hostile})
        assert response.status_code == 302 and response["Location"] == "/", hostile
