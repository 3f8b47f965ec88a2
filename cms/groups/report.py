"""G12: the monthly assessment as CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX.

The XLSX is written with the standard library (zipfile and the SpreadsheetML parts a workbook
needs: one sheet of inline strings and numbers), so no spreadsheet dependency is added."""
from __future__ import annotations

import csv
import io
import zipfile
from xml.sax.saxutils import escape

from flask_babel import gettext as _

from cms.groups.queries import ASSESSMENT_COLUMNS


def headers() -> list[str]:
    labels = {
        "owner": _("Owner"), "department": _("Department"), "group": _("Group"),
        "removals_on_time": _("Removals on time (G6)"), "removals_late": _("Removals late (G6)"),
        "removals_open": _("Removals open"), "acks": _("Acknowledged"), "acks_expected": _("Acknowledgements asked"),
        "ack_rate": _("Acknowledgement rate (G11)"), "penalties": _("Penalties proposed"),
        "penalty_fen": _("Penalties proposed (fen)"),
    }
    return [labels[c] for c in ASSESSMENT_COLUMNS]


def _table(rows: list[dict]) -> list[list]:
    return [headers()] + [[row[c] for c in ASSESSMENT_COLUMNS] for row in rows]


def csv_bytes(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for line in _table(rows):
        writer.writerow(line)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def xlsx_bytes(rows: list[dict], sheet: str = "Assessment") -> bytes:
    lines = []
    for r, line in enumerate(_table(rows), start=1):
        cells = "".join(_cell(f"{_column(c)}{r}", v) for c, v in enumerate(line))
        lines.append(f'<row r="{r}">{cells}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {ns} xmlns:r="{rel_ns}">'
            f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel_ns}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {ns}>'
            f'<sheetData>{"".join(lines)}</sheetData></worksheet>'),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return buf.getvalue()
