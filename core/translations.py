"""The translation catalogue's own tools, in Python only (no gettext needed):

- `compile_catalogues()`: every locale/<lang>/LC_MESSAGES/django.po to .mo
  (what `make run` and the tests use; CI also checks with Debian's msgfmt);
- `template_messages()` / `python_messages()`: the messages the code marks,
  read the way Django reads them, so a test can say which are not translated;
- `unmarked_text()`: English left unmarked in a template;
- `fill_from_drafts()`: put drafted translations into the catalogue, each
  flagged in its comments as needing review by a speaker of the language.

docs/translating.md says how a translator uses them.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATE_DIR = BASE_DIR / "templates"
PYTHON_PACKAGES = ("config", "core", "timebank", "assets", "referrals", "coproduction", "brokering", "privacy", "api")
# The comment a drafted (not yet human-checked) translation carries.
DRAFT_COMMENT = "machine-drafted: needs review by a Welsh speaker"

# Pages only coordinators, network administrators and Django's admin see:
# their strings are marked for translation, and their Welsh may follow
# (issue 18). Everything else a person can see must be in Welsh.
STAFF_TEMPLATES = (
    "assessment/*",
    "assets/coordinator_*",
    "assets/_feed_report.html",
    "assets/_directory_form.html",
    "brokering/_*",
    "brokering/funder_summary.html",
    "brokering/incidents.html",
    "brokering/report_*",
    "brokering/request_suggestions.html",
    "brokering/safeguarding*",
    "brokering/workbench.html",
    "drf_spectacular/*",
    "involvement/claim_review.html",
    "involvement/claims_list.html",
    "involvement/expenses_report.html",
    "involvement/manage*",
    "involvement/opportunity_form.html",
    "privacy/member_erase.html",
    "timebank/accounts/coordinator_give.html",
    "timebank/accounts/pot.html",
    "timebank/accounts/reverse.html",
    "timebank/exchanges/disputes.html",
    "timebank/exchanges/record_for_members.html",
    "timebank/exchanges/resolve.html",
    "timebank/listings/categories.html",
    "timebank/listings/category_form.html",
    "timebank/members/applications.html",
    "timebank/members/coordinator_dashboard.html",
    "timebank/members/member.html",
    "timebank/members/member_add.html",
    "timebank/members/member_edit.html",
    "timebank/members/members.html",
    "timebank/timebanks/*",
    "voice/idea_respond.html",
    "voice/report.html",
    "emails/brokering/safeguarding_reminder*",
    "emails/exchange_limit_refused_coordinator.txt",
)
STAFF_PYTHON = (
    "brokering/*",
    "coproduction/assessment/*",
    "privacy/services*",
    "timebank/admin.py",
    "timebank/management/*",
    "core/management/*",
    "config/*",
)


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str = ""
    context: str = ""
    source: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.context, self.msgid)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(BASE_DIR))
    except ValueError:
        return str(path)  # a file outside the project (the checks' own tests)


def is_staff_source(source: str) -> bool:
    """Whether a message's source (templates/x.html or app/module.py) is seen by staff only."""
    source = source.split(":")[0]
    if source.startswith("templates/"):
        name = source[len("templates/") :]
        return any(_glob(name, pattern) for pattern in STAFF_TEMPLATES)
    return any(_glob(source, pattern) for pattern in STAFF_PYTHON)


