"""Every Swedish string follows docs/glossary.md: no forbidden synonyms, one translation
per English string across all catalogues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webapp import create_app
from webapp.i18n import catalogue_paths

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
#: Placeholders and addresses are not Swedish words: "%(email)s" is not "email".
_NOT_WORDS = re.compile(r"%\(\w+\)s|https?://\S+|<[^>]+>")


def forbidden_terms() -> dict[str, re.Pattern[str]]:
    """Forbidden term → whole-word pattern, from the glossary's table (column 3)."""
    terms = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("English", "---"):
            continue
        for term in filter(None, (t.strip() for t in cells[2].split(","))):
            stem = re.escape(term.rstrip("*")).replace(r"\ ", r"\s+")
            tail = r"\w*" if term.endswith("*") else ""
            terms[term] = re.compile(rf"(?<!\w){stem}{tail}(?!\w)", re.IGNORECASE)
    return terms


def violations(text: str, terms: dict[str, re.Pattern[str]]) -> list[str]:
    words = _NOT_WORDS.sub(" ", text)
    return [term for term, pattern in terms.items() if pattern.search(words)]


def _catalogues() -> list[Path]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return catalogue_paths(app)


def _messages():
    for path in _catalogues():
        with path.open("rb") as po_file:
            for message in read_po(po_file):
                if message.id:
                    yield path.relative_to(ROOT), message


def test_the_glossary_lists_forbidden_terms():
    terms = forbidden_terms()
    assert {"reservlist*", "struket", "pass", "registrering"} <= set(terms)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("På reservlistan", ["reservlist*"]),
        ("Bokningen är struken.", ["struken"]),
        ("Lägg till ett pass", ["pass"]),
        ("Skriv %(email)s här", []),  # a placeholder is not a word
        ("Det passar bra", []),  # whole words only
        ("Du står på väntelistan.", []),
    ],
)
def test_the_check_finds_forbidden_words_and_only_those(text, found):
    assert violations(text, forbidden_terms()) == found


def test_every_swedish_string_uses_the_glossary_terms():
    terms = forbidden_terms()
    bad = []
    for path, message in _messages():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in filter(None, strings):
            for term in violations(text, terms):
                bad.append(f"  {path}: {message.id!r} → {text!r} uses {term!r}")
    assert not bad, "Swedish strings against docs/glossary.md:\n" + "\n".join(bad)


def test_one_english_string_has_one_swedish_translation_in_all_catalogues():
    seen: dict[tuple[str | None, object], tuple[Path, object]] = {}
    clashes = []
    for path, message in _messages():
        if not message.string or (isinstance(message.string, tuple) and not all(message.string)):
            continue
        key = (message.context, message.id)  # a plural entry is its own message
        if key in seen and seen[key][1] != message.string:
            clashes.append(f"  {message.id!r}: {seen[key]} vs {(path, message.string)}")
        seen.setdefault(key, (path, message.string))
    assert not clashes, "Translated differently in different catalogues:\n" + "\n".join(clashes)
