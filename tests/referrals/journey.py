"""Walking the referral questions (referrals.steps) as a link worker's browser
would: start at /referrals/new/?service=… or ?timebank=…, answer each page,
then send from the check page. Tests use `refer()` where they used to post the
one long form."""

from urllib.parse import urlsplit

ANSWERS = {
    "consent": {"agreed": "yes"},
    "sharing": {"scopes": ["share-with-service"], "method": "verbal"},
    "name": {"given_name": "Joan", "family_name": "Rivers", "preferred_name": ""},
    "date-of-birth": {"day": "", "month": "", "year": ""},
    "postcode": {"postcode": "RG1 7QE"},
    "contact": {"preferred_contact": "phone", "phone": "0118 496 0000", "email": "", "contact_times": ""},
    "communication": {"language": ""},
    "what-matters": {"what_matters": "", "needs": ["befriending-and-loneliness"]},
    "extra": {"priority": "routine", "notes": ""},
}
STEPS = list(ANSWERS)


def path_of(response) -> str:
    return urlsplit(response["Location"]).path


def start(client, start_url: str) -> str:
    """The journey's first page (its address), from a ?service= or ?timebank= address."""
    response = client.get(start_url)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def answer_all(client, first_page: str, **changes) -> str:
    """Answer every question (ANSWERS with `changes` per step merged in); returns the check page."""
    page = first_page
    for step in STEPS:
        assert page.rstrip("/").endswith(step), (page, step)
        response = client.post(page, {**ANSWERS[step], **changes.get(step, {})})
        assert response.status_code == 302, (step, response.content.decode()[:3000])
        page = response["Location"]
    assert page.endswith("/check/"), page
    return page


def refer(client, start_url: str, send: str = "send", **changes):
    """Make a referral through the pages; returns the check page's answer to Send."""
    check = answer_all(client, start(client, start_url), **changes)
    return client.post(check, {"send": send})
