"""Hours in words per language (timebank/hours.py): every piece of
`format_minutes` goes through the catalogue, with a plural for each count, so
Welsh can say "1½ awr", "20 munud", "minws 1 awr"; `parse_duration` reads the
Welsh words as well as the English. (The Welsh output itself is tested once
the drafted Welsh is in the catalogue.)"""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from core.text import lazy_text
from core.translations import python_messages
from timebank.hours import DurationError, format_minutes, format_minutes_lazy, parse_duration

HOURS_MODULE = Path(settings.BASE_DIR) / "timebank" / "hours.py"


def _messages():
    return {message.msgid: message for message in python_messages([HOURS_MODULE])}


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "0 hours"),
        (1, "1 minute"),
        (20, "20 minutes"),
        (60, "1 hour"),
        (61, "1 hour 1 minute"),
        (75, "1¼ hours"),
        (90, "1½ hours"),
        (90 + 60, "2½ hours"),
        (120, "2 hours"),
        (125, "2 hours 5 minutes"),
        (-60, "minus 1 hour"),
        (-90, "minus 1½ hours"),
    ],
)
def test_english_words_are_unchanged(minutes, words):
    with translation.override("en-gb"):
        assert format_minutes(minutes) == words


def test_hours_and_minutes_are_plurals_the_catalogue_can_give_six_forms_of():
    messages = _messages()
    assert messages["%(count)s hour"].plural == "%(count)s hours"
    assert messages["%(count)s minute"].plural == "%(count)s minutes"


def test_the_pieces_are_whole_messages_a_translator_can_reorder():
    messages = _messages()
    for msgid in ("minus %(amount)s", "%(hours)s%(fraction)s hours", "%(hours)s %(minutes)s"):
        assert msgid in messages
    # No English is built outside the catalogue: "minus " and the "s" of a plural are gone.
    source = HOURS_MODULE.read_text(encoding="utf-8")
    assert '"minus "' not in source
    assert "'s' if" not in source


def test_parse_duration_messages_are_marked():
    messages = _messages()
    assert "The time must be more than zero." in messages
    assert "Enter how long it took, for example 90 minutes or 1.5 hours." in messages


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("90 munud", 90),
        ("1 munud", 1),
        ("1.5 awr", 90),
        ("1½ awr", 90),
        ("2 oriau", 120),
        ("1 awr 30 munud", 90),
        ("1 awr a 30 munud", 90),
        ("2 oriau ac 15 munud", 135),
        ("1 AWR 5 MUNUD", 65),
    ],
)
def test_parse_duration_reads_welsh_words(typed, minutes):
    assert parse_duration(typed) == minutes


@pytest.mark.parametrize("typed", ["awr", "awr a hanner", "30 awr", "0 munud", "1.5 munud"])
def test_parse_duration_refuses_welsh_nonsense_plainly(typed):
    with pytest.raises(DurationError):
        parse_duration(typed)


def test_lazy_hours_are_worded_when_read_in_the_language_in_use_then():
    with translation.override("en-gb"):
        hours = format_minutes_lazy(90)
        subject = lazy_text(lambda: format_minutes(30) + " and more")
    with translation.override("en-gb"):
        assert str(hours) == "1½ hours"
        assert str(subject) == "30 minutes and more"
