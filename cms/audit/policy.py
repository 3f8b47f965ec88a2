"""The audit trail's policy (U7): who reads it. audit.read is held only globally (the auditor, the
system administrator: ROLE_SCOPES), so the trail is read whole or not at all, and nobody edits it.
Pure of Flask globals: every function takes the acting user."""
from __future__ import annotations

import sys

from cms.audit.models import AuditEntry
from cms.permissions import policy_for


def can_read_trail(user) -> bool:
    return bool(user.is_active and user.has_global_permission("audit.read"))


def can_view(user, entry: AuditEntry) -> bool:
    return can_read_trail(user)


def can_edit(user, entry: AuditEntry) -> bool:  # U7: append-only
    return False


policy_for(AuditEntry, sys.modules[__name__])
