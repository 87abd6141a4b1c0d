"""Template context shared by every page: the person's roles, the timebank a
page speaks for, and the menus (base.html)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from timebank.models import MemberStatus, Timebank
from timebank.pages import COORDINATING_SESSION_KEY
from timebank.permissions import coordinated_timebanks, is_network_admin
from timebank.selectors.members import member_for_user

# Members who see the member pages in the menu: approved, active, or paused
# (a paused member still has hours and a statement).
TAKING_PART = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED)


def _coordinating_choices(request):
    """Links to switch the timebank a coordinator of several works in
    (timebank.pages.coordinating_timebank), the one in use marked; empty for
    someone who coordinates one timebank or none, and outside coordinators'
    pages (/coordinator/...). A callable: the template calls it only once it
    shows the header, and members pay no query for it."""

    def choices() -> list[dict]:
        if not request.path.startswith("/coordinator/"):
            return []  # shown on coordinators' pages only
        timebanks = list(coordinated_timebanks(request.user).order_by("name", "pk"))
        if len(timebanks) < 2:
            return []
        remembered = request.session.get(COORDINATING_SESSION_KEY)
        chosen = request.GET.get("coordinating", "")
        in_use = next((t for t in timebanks if t.slug == chosen), None)
        in_use = in_use or next((t for t in timebanks if t.pk == remembered), timebanks[0])
        # A list page switches in place; a page about one object (of this timebank) goes to the dashboard.
        match = getattr(request, "resolver_match", None)
        on_list_page = match is not None and not match.kwargs
        base = request.path if on_list_page else reverse("timebank:coordinator-dashboard")
        return [
            {"name": t.name, "url": f"{base}?coordinating={t.slug}", "current": t.pk == in_use.pk} for t in timebanks
        ]

    return choices


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "is_coordinator": False,
            "is_link_worker": False,
            "is_group_organiser": False,
            "is_network_admin": False,
            "current_member": None,
            "coordinating_choices": [],
        }
    return {
        "is_coordinator": user.is_coordinator,
        "is_link_worker": user.is_link_worker,
        "is_group_organiser": user.is_group_organiser,
        "is_network_admin": is_network_admin(user),
        "current_member": getattr(user, "member", None),
        "coordinating_choices": _coordinating_choices(request) if user.is_coordinator else [],
    }


# --- The page's shell: the timebank it speaks for, and the menus ------------------

SITE_NAME = "TimeCommons"


def request_timebank(request) -> Timebank | None:
    """The timebank a page speaks for, for its header and footer: the one named
    in the address (/t/<slug>/...), else the person's own (a member's, or the
    one a coordinator is working in), else the install's only timebank; None
    when there are several (or none) and the page is about none of them.
    Read-only and never raises: the header must show on every page."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match is not None else None
    if isinstance(slug, str) and request.path.startswith("/t/"):
        named = Timebank.objects.filter(slug=slug).first()
        if named is not None:
            return named
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        member = member_for_user(user)
        if member is not None:
            return member.timebank
        if user.is_coordinator:
            timebanks = coordinated_timebanks(user).order_by("name", "pk")
            remembered = request.session.get(COORDINATING_SESSION_KEY)
            chosen = timebanks.filter(pk=remembered).first() if isinstance(remembered, int) else None
            chosen = chosen or timebanks.first()
            if chosen is not None:
                return chosen
    # A visitor to a network of several timebanks is not in any one of them: the
    # header then says "TimeCommons", not the first timebank's name.
    first_two = list(Timebank.objects.order_by("pk")[:2])
    return first_two[0] if len(first_two) == 1 else None


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    current: bool = False


def _mark_current(path: str, links: list[MenuLink]) -> list[MenuLink]:
    """Mark the one link the page belongs to: the exact address, else the
    longest link address the page's address starts with ("/coordinator/members/
    <id>/" belongs to "Members"); "/" only marks the home page itself."""
    exact = [link for link in links if link.url == path]
    inside = [link for link in links if link.url != "/" and path.startswith(link.url)]
    best = exact[0] if exact else max(inside, key=lambda link: len(link.url), default=None)
    return [MenuLink(link.label, link.url, link is best) for link in links]


