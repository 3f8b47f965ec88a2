"""Chinese labels for stored codes (states, kinds), shown through the `label` template filter."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "active": _l("active"),
    "suspended": _l("locked"),
    "departed": _l("departed"),
    "group": _l("Group company"),
    "subsidiary": _l("Subsidiary"),
    "department": _l("Department"),
}


def label(code: str) -> str:
    return str(LABELS.get(code, code))
