"""Keep the Spanish catalogue in step: extract messages, merge them into es/messages.po, compile the .mo.

python scripts/translate.py            # extract + update + compile
python scripts/translate.py --check    # fail if a message has no Spanish or the .mo is stale (the tests do this)
python scripts/translate.py --fill F   # merge translations from a Python file defining ES = {msgid: msgstr}
"""

from __future__ import annotations

import argparse
import io
import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "portal" / "locale"
LANGS = ["es"]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(project="Utility Portal", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str, template: Catalog) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="Utility Portal", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    return catalog


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def save(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, omit_header=False, no_location=True, sort_output=True, ignore_obsolete=True, width=120)
    path.with_suffix(".mo").write_bytes(mo_bytes(catalog))


def missing(catalog: Catalog) -> list[object]:
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out.append(message.id)
    return out


def check() -> list[str]:
    """Problems that would show a resident English on a Spanish page."""
    template = extract()
    problems = []
    for lang in LANGS:
        catalog = load(lang, template)
        for msgid in missing(catalog):
            problems.append(f"{lang}: no translation for {msgid!r}")
        mo = po_path(lang).with_suffix(".mo")
        with open(po_path(lang), "rb") as fh:
            on_disk = read_po(fh, locale=lang)
        if not mo.exists() or mo.read_bytes() != mo_bytes(on_disk):
            problems.append(f"{lang}: messages.mo is not compiled from messages.po (run scripts/translate.py)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--fill", type=Path)
    args = parser.parse_args()
    if args.check:
        problems = check()
        print("\n".join(problems) or "translations complete")
        return 1 if problems else 0
    template = extract()
    for lang in LANGS:
        catalog = load(lang, template)
        if args.fill:
            table = runpy.run_path(str(args.fill))[lang.upper()]
            for message in catalog:
                if message.id in table:
                    message.string = table[message.id]
                    message.flags.discard("fuzzy")
        save(lang, catalog)
        left = missing(catalog)
        print(f"{lang}: {len(catalog)} messages, {len(left)} without translation")
        for msgid in left:
            print(f"  - {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
