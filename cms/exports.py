"""Tables downloaded as files: CSV (UTF-8 with a BOM, so Excel reads the Chinese) and XLSX
(openpyxl). A table is its header row and its rows of plain values.

Every text cell goes through `safe_cell`: a cell a user may have typed that starts with = + - @
(or a tab / carriage return) would be run by Excel as a formula (=HYPERLINK(...), =cmd|...), so it
is prefixed with an apostrophe and shown as text. Every CSV/XLSX export in cms/ writes through
`csv_text`/`write_csv`/`xlsx_bytes` here (tests/test_hostile_siblings.py checks it)."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")  # "-5.00" stays a number


def safe_cell(value):
    """A text cell Excel would read as a formula gets a leading apostrophe; other values as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(out, head: Sequence, rows: Iterable[Sequence]) -> None:
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in head])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])


def csv_text(head: Sequence, rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    write_csv(out, head, rows)
    return "\ufeff" + out.getvalue()


def xlsx_bytes(head: Sequence, rows: Iterable[Sequence], sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]  # Excel's limit on a sheet name
    ws.append([safe_cell(c) for c in head])
    for row in rows:
        # openpyxl stores a string starting with "=" as a formula: safe_cell keeps it text
        ws.append([str(c) if isinstance(c, float) else safe_cell(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
