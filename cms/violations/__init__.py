"""The violations register (G10 U8): violations in work groups and elsewhere recorded, confirmed
or dismissed, handled with one of U8's penalties and reported to legal, every step audited.

    rules.py       states, transitions, categories (C15's keys), handlings, amounts in fen
    models.py      Violation, Evidence
    policy.py      can_view / can_confirm / can_dismiss / can_handle / can_report / can_add_evidence
    operations.py  propose (for other features: G11), record_violation, confirm, dismiss, handle,
                   report_to_legal, add_evidence
    queries.py     the register a user may see, one record, one file
    views.py       /violations
"""
