"""Template context shared by every page."""


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_coordinator": False, "is_link_worker": False, "is_group_organiser": False, "current_member": None}
    return {
        "is_coordinator": user.is_coordinator,
        "is_link_worker": user.is_link_worker,
        "is_group_organiser": user.is_group_organiser,
        "current_member": getattr(user, "member", None),
    }
