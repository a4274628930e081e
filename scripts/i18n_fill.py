"""Fill translations from JSON files into the .po catalogues (run by the lead after makemessages).

Usage: .venv-tools/bin/python scripts/i18n_fill.py docs/i18n-pending/*.json
Each file is a list of {"msgid", "it", "fr", "es"} (plurals: "msgid_plural" and lists; a
"msgctxt" when the msgid has a context).
Entries already translated are overwritten; fuzzy flags on filled entries are removed."""

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[str]) -> None:
    rows = []
    for path in paths:
        rows += json.loads(Path(path).read_text())
    by_id = {(row.get("msgctxt"), row["msgid"]): row for row in rows}
    for language in ("it", "fr", "es", "en"):
        po_path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
        po = polib.pofile(str(po_path), wrapwidth=100)
        filled = missing = 0
        for entry in po:
            row = by_id.get((entry.msgctxt, entry.msgid))
            if row is None:
                if not entry.translated() and language != "en" and not entry.obsolete:
                    missing += 1
                continue
            if language == "en":
                continue
            value = row.get(language)
            if value is None:
                continue
            if entry.msgid_plural:
                values = value if isinstance(value, list) else [value, value]
                entry.msgstr_plural = {i: v for i, v in enumerate(values)}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            # The "#|" lines of a former fuzzy match: stale once the entry is translated.
            entry.previous_msgid = entry.previous_msgctxt = entry.previous_msgid_plural = None
            filled += 1
        po.save()
        print(f"{language}: filled {filled}, still untranslated {missing}")


if __name__ == "__main__":
    main(sys.argv[1:])
