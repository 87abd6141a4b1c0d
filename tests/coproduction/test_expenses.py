"""Expenses people arrange themselves (coproduction.involvement): an estimate
before, the actual amounts after, a question, approval, payment, the receipt
rules, and the money report against the promise."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coproduction.involvement import selectors, services
from coproduction.involvement.models import (
    ClaimAction,
    ClaimStatus,
    ExpenseClaim,
    ExpenseClaimEvent,
    ExpenseLine,
    ExpenseReceipt,
    InvolvementProfile,
    Participation,
)
from coproduction.involvement.money import format_pence, parse_pounds
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from privacy import selectors as privacy_export
from privacy.services import member_erase
from tests.coproduction.test_involvement import has_started, published
from tests.factories import MemberFactory, UserFactory
from timebank.models import Role

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def estimate(user, participation: Participation, *lines: tuple[str, int]) -> ExpenseClaim:
    return services.expense_claim_estimate(
        by_user=user,
        participation=participation,
        lines=[services.LineEstimate(kind=kind, description="", estimate_pence=pence) for kind, pence in lines],
    )


@pytest.fixture
def organiser():
    return UserFactory(username="cora", first_name="Cora", roles=[Role.COORDINATOR])


@pytest.fixture
def margaret():
    return MemberFactory(display_name="Margaret", user__username="margaret")


@pytest.fixture
def joined(organiser, margaret):
    opportunity = published(organiser)
    return services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)


def test_money_is_shown_from_integer_pence_and_read_back_exactly():
    assert [format_pence(p) for p in (0, 5, 150, 123456)] == ["£0.00", "£0.05", "£1.50", "£1,234.56"]
    assert [parse_pounds(t, field="x") for t in ("4.20", "£4.2", "4", "0.05")] == [420, 420, 400, 5]
    for bad in ("four", "4.205", "-1", "1e3", ""):
        with pytest.raises(InvalidInputError):
            parse_pounds(bad, field="x")


def test_a_claim_goes_from_estimate_to_paid_and_the_report_counts_it_within_the_promise(
    organiser,
    margaret,
    joined,
    settings,
):
    settings.EXPENSES_PAY_WITHIN_DAYS = 14
    settings.EXPENSES_RECEIPT_REQUIRED_OVER_PENCE = 2000
    claim = estimate(margaret.user, joined, ("travel", 450), ("care", 3000))
    assert claim.status == ClaimStatus.ESTIMATED
    with pytest.raises(ConflictError, match="after the opportunity"):
        services.expense_claim_submit(by_user=margaret.user, claim=claim, actuals={}, receipts={})
    has_started(joined.opportunity)
    travel, care = claim.lines.order_by("pk")
    # Care cover over £20 needs a receipt; a bus fare under it does not.
    with pytest.raises(InvalidInputError, match="receipt") as raised:
        services.expense_claim_submit(
            by_user=margaret.user, claim=claim, actuals={travel.pk: 420, care.pk: 3200}, receipts={}
        )
    assert raised.value.field == f"receipt_{care.pk}"
    assert ExpenseClaim.objects.get(pk=claim.pk).status == ClaimStatus.ESTIMATED  # nothing half-written
    claim = services.expense_claim_submit(
        by_user=margaret.user,
        claim=claim,
        actuals={travel.pk: 420, care.pk: 3200},
        receipts={care.pk: services.Receipt(data=PNG)},
    )
    assert claim.status == ClaimStatus.SUBMITTED and claim.submitted_at is not None
    assert ExpenseReceipt.objects.get(line=care).content_type == "image/png"

    claim = services.expense_claim_ask(by_user=organiser, claim=claim, question="Which bus did you take?")
    assert claim.status == ClaimStatus.QUESTION
    with pytest.raises(ConflictError):
        services.expense_claim_approve(by_user=organiser, claim=claim)
    claim = services.expense_claim_answer(by_user=margaret.user, claim=claim, answer="The number 17.")
    claim = services.expense_claim_approve(by_user=organiser, claim=claim)
    assert claim.status == ClaimStatus.APPROVED and claim.approved_by == organiser
    with pytest.raises(NotAllowedError):
        services.expense_claim_mark_paid(by_user=margaret.user, claim=claim)
    claim = services.expense_claim_mark_paid(by_user=organiser, claim=claim)
    assert claim.status == ClaimStatus.PAID and claim.paid_by == organiser and claim.paid_at is not None
    assert list(ExpenseClaimEvent.objects.filter(claim=claim).values_list("action", flat=True)) == [
        ClaimAction.ESTIMATED,
        ClaimAction.SUBMITTED,
        ClaimAction.QUESTION,
        ClaimAction.ANSWER,
        ClaimAction.APPROVED,
        ClaimAction.PAID,
    ]

    report = selectors.expenses_report(by_user=organiser, timebank=joined.opportunity.timebank)
    assert (report.claims, report.paid, report.paid_within_promise) == (1, 1, 1)
    assert (report.approved_pence, report.paid_pence) == (3620, 3620)
    assert report.rows[0].within_promise is True


def test_the_report_counts_a_late_payment_and_claims_waiting_past_the_promise(organiser, margaret, settings):
    settings.EXPENSES_PAY_WITHIN_DAYS = 14
    late_people = [margaret, MemberFactory(display_name="Tariq", user__username="tariq")]
    opportunity = published(organiser)
    claims = []
    for person in late_people:
        participation = services.participation_sign_up(by_user=person.user, opportunity=opportunity)
        claims.append(estimate(person.user, participation, ("travel", 300)))
    has_started(opportunity)
    for person, claim in zip(late_people, claims, strict=True):
        line = claim.lines.get()
        services.expense_claim_submit(by_user=person.user, claim=claim, actuals={line.pk: 300}, receipts={})
    # Both were sent 20 days ago; the first is paid today, 20 days later, the other waits.
    ExpenseClaim.objects.update(submitted_at=timezone.now() - datetime.timedelta(days=20))
    services.expense_claim_approve(by_user=organiser, claim=claims[0])
    services.expense_claim_mark_paid(by_user=organiser, claim=claims[0])
    report = selectors.expenses_report(by_user=organiser, timebank=opportunity.timebank)
    assert (report.paid, report.paid_within_promise, report.waiting_past_promise) == (1, 0, 1)
    assert report.rows[0].within_promise is False and report.rows[0].days_to_pay == 20


def test_only_kinds_the_opportunity_covers_can_be_claimed(organiser, margaret):
    opportunity = published(organiser, covers_travel=True, covers_care=False, covers_other=False)
    participation = services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    with pytest.raises(InvalidInputError, match="does not cover"):
        estimate(margaret.user, participation, ("care", 500))
    assert not ExpenseClaim.objects.exists()


def test_a_receipt_must_be_a_photo_or_pdf_by_its_bytes_and_small(margaret, joined, settings):
    settings.EXPENSES_RECEIPT_MAX_BYTES = 1024
    claim = estimate(margaret.user, joined, ("travel", 450))
    has_started(joined.opportunity)
    line = claim.lines.get()
    for data, message in (
        (b"<script>alert(1)</script>", "JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 10, "JPEG or PNG"),
        (JPEG + b"\x00" * 2000, "too big"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            services.expense_claim_submit(
                by_user=margaret.user,
                claim=claim,
                actuals={line.pk: 450},
                receipts={line.pk: services.Receipt(data=data)},
            )
    assert not ExpenseReceipt.objects.exists()
    assert services.receipt_content_type(b"%PDF-1.7 ...") == "application/pdf"


def test_the_claimant_claims_a_bus_fare_on_the_pages_and_sees_it_paid(client, organiser, margaret, joined):
    client.force_login(margaret.user)
    opportunity = joined.opportunity
    page = client.get(reverse("involvement:claim-new", args=[opportunity.public_id])).content.decode()
    assert "within 14 days" in page
    client.post(
        reverse("involvement:claim-new", args=[opportunity.public_id]),
        {"estimate_travel": "4.50", "description_travel": "Bus there and back"},
    )
    claim = ExpenseClaim.objects.get(participation=joined)
    has_started(opportunity)
    line = claim.lines.get()
    url = reverse("involvement:claim", args=[claim.public_id])
    client.post(
        url,
        {
            "action": "actuals",
            f"actual_{line.pk}": "4.20",
            f"receipt_{line.pk}": SimpleUploadedFile("ticket.png", PNG, content_type="image/png"),
        },
    )
    line.refresh_from_db()
    assert (line.estimate_pence, line.actual_pence) == (450, 420)

    client.force_login(organiser)
    review = reverse("involvement:claim-review", args=[claim.public_id])
    assert "£4.20" in client.get(review).content.decode()
    receipt_url = reverse("involvement:receipt", args=[claim.public_id, line.pk])
    receipt = client.get(receipt_url)
    assert receipt.content == PNG and receipt["Content-Type"] == "image/png"
    assert "sandbox" in receipt["Content-Security-Policy"]
    client.post(review, {"action": "approve"})
    client.post(review, {"action": "paid"})

    client.force_login(margaret.user)
    page = client.get(url).content.decode()
    assert "Paid on" in page and "£4.20" in page
    assert client.get(receipt_url).status_code == 200
    # Another member may not see the receipt or the claim.
    tariq = MemberFactory(display_name="Tariq", user__username="tariq")
    client.force_login(tariq.user)
    assert client.get(receipt_url).status_code == 404
    assert client.get(url).status_code == 404


def test_bad_amounts_come_back_on_the_form_and_nothing_is_saved(client, margaret, joined):
    client.force_login(margaret.user)
    response = client.post(
        reverse("involvement:claim-new", args=[joined.opportunity.public_id]), {"estimate_travel": "lots"}
    )
    assert response.status_code == 200
    assert "Enter an amount in pounds and pence" in response.content.decode()
    assert not ExpenseClaim.objects.exists()
    response = client.post(reverse("involvement:claim-new", args=[joined.opportunity.public_id]), {})
    assert "Enter at least one cost" in response.content.decode()


def test_a_coordinator_asks_in_writing_and_the_question_needs_words(client, organiser, margaret, joined):
    claim = estimate(margaret.user, joined, ("travel", 300))
    has_started(joined.opportunity)
    services.expense_claim_submit(by_user=margaret.user, claim=claim, actuals={claim.lines.get().pk: 300}, receipts={})
    client.force_login(organiser)
    review = reverse("involvement:claim-review", args=[claim.public_id])
    response = client.post(review, {"action": "ask", "ask-text": ""})
    assert "Write your question." in response.content.decode()
    client.post(review, {"action": "ask", "ask-text": "Was this a return ticket?"})
    client.force_login(margaret.user)
    page = client.get(reverse("involvement:claim", args=[claim.public_id])).content.decode()
    assert "Was this a return ticket?" in page and "The organiser has a question" in page


def test_erasure_blanks_what_the_claimant_wrote_and_keeps_the_amounts(organiser, margaret, joined):
    claim = services.expense_claim_estimate(
        by_user=margaret.user,
        participation=joined,
        lines=[services.LineEstimate(kind="travel", description="Taxi from Zephyr Lane", estimate_pence=900)],
    )
    has_started(joined.opportunity)
    line = claim.lines.get()
    services.expense_claim_submit(
        by_user=margaret.user, claim=claim, actuals={line.pk: 900}, receipts={line.pk: services.Receipt(data=PNG)}
    )
    services.expense_claim_ask(by_user=organiser, claim=claim, question="Zephyr Lane?")
    exported = privacy_export.personal_data_json(member=margaret)
    assert "Taxi from Zephyr Lane" in exported
    member_erase(member=margaret, by_user=organiser)
    line.refresh_from_db()
    assert (line.description, line.actual_pence) == ("", 900)
    assert not ExpenseReceipt.objects.exists()
    assert not InvolvementProfile.objects.filter(member=margaret).exists()
    assert not ExpenseClaimEvent.objects.exclude(text="").exists()
    assert ExpenseLine.objects.count() == 1
