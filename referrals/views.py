"""Referral pages: a link worker's referrals, making one (with a directory
search to pick the service), one referral's page, and a group organiser's
referrals in with places left. Thin: every rule is in services/selectors,
every read of a referral is logged, and pages are never cached. Who may open
a page (404 "Not found" to anyone else) and how a refusal shows on a form
are timebank.pages'."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from assets.models import Service, ServiceStatus
from assets.selectors import asset_search, taxonomy_terms
from core.errors import DomainError
from referrals import selectors, services, states, steps
from referrals.actors import Actor, actor_for_user
from referrals.communication import need_label
from referrals.forms import ListFilterForm, ServiceSearchForm, TransitionForm
from referrals.models import BusinessStatus, ReferralStatus
from timebank.models import Timebank
from timebank.pages import not_found, not_found_as_404, not_found_unless, put_error_on_form
from timebank.permissions import is_coordinator
from timebank.private_search import private_search
from timebank.selectors.timebanks import is_slug, public_timebanks

PAGE_SIZE = 25


def _actor(request) -> Actor:
    actor = actor_for_user(request.user)
    # People without an organisation (other than coordinators, who receive
    # referrals to the timebank) have no referrals to see.
    not_found_unless(actor.organisation is not None or is_coordinator(request.user))
    return actor


@never_cache
@login_required
def my_referrals(request):
    actor = _actor(request)
    # Posted, not in the address: a patient's name must not reach access logs (timebank.private_search).
    search = private_search(request, ListFilterForm, name="referrals", public_fields=("status",))
    if search.redirect is not None:
        return search.redirect
    # Filtered, ordered and shown by what this referrer may see (referrals/consent.py):
    # without the person's share-back consent, only its own moves.
    queryset = selectors.with_history(
        selectors.with_shown_progress(selectors.referrals_made_by(actor), actor)
    ).order_by("-shown_modified_at", "pk")
    terms = search.terms
    if terms.get("status"):
        queryset = queryset.filter(shown_status=terms["status"])
    for word in terms.get("name", "").split()[:3]:
        queryset = queryset.filter(
            Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(preferred_name__icontains=word)
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    referrals = services.referrals_read(actor=actor, referrals=list(page.object_list))
    rows = [(r, _shown(actor, r)) for r in referrals]
    return render(
        request,
        "referrals/my_referrals.html",
        {"page": page, "rows": rows, "filters": search.form, "actor": actor},
        status=search.status,
    )


@never_cache
@login_required
def new_referral(request):
    """Choose where (a service from a search, or a timebank), then the questions
    (referral_step), one a page, then check and send (referral_check)."""
    actor = _actor(request)
    service_id = request.GET.get("service")
    timebank = None
    if not service_id and request.GET.get("timebank"):
        timebank = _chosen_timebank(request.GET["timebank"])
        if timebank is None:
            messages.error(request, _("Choose which timebank to refer the person to."))
            return redirect("referrals:new")
    if not service_id and timebank is None:
        return _pick_target(request)
    if service_id and _referrable_service(service_id) is None:
        messages.error(request, _("That service cannot take referrals. Choose another."))
        return redirect("referrals:new")
    del actor  # Checked above: only people who may refer start a journey.
    journey_id = steps.journey_start(
        request.session, service_id=str(service_id or ""), timebank_slug=timebank.slug if timebank else ""
    )
    return redirect("referrals:step", journey_id=journey_id, step=steps.STEPS[0].slug)


def _referrable_service(service_id) -> Service | None:
    return (
        Service.objects.select_related("organisation")
        .filter(pk=_uuid_or_none(service_id), status=ServiceStatus.ACTIVE, accepts_referrals=True)
        .first()
    )


class _JourneyGone(Exception):
    """The journey is unknown (another browser, expired, dropped) or its target closed."""

    def __init__(self, message: str):
        self.message = message


def _journey(request, journey_id: str) -> tuple[dict, steps.Target]:
    journey = steps.journey_get(request.session, journey_id)
    if journey is None:
        raise _JourneyGone(_("That referral was not finished, and its answers are gone. Please start again."))
    if journey["service"]:
        service = _referrable_service(journey["service"])
        if service is None:
            raise _JourneyGone(_("That service no longer takes referrals. Choose another."))
        return journey, steps.Target(service=service)
    timebank = _chosen_timebank(journey["timebank"])
    if timebank is None:
        raise _JourneyGone(_("Choose which timebank to refer the person to."))
    return journey, steps.Target(timebank=timebank)


def _journey_or_restart(view):
    """Run a journey page, or send the link worker back to choose with a message."""

    def wrapper(request, journey_id, **kwargs):
        _actor(request)
        try:
            journey, target = _journey(request, journey_id)
        except _JourneyGone as gone:
            messages.error(request, gone.message)
            return redirect("referrals:new")
        if journey["referral"]:
            # Already sent (a second click, or Back after sending): show it, never send it again.
            messages.info(request, _("This referral has already been saved."))
            return redirect("referrals:detail", referral_id=journey["referral"])
        return view(request, journey_id, journey, target, **kwargs)

    return wrapper


def _back_link(journey_id: str, step: steps.Step, changing: bool) -> str:
    if changing:
        return reverse("referrals:check", kwargs={"journey_id": journey_id})
    before = steps.step_before(step.slug)
    if before is None:
        return reverse("referrals:new")
    return reverse("referrals:step", kwargs={"journey_id": journey_id, "step": before.slug})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@_journey_or_restart
def referral_step(request, journey_id, journey, target, step):
    step_ = steps.STEP_BY_SLUG.get(step)
    if step_ is None:
        raise not_found()
    unfinished = steps.first_unfinished(journey, target)
    order = [s.slug for s in steps.STEPS]
    if unfinished is not None and order.index(step_.slug) > order.index(unfinished.slug):
        # Questions are answered in order: go to the first one still to answer.
        return redirect("referrals:step", journey_id=journey_id, step=unfinished.slug)
    changing = "change" in request.GET
    if request.method == "POST":
        form = step_.form(request.POST, target=target)
        if form.is_valid():
            fields = set(form.fields)
            kept = request.POST.copy()
            for key in list(kept):
                if key not in fields:
                    del kept[key]
            steps.journey_save_answers(request.session, journey_id, step_.slug, kept)
            if step_.slug == "consent" and form.cleaned_data["agreed"] == "no":
                steps.journey_forget_answers(request.session, journey_id)
                return render(request, "referrals/steps/no_consent.html", {"target": target})
            journey = steps.journey_get(request.session, journey_id)
            unfinished = steps.first_unfinished(journey, target)
            if unfinished is None:
                return redirect("referrals:check", journey_id=journey_id)
            after = steps.step_after(step_.slug)
            if not changing and after is not None:
                return redirect("referrals:step", journey_id=journey_id, step=after.slug)
            return redirect("referrals:step", journey_id=journey_id, step=unfinished.slug)
    else:
        # What was kept, as it was typed (checked again: a kept answer can go stale).
        form = steps.bound_form(journey, step_, target) or step_.form(target=target)
        if form.is_bound:
            form.is_valid()
    return render(
        request,
        f"referrals/steps/{step_.slug}.html" if step_.slug in _OWN_TEMPLATES else "referrals/steps/step.html",
        {
            "form": form,
            "step": step_,
            "target": target,
            "back_link": _back_link(journey_id, step_, changing),
            "changing": changing,
        },
    )


# Steps whose page is not the plain one-form page.
_OWN_TEMPLATES = {"date-of-birth", "postcode"}


# Where a service's refusal at the end sends the link worker to put it right.
_STEP_FOR_FIELD = {
    "person.given_name": "name",
    "person.family_name": "name",
    "person.preferred_name": "name",
    "person.date_of_birth": "date-of-birth",
    "person.postcode": "postcode",
    "person.phone": "contact",
    "person.email": "contact",
    "person.preferred_contact": "contact",
    "person.contact_times": "contact",
    "person.communication_needs": "communication",
    "consent": "sharing",
    "consent.scopes": "sharing",
    "consent.method": "sharing",
    "what_matters": "what-matters",
    "needs": "what-matters",
    "notes": "extra",
    "priority": "extra",
    "eligibility_override.reason": "date-of-birth",
}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@_journey_or_restart
def referral_check(request, journey_id, journey, target):
    """Check your answers, then send (or keep as a draft). Sending twice makes one referral."""
    actor = _actor(request)
    unfinished = steps.first_unfinished(journey, target)
    if unfinished is not None:
        return redirect("referrals:step", journey_id=journey_id, step=unfinished.slug)
    answers = {step.slug: steps.bound_form(journey, step, target) for step in steps.STEPS}
    for form in answers.values():
        form.is_valid()
    problem = None
    if request.method == "POST":
        # Why a cache lock: two clicks (or two tabs) can arrive together, each with
        # a session read before the other saved; only the first may create.
        lock = f"referrals:journey:{journey_id}"
        if not cache.add(lock, "", timeout=3600):
            made = cache.get(lock)
            if made:
                messages.info(request, _("This referral has already been saved."))
                return redirect("referrals:detail", referral_id=made)
            messages.info(request, _("This referral is being saved. It will be in your list in a moment."))
            return redirect("referrals:mine")
        try:
            referral = _create_from_answers(request, actor, target, answers, draft=request.POST.get("send") == "draft")
        except DomainError as error:
            cache.delete(lock)
            problem = {
                "message": error.message,
                "step": _STEP_FOR_FIELD.get(getattr(error, "field", "") or "", ""),
            }
        else:
            cache.set(lock, str(referral.pk), timeout=3600)
            steps.journey_forget_answers(request.session, journey_id, referral_id=str(referral.pk))
            messages.success(
                request,
                _("The referral has been saved as a draft.")
                if referral.status == "draft"
                else _("The referral has been sent."),
            )
            return redirect("referrals:detail", referral_id=referral.pk)
    return render(
        request,
        "referrals/steps/check.html",
        {
            "rows": _summary_rows(journey_id, answers, target),
            "target": target,
            "problem": problem,
            "exceptions": _exceptions(answers),
            "back_link": reverse("referrals:step", kwargs={"journey_id": journey_id, "step": steps.STEPS[-1].slug}),
        },
    )


def _create_from_answers(request, actor, target, answers, *, draft: bool):
    data: dict = {}
    for form in answers.values():
        data.update(form.cleaned_data)
    user = request.user
    return services.referral_create(
        actor=actor,
        person=services.PersonDetails(
            given_name=data["given_name"],
            family_name=data["family_name"],
            preferred_name=data["preferred_name"],
            date_of_birth=data["date_of_birth"],
            postcode=data["postcode"],
            phone=data["phone"],
            email=data["email"],
            preferred_contact=data["preferred_contact"],
            contact_times=data["contact_times"],
            communication_needs=data["communication_needs"],
            do_not_contact=data["do_not_contact"],
        ),
        consent=services.ConsentDetails(
            given=True,
            scopes=data["scopes"],
            method=data["method"],
            # The link worker who asked is the one sending it.
            recorded_by=(user.get_full_name() or user.get_username())[:200],
            recorded_at=timezone.now(),
        ),
        what_matters=data["what_matters"],
        needs=[term.slug for term in data["needs"]],
        target_service_id=target.service.pk if target.service else None,
        target_timebank=target.timebank.slug if target.timebank else "",
        priority=data["priority"],
        notes=data["notes"],
        draft=draft,
        eligibility_override_reason=_override_reason(answers),
    )


def _exceptions(answers) -> list[dict]:
    """The exceptions to who the service is for that the link worker confirmed:
    (what, the rule's words, their reason, the step to change it)."""
    found = []
    for slug, question, about, warning in (
        (
            "date-of-birth",
            _("Exception for their age"),
            _("About their age: %(reason)s"),
            answers["date-of-birth"].age_warning,
        ),
        (
            "postcode",
            _("Exception for where they live"),
            _("About where they live: %(reason)s"),
            answers["postcode"].area_warning,
        ),
    ):
        reason = answers[slug].cleaned_data.get("eligibility_override_reason", "")
        if warning and reason:
            found.append(
                {
                    "step": slug,
                    "question": question,
                    "about": about % {"reason": reason},
                    "warning": warning,
                    "reason": reason,
                }
            )
    return found


def _override_reason(answers) -> str:
    """One reason for the referral (referrals.eligibility): each exception's, named when there are two."""
    found = _exceptions(answers)
    if len(found) == 1:
        return found[0]["reason"]
    return "\n".join(e["about"] for e in found)


def _summary_rows(journey_id, answers, target) -> list[dict]:
    """(question, answer lines, change link) for the check page; plain words, no codes."""

    def change(slug):
        return reverse("referrals:step", kwargs={"journey_id": journey_id, "step": slug}) + "?change"

    def choice_labels(form, name):
        labels = dict(form.fields[name].choices)
        value = form.cleaned_data.get(name)
        values = value if isinstance(value, list) else [value]
        return [str(labels.get(v, v)) for v in values if v]

    sharing, name, dob = answers["sharing"], answers["name"], answers["date-of-birth"]
    contact, communication = answers["contact"], answers["communication"]
    matters, extra = answers["what-matters"], answers["extra"]
    born = dob.cleaned_data.get("date_of_birth")
    person = [f"{name.cleaned_data['given_name']} {name.cleaned_data['family_name']}"]
    if name.cleaned_data["preferred_name"]:
        person.append(_("Likes to be called %(name)s") % {"name": name.cleaned_data["preferred_name"]})
    contact_lines = choice_labels(contact, "preferred_contact")
    for key, label in (
        ("phone", _("Phone: %(value)s")),
        ("email", _("E-mail: %(value)s")),
        ("contact_times", _("Best times: %(value)s")),
    ):
        if contact.cleaned_data.get(key):
            contact_lines.append(label % {"value": contact.cleaned_data[key]})
    if contact.cleaned_data.get("do_not_contact"):
        contact_lines.append(_("Do not contact them directly"))
    not_given = _("Not given")
    born_line = _("%(date)s (age %(age)s)") % {"date": date_format(born, "j F Y"), "age": dob.age} if born else ""
    return [
        {"question": _("Agreed to be referred"), "lines": [_("Yes")], "change": change("consent")},
        {"question": _("Agreed to share"), "lines": choice_labels(sharing, "scopes"), "change": change("sharing")},
        {"question": _("How they agreed"), "lines": choice_labels(sharing, "method"), "change": change("sharing")},
        {"question": _("Name"), "lines": person, "change": change("name")},
        {
            "question": _("Date of birth"),
            "lines": [born_line] if born else [not_given],
            "change": change("date-of-birth"),
        },
        {
            "question": _("Postcode"),
            "lines": [answers["postcode"].cleaned_data["postcode"]],
            "change": change("postcode"),
        },
        *(
            {
                "question": e["question"],
                "lines": [
                    e["warning"],
                    _("You checked with the group. Your reason: %(reason)s") % {"reason": e["reason"]},
                ],
                "change": change(e["step"]),
            }
            for e in _exceptions(answers)
        ),
        {"question": _("How to contact them"), "lines": contact_lines, "change": change("contact")},
        {
            "question": _("Communication needs"),
            "lines": [need_label(c) for c in communication.cleaned_data["communication_needs"]] or [_("None")],
            "change": change("communication"),
        },
        {
            "question": _("What matters to them"),
            "lines": [matters.cleaned_data["what_matters"] or not_given],
            "change": change("what-matters"),
        },
        {
            "question": _("Help they are looking for"),
            "lines": [term.label for term in matters.cleaned_data["needs"]] or [not_given],
            "change": change("what-matters"),
        },
        {"question": _("How soon"), "lines": choice_labels(extra, "priority"), "change": change("extra")},
        {
            "question": _("Anything else"),
            "lines": [extra.cleaned_data["notes"] or _("Nothing")],
            "change": change("extra"),
        },
    ]


def _chosen_timebank(value: str) -> Timebank | None:
    """The timebank ?timebank= names by its short name; "1" (the address the
    page used before an install could have several) means the only one. None
    when it names none, or when "1" is ambiguous: the person chooses."""
    chosen = public_timebanks().filter(slug=value).first() if is_slug(value) else None
    if chosen is None and value == "1":
        only = list(public_timebanks()[:2])
        chosen = only[0] if len(only) == 1 else None
    return chosen


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _pick_target(request):
    # Posted, not in the address: the place is usually the person's own postcode,
    # which must not reach access logs (timebank.private_search).
    found = private_search(request, ServiceSearchForm, name="referral-services")
    if found.redirect is not None:
        return found.redirect
    search, error = None, None
    terms = found.terms
    if terms.get("near"):
        try:
            search = asset_search(
                near=terms["near"], category=terms.get("category") or None, q=terms.get("q") or None, radius_km=10
            )
        except DomainError as exc:
            error = exc.message
    elif found.form.is_bound and found.form.errors:
        error = next(iter(found.form.errors.values()))[0]
    return render(
        request,
        "referrals/new_search.html",
        {
            "search": search,
            "error": error,
            "categories": taxonomy_terms(),
            "query": found.form.data if found.form.is_bound else {},
            "timebanks": list(public_timebanks()),
        },
        status=found.status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def referral_detail(request, referral_id):
    # No organisation check first: the service refuses, and logs the attempt (D2).
    actor = actor_for_user(request.user)
    with not_found_as_404():
        referral = services.referral_read(
            actor=actor,
            referral_id=referral_id,
            queryset=selectors.referral_with_details(selectors.referrals_visible_to(actor)),
        )
    parties = selectors.referral_parties(actor, referral)
    sharing = selectors.referral_sharing(actor, referral)
    progress = selectors.shown_progress(sharing, referral)
    # From the status this viewer sees: the moves offered tell nothing more.
    moves = [m for party in parties for m in states.moves_for(progress.status, party)]
    if states.RECEIVER in parties and referral.status in states.BUSINESS_STATUS_UPDATABLE:
        moves.insert(0, referral.status)
    if referral.anonymised_at is not None:
        moves = []  # Read-only after the retention period (privacy.retention).
    form = TransitionForm(request.POST or None, moves=moves)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_transition(
                actor=actor,
                referral_id=referral.pk,
                to=form.cleaned_data["to"],
                reason=form.cleaned_data["reason"],
                business_status=form.cleaned_data["business_status"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("The referral has been updated."))
            return redirect("referrals:detail", referral_id=referral.pk)
    consent = getattr(referral, "consent", None)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "sharing": sharing,
            "progress": _shown(actor, referral, sharing=sharing),
            "withdrawn_at": consent.withdrawn_at if consent is not None else None,
            "gp_record_events": selectors.gp_events_visible(sharing, referral.gp_record_events.all()),
            "show": set(sharing.person_fields),
            "outcomes": selectors.visible_outcomes(sharing, referral),
            "form": form if moves else None,
            "is_referrer": states.REFERRER in parties,
            "communication_needs": [need_label(code) for code in referral.communication_needs or []],
        },
    )


class _ShownProgress:
    """A referral's progress as one viewer may see it, with the words for its codes."""

    def __init__(self, progress: selectors.Progress, shared: bool):
        self.progress = progress
        self.shared = shared  # False: a referrer seeing only its own moves
        self.status_label = ReferralStatus(progress.status).label
        business = progress.business_status
        self.business_status_label = BusinessStatus(business).label if business in BusinessStatus.values else ""


def _shown(actor: Actor, referral, *, sharing: selectors.Sharing | None = None) -> _ShownProgress:
    sharing = sharing or selectors.referral_sharing(actor, referral)
    return _ShownProgress(selectors.shown_progress(sharing, referral), sharing.progress)


@never_cache
@login_required
def referrals_in(request):
    actor = _actor(request)
    queryset = (
        selectors.with_history(selectors.referrals_received_by(actor))
        .filter(status__in=selectors.OPEN_STATUSES)
        .order_by("-priority", "requested_at", "pk")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    referrals = list(page.object_list)
    services.referrals_read(actor=actor, referrals=referrals)
    own_services = []
    if actor.organisation is not None:
        own_services = list(
            Service.objects.filter(organisation=actor.organisation, accepts_referrals=True)
            .select_related("capacity")
            .order_by("name")
        )
    taken = selectors.places_taken([s.pk for s in own_services])
    places = [
        {
            "service": s,
            "working_with": taken.get(s.pk, 0),
            "places_available": getattr(getattr(s, "capacity", None), "places_available", None),
        }
        for s in own_services
    ]
    rows = [(r, sharing, _shown(actor, r, sharing=sharing)) for r, sharing in _with_sharing(actor, referrals)]
    return render(request, "referrals/incoming.html", {"page": page, "rows": rows, "places": places})


def _with_sharing(actor: Actor, referrals) -> list:
    return [(r, selectors.referral_sharing(actor, r)) for r in referrals]
