"""Two-step sign-in: a code from an authenticator app after the password.

Who may turn it on: people who act for others and see their personal or health
data (timebank.permissions.acts_for_others: coordinators, administrators, link
workers, group organisers, staff). The admin site requires it of every staff
user (config/admin.py). Members do not see the page.

Devices are django-otp's: one TOTP device ("Authenticator app"), made
unconfirmed when set-up starts and confirmed by the first right code, and one
static device holding single-use backup codes. Only confirmed devices count:
a half-finished set-up never locks anyone out.

The login's second step lives here too. After a right password the person is
not signed in: the session holds who is waiting for a code (`pending_*`) for
TWO_FACTOR_PENDING_MINUTES, and only a right code signs them in (and marks the
session verified for the admin). A wrong code is reported to django-axes as a
failed login, so it counts toward the same username-and-address lockout as a
wrong password; django-otp's own throttle also slows repeated guesses.
"""

import time
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import InvalidInputError, NotAllowedError
from timebank.models import User
from timebank.permissions import acts_for_others

APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10
WRONG_CODE = gettext_lazy(
    "That code is not right. Type the 6 numbers your authenticator app shows now, or a backup code."
)
NOT_FOR_YOU = gettext_lazy("Two-step sign-in is for coordinators, link workers, group organisers and staff.")

PENDING_SESSION_KEY = "two_factor_pending"


# --- Who, and what they have ----------------------------------------------------------------


def two_factor_allowed(user: object) -> bool:
    """May this person turn on two-step sign-in?"""
    return acts_for_others(user)


def two_factor_on(user: object) -> bool:
    """Has this person a confirmed device, so that logging in asks for a code?"""
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user, confirmed=True)


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Set up, confirm, turn off, backup codes -------------------------------------------------


def totp_device_for_setup(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator-app device whose key the set-up page shows.

    The same one is shown until it is confirmed, so reloading the page does not
    change the QR code under a person half-way through scanning it."""
    if not two_factor_allowed(user):
        raise NotAllowedError(str(NOT_FOR_YOU))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> TOTPDevice:
    """Confirm the set-up with a code the app shows; turns two-step sign-in on."""
    if device.user_id != user.pk or device.confirmed:
        raise NotAllowedError(str(NOT_FOR_YOU))
    # Locked so that two tabs confirming at once cannot both use one code.
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(_digits(code)):
            raise InvalidInputError(str(WRONG_CODE), field="code")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Any other half-finished set-up is now meaningless.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device


def backup_codes_create(*, user: User) -> list[str]:
    """New single-use backup codes (the old ones stop working); shown once."""
    if not two_factor_on(user):
        raise InvalidInputError(gettext("Turn on two-step sign-in with an authenticator app first."))
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_turn_off(*, user: User, code: str) -> None:
    """Turn two-step sign-in off: needs a current code, so a borrowed session cannot."""
    if code_matching_device(user=user, code=code) is None:
        raise InvalidInputError(str(WRONG_CODE), field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


# --- Checking a code ---------------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join(code.split())


def code_matching_device(*, user: User, code: str):
    """The confirmed device that accepts `code` (an app's 6 numbers, or a backup
    code, which is then used up), or None."""
    code = _digits(code or "")[:20]
    if not code:
        return None
    # Six numbers go to the app's device, anything else to the backup codes, so a
    # backup code does not count as a wrong app code in django-otp's throttle.
    wanted = TOTPDevice if code.isdigit() and code.isascii() else StaticDevice
    code = code if wanted is TOTPDevice else code.lower()
    # for_verify locks the device rows so a code cannot be used twice at once.
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, wanted) and device.verify_token(code):
                return device
    return None


def report_wrong_code(request, user: User) -> None:
    """Count a wrong code as a failed login for django-axes' lockout."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


# --- The login's second step ---------------------------------------------------------------------


def pending_start(request, user: User, *, redirect_to: str) -> None:
    """Remember, in this session, who gave a right password and now owes a code."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "since": int(time.time()),
        "next": redirect_to,
    }


def pending_user(request) -> tuple[User, dict] | tuple[None, None]:
    """Who is waiting for a code in this session, if it is not too late."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None, None
    if int(time.time()) - int(pending.get("since", 0)) > settings.TWO_FACTOR_PENDING_MINUTES * 60:
        pending_clear(request)
        return None, None
    user_id = pending.get("user")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    if user is None:
        pending_clear(request)
        return None, None
    user.backend = str(pending.get("backend") or settings.AUTHENTICATION_BACKENDS[-1])
    return user, pending


def pending_clear(request) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


# --- Showing the key -----------------------------------------------------------------------------


def device_secret_text(device: TOTPDevice) -> str:
    """The key as an app asks for it when typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def device_qr_svg(device: TOTPDevice) -> str:
    """The set-up link as an inline SVG QR code: no script, no style, no outside request."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")
