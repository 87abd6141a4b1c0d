"""The easy-read view of the key member pages (issue 18; templates/easyread/):
a person with easy read on gets the easy-read page, everyone else the
standard one; the forms post to the same places and work the same; every
picture has its alt text and ships in static/easyread; the main text scores
80 or more for Flesch reading ease (core/readability.py)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.i18n import EASY_READ_COOKIE
from core.readability import flesch_reading_ease, main_text
from tests.factories import ListingFactory, MemberFactory
from tests.timebank.test_exchanges_services import exchange_in
from timebank.models import Account, CommunicationNeed, Exchange, ExchangeStatus, Member, MemberStatus

pytestmark = pytest.mark.django_db

S = ExchangeStatus
EASY = [CommunicationNeed.EASY_READ.value]
STATIC = Path(settings.BASE_DIR) / "static"

JOIN = {
    "display_name": "Sam Jones",
    "email": "sam@example.org",
    "phone": "",
    "postcode": "RG1 7QE",
    "about": "I can walk dogs. I would like help with shopping.",
    "availability": ["sat-morning"],
    "communication_needs": EASY,
    "password": "a long enough passphrase",
    "password_again": "a long enough passphrase",
}


def easy(member: Member) -> Member:
    member.communication_needs = EASY
    member.save(update_fields=["communication_needs"])
    return member


def as_member(client, member: Member):
    client.force_login(member.user)
    return client


def as_visitor_with_easy_read(client):
    client.cookies[EASY_READ_COOKIE] = "1"
    return client


class _Forms(HTMLParser):
    """The forms of a page: (method, action) of each, and every <img> inside <main>."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str]] = []
        self.images: list[dict] = []
        self.in_main = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "main":
            self.in_main = True
        elif tag == "form":
            self.forms.append(((attributes.get("method") or "get").lower(), attributes.get("action") or ""))
        elif tag == "img" and self.in_main:
            self.images.append(attributes)

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main = False


def parsed(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def post_actions(html: str) -> list[str]:
    return [action for method, action in parsed(html).forms if method == "post"]


# --- The pages ----------------------------------------------------------------------------


@pytest.fixture
def pages(alice, bob):
    """Each key page, as (name, url, the class only its easy-read version has), for alice."""
    offer = ListingFactory(member=bob, kind="offer", title="Dog walking")
    exchange = exchange_in(S.DONE, bob, [alice], minutes=90)
    return [
        ("my hours", reverse("timebank:my-hours"), "er-my-hours"),
        ("find help", reverse("timebank:listing-browse"), "er-browse"),
        ("a listing", reverse("timebank:listing-detail", args=[offer.public_id]), "er-listing"),
        ("an exchange", reverse("timebank:exchange-detail", args=[exchange.public_id]), "er-exchange"),
        ("my exchanges", reverse("timebank:exchange-list") + "?show=all", "er-exchanges"),
    ]


def test_a_member_with_easy_read_gets_the_easy_read_pages_and_others_the_standard_ones(client, alice, pages):
    as_member(client, alice)
    for name, url, marker in pages:
        html = client.get(url).content.decode()
        assert marker not in html, name
        assert "easyread.css" not in html, name
    easy(alice)
    for name, url, marker in pages:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, name
        assert f'class="er-page {marker}"' in html, name
        assert 'class="easy-read"' in html and "css/easyread.css" in html, name


def test_a_visitor_with_the_cookie_gets_the_easy_read_join_page_and_without_it_the_standard(client, timebank):
    assert "er-join" not in client.get(reverse("timebank:join")).content.decode()
    html = as_visitor_with_easy_read(client).get(reverse("timebank:join")).content.decode()
    assert 'class="er-page er-join"' in html
    assert "A timebank is a group of people who help each other." in html
    # Every box of the join form is there, each with its own label.
    for name in JOIN:
        assert f'name="{name}"' in html, name
    assert 'for="id_display_name">Your name</label>' in html
    sent = client.get(reverse("timebank:join-sent")).content.decode()
    assert 'class="er-page er-join-sent"' in sent


def test_the_easy_read_join_form_makes_an_application_like_the_standard_one(
    client, timebank, mailoutbox, django_capture_on_commit_callbacks
):
    page = as_visitor_with_easy_read(client).get(reverse("timebank:join")).content.decode()
    assert ("post", "") in parsed(page).forms  # the form posts to the page itself, as the standard one
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("timebank:join"), JOIN)
    assert response.status_code == 302 and response["Location"] == reverse("timebank:join-sent")
    member = Member.objects.get(email="sam@example.org")
    assert member.status == MemberStatus.APPLIED
    assert member.display_name == "Sam Jones"
    assert CommunicationNeed.EASY_READ in member.communication_needs
    assert len(mailoutbox) == 1


