"""Chinese labels for stored codes (states, kinds), shown through the `label` template filter."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "active": _l("active"),
    "suspended": _l("locked"),
    "departed": _l("departed"),
    "group": _l("Group company"),
    "subsidiary": _l("Subsidiary"),
    "department": _l("Department"),
    # review chains: timeline actions, how a step found its holders, submission states
    "wf_submit": _l("submitted"),
    "wf_approve": _l("approved"),
    "wf_reject": _l("rejected"),
    "wf_edit": _l("edited at the step"),
    "wf_withdraw": _l("withdrew"),
    "wf_correct": _l("took the published post down for correction"),
    "wf_restart": _l("restarted the chain"),
    "wf_reassign": _l("reassigned the step"),
    "wf_route": _l("routed the step"),
    "wf_role": _l("by role"),
    "wf_deputy": _l("to the holder's deputy (the holder wrote the post)"),
    "wf_next_level": _l("one level up (the holder wrote the post and has no deputy)"),
    "wf_unassigned": _l("nobody: an administrator must reassign"),
    "wf_reassigned": _l("reassigned by an administrator"),
    "wf_active": _l("in review"),
    "wf_approved": _l("approved"),
    "wf_rejected": _l("rejected"),
    "wf_withdrawn": _l("withdrawn"),
    "wf_corrected": _l("taken down for correction"),
    # channel platforms (cms/channels/forms.py LABELS["platform"] says the same)
    "platform_wechat": _l("WeChat official account"),
    "platform_toutiao": _l("Toutiao-style account"),
    "platform_website": _l("Website"),
}


def label(code: str) -> str:
    return str(LABELS.get(code, code))
