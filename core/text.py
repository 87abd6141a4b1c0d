"""Cleaning free text people type, with one set of plain messages."""

from core.errors import InvalidInputError


def clean_text(value: str | None, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """Strip the text and check it: present when required, not too long, and
    free of NUL (which PostgreSQL cannot store). Raises InvalidInputError on `field`."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInputError(f"Enter {label}.", field=field)
    capital = f"{label[0].upper()}{label[1:]}"
    if len(text) > max_length:
        raise InvalidInputError(f"{capital} must be {max_length} characters or fewer.", field=field)
    if "\x00" in text:
        raise InvalidInputError(f"{capital} contains a character we cannot store.", field=field)
    return text
