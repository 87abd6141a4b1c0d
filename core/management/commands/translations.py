"""`manage.py translations …`: the catalogue's tools (core/translations.py,
docs/translating.md). Needs no gettext; `make messages` (Django's
makemessages, which does) refreshes the catalogue from the code first.

  compile            locale/*/LC_MESSAGES/django.po -> .mo (`--force` for all)
  check              messages people see that have no Welsh (exit 1 if any)
  unmarked [FILE …]  English in templates outside translate tags (exit 1 if any)
  skeleton FILE …    a draft .po of the messages in these source files
  fill DRAFT …       copy drafted translations into the catalogue, flagged for review
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core import translations


def _po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


class Command(BaseCommand):
    help = "Compile and check the translation catalogue (docs/translating.md)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["compile", "check", "unmarked", "skeleton", "fill"])
        parser.add_argument("files", nargs="*")
        parser.add_argument("--force", action="store_true", help="compile every catalogue, not only changed ones")
        parser.add_argument("--all", action="store_true", help="check: staff pages' messages too")

    def handle(self, *args, action, files, force, all, **options):
        if action == "compile":
            for path in translations.compile_catalogues(force=force):
                self.stdout.write(f"compiled {path.relative_to(translations.BASE_DIR)}")
        elif action == "check":
            messages = [m for m in translations.all_messages() if all or not translations.is_staff_source(m.source)]
            missing = translations.untranslated(messages)
            for message in missing:
                self.stdout.write(f"{message.source}: {message.msgid!r}")
            if missing:
                raise CommandError(f"{len(missing)} messages have no Welsh (or a fuzzy one)")
            self.stdout.write(f"all {len({m.key for m in messages})} messages have Welsh")
        elif action == "unmarked":
            paths = [Path(f).resolve() for f in files] or None
            found = translations.unmarked_text(paths)
            for item in found:
                self.stdout.write(f"{item.source}:{item.line}: {item.text[:120]}")
            if found:
                raise CommandError(f"{len(found)} pieces of English are not marked for translation")
        elif action == "skeleton":
            self._skeleton([Path(f).resolve() for f in files])
        elif action == "fill":
            count = translations.fill_from_drafts([Path(f) for f in files])
            self.stdout.write(f"filled {count} entries (flagged: {translations.DRAFT_COMMENT})")

    def _skeleton(self, paths):
        templates = [p for p in paths if p.suffix in (".html", ".txt")]
        modules = [p for p in paths if p.suffix == ".py"]
        seen = set()
        out = sys.stdout
        for message in [*translations.template_messages(templates), *translations.python_messages(modules)]:
            if message.key in seen:
                continue
            seen.add(message.key)
            out.write(f"#: {message.source}\n")
            if message.context:
                out.write(f"msgctxt {_po_string(message.context)}\n")
            out.write(f"msgid {_po_string(message.msgid)}\n")
            if message.plural:
                out.write(f"msgid_plural {_po_string(message.plural)}\n")
                for index in range(6):
                    out.write(f'msgstr[{index}] ""\n')
            else:
                out.write('msgstr ""\n')
            out.write("\n")
