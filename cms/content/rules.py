"""Pure content rules: plain values in, a refusal (msgid) or None out."""
from __future__ import annotations


def N_(s: str) -> str:  # marks a msgid for extraction; translated where it is shown
    return s


def confidential_change(was: bool, wants: bool, may_clear: bool) -> str | None:
    """C5: anyone may mark a post confidential; only the platform supervisor clears the flag."""
    if was and not wants and not may_clear:
        return N_("Only the platform supervisor clears the confidential flag (C5).")
    return None


def publishing_blockers(confidential: bool) -> list[str]:
    """Policy IDs that hold a post back from final approval and publishing, whatever its chain says."""
    return ["C5"] if confidential else []
