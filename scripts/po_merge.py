"""Git merge driver for gettext catalogues: the union of both sides' messages (no conflict markers in a .po).

    git config merge.po-union.driver "python3 scripts/po_merge.py %O %A %B"   # .gitattributes names it

Each side keeps its translations; a message only one side has is added; where both translated it differently, ours
wins. After a merge, `python scripts/translate.py` re-extracts, drops messages no longer used and recompiles the .mo.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def main(_base: str, ours: str, theirs: str) -> int:
    with open(ours, "rb") as fh:
        merged = read_po(fh)
    with open(theirs, "rb") as fh:
        other = read_po(fh)
    for message in other:
        if not message.id:
            continue
        mine = merged.get(message.id, message.context)
        if mine is None:
            merged[message.id] = message
        elif not mine.string and message.string:
            mine.string = message.string
    with open(ours, "wb") as fh:
        write_po(fh, merged, omit_header=False, no_location=True, sort_output=True, ignore_obsolete=True, width=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
