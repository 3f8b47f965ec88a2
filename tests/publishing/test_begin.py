"""Publications due together take their first step in one transaction (cms/publishing/begin.py):
checked (C4 C5), `sending`, their attempt counted and audited (U7), committed; their runs then go
straight to the platform. What the check would stop or a 多图文 bundle is left to each publication's
own run; one whose lease another worker holds is not touched. Through the sandbox over loopback
HTTP; nothing is mocked."""
from __future__ import annotations

from sqlalchemy import func, select, update

from cms.audit import service as audit
from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.channels.models import Channel, Publication
from cms.extensions import db
from cms.publishing import bundles
from cms.publishing.begin import begin
from cms.publishing.job import run_publication
from cms.publishing.queries import publications_for
from cms.publishing.runner import claim
from cms.publishing.scheduling import schedule

TWO = ("星海集团", "星海头条号")


def _admin():
    return get_by_username("account_admin")


def _due(posts) -> tuple[str, list[int]]:
    for post in posts:
        schedule(_admin(), post)
    return claim(None)


def _sending_entries(pub_id: int) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "publication.sending", AuditEntry.target_id == str(pub_id)))


def _calls(state, path: str) -> int:
    return sum(1 for _t, p, _o in state.calls if p.endswith(path))


def test_publications_due_together_begin_in_one_step_and_go_out_once(outbox, approved_post):  # C4 U7
    posts = [approved_post(channels=TWO, title=f"同时到点的文章{n}") for n in (1, 2)]
    owner, ids = _due(posts)
    assert len(ids) == 4
    entries = db.session.scalar(select(func.count(AuditEntry.id)))

    assert begin(ids, owner) == set(ids)
    db.session.expire_all()
    pubs = db.session.scalars(select(Publication).where(Publication.id.in_(ids))).all()
    assert {(p.state, p.attempts, p.lease_owner) for p in pubs} == {("sending", 1, owner)}
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries + 4
    assert all(_sending_entries(p.id) == 1 for p in pubs) and audit.verify()[1] is None
    assert all(p.first_call_at is None for p in pubs)  # stamped when the call goes out, not before

    for pub_id in ids:
        assert run_publication(pub_id, owner, begun=True) == "published"
    db.session.expire_all()
    pubs = db.session.scalars(select(Publication).where(Publication.id.in_(ids))).all()
    assert {(p.state, p.attempts) for p in pubs} == {("published", 1)}  # the attempt counted once
    assert all(_sending_entries(p.id) == 1 for p in pubs)  # and `sending` audited once
    assert all(p.first_call_at is not None and p.first_call_at <= p.published_at for p in pubs)
    assert _calls(outbox, "freepublish/submit") == 2 and all(p.status == "published" for p in posts)


def test_a_post_stopped_after_the_claim_is_left_to_its_run_which_finishes_it(outbox, approved_post):  # C4 C5
    from cms.workflow.queries import active_submission

    in_review, secret, kept = (approved_post(title=t) for t in ("到点前退回审核的文章", "到点前被标为保密的文章", "照常发出的文章"))
    owner, ids = _due([in_review, secret, kept])
    active_submission(in_review).state = "active"
    in_review.status = "in_review"
    secret.confidential = True
    db.session.commit()

    (in_review_pub,), (secret_pub,), (kept_pub,) = (publications_for(p) for p in (in_review, secret, kept))
    assert begin(ids, owner) == {kept_pub.id}
    db.session.expire_all()
    assert {(p.state, p.attempts) for p in (in_review_pub, secret_pub)} == {("scheduled", 0)}

    assert run_publication(in_review_pub.id, owner) == "cancelled"
    assert run_publication(secret_pub.id, owner) == "failed"
    assert run_publication(kept_pub.id, owner, begun=True) == "published"
    db.session.expire_all()
    assert "C4" in in_review_pub.last_error and "C5" in secret_pub.last_error
    assert in_review_pub.first_call_at is None and secret_pub.first_call_at is None
    assert _calls(outbox, "media/uploadimg") == 1 and _calls(outbox, "draft/add") == 1


def test_a_publication_whose_lease_is_no_longer_ours_is_left_alone(outbox, approved_post):
    owner, ids = _due([approved_post(channels=TWO)])
    taken, ours = ids
    db.session.execute(update(Publication).where(Publication.id == taken).values(lease_owner="another-worker"))
    db.session.commit()
    entries = db.session.scalar(select(func.count(AuditEntry.id)))

    assert begin(ids, owner) == {ours}
    db.session.expire_all()
    other = db.session.get(Publication, taken)
    assert (other.state, other.attempts, other.lease_owner) == ("scheduled", 0, "another-worker")
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries + 1
    assert run_publication(taken, owner) == "scheduled"  # not this run's to send


def test_a_bundle_and_a_retried_publication_start_in_their_own_runs(midday, outbox, approved_post):  # C18
    state = outbox
    channel = db.session.scalar(select(Channel).where(Channel.name == "星海科技"))
    posts = [approved_post(channels=("星海科技",), push={"星海科技": True}, title=f"合并推送{n}") for n in (1, 2)]
    bundles.create(_admin(), channel, [p.id for p in posts])
    owner, ids = claim(None)
    assert len(ids) == 1  # the headline runs the bundle
    assert begin(ids, owner) == set()
    assert run_publication(ids[0], owner) == "published"
    db.session.expire_all()
    assert {p.state for post in posts for p in publications_for(post)} == {"published"}
    assert _calls(state, "message/mass/sendall") == 1


def test_the_first_call_is_stamped_even_when_it_fails(outbox, approved_post):
    state = outbox
    state.inject_fault("media/uploadimg", errcode=40005, times=1)  # a media error: failed, not retried
    post = approved_post()
    owner, ids = _due([post])
    assert begin(ids, owner) == set(ids)
    assert run_publication(ids[0], owner, begun=True) == "failed"
    db.session.expire_all()
    (pub,) = publications_for(post)
    assert pub.first_call_at is not None and pub.attempts == 1 and "上传正文图片" in pub.last_error