def _glob(name: str, pattern: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*")
    return re.fullmatch(regex, name) is not None


# --- Templates -------------------------------------------------------------------------------


def template_files() -> list[Path]:
    files = sorted(p for p in TEMPLATE_DIR.rglob("*") if p.suffix in (".html", ".txt") and p.is_file())
    return files


def _compile(path: Path):
    from django.template import engines

    engine = engines["django"].engine  # type: ignore[attr-defined]
    return engine.from_string(path.read_text(encoding="utf-8"))


def template_messages(paths: Iterable[Path] | None = None) -> Iterator[Message]:
    """Every `{% translate %}` and `{% blocktranslate %}` message, as Django
    will look it up (blocktranslate's variables as %(name)s, `trimmed` applied)."""
    from django.templatetags.i18n import BlockTranslateNode, TranslateNode
    from django.utils.translation import trim_whitespace

    for path in paths if paths is not None else template_files():
        template = _compile(path)
        source = _relative(path)
        for node in template.nodelist.get_nodes_by_type(TranslateNode):
            var = node.filter_expression.var
            literal = getattr(var, "literal", None)
            if not isinstance(literal, str):
                continue  # {% translate some_variable %}: the text comes from elsewhere
            context = _literal(node.message_context)
            yield Message(str(literal), context=context, source=source)
        for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
            singular, _ = node.render_token_list(node.singular)
            plural = ""
            if node.plural:
                plural, _ = node.render_token_list(node.plural)
            if node.trimmed:
                singular = trim_whitespace(singular)
                plural = trim_whitespace(plural) if plural else ""
            yield Message(singular, plural=plural, context=_literal(node.message_context), source=source)


def _literal(expression) -> str:
    if expression is None:
        return ""
    var = expression.var
    literal = getattr(var, "literal", var)
    return str(literal) if isinstance(literal, str) else ""


# --- Python --------------------------------------------------------------------------------

_SINGULAR = {"gettext", "gettext_lazy", "_", "gettext_noop", "_lazy"}
_PLURAL = {"ngettext", "ngettext_lazy"}
_CONTEXT = {"pgettext", "pgettext_lazy"}
_CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}


def python_files() -> list[Path]:
    files = []
    for package in PYTHON_PACKAGES:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            files.append(path)
    return files