def _primary_links(user, member) -> list[MenuLink]:
    links = [MenuLink(_("Home"), reverse("timebank:home"))]
    if member is not None and member.status in TAKING_PART:
        links += [
            MenuLink(_("My hours"), reverse("timebank:my-hours")),
            MenuLink(_("Offers and requests"), reverse("timebank:listing-browse")),
            MenuLink(_("My offers and requests"), reverse("timebank:my-listings")),
            MenuLink(_("My exchanges"), reverse("timebank:exchange-list")),
            MenuLink(_("Suggested for you"), reverse("brokering:my-matches")),
            # Co-production (coproduction/): taking part in planning, and members' ideas.
            MenuLink(_("Take part"), reverse("involvement:opportunities")),
            MenuLink(_("Ideas"), reverse("voice:ideas")),
            # Members answer the co-production self-assessment about their timebank.
            MenuLink(_("How are we doing?"), reverse("assessment:home")),
        ]
    if user.is_authenticated and user.is_coordinator:
        links += [
            MenuLink(_("Coordinator"), reverse("timebank:coordinator-dashboard")),
            MenuLink(_("Workbench"), reverse("brokering:workbench")),
            MenuLink(_("Reports"), reverse("brokering:reports")),
            MenuLink(_("Involvement"), reverse("involvement:manage-list")),
            MenuLink(_("Self-assessment"), reverse("assessment:home")),
        ]
        if member is None or member.status not in TAKING_PART:
            # Coordinators answer members' ideas (members have the link already).
            links.append(MenuLink(_("Ideas"), reverse("voice:ideas")))
        if is_network_admin(user):
            links.append(MenuLink(_("Timebanks"), reverse("timebank:network-timebanks")))
    if user.is_authenticated and (user.is_link_worker or user.is_group_organiser):
        links.append(MenuLink(_("Referrals"), reverse("referrals:mine")))
        if not user.is_coordinator:
            # Staff of a GP practice or a group post opportunities their organisation hosts.
            links.append(MenuLink(_("Involvement"), reverse("involvement:manage-list")))
    if user.is_authenticated and user.is_group_organiser:
        links.append(MenuLink(_("Referrals to your group"), reverse("referrals:incoming")))
        links.append(MenuLink(_("Feedback on your services"), reverse("voice:service-feedback")))
    links.append(MenuLink(_("Find local groups"), reverse("assets:directory")))
    return links


def _account_links(user, member) -> list[MenuLink]:
    if not user.is_authenticated:
        return [MenuLink(_("Join"), reverse("timebank:join")), MenuLink(_("Log in"), reverse("timebank:login"))]
    links = []
    if member is not None:
        links.append(MenuLink(_("My profile"), reverse("timebank:my-profile")))
    if user.is_coordinator or user.is_link_worker or user.is_group_organiser or user.is_staff:
        links.append(MenuLink(_("Two-step sign-in"), reverse("timebank:two-step")))
    return links


def shell(request):
    """What base.html needs on every page: the timebank's name and contact
    details (`shell_timebank`, None in an empty database; `site_name` falls
    back to "TimeCommons"), and the menus for the person's roles with the
    current page marked (`menu_primary`, `menu_account`; log out is a form
    in the template). Member links show only to members taking part (not to
    staff without a profile, nor to someone still waiting for approval);
    staff links only to staff."""
    user = getattr(request, "user", None)
    if user is None:
        return {"shell_timebank": None, "site_name": SITE_NAME, "menu_primary": [], "menu_account": []}
    member = member_for_user(user) if user.is_authenticated else None
    timebank = request_timebank(request)
    path = request.path
    primary = _primary_links(user, member)
    account = _account_links(user, member)
    marked = _mark_current(path, primary + account)
    return {
        "shell_timebank": timebank,
        "site_name": timebank.name if timebank is not None and timebank.name else SITE_NAME,
        "menu_primary": marked[: len(primary)],
        "menu_account": marked[len(primary) :],
    }
