"""Review chain templates and the rules that pick one for a post (C4): what administrators edit."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from cms.audit.service import record
from cms.channels.models import Channel
from cms.content.models import Post
from cms.errors import NotFound, Refused
from cms.extensions import db
from cms.transactions import operation
from cms.workflow import engine
from cms.workflow.models import (
    WorkflowRule,
    WorkflowTemplate,
    WorkflowVersion,
)


def ensure_templates() -> None:
    """The three chain shapes of the seeds (C7) and the default rule, when missing."""
    for key, (name, steps) in engine.TEMPLATES.items():
        if db.session.scalar(select(WorkflowTemplate.id).where(WorkflowTemplate.key == key)):
            continue
        t = WorkflowTemplate(key=key, name=_(name))
        db.session.add(t)
        db.session.flush()
        db.session.add(WorkflowVersion(template_id=t.id, number=1, steps=[s.to_dict() for s in steps],
                                       note=_("Shipped with the product (C7).")))
    if not db.session.scalar(select(WorkflowRule.id).where(WorkflowRule.channel_id.is_(None),
                                                           WorkflowRule.category.is_(None))):
        full = db.session.scalar(select(WorkflowTemplate).where(WorkflowTemplate.key == "full"))
        db.session.add(WorkflowRule(channel_id=None, category=None, template_id=full.id))
    db.session.commit()


def templates() -> list[WorkflowTemplate]:
    return db.session.scalars(select(WorkflowTemplate).order_by(WorkflowTemplate.id)).all()


def get_template(template_id: int) -> WorkflowTemplate:
    t = db.session.get(WorkflowTemplate, template_id)
    if t is None:
        raise NotFound(_("No such chain template."), code="not_found")
    return t


@operation
def save_template(user, template: WorkflowTemplate, steps: list[dict], note: str = "") -> WorkflowVersion:
    """An edit is a new immutable version; posts in flight keep theirs."""
    parsed, errors = engine.validate_steps(steps)
    if errors:
        messages = {str(i): [_(m) for m in ms] for i, ms in errors.items()}
        first = next(iter(errors.values()))[0]
        raise Refused(_(first), code="C4" if "C4" in first else "invalid", fields=messages)
    latest = template.latest
    if [s.to_dict() for s in parsed] == latest.steps:
        return latest
    v = WorkflowVersion(template_id=template.id, number=latest.number + 1, steps=[s.to_dict() for s in parsed],
                        note=note[:200], created_by_id=user.id)
    db.session.add(v)
    db.session.flush()
    record("workflow.version_saved", template, before={"version": latest.number, "steps": latest.steps},
           after={"version": v.number, "steps": v.steps, "note": v.note})
    db.session.commit()
    return v


def rules() -> list[WorkflowRule]:
    return db.session.scalars(select(WorkflowRule).order_by(
        WorkflowRule.channel_id.is_(None), WorkflowRule.channel_id, WorkflowRule.category.is_(None),
        WorkflowRule.category)).all()


@operation
def set_rule(user, channel_id: int | None, category: str | None, template_id: int) -> WorkflowRule:
    get_template(template_id)
    if channel_id is not None and db.session.get(Channel, channel_id) is None:
        raise Refused(_("No such channel."), fields={"channel": [_("No such channel.")]})
    rule = db.session.scalar(select(WorkflowRule).where(
        WorkflowRule.channel_id.is_(None) if channel_id is None else WorkflowRule.channel_id == channel_id,
        WorkflowRule.category.is_(None) if category is None else WorkflowRule.category == category))
    before = {"template": rule.template_id} if rule else None
    if rule is None:
        rule = WorkflowRule(channel_id=channel_id, category=category, template_id=template_id)
        db.session.add(rule)
    rule.template_id = template_id
    db.session.flush()
    record("workflow.rule_set", rule, before=before,
           after={"channel": channel_id, "category": category, "template": template_id})
    db.session.commit()
    return rule


@operation
def delete_rule(user, rule_id: int) -> None:
    rule = db.session.get(WorkflowRule, rule_id)
    if rule is None:
        raise NotFound(_("No such rule."), code="not_found")
    if rule.channel_id is None and rule.category is None:
        raise Refused(_("The default rule stays: change its chain instead (C4)."), code="C4")
    record("workflow.rule_deleted", rule, before={"channel": rule.channel_id, "category": rule.category,
                                                  "template": rule.template_id})
    db.session.delete(rule)
    db.session.commit()


def pick_version(post: Post) -> WorkflowVersion:
    """The most specific rule for the post's channels and category wins (channel and category,
    then channel, then category, then the default); between equally specific rules the longer
    chain, the stricter one."""
    if not db.session.scalar(select(WorkflowRule.id).limit(1)):
        ensure_templates()
    channel_ids = [c.id for c in post.channels]
    candidates = db.session.scalars(select(WorkflowRule).where(
        or_(WorkflowRule.channel_id.is_(None), WorkflowRule.channel_id.in_(channel_ids)),
        or_(WorkflowRule.category.is_(None), WorkflowRule.category == post.category))).all()

    def rank(rule):
        return (2 * (rule.channel_id is not None) + (rule.category is not None), len(rule.template.latest.steps))

    return max(candidates, key=rank).template.latest