def python_messages(paths: Iterable[Path] | None = None) -> Iterator[Message]:
    """Every string literal passed to gettext and friends, as xgettext reads them."""
    for path in paths if paths is not None else python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        source = _relative(path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            strings: list[str] = []
            for argument in node.args:  # the leading string literals only
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    break
                strings.append(argument.value)
            where = f"{source}:{node.lineno}"
            if name in _SINGULAR and len(strings) >= 1:
                yield Message(strings[0], source=where)
            elif name in _PLURAL and len(strings) >= 2:
                yield Message(strings[0], plural=strings[1], source=where)
            elif name in _CONTEXT and len(strings) >= 2:
                yield Message(strings[1], context=strings[0], source=where)
            elif name in _CONTEXT_PLURAL and len(strings) >= 3:
                yield Message(strings[1], plural=strings[2], context=strings[0], source=where)


def all_messages() -> list[Message]:
    return [*template_messages(), *python_messages()]


# --- The catalogue ------------------------------------------------------------------------------


def catalogue_path(language: str = "cy") -> Path:
    return BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"


def _polib():
    import polib

    return polib


def untranslated(messages: Iterable[Message], language: str = "cy") -> list[Message]:
    """The messages the catalogue lacks, leaves empty, or marks fuzzy."""
    catalogue = _polib().pofile(str(catalogue_path(language)))
    entries = {(e.msgctxt or "", e.msgid): e for e in catalogue if not e.obsolete}
    missing = []
    seen = set()
    for message in messages:
        if message.key in seen:
            continue
        seen.add(message.key)
        entry = entries.get(message.key)
        if entry is None or "fuzzy" in entry.flags:
            missing.append(message)
        elif message.plural:
            forms = entry.msgstr_plural
            if len(forms) < _plural_count(catalogue) or not all(forms.values()):
                missing.append(message)
        elif not entry.msgstr:
            missing.append(message)
    return missing


def compile_catalogues(*, force: bool = False) -> list[Path]:
    """Compile each django.po that is newer than its .mo; return what was written."""
    written = []
    for po_path in sorted((BASE_DIR / "locale").glob("*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        # Written beside and moved into place: a process reading the catalogue
        # (another test worker, a running server) never sees half a file.
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        _polib().pofile(str(po_path)).save_as_mofile(str(partial))
        os.replace(partial, mo_path)
        written.append(mo_path)
    return written


def fill_from_drafts(drafts: Iterable[Path], language: str = "cy") -> int:
    """Copy translations from draft .po files into the catalogue where its
    entry is empty, flagging each as drafted for review. Returns how many."""
    polib = _polib()
    catalogue = polib.pofile(str(catalogue_path(language)))
    drafted: dict[tuple[str, str], Any] = {}
    for path in drafts:
        for entry in polib.pofile(str(path)):
            if entry.msgstr or any(entry.msgstr_plural.values()):
                drafted.setdefault((entry.msgctxt or "", entry.msgid), entry)
    filled = 0
    for entry in catalogue:
        draft = drafted.get((entry.msgctxt or "", entry.msgid))
        if draft is None:
            continue
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            empty = len(forms) < _plural_count(catalogue) or not all(forms.values())
        else:
            empty = not entry.msgstr
        if not empty and "fuzzy" not in entry.flags:
            continue
        if entry.msgid_plural:
            if not draft.msgstr_plural:
                continue
            entry.msgstr_plural = {int(k): v for k, v in draft.msgstr_plural.items()}
        else:
            if not draft.msgstr:
                continue
            entry.msgstr = draft.msgstr
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
        entry.previous_msgctxt = None
        if DRAFT_COMMENT not in (entry.tcomment or ""):
            entry.tcomment = "\n".join(filter(None, [entry.tcomment, DRAFT_COMMENT]))
        filled += 1
    catalogue.save()
    return filled


def _plural_count(catalogue) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


# --- Unmarked English in templates ------------------------------------------------------------

# Words that are the same in every language here: names and abbreviations.
UNTRANSLATED_WORDS = frozenset(
    {"TimeCommons", "NHS", "BSL", "CSV", "PDF", "FHIR", "SNOMED", "ORUK", "API", "JSON", "GP", "OK", "TLAP"}
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "aria-description", "aria-roledescription")
_SKIP_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_HOLE = "\x01"


@dataclass(frozen=True)
class Unmarked:
    source: str
    line: int
    text: str


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in UNTRANSLATED_WORDS]


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skip = tag in _SKIP_ELEMENTS or attributes.get("translate") == "no"
        if not self._skipping() and not skip:
            for name in _ATTRIBUTES:
                value = attributes.get(name)
                if value and _words(value):
                    self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))
        if tag not in _VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        attributes = dict(attrs)
        if not self._skipping() and attributes.get("translate") != "no":
            for name in _ATTRIBUTES:
                value = attributes.get(name)
                if value and _words(value):
                    self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self._skipping():
            return
        if _words(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def _holes(path: Path) -> str:
    """The template's text with every template tag, variable and translated
    block replaced by a hole (newlines kept, so lines still match)."""
    from django.template.base import Lexer, TokenType

    text = path.read_text(encoding="utf-8")
    out = []
    depth = []  # open blocks whose contents are not page text
    for token in Lexer(text).tokenize():
        newlines = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            command = token.contents.split()[0] if token.contents.split() else ""
            if command in ("blocktranslate", "blocktrans", "comment"):
                depth.append(command)
            elif command in ("endblocktranslate", "endblocktrans", "endcomment") and depth:
                depth.pop()
            out.append(_HOLE + newlines)
        elif token.token_type == TokenType.TEXT:
            out.append(newlines if depth else token.contents)
        else:
            out.append(_HOLE + newlines)
    return "".join(out)


def unmarked_text(paths: Iterable[Path] | None = None) -> list[Unmarked]:
    """English words in templates outside translate tags: page text and the
    alt, title, aria-label and placeholder attributes. Text inside script,
    style, code and pre, or in an element with translate="no", is left alone.
    E-mail (.txt) templates count every line of text."""
    found = []
    for path in paths if paths is not None else template_files():
        source = _relative(path)
        text = _holes(path)
        if path.suffix == ".txt":
            for number, line in enumerate(text.splitlines(), start=1):
                if _words(line.replace(_HOLE, " ")):
                    found.append(Unmarked(source, number, line.replace(_HOLE, "…").strip()))
            continue
        finder = _Finder()
        finder.feed(text)
        finder.close()
        found.extend(Unmarked(source, line, value.replace(_HOLE, "…")) for line, value in finder.found)
    return found
