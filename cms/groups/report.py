"""G12: the monthly assessment as CSV and XLSX (cms/exports.py)."""
from __future__ import annotations

from flask_babel import gettext as _

from cms import exports
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
    table = _table(rows)
    return exports.csv_text(table[0], table[1:]).encode("utf-8")


def xlsx_bytes(rows: list[dict], sheet: str = "Assessment") -> bytes:
    table = _table(rows)
    return exports.xlsx_bytes(table[0], table[1:], sheet)
