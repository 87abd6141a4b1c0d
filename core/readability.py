"""How easy a text is to read: the Flesch reading ease score, for the
easy-read pages (issue 18 asks for 80 or more on their main text).

    score = 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words)

100 is very easy, 60 is plain English, below 30 is hard. English only: the
syllable counter is a plain set of rules about English spelling, good
enough to compare pages, not a dictionary.

- `syllables(word)`: the syllables of one English word (at least 1).
- `flesch_reading_ease(text)`: the score of a text. A sentence ends at
  . ! ? or at a line break, so headings and list items count as sentences.
- `main_text(html)`: the words a person reads in a page's <main>: form
  boxes (select, option, textarea, and anything with the class
  "er-control"), scripts and styles, and anything with the class "er-own"
  (people's own words: names, titles, notes) are left out; each block (paragraph, heading, list item …) is its own line.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_VOWELS = "aeiouy"
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,:]\d+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n+")
# Endings spelt with a vowel that is not said: "asked", "likes".
_SILENT_ED = re.compile(r"[^aeiouytd]ed$")
_SILENT_ES = re.compile(r"[^aeiouysxzgc]es$|[^aeiouy][^aeiouysxzgch]es$")


def syllables(word: str) -> int:
    """Syllables in one word, by counting groups of vowels and taking off
    the ones English does not say. A number counts one per digit, up to 3."""
    word = word.lower().replace("’", "").replace("'", "")
    if word.isdigit() or re.fullmatch(r"[\d.,:]+", word):
        return min(max(sum(c.isdigit() for c in word), 1), 3)
    word = re.sub(r"[^a-z]", "", word)
    if not word:
        return 0
    if len(word) <= 3:
        return 1
    count = 0
    previous_vowel = False
    for index, letter in enumerate(word):
        # A "y" at the start of a word is a consonant ("yes", "you").
        vowel = letter in _VOWELS and not (letter == "y" and index == 0)
        if vowel and not previous_vowel:
            count += 1
        previous_vowel = vowel
    if word.startswith(("coop", "coor")):
        count += 1  # "co-ordinate", "co-operate": two vowels said apart
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # "make", "time": the final e is silent
    elif word.endswith("le") and len(word) > 2 and word[-3] in _VOWELS and count > 1:
        count -= 1  # "mile", "whole": a silent e after a vowel and l
    elif (_SILENT_ED.search(word) or _SILENT_ES.search(word)) and count > 1:
        count -= 1
    return max(count, 1)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """The sentences of a text that have at least one word."""
    return [part for part in _SENTENCE_END.split(text) if words(part)]


def flesch_reading_ease(text: str) -> float:
    """The Flesch reading ease score of `text`; 0.0 for a text with no words."""
    all_words = words(text)
    if not all_words:
        return 0.0
    sentence_count = max(len(sentences(text)), 1)
    syllable_count = sum(syllables(word) for word in all_words)
    return 206.835 - 1.015 * (len(all_words) / sentence_count) - 84.6 * (syllable_count / len(all_words))


_SKIPPED = {"script", "style", "select", "option", "textarea", "template", "noscript"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCKS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "label", "legend", "button",
    "tr", "td", "th", "caption", "section", "form", "fieldset", "br", "ul", "ol", "dl", "table",
}  # fmt: skip


class _MainText(HTMLParser):
    def __init__(self, skip_classes: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.skip_classes = set(skip_classes)
        self.in_main = 0
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "main":
            self.in_main += 1
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in _VOID:
            return
        classes = (attributes.get("class") or "").split()
        self.stack.append((tag, tag in _SKIPPED or not self.skip_classes.isdisjoint(classes)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "main":
            self.in_main -= 1

    def handle_data(self, data):
        if self.in_main and not self._skipping():
            self.parts.append(data)


# People's own words (names, titles, notes) and form boxes with their choices.
SKIP_CLASSES = ("er-own", "er-control")


def main_text(html: str, *, skip_classes: tuple[str, ...] = SKIP_CLASSES) -> str:
    """The text a person reads in the page's <main>, one block a line."""
    parser = _MainText(skip_classes)
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
