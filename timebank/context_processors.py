"""Template context shared by every page."""

from django.urls import reverse

from timebank.pages import COORDINATING_SESSION_KEY
from timebank.permissions import coordinated_timebanks, is_network_admin


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
