"""Hostile input in the work groups (issue 18): the XSS corpus and strange strings through every field
people type (filing name and purpose, nicknames, outside partners' names, refusal, extension and
dissolution reasons, task and notice text); every page that shows them stays inert; refused input is
kept on the form."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cms.extensions import db
from cms.groups.models import WorkGroup
from tests.groups.conftest import department
from tests.hostile import STRANGE, assert_safe, value


def _file(head, **kw):
    data = {"name": value(60, "name"), "category": "partner", "purpose": value(2000, "purpose"),
            "department": str(department("市场部").id), "owner": "department_head"} | kw
    return head.post("/groups/new", data=data)


def _filed(head):
    r = _file(head)
    if r.status_code == 422:  # a limit on a length: refused with the input kept, then shorter
        assert "HOSTILE-name" in assert_safe(r)
        r = _file(head, name=value(30, "name"), purpose=value(500, "purpose"))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    return db.session.scalars(select(WorkGroup).order_by(WorkGroup.id.desc())).first()


def test_the_corpus_through_every_group_field_stays_text(app, client_as, clock):
    clock.set("2026-11-24 10:00")
    head, leader, office = client_as("department_head"), client_as("leader"), client_as("group_admin")
    g = _filed(head)
    assert_safe(head.get(f"/groups/{g.id}"), shown="HOSTILE-purpose")
    assert_safe(leader.get("/groups/"), shown="HOSTILE-name")
    assert_safe(leader.get("/"))  # the worklist names the filing
    # A second filing refused by the leader with a hostile reason.
    g2 = _filed(head)
    r = leader.post(f"/groups/{g2.id}/refuse", data={"reason": value(500, "refuse")})
    assert r.status_code in (302, 422)
    assert_safe(head.get(f"/groups/{g2.id}"))
    assert leader.post(f"/groups/{g.id}/approve").status_code == 302
    assert office.post(f"/groups/{g.id}/record").status_code == 302
    # Members: a hostile outside partner and nickname (kept on the form if refused, shown if kept).
    r = head.post(f"/groups/{g.id}/members", data={"username": "", "external_name": value(60, "partner"),
                                                   "nickname": value(60, "nick")})
    assert r.status_code in (302, 422)
    if r.status_code == 422:
        assert "HOSTILE-nick" in assert_safe(r)
    r = head.post(f"/groups/{g.id}/members", data={"username": "contributor", "nickname": value(60, "nick2")})
    assert r.status_code in (302, 422)
    if r.status_code == 422:
        assert "HOSTILE-nick2" in assert_safe(r)
    page = assert_safe(head.get(f"/groups/{g.id}"))
    for m in g.members:
        assert_safe(head.post(f"/groups/members/{m.id}/nickname", data={"nickname": value(60, "renick")}),)
    # Tasks and notices with hostile text.
    for kind in ("task", "notice"):
        r = head.post(f"/groups/{g.id}/messages", data={"kind": kind, "text": value(2000, kind), "leader": "leader",
                                                          "responsible": "contributor"})
        assert r.status_code in (302, 422)
        if r.status_code == 422:
            assert f"HOSTILE-{kind}" in assert_safe(r)
    page = assert_safe(head.get(f"/groups/{g.id}"))
    assert "HOSTILE-purpose" in page
    assert_safe(head.get("/groups/tasks"))
    assert_safe(office.get("/groups/report"))
    assert office.get("/groups/report?format=csv").status_code < 500
    # Extension and dissolution reasons.
    r = head.post(f"/groups/{g.id}/extend", data={"until": "2026-12-31", "reason": value(500, "extend")})
    assert_safe(r)  # a partner group has no end to extend: a 409 with its message
    assert_safe(head.get(f"/groups/{g.id}"))
    r = head.post(f"/groups/{g.id}/dissolve", data={"reason": value(500, "dissolve")})
    assert r.status_code in (302, 422)
    assert_safe(head.get(f"/groups/{g.id}"))
    assert_safe(head.get("/groups/"))
    assert page  # every page above parsed


@pytest.mark.parametrize("kind", sorted(STRANGE))
def test_strange_strings_in_a_filing_are_kept_or_refused_clearly(app, client_as, kind):
    head = client_as("department_head")
    before = db.session.scalar(select(func.count(WorkGroup.id)))
    r = _file(head, name="外部" + STRANGE[kind][:80], purpose=STRANGE[kind])
    assert r.status_code in (302, 422)
    if r.status_code == 302:
        g = db.session.scalars(select(WorkGroup).order_by(WorkGroup.id.desc())).first()
        assert_safe(head.get(f"/groups/{g.id}"))
        assert_safe(head.get("/groups/"))
    else:
        page = assert_safe(r)
        assert db.session.scalar(select(func.count(WorkGroup.id))) == before
        assert "外部" in page  # the input kept
