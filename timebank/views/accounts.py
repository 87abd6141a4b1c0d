"""Hour pages: my hours (figures and statement), give hours, donate to the
community pot, and the coordinator's pot, gifts for members who are not
online, and reversals. Every move of hours goes through a service in
timebank.services.members, which goes through timebank.ledger.

A member only ever sees their own statement: no page here takes a member id
from a member; the coordinator pages answer "not found" to anyone else.

A refusal by the member's own account limit is told to the member in the
second person ("You do not have enough hours ...", `limit_refusal_for`); the
ledger's own message, which names the account, stays for coordinators and
the API.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from core.errors import DomainError
from timebank import ledger
from timebank.dashboard import member_balance_words
from timebank.forms.accounts import DonateForm, GiveHoursForm, PotDonationForm, PotGrantForm, ReverseTransferForm
from timebank.hours import format_minutes
from timebank.pages import coordinator_page, member_page, put_error_on_form
from timebank.selectors.accounts import (
    account_statement,
    balance_in_words,
    member_account,
    member_hours_summary,
    pot_account,
    transfer_description,
    transfer_for_coordinator,
    transfer_involves_erased_member,
    transfer_note_text,
)
from timebank.selectors.members import member_for_coordinator, member_gift_choices
from timebank.services import members as member_services
from timebank.views.members import statement_cursors


def limit_refusal_for(*, member, error: DomainError, doing: str = "") -> DomainError:
    """`error` as `member` should read it, for a move that takes hours from
    the member (a gift, a donation, confirming help received), so the only
    limit of theirs it can break is the lower one. When that limit refused the
    move (the ledger's LimitExceededError, or a service's error caused by one),
    say so to them in the second person, with what they can do. Any other
    error is returned as it is."""
    cause = error if isinstance(error, ledger.LimitExceededError) else error.__cause__
    if not isinstance(cause, ledger.LimitExceededError) or cause.account.member_id != member.pk:
        return error
    account = member_account(member=member)
    if account is None or account.min_balance is None:
        return error
    room = account.balance - account.min_balance
    limit = balance_in_words(account.min_balance) if account.min_balance < 0 else format_minutes(account.min_balance)
    if room > 0:
        where = gettext("You can use %(hours)s more before you reach your limit of %(limit)s.") % {
            "hours": format_minutes(room),
            "limit": limit,
        }
    else:
        where = gettext("You have reached your limit of %(limit)s.") % {"limit": limit}
    message = gettext(
        "You do not have enough hours %(doing)s. %(where)s "
        "Nothing has changed. You earn hours by helping someone, or a coordinator can help."
    ) % {"doing": doing or gettext("for this"), "where": where}
    return DomainError(message, field=error.field)


def _to_give(minutes: int) -> str:
    """What the member was doing, for limit_refusal_for: "to give 1 hour"."""
    return gettext("to give %(hours)s") % {"hours": format_minutes(minutes)}


@member_page()
def my_hours(request, member):
    account = member_account(member=member)
    statement = account_statement(account=account, **statement_cursors(request)) if account else None
    summary = member_hours_summary(member=member)
    return render(
        request,
        "timebank/accounts/my_hours.html",
        {
            "member": member,
            "summary": summary,
            "balance": member_balance_words(member=member, summary=summary),
            "statement": statement,
        },
    )


@member_page()
def give_hours(request, member):
    form = GiveHoursForm(request.POST or None, receivers=member_gift_choices(timebank=member.timebank, exclude=member))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_services.member_give_hours(
                giver=member, receiver=data["receiver"], minutes=data["hours"], by_user=request.user, note=data["note"]
            )
        except DomainError as error:
            put_error_on_form(form, limit_refusal_for(member=member, error=error, doing=_to_give(data["hours"])))
        else:
            messages.success(
                request,
                gettext("You gave %(hours)s to %(name)s.")
                % {"hours": format_minutes(data["hours"]), "name": data["receiver"].display_name},
            )
            return redirect("timebank:my-hours")
    return render(request, "timebank/accounts/give.html", {"form": form, "member": member})


@member_page()
def donate_hours(request, member):
    form = DonateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_services.member_donate_to_pot(
                member=member, minutes=form.cleaned_data["hours"], by_user=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            doing = _to_give(form.cleaned_data["hours"])
            put_error_on_form(form, limit_refusal_for(member=member, error=error, doing=doing))
        else:
            given = format_minutes(form.cleaned_data["hours"])
            messages.success(request, gettext("Thank you: you gave %(hours)s to the community pot.") % {"hours": given})
            return redirect("timebank:my-hours")
    return render(
        request,
        "timebank/accounts/donate.html",
        {
            "form": form,
            "member": member,
            "pot_balance_text": format_minutes(pot_account(timebank=member.timebank).balance),
        },
    )


# --- Coordinator -----------------------------------------------------------------------------


@coordinator_page
def coordinator_member_give(request, timebank, public_id):
    """A coordinator records a gift for a member (usually one who is not online)."""
    giver = member_for_coordinator(timebank=timebank, public_id=public_id)
    form = GiveHoursForm(request.POST or None, receivers=member_gift_choices(timebank=timebank, exclude=giver))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_services.member_give_hours(
                giver=giver, receiver=data["receiver"], minutes=data["hours"], by_user=request.user, note=data["note"]
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(
                request,
                gettext("%(giver)s gave %(hours)s to %(name)s.")
                % {
                    "giver": giver.display_name,
                    "hours": format_minutes(data["hours"]),
                    "name": data["receiver"].display_name,
                },
            )
            return redirect("timebank:coordinator-member", public_id=giver.public_id)
    return render(request, "timebank/accounts/coordinator_give.html", {"form": form, "giver": giver})


@coordinator_page
def coordinator_pot(request, timebank):
    """The community pot: its balance and statement, grants from it and donations to it."""
    members = member_gift_choices(timebank=timebank)
    preselected = request.GET.get("member", "")[:40]
    grant_form = PotGrantForm(prefix="grant", members=members, initial={"member": preselected})
    donation_form = PotDonationForm(prefix="donation", members=members, initial={"member": preselected})
    if request.method == "POST":
        which = request.POST.get("form")
        form = (
            PotGrantForm(request.POST, prefix="grant", members=members)
            if which == "grant"
            else PotDonationForm(request.POST, prefix="donation", members=members)
        )
        if which == "grant":
            grant_form = form
        else:
            donation_form = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "grant":
                    member_services.pot_grant_to_member(
                        member=data["member"], minutes=data["hours"], by_user=request.user, reason=data["reason"]
                    )
                    done = gettext("%(name)s was given %(hours)s from the pot.") % {
                        "name": data["member"].display_name,
                        "hours": format_minutes(data["hours"]),
                    }
                else:
                    member_services.member_donate_to_pot(
                        member=data["member"], minutes=data["hours"], by_user=request.user, note=data["note"]
                    )
                    done = gettext("%(name)s gave %(hours)s to the pot.") % {
                        "name": data["member"].display_name,
                        "hours": format_minutes(data["hours"]),
                    }
            except DomainError as error:
                put_error_on_form(form, error)
            else:
                messages.success(request, done)
                return redirect("timebank:coordinator-pot")
    pot = pot_account(timebank=timebank)
    return render(
        request,
        "timebank/accounts/pot.html",
        {
            "pot_balance_text": format_minutes(pot.balance),
            "statement": account_statement(account=pot, **statement_cursors(request)),
            "grant_form": grant_form,
            "donation_form": donation_form,
        },
    )


@coordinator_page
def coordinator_transfer_reverse(request, timebank, public_id):
    transfer = transfer_for_coordinator(timebank=timebank, public_id=public_id)
    # The tick box is offered once a limit refused the reversal (and kept on the
    # next try, ticked or not); "" labels it without a name until then.
    offered = request.method == "POST" and "override_offered" in request.POST
    form = ReverseTransferForm(request.POST or None, override_for="" if offered else None)
    if request.method == "POST" and form.is_valid():
        try:
            member_services.transfer_reverse_with_reason(
                transfer=transfer,
                by_user=request.user,
                reason=form.cleaned_data["reason"],
                override_limits=bool(form.cleaned_data.get("override_limits")),
            )
        except ledger.LimitExceededError as error:
            # Show the refusal next to a tick box naming who would pass their limit.
            form = ReverseTransferForm(request.POST, override_for=error.account.name)
            form.is_valid()
            put_error_on_form(form, error)
            offered = True
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, gettext("The transfer is reversed. The hours are back where they were."))
            return redirect("timebank:coordinator-transfer-reverse", public_id=transfer.public_id)
        # A refused reversal leaves its unsaved reversal cached on `transfer`: read it again.
        transfer = transfer_for_coordinator(timebank=timebank, public_id=public_id)
    reversal = transfer.reversed_by if hasattr(transfer, "reversed_by") else None
    # A reversal moves time for the same accounts as the transfer it reverses.
    involves_erased = transfer_involves_erased_member(transfer)
    lines = [
        {
            "name": entry.account.name,
            "member": entry.account.member,
            "in_text": format_minutes(entry.minutes) if entry.minutes > 0 else "",
            "out_text": format_minutes(-entry.minutes) if entry.minutes < 0 else "",
        }
        for entry in transfer.entries.all()
    ]
    return render(
        request,
        "timebank/accounts/reverse.html",
        {
            "transfer": transfer,
            "description": transfer_description(transfer),
            # The reason typed for a reversal may name the member too.
            "reversal_reason": transfer_note_text(reversal, involves_erased=involves_erased) if reversal else "",
            "form": form,
            "reversal": reversal,
            "lines": lines,
            "override_offered": offered,
        },
    )
