"""Both languages are complete: every string the code and templates show has Swedish."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from webapp import create_app
from webapp.i18n import catalogue_paths

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}
METHODS = [
    ("webapp/**.py", "python"),
    ("webapp/templates/**.html", "jinja2"),
    ("webapp/templates/**.txt", "jinja2"),
]


def _source_messages() -> dict[tuple[str | None, str], str]:
    """(context, msgid) → where it is used, for every translatable string in webapp/."""
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"**.html": {}, "**.txt": {}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), filename)
    return found


def _swedish() -> dict[tuple[str | None, str], object]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    merged: dict[str, object] = {}
    for path in catalogue_paths(app):
        with path.open("rb") as po_file:
            for message in read_po(po_file):
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                translated = (
                    all(message.string) if isinstance(message.string, tuple) else message.string
                )
                if msgid and translated and not message.fuzzy:
                    merged.setdefault((message.context, msgid), message.string)
    return merged


def test_every_string_has_a_swedish_translation():
    swedish = _swedish()
    missing = {msgid: where for msgid, where in _source_messages().items() if msgid not in swedish}
    assert not missing, "Untranslated strings (msgid: file):\n" + "\n".join(
        f"  {m!r}: {w}" for m, w in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\(\w+\)s")
    for (_context, msgid), string in _swedish().items():
        strings = string if isinstance(string, tuple) else (string,)
        for s in strings:
            assert set(placeholder.findall(s)) <= set(placeholder.findall(msgid)) | {"%(num)s"}, (
                msgid,
                s,
            )
