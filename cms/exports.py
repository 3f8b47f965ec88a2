"""Tables downloaded as files: CSV (UTF-8 with a BOM, so Excel reads the Chinese) and XLSX
(openpyxl). A table is its header row and its rows of plain values."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def csv_text(head: Sequence, rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


def xlsx_bytes(head: Sequence, rows: Iterable[Sequence], sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]  # Excel's limit on a sheet name
    ws.append(list(head))
    for row in rows:
        ws.append([str(c) if isinstance(c, float) else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
