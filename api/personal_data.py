"""What the API keeps about a person, entered in privacy's registry from
ApiConfig.ready(): the export finds it and erasure removes it."""

from django.db.models import QuerySet

from api.models import IdempotencyKey
from privacy.registry import Selection, register_no_personal_data, register_personal_data, register_user_eraser


def _owner(user_id: int) -> str:
    return f"user:{user_id}"


def idempotency_keys_of(member) -> QuerySet:
    if member.user_id is None:
        return IdempotencyKey.objects.none()
    return IdempotencyKey.objects.filter(owner=_owner(member.user_id))


def erase_idempotency_keys(user) -> None:
    # Stored replies to their own API requests can quote what they sent.
    IdempotencyKey.objects.filter(owner=_owner(user.pk)).delete()


def register() -> None:
    register_personal_data(
        "api.IdempotencyKey",
        Selection(
            idempotency_keys_of,
            note="Stored replies to your own API requests, kept for a day to make retries safe.",
        ),
    )
    register_no_personal_data("api.ApiClient", "Which organisation an API client acts for.")
    register_user_eraser(erase_idempotency_keys)
