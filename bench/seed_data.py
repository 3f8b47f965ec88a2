"""A realistic company in a database, fast: the demo company (users, departments, channels) plus
--posts posts spread over the past year, each with its revisions, its submission and reviews
(submit, department head, editor, supervisor), its publications and archive records when
published, its search row, and --audit audit entries.

Rows go in by bulk INSERT (executemany, a few thousand rows a statement batch), not through the
services: 100,000 posts and a million audit entries take minutes, not hours.

The audit entries form a valid chain: each one's hash is computed by cms.audit.service's own
_fields()/_digest() over the same fields the app writes, from the chain's current head, and the
head is moved to the last one, so `flask cms audit-verify` passes afterwards and the app appends
after them as usual.

    .venv/bin/python bench/seed_data.py DATABASE_URL [--posts 100000] [--audit 1000000]

The database is migrated first (flask db upgrade) and the demo company loaded when missing.
Then a year of work groups (members, removal tasks) and WeChat Pay payments (reconciled days):
seed_groups_and_payments().
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BATCH = 5000
TOPICS = ["安全生产", "党建工作", "科技创新", "员工风采", "志愿服务", "市场拓展", "节能减排", "质量管理",
          "客户服务", "人才培养", "数字化转型", "工会活动", "廉洁建设", "新品发布", "年度总结"]
VERBS = ["召开", "开展", "举办", "推进", "落实", "启动", "完成", "部署"]


def _body(rng: random.Random, topic: str, n: int) -> str:
    paras = [f"本报讯 集团{rng.choice(VERBS)}{topic}专题工作，第{n}期。"
             + "各部门围绕年度目标，" * rng.randint(3, 8) + "取得阶段性成效。" for _ in range(rng.randint(3, 6))]
    return "\n\n".join(paras)


def _html(body: str) -> str:
    return "".join(f"<p>{p}</p>" for p in body.split("\n\n"))


def _insert(model_or_table, rows: list[dict]) -> None:
    from sqlalchemy import insert

    from cms.extensions import db

    table = getattr(model_or_table, "__table__", model_or_table)
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[i:i + BATCH])


def _next_id(model) -> int:
    from sqlalchemy import func, select

    from cms.extensions import db

    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def seed_posts(n_posts: int, *, seed: int = 18, progress=None, span: timedelta = timedelta(days=365),
               cycle: tuple[str, ...] | None = None) -> int:
    """n_posts posts with their revisions, reviews, publications, archive records and search rows,
    created over the past `span` (a year; the newest now). Statuses are drawn as in life (80 %
    published), or taken in turn from `cycle`. In the current app context; commits."""
    from sqlalchemy import select

    from cms import workdays
    from cms.archive.models import ArchiveRecord
    from cms.auth.models import User
    from cms.channels.models import Channel, Publication
    from cms.content.models import Post, PostSearch, Revision, post_channel
    from cms.extensions import db
    from cms.workflow.models import Assignee, Review, Submission, WorkflowVersion

    rng = random.Random(seed)
    users = {u.username: u for u in db.session.scalars(select(User))}
    contributor = users["contributor"]
    # filed by everyone, in their departments (so that lists show many names, as in life)
    authors = [contributor] + [u for u in users.values() if u is not contributor]
    reviewers = [(users[name], role) for name, role in (("department_head", "department_head"),
                                                         ("editor", "editor"), ("supervisor", "supervisor"))]
    channels = [c for c in db.session.scalars(select(Channel).order_by(Channel.id)) if c.platform != "website"] \
        or list(db.session.scalars(select(Channel)))
    version = db.session.scalar(select(WorkflowVersion).order_by(WorkflowVersion.id).limit(1))
    version_id = version.id if version else None
    # an in-review post waits at the chain's second step, assigned to the demo user of its role
    waiting = users.get(version.steps[1]["role"]) if version and len(version.steps) > 1 else None
    now = workdays.now().replace(microsecond=0)
    ids = {m: _next_id(m) for m in (Post, Revision, Submission, Review, Publication, ArchiveRecord)}
    done = 0
    chunk = 2000
    while done < n_posts:
        rows: dict = {k: [] for k in ("post", "pc", "rev", "sub", "asg", "review", "pub", "arch", "search")}
        for k in range(min(chunk, n_posts - done)):
            n = done + k + 1
            pid = ids[Post]
            ids[Post] += 1
            created = now - span * (1 - n / max(n_posts, 1)) - timedelta(seconds=rng.randint(0, 3000))
            topic = rng.choice(TOPICS)
            title = f"{topic}：{rng.choice(VERBS)}第{n}项工作"
            # as in life: what is in review or approved is recent (days old); older posts went out,
            # were rejected, or were left as drafts
            age = now - created
            weights = [80, 8, 5, 4, 3] if age < timedelta(days=2) else \
                [84, 8, 5, 0, 3] if age < timedelta(days=14) else [89, 8, 0, 0, 3]
            status = cycle[n % len(cycle)] if cycle else rng.choices(
                ["published", "draft", "in_review", "approved", "rejected"], weights=weights)[0]
            channel = channels[n % len(channels)]
            author = authors[n % len(authors)]
            n_revs = rng.randint(1, 3)
            body = _body(rng, topic, n)
            html = _html(body)
            rows["post"].append(dict(id=pid, status=status, department_id=author.department_id,
                                     created_by_id=author.id, category="news", title=title,
                                     revision_count=n_revs, created_at=created, updated_at=created + timedelta(hours=n_revs)))
            rows["pc"].append(dict(post_id=pid, channel_id=channel.id))
            rows["search"].append(dict(post_id=pid, title=title, body=body))
            last_hash = ""
            for r in range(1, n_revs + 1):
                text = body + ("\n\n修改稿。" * (r - 1))
                last_hash = hashlib.sha256(f"{pid}:{r}:{text}".encode()).hexdigest()
                rows["rev"].append(dict(id=ids[Revision], post_id=pid, number=r, based_on=r - 1 or None,
                                        written_by_id=author.id, created_at=created + timedelta(hours=r),
                                        note="", title=title, author=author.real_name, digest=topic,
                                        body_format="markdown", body_source=text, html=_html(text),
                                        source_kind="original", meta={"category": "news", "channels": [channel.id]},
                                        simhash=rng.randint(-2**62, 2**62), content_hash=last_hash))
                ids[Revision] += 1
            if status == "draft" or version_id is None:
                continue
            sid = ids[Submission]
            ids[Submission] += 1
            at = min(created + timedelta(hours=n_revs), now)
            approved = min(at + timedelta(hours=3), now)
            done_chain = status in ("approved", "published")
            rows["sub"].append(dict(id=sid, post_id=pid, version_id=version_id,
                                    state={"in_review": "active", "rejected": "rejected"}.get(status, "approved"),
                                    submitted_by_id=author.id, submitted_at=at, reasons={}, push={},
                                    step=1 if status == "in_review" else None, step_started_at=at,
                                    due_at=at + timedelta(days=1) if status == "in_review" else None,
                                    approved_at=approved if done_chain else None,
                                    publish_day=workdays.local(approved).date() if done_chain else None))
            if status == "in_review" and waiting is not None:
                rows["asg"].append(dict(submission_id=sid, user_id=waiting.id))
            steps = [(author, "submit", "contributor")] + [(u, "approve", role) for u, role in reviewers]
            if status == "in_review":
                steps = steps[:2]
            elif status == "rejected":
                steps = steps[:1] + [(reviewers[0][0], "reject", reviewers[0][1])]
            for k, (u, action, role) in enumerate(steps):
                rows["review"].append(dict(id=ids[Review], post_id=pid, submission_id=sid, action=action,
                                           step=k or None, role=role, round=1, user_id=u.id, revision=n_revs,
                                           revision_hash=last_hash, comment="同意" if action == "approve" else "",
                                           detail={}, stale=False, created_at=at + timedelta(minutes=30 * k)))
                ids[Review] += 1
            if status != "published":
                continue
            published = min(at + timedelta(hours=4), now)
            rows["pub"].append(dict(id=ids[Publication], post_id=pid, channel_id=channel.id, generation=1,
                                    submission_id=sid, revision_number=n_revs, content_hash=last_hash, push=False,
                                    state="published", due_at=published, next_attempt_at=published, attempts=0,
                                    last_error="", progress={}, image_urls={}, client_ref=f"seed-{pid}-{channel.id}",
                                    override_reason="", first_call_at=published, published_at=published,
                                    url=f"https://mp.weixin.qq.com/s/seed{pid}", created_at=at, updated_at=published))
            ids[Publication] += 1
            rows["arch"].append(dict(id=ids[ArchiveRecord], at=published, action="published", post_id=pid,
                                     channel_id=channel.id, channel_name=channel.name, channel_platform=channel.platform,
                                     revision_number=n_revs, content_hash=last_hash, title=title,
                                     author=author.real_name, digest=topic, html=html, images=[], approvals=[],
                                     request={}, remote_ids={}, url=f"https://mp.weixin.qq.com/s/seed{pid}",
                                     push=False, recorded_by=""))
            ids[ArchiveRecord] += 1
        _insert(Post, rows["post"])
        _insert(post_channel, rows["pc"])
        _insert(PostSearch, rows["search"])
        _insert(Revision, rows["rev"])
        _insert(Submission, rows["sub"])
        _insert(Assignee, rows["asg"])
        _insert(Review, rows["review"])
        _insert(Publication, rows["pub"])
        _insert(ArchiveRecord, rows["arch"])
        db.session.commit()
        done += len(rows["post"])
        if progress:
            progress(len(rows["post"]))
    _fix_sequences()
    return done


ACTIONS = ["post.created", "post.saved", "post.submitted", "review.approved", "publication.scheduled",
           "publication.published", "auth.login", "asset.uploaded"]


def seed_audit(n_entries: int, *, seed: int = 7, progress=None) -> int:
    """n_entries audit entries appended to the chain's head, hashed as cms.audit.service hashes
    them (its _fields and _digest), spread over the past year in time order; commits."""
    from sqlalchemy import select

    from cms import workdays
    from cms.audit import service as audit
    from cms.audit.models import AuditEntry, AuditHead
    from cms.auth.models import User
    from cms.extensions import db

    rng = random.Random(seed)
    actors = list(db.session.execute(select(User.id, User.username)))
    head = db.session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=audit.GENESIS)
        db.session.add(head)
        db.session.flush()
    seq, prev = head.seq, head.hash
    last = db.session.scalar(select(AuditEntry.at).order_by(AuditEntry.seq.desc()).limit(1))
    now = workdays.now()
    start = max(now - timedelta(days=365), last) if last else now - timedelta(days=365)
    step = (now - start) / max(n_entries, 1)
    next_id = _next_id(AuditEntry)
    done = 0
    while done < n_entries:
        rows = []
        for _ in range(min(BATCH * 4, n_entries - done)):
            seq += 1
            actor_id, username = rng.choice(actors)
            e = AuditEntry(id=next_id, seq=seq, at=start + step * (done + len(rows) + 1), actor_id=actor_id,
                           actor_name=username, action=rng.choice(ACTIONS), target_type="post",
                           target_id=str(rng.randint(1, 100_000)), before=None,
                           after={"title": f"第{seq}条", "n": seq % 97}, ip=f"10.0.0.{rng.randint(1, 254)}",
                           prev_hash=prev)
            e.hash = audit._digest(audit._fields(e))
            prev = e.hash
            rows.append({c: getattr(e, c) for c in ("id", "seq", "at", "actor_id", "actor_name", "action",
                                                     "target_type", "target_id", "before", "after", "ip",
                                                     "prev_hash", "hash")})
            next_id += 1
        _insert(AuditEntry, rows)
        db.session.execute(AuditHead.__table__.update().where(AuditHead.__table__.c.id == 1).values(seq=seq, hash=prev))
        db.session.commit()
        done += len(rows)
        if progress:
            progress(len(rows))
    _fix_sequences()
    return done


def seed_groups_and_payments(*, groups: int = 60, seed: int = 12, progress=None) -> dict:
    """A year of work groups and WeChat Pay records on the demo company: `groups` active groups of
    8-30 members with a year of removal tasks (most done in time, a few late, a few open), and a
    year of payments on the demo account (a few a working day, inside working hours and under the
    daily limit), every past day reconciled and archived. Rows are inserted directly, as for posts."""
    from sqlalchemy import select

    from cms import workdays
    from cms.auth.models import Department, User
    from cms.extensions import db
    from cms.groups.models import GroupMember, GroupTask, WorkGroup
    from cms.payments.models import BudgetLine, PayAccount, PayDay, Payment

    rng = random.Random(seed)
    now = workdays.now()
    users = list(db.session.scalars(select(User).where(User.state == "active")))
    departments = list(db.session.scalars(select(Department)))
    gid, mid, tid = _next_id(WorkGroup), _next_id(GroupMember), _next_id(GroupTask)
    group_rows, member_rows, task_rows = [], [], []
    for i in range(groups):
        filed = now - timedelta(days=rng.randint(30, 365))
        owner = rng.choice(users)
        group_rows.append({"id": gid + i, "name": f"工作群{i + 1:03d}", "category": "department",
                           "purpose": "部门日常工作沟通", "department_id": rng.choice(departments).id,
                           "owner_id": owner.id, "state": "active", "filed_by_id": owner.id, "filed_at": filed,
                           "approved_at": filed + timedelta(hours=3), "recorded_at": filed + timedelta(hours=5),
                           "refused_reason": ""})
        for _m in range(rng.randint(8, 30)):
            member = rng.choice(users)
            added = filed + timedelta(days=rng.randint(0, 20))
            removed = added + timedelta(days=rng.randint(30, 300)) if rng.random() < 0.2 else None
            member_rows.append({"id": mid, "group_id": gid + i, "user_id": member.id, "external_name": "",
                                "expected_nickname": f"{member.real_name}-{member.title}",
                                "nickname": f"{member.real_name}-{member.title}", "added_at": added,
                                "added_by_id": owner.id, "removed_at": removed if removed and removed < now else None})
            if removed is not None:
                due = removed - timedelta(hours=rng.randint(1, 47))
                done = removed if removed < now else None
                task_rows.append({"id": tid, "group_id": gid + i, "kind": "removal", "member_id": mid,
                                  "reason": "departure", "due_at": due + timedelta(hours=48),
                                  "state": "done" if done else "open", "overdue": bool(done and done > due + timedelta(hours=48)),
                                  "created_at": due, "done_at": done, "done_by_id": owner.id if done else None})
                tid += 1
            mid += 1
    _insert(WorkGroup, group_rows)
    _insert(GroupMember, member_rows)
    _insert(GroupTask, task_rows)

    account = db.session.scalar(select(PayAccount).order_by(PayAccount.id))
    payments = days = 0
    if account is not None:
        year = workdays.today().year
        line = db.session.scalar(select(BudgetLine).where(BudgetLine.account_id == account.id,
                                                          BudgetLine.year == year)) or BudgetLine(
            account_id=account.id, year=year, name="年度经营费用", amount_fen=10**10)
        db.session.add(line)
        db.session.flush()
        pid, did = _next_id(Payment), _next_id(PayDay)
        pay_rows, day_rows = [], []
        day = workdays.today() - timedelta(days=365)
        while day < workdays.today():
            if workdays.is_workday(day):
                for n in range(rng.randint(1, 5)):
                    at = datetime.combine(day, datetime.min.time(), workdays.zone()) + timedelta(hours=10 + n, minutes=rng.randint(0, 50))
                    pay_rows.append({"id": pid, "account_id": account.id, "payer_id": account.custodian_id,
                                     "amount_fen": rng.randint(1, 900) * 100 + rng.randint(0, 99),
                                     "purpose": "客户活动物料采购", "budget_line_id": line.id, "payee_name": "供应商",
                                     "payee_openid": "", "planned_at": at, "day": day, "state": "reconciled",
                                     "method": "manual", "payment_no": f"SEED{pid}", "paid_at": at,
                                     "paid_by_id": account.custodian_id, "attempts": 0, "last_error": "",
                                     "created_at": at})
                    pid += 1
                day_rows.append({"id": did, "account_id": account.id, "day": day, "state": "archived",
                                 "source": "upload", "bill_lines": [], "checked_at": now, "reconciled_at": now})
                did += 1
            day += timedelta(days=1)
        _insert(Payment, pay_rows)
        _insert(PayDay, day_rows)
        payments, days = len(pay_rows), len(day_rows)
    db.session.commit()
    return {"groups": len(group_rows), "members": len(member_rows), "tasks": len(task_rows),
            "payments": payments, "days": days}


def _fix_sequences() -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them (SQLite needs nothing)."""
    from sqlalchemy import text

    from cms.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in ("post", "revision", "submission", "review", "publication", "archive_record", "audit_entry",
                  "work_group", "group_member", "group_task", "payment", "pay_day", "pay_budget_line"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the database URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/cms")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    args = parser.parse_args()
    import click
    from flask_migrate import upgrade

    from cms import create_app
    from cms import demo as demo_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": os.environ.get("CMS_SECRET_KEY", "seed")})
    with app.app_context():
        upgrade()
        demo_data.load()
        t0 = time.monotonic()
        with click.progressbar(length=args.posts, label="posts") as bar:
            seed_posts(args.posts, progress=bar.update)
        t1 = time.monotonic()
        with click.progressbar(length=args.audit, label="audit") as bar:
            seed_audit(args.audit, progress=bar.update)
        t2 = time.monotonic()
        print("groups and payments:", seed_groups_and_payments())
        from cms.extensions import db

        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        print(f"seeded {args.posts} posts in {t1 - t0:.1f} s, {args.audit} audit entries in {t2 - t1:.1f} s")


if __name__ == "__main__":
    main()
