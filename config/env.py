"""Strict readers for settings taken from environment variables.

Each helper fails loudly with the variable's name when a value cannot be
parsed, so a typo in production configuration stops the process at start-up
instead of silently falling back to a default.
"""

import os

from core.errors import ConfigurationError

__all__ = ["ConfigurationError", "env_bool", "env_int", "env_list", "env_rate", "env_str"]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ConfigurationError(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


_PERIOD_SECONDS = {
    **dict.fromkeys(("s", "sec", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate such as "10/hour" (per second, minute, hour or day) as
    (how many, per how many seconds)."""
    value = os.environ.get(name) or default
    count, _, period = value.strip().lower().partition("/")
    seconds = _PERIOD_SECONDS.get(period.strip())
    if not count.strip().isdigit() or int(count) < 1 or seconds is None:
        raise ConfigurationError(f"{name} must be a rate such as 10/hour or 5/minute, not {value!r}.")
    return int(count), seconds