def test_a_bad_easy_read_application_comes_back_with_the_message_next_to_the_box(client, timebank):
    as_visitor_with_easy_read(client)
    response = client.post(reverse("timebank:join"), {**JOIN, "display_name": "", "password_again": "other"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="er-page er-join"' in html
    for field in ("display_name", "password_again"):
        block = html.split(f'id="id_{field}_error"')[0].rsplit('<div class="field', 1)[1]
        assert block.startswith(" field-error"), field
    assert 'id="id_display_name_error"' in html and "Enter your name" in html
    assert "The two passwords are different" in html
    assert not Member.objects.filter(email="sam@example.org").exists()


def test_an_applicant_with_easy_read_waits_on_an_easy_read_page(client):
    waiting = MemberFactory(status=MemberStatus.APPLIED, communication_needs=EASY)
    html = as_member(client, waiting).get(reverse("timebank:my-hours")).content.decode()
    assert 'class="er-page er-waiting"' in html


def test_the_whole_exchange_from_easy_read_pages_posts_to_the_same_places(client, alice, bob):
    """Alice offers dog walking; Bob (easy read) asks for it; Alice (easy read)
    accepts and records the time; Bob confirms it and sees his hours."""
    easy(alice)
    easy(bob)
    offer = ListingFactory(member=alice, kind="offer", title="Dog walking", where="public")
    listing_url = reverse("timebank:listing-detail", args=[offer.public_id])

    page = as_member(client, bob).get(listing_url).content.decode()
    assert 'class="er-page er-listing"' in page
    assert listing_url in post_actions(page)
    response = client.post(listing_url, {"description": "Walk my dog on Saturday", "agreed_for": ""})
    assert response.status_code == 302
    exchange = Exchange.objects.get(listing=offer)
    assert exchange.status == S.PROPOSED and exchange.provider == alice

    def act(member, action, **data):
        detail = as_member(client, member).get(reverse("timebank:exchange-detail", args=[exchange.public_id]))
        html = detail.content.decode()
        assert 'class="er-page er-exchange"' in html
        target = reverse("timebank:exchange-action", args=[exchange.public_id, action])
        assert target in post_actions(html), (action, post_actions(html))
        answer = client.post(target, data)
        assert answer.status_code == 302, answer.content.decode()[:2000]
        exchange.refresh_from_db()

    act(alice, "accept", note="See you Saturday")
    assert exchange.status == S.ACCEPTED
    act(alice, "record", minutes="1.5 hours", helped_on="")
    assert exchange.status == S.DONE and exchange.minutes == 90
    act(bob, "confirm", note="")
    assert exchange.status == S.POSTED
    assert Account.objects.get(member=alice).balance == 90

    hours = as_member(client, bob).get(reverse("timebank:my-hours")).content.decode()
    assert 'class="er-page er-my-hours"' in hours
    assert "1½ hours" in hours  # the help he had, and what he used, in his list


def test_a_bad_time_on_the_easy_read_exchange_page_comes_back_next_to_the_box(client, alice, bob):
    easy(bob)
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    target = reverse("timebank:exchange-action", args=[exchange.public_id, "record"])
    response = as_member(client, bob).post(target, {"minutes": "a while"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="er-page er-exchange"' in html
    assert 'id="id_record_minutes_error"' in html
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED


def _easy_pages(client, alice, pages) -> list[tuple[str, str]]:
    easy(alice)
    as_member(client, alice)
    found = [(name, client.get(url).content.decode()) for name, url, _ in pages]
    client.logout()
    visitor = client.__class__()
    as_visitor_with_easy_read(visitor)
    found.append(("join", visitor.get(reverse("timebank:join")).content.decode()))
    found.append(("join sent", visitor.get(reverse("timebank:join-sent")).content.decode()))
    return found


def test_every_picture_has_alt_text_and_ships_in_static_easyread(client, alice, pages):
    for name, html in _easy_pages(client, alice, pages):
        images = parsed(html).images
        assert len(images) >= 3, name
        for image in images:
            assert image.get("alt"), (name, image)
            src = image["src"]
            assert src.startswith(settings.STATIC_URL + "easyread/") and src.endswith(".svg"), (name, src)
            assert (STATIC / src[len(settings.STATIC_URL) :]).is_file(), (name, src)
            assert image.get("width") == "64" and image.get("height") == "64"


def test_the_pictures_are_simple_line_drawings():
    pictures = sorted((STATIC / "easyread").glob("*.svg"))
    assert len(pictures) >= 12
    for picture in pictures:
        text = picture.read_text()
        assert 'viewBox="0 0 64 64"' in text and 'stroke="currentColor"' in text and 'fill="none"' in text
        assert "<script" not in text and "href" not in text


def test_the_main_text_of_every_easy_read_page_is_easy_to_read(client, alice, pages):
    for name, html in _easy_pages(client, alice, pages):
        text = main_text(html)
        assert len(text.split()) > 20, (name, text)
        score = flesch_reading_ease(text)
        assert score >= 80, (name, round(score, 1), text)
        # Short sentences: no sentence over 15 words (Mencap's guidance).
        for sentence in re.split(r"[.!?]+\s|\n", text):
            assert len(sentence.split()) <= 15, (name, sentence)


def test_the_easy_read_pages_work_in_welsh(client, alice, pages):
    easy(alice)
    as_member(client, alice)
    for name, url, marker in pages:
        response = client.get(url, {"lang": "cy"} if "?" not in url else None)
        if "?" in url:
            response = client.get(url + "&lang=cy")
        html = response.content.decode()
        assert response.status_code == 200, name
        assert '<html lang="cy">' in html and marker in html, name
    visitor = as_visitor_with_easy_read(client.__class__())
    html = visitor.get(reverse("timebank:join"), {"lang": "cy"}).content.decode()
    assert '<html lang="cy">' in html and "er-join" in html


def test_turning_easy_read_off_brings_back_the_standard_pages(client, alice, pages):
    easy(alice)
    as_member(client, alice)
    client.post("/easy-read/", {"easy_read": "off", "next": "/"})
    for name, url, marker in pages:
        assert marker not in client.get(url).content.decode(), name
