"""Issue 18, hostile input kept up: the page scanner of tests/hostile.py catches what it must (so the
sibling tests that use it mean something), and every CSV/XLSX export neutralises formula cells in one
place (cms/exports.py). The per-sibling tests are tests/<sibling>/test_hostile.py."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from cms import exports
from tests.articles.xss_vectors import HTML_VECTORS
from tests.hostile import scan

CMS = Path(__file__).resolve().parents[1] / "cms"


@pytest.mark.parametrize("raw", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                                 '<a href=" JaVaScRiPt:alert(1)">x</a>', "<iframe src=//x></iframe>",
                                 '<svg onload=alert(1)>', '<div style="width:expression(alert(1))">'])
def test_the_scanner_sees_markup_that_runs(raw):
    assert scan(f"<p>{raw}</p>")[0]


def test_the_scanner_takes_escaped_text_and_form_values_as_text():
    from markupsafe import escape

    for _, vector in HTML_VECTORS:
        page = (f"<p>{escape(vector)}</p><input value=\"{escape(vector)}\">"
                f"<textarea>{escape(vector)}</textarea>")
        problems, text = scan(page)
        assert not problems, (vector, problems)


@pytest.mark.parametrize(("cell", "out"), [
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("-5.00", "-5.00"), ("+86", "+86"), ("正常文本", "正常文本"), (-3, -3), (None, None),
])
def test_a_formula_cell_is_made_text(cell, out):
    assert exports.safe_cell(cell) == out


def test_csv_and_xlsx_exports_write_formulas_as_text():
    text = exports.csv_text(["=head"], [["=1+1", "ok", 5]])
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["'=head"], ["'=1+1", "ok", "5"]]
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(exports.xlsx_bytes(["h"], [["=1+1", 2]]))).active
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s" and ws["B2"].value == 2


def test_every_csv_export_goes_through_cms_exports():
    """No csv.writer of its own: a new export that forgets the neutralisation is caught here."""
    offenders = [str(p.relative_to(CMS)) for p in CMS.rglob("*.py") if p.name != "exports.py"
                 and re.search(r"\bcsv\.(writer|DictWriter)\b|openpyxl", p.read_text())]
    assert not offenders, offenders
