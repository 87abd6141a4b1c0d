"""The Welsh catalogue: every template marks its English, every message people
see has Welsh, the catalogue compiles, and Welsh plurals have their six forms.
The checks themselves are tested on files made here, so they can fail."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

from core import translations
from core.translations import Message

CATALOGUE = translations.catalogue_path("cy")


def test_no_template_holds_an_unmarked_english_sentence():
    found = translations.unmarked_text()
    assert not found, "Unmarked English (mark it with {% translate %}):\n" + "\n".join(
        f"{u.source}:{u.line}: {u.text[:100]}" for u in found[:40]
    )


def test_every_message_people_see_has_welsh_that_is_not_fuzzy():
    messages = [m for m in translations.all_messages() if not translations.is_staff_source(m.source)]
    assert len(messages) > 500  # the extraction found the app's messages, not nothing
    missing = translations.untranslated(messages)
    assert not missing, "No Welsh (or fuzzy) for:\n" + "\n".join(f"{m.source}: {m.msgid[:80]!r}" for m in missing[:40])


def test_the_catalogue_declares_welsh_six_plural_forms_and_fills_each():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.metadata["Language"] == "cy"
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=6;")
    plurals = [e for e in catalogue if e.msgid_plural and not e.obsolete]
    assert plurals, "the catalogue has plural messages"
    translated = [e for e in plurals if any(e.msgstr_plural.values())]
    assert translated
    for entry in translated:  # a translated plural has all six forms, each filled
        assert sorted(entry.msgstr_plural) == [0, 1, 2, 3, 4, 5], entry.msgid
        assert all(entry.msgstr_plural.values()), entry.msgid


def test_drafted_translations_say_they_need_review_by_a_welsh_speaker():
    catalogue = polib.pofile(str(CATALOGUE))
    drafted = [e for e in catalogue if translations.DRAFT_COMMENT in (e.tcomment or "")]
    assert drafted  # the team's drafts are flagged, so a Welsh speaker can find them


def test_the_catalogue_compiles_and_django_reads_it(tmp_path, settings):
    written = translations.compile_catalogues(force=True)
    assert CATALOGUE.with_suffix(".mo") in written
    mo = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    assert len(mo) > 500
    with translation.override("cy"):
        assert translation.gettext("Skip to main content") == "Neidio i’r prif gynnwys"


# --- The checks themselves -------------------------------------------------------------------


def _template(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.html"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_unmarked_check_finds_a_new_english_sentence_and_attribute(tmp_path):
    path = _template(
        tmp_path,
        '{% load i18n %}<h1>{% translate "Hello" %}</h1>\n<p>Your hours are below.</p>\n'
        '<img src="x.svg" alt="A clock">\n<p>{{ member.display_name }} · {{ hours }}</p>\n'
        "{% blocktranslate trimmed %}Fine {{ x }}{% endblocktranslate %}\n<code>RG1 7QE</code>"
        '<span translate="no">TimeCommons Cymru</span><script>var hello = "world";</script>',
    )
    found = translations.unmarked_text([path])
    assert [(u.line, u.text) for u in found] == [(2, "Your hours are below."), (3, 'alt="A clock"')]


def test_the_unmarked_check_reads_every_line_of_an_e_mail(tmp_path):
    path = tmp_path / "mail.txt"
    path.write_text('{% load i18n %}{% translate "Hello" %} {{ name }},\nSee you soon.\n', encoding="utf-8")
    assert [u.line for u in translations.unmarked_text([path])] == [2]


def test_template_messages_are_read_as_django_looks_them_up(tmp_path):
    path = _template(
        tmp_path,
        '{% load i18n %}{% translate "Hello" context "greeting" %}'
        "{% blocktranslate trimmed count counter=n %}\n  One hour\n{% plural %}\n  {{ counter }} hours\n"
        "{% endblocktranslate %}{% blocktranslate with name=m.name %}Hi {{ name }}{% endblocktranslate %}",
    )
    got = {(m.context, m.msgid, m.plural) for m in translations.template_messages([path])}
    assert got == {("greeting", "Hello", ""), ("", "One hour", "%(counter)s hours"), ("", "Hi %(name)s", "")}


def test_python_messages_are_read_from_gettext_calls(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(
        "from django.utils.translation import gettext as _, ngettext, pgettext_lazy\n"
        "a = _('Saved.')\nb = ngettext('%(n)s hour', '%(n)s hours', 2)\nc = pgettext_lazy('day', 'May')\n"
        "d = _(name)\n",
        encoding="utf-8",
    )
    got = {(m.context, m.msgid, m.plural) for m in translations.python_messages([path])}
    assert got == {("", "Saved.", ""), ("", "%(n)s hour", "%(n)s hours"), ("day", "May", "")}


def test_the_missing_check_reports_absent_empty_and_fuzzy_entries(tmp_path, monkeypatch):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Done", msgstr="Wedi gorffen"))
    po.append(polib.POEntry(msgid="Empty", msgstr=""))
    po.append(polib.POEntry(msgid="Unsure", msgstr="Ansicr", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="%(n)s hour", msgid_plural="%(n)s hours", msgstr_plural={0: "%(n)s awr", 1: ""}))
    path = tmp_path / "locale" / "xx" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po.save(str(path))
    monkeypatch.setattr(translations, "BASE_DIR", tmp_path)
    wanted = [
        Message("Done"),
        Message("Empty"),
        Message("Unsure"),
        Message("Absent"),
        Message("%(n)s hour", "%(n)s hours"),
    ]
    missing = translations.untranslated(wanted, language="xx")
    assert [m.msgid for m in missing] == ["Empty", "Unsure", "Absent", "%(n)s hour"]


def test_fill_flags_each_draft_for_review_and_keeps_a_translators_work(tmp_path, monkeypatch):
    path = tmp_path / "locale" / "xx" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Hello", msgstr=""))
    po.append(polib.POEntry(msgid="Thanks", msgstr="Diolch yn fawr"))
    po.save(str(path))
    draft = polib.POFile()
    draft.append(polib.POEntry(msgid="Hello", msgstr="Helo"))
    draft.append(polib.POEntry(msgid="Thanks", msgstr="Diolch"))
    draft.save(str(tmp_path / "draft.po"))
    monkeypatch.setattr(translations, "BASE_DIR", tmp_path)

    assert translations.fill_from_drafts([tmp_path / "draft.po"], language="xx") == 1

    entries = {e.msgid: e for e in polib.pofile(str(path))}
    assert entries["Hello"].msgstr == "Helo"
    assert translations.DRAFT_COMMENT in entries["Hello"].tcomment
    assert entries["Thanks"].msgstr == "Diolch yn fawr"  # a person's translation is never replaced


@pytest.mark.parametrize(
    ("source", "staff"),
    [
        ("templates/timebank/accounts/my_hours.html", False),
        ("templates/timebank/members/applications.html", True),
        ("templates/assets/coordinator_feeds.html", True),
        ("templates/assets/directory.html", False),
        ("brokering/views.py:12", True),
        ("timebank/forms/members.py:40", False),
    ],
)
def test_staff_only_sources_are_known(source, staff):
    assert translations.is_staff_source(source) is staff
