"""The violations register end to end (G10 U8): a group administrator records a leak in a work
group with its evidence, confirms it, fines it and reports it to legal; G11 proposals arrive as
proposals; each person sees what the policy allows; refusals keep the input and change nothing."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from cms.audit.models import AuditEntry
from cms.auth.service import get_by_username
from cms.errors import Refused
from cms.extensions import db
from cms.violations import operations, queries
from cms.violations.models import Evidence, Violation


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _actions(v) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "violation", AuditEntry.target_id == str(v.id)).order_by(AuditEntry.seq)))


def test_record_confirm_fine_and_report_through_the_pages(client_as):
    admin = client_as("group_admin")
    page = admin.get("/violations/").get_data(as_text=True)
    assert "违规登记" in page and "登记违规" in page
    form = admin.get("/violations/new").get_data(as_text=True)
    assert "张晓雯" in form and "泄露公司秘密" in form
    contributor = get_by_username("contributor")
    r = admin.post("/violations/new", data={
        "subject_user": str(contributor.id), "category": "company_secret", "context": "工作群：市场部工作群",
        "context_ref": "group:12", "what": "在群里转发了内部报价单", "amount": "", "confirm": "y",
        "files": [(io.BytesIO(_png()), "截图.png"), (io.BytesIO(PDF), "../报价单.pdf")]},
        content_type="multipart/form-data")
    assert r.status_code == 302
    v = db.session.scalar(select(Violation))
    assert v.state == "confirmed" and v.subject_name == "张晓雯" and v.department_id == contributor.department_id
    assert [e.filename for e in v.evidence] == ["截图.png", "报价单.pdf"]
    page = admin.get(f"/violations/{v.id}").get_data(as_text=True)
    assert "在群里转发了内部报价单" in page and "已确认" in page and "截图.png" in page and 'id="handle-form"' in page
    # The evidence comes back as it was uploaded; a PDF is a download.
    png = admin.get(f"/violations/{v.id}/evidence/{v.evidence[0].id}")
    assert png.data == _png() and png.mimetype == "image/png" and png.headers["X-Content-Type-Options"] == "nosniff"
    pdf = admin.get(f"/violations/{v.id}/evidence/{v.evidence[1].id}")
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith("attachment")
    # A fine without its amount is refused (U8) with the choice kept; with it, saved.
    r = admin.post(f"/violations/{v.id}/handle", data={"handle-handling": "fine", "handle-amount": "",
                                                       "handle-note": "按制度处理"})
    assert r.status_code == 422 and "罚款须填写金额" in r.get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="fine"|<option[^>]*value="fine"[^>]*selected', r.get_data(as_text=True)) and "按制度处理" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Violation, v.id).state == "confirmed"
    r = admin.post(f"/violations/{v.id}/handle", data={"handle-handling": "fine", "handle-amount": "100",
                                                       "handle-note": "按制度处理"})
    assert r.status_code == 302
    page = admin.get(f"/violations/{v.id}").get_data(as_text=True)
    assert "罚款 ¥100.00" in page and "已处理" in page
    r = admin.post(f"/violations/{v.id}/report", data={"report-note": "涉及客户报价"})
    assert r.status_code == 302
    db.session.expire_all()
    v = db.session.get(Violation, v.id)
    assert v.state == "handled" and v.handling_amount_fen == 10000 and v.reported_at is not None
    assert "已上报法务" in admin.get(f"/violations/{v.id}").get_data(as_text=True)
    # Reported once only (G10).
    assert admin.post(f"/violations/{v.id}/report", data={"report-note": "再报"}).status_code == 409
    assert _actions(v) == ["violation.recorded", "violation.confirmed", "violation.handled", "violation.reported"]
    # The subject sees their record; the nav shows the register only to the group administrator.
    mine = client_as("contributor").get(f"/violations/{v.id}").get_data(as_text=True)
    assert "在群里转发了内部报价单" in mine and 'id="handle-form"' not in mine
    assert "违规登记</a>" not in client_as("contributor").get("/").get_data(as_text=True)


def test_a_g11_proposal_waits_for_a_decision(app, client_as):
    leader, contributor = get_by_username("leader"), get_by_username("contributor")
    v = operations.propose(contributor, category="late_answer", what="当日任务 30 分钟内未回复",
                           amount_fen=10000, source="G11", context="工作群：市场部工作群",
                           context_ref="group:12/task:3", actor=leader)
    assert v.state == "proposed" and v.proposed_amount_fen == 10000 and v.created_by_id == leader.id
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "violation.proposed"))
    assert entry.actor_name == "leader" and entry.after["source"] == "G11"
    assert queries.proposals(source="G11", context_ref="group:12/task:3",
                             subject_user_id=contributor.id) == [v]
    admin = client_as("group_admin")
    home = admin.get("/").get_data(as_text=True)
    assert "1 条违规建议等待认定" in home
    page = admin.get("/violations/?state=proposed").get_data(as_text=True)
    assert "张晓雯" in page and "建议 ¥100.00" in page
    # Dismissing needs a reason; the reason is kept on the record.
    r = admin.post(f"/violations/{v.id}/dismiss", data={"dismiss-reason": ""})
    assert r.status_code == 400 and db.session.get(Violation, v.id).state == "proposed"
    assert admin.post(f"/violations/{v.id}/dismiss", data={"dismiss-reason": "当时在开会，已说明"}).status_code == 302
    db.session.expire_all()
    v = db.session.get(Violation, v.id)
    assert v.state == "dismissed" and v.dismiss_reason == "当时在开会，已说明"
    # A dismissed record is not confirmed, handled or reported afterwards.
    assert admin.post(f"/violations/{v.id}/confirm", data={}).status_code == 409
    assert admin.post(f"/violations/{v.id}/handle", data={"handle-handling": "warning"}).status_code == 409


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"category": "no_such"}, "category", "未知类别"),
    ({"what": "  "}, "what", "必填"),
    ({"amount_fen": 0}, "amount", "大于"),
    ({"amount_fen": 10.5}, "amount", "整数"),
    ({"source": "unknown"}, "source", "未知来源"),
])
def test_propose_refuses_bad_input_and_keeps_nothing(app, kwargs, field, words):
    base = {"category": "shirked", "what": "推诿", "amount_fen": 5000, "source": "G11", "context": "",
            "context_ref": "", "actor": None}
    with pytest.raises(Refused) as e:
        operations.propose(get_by_username("contributor"), **(base | kwargs))
    assert words in str(e.value.message) + str(e.value.fields)
    assert db.session.scalar(select(func.count(Violation.id))) == 0


def test_scope_heads_see_their_department_and_subjects_their_own(app, client_as):
    admin = get_by_username("group_admin")
    mine = operations.record_violation(admin, subject_user=get_by_username("contributor"), category="rumour",
                                       what="转发未经证实的消息")
    other = operations.record_violation(admin, subject_user=get_by_username("finance"), category="privacy",
                                        what="在群里发了客户身份证照片")
    outside = operations.record_violation(admin, subject_name="外包公司 王某", category="advertising",
                                          what="在项目群发广告", context="工作群：项目群")
    head = client_as("department_head")  # 市场部
    page = head.get("/violations/").get_data(as_text=True)
    assert "转发未经证实的消息" not in page  # the list shows context and names, not the text
    assert f'data-id="{mine.id}"' in page and f'data-id="{other.id}"' not in page and f'data-id="{outside.id}"' not in page
    assert head.get(f"/violations/{other.id}").status_code == 404
    assert head.post(f"/violations/{mine.id}/confirm").status_code == 403  # sees, does not decide
    finance = client_as("finance").get("/violations/").get_data(as_text=True)
    assert f'data-id="{other.id}"' in finance and f'data-id="{mine.id}"' not in finance
    page = client_as("group_admin").get("/violations/?category=advertising").get_data(as_text=True)
    assert f'data-id="{outside.id}"' in page and f'data-id="{mine.id}"' not in page and "外包公司 王某" in page
    page = client_as("group_admin").get("/violations/?person=王某&state=bogus").get_data(as_text=True)
    assert f'data-id="{outside.id}"' in page and f'data-id="{other.id}"' not in page


def test_evidence_is_checked_and_all_or_nothing(app, client_as):
    admin_user = get_by_username("group_admin")
    v = operations.record_violation(admin_user, subject_user=get_by_username("contributor"), category="obscene",
                                    what="发不雅图片")
    admin = client_as("group_admin")
    r = admin.post(f"/violations/{v.id}/evidence", data={"evidence-files": [
        (io.BytesIO(_png()), "a.png"), (io.BytesIO(b"<html><script>alert(1)</script>"), "b.png")]},
        content_type="multipart/form-data")
    assert r.status_code == 422 and "b.png 都不是" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Evidence.id))) == 0
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    r = admin.post(f"/violations/{v.id}/evidence", data={"evidence-files": [(io.BytesIO(big), "big.pdf")]},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "不超过 10 MB" in r.get_data(as_text=True)
    r = admin.post(f"/violations/{v.id}/evidence", data={"evidence-files": [(io.BytesIO(_png()), "ok.png")]},
                   content_type="multipart/form-data")
    assert r.status_code == 302 and [e.filename for e in db.session.get(Violation, v.id).evidence] == ["ok.png"]
    assert _actions(v) == ["violation.recorded", "violation.evidence_added"]


def test_nobody_decides_about_themselves(app, client_as):
    from cms.auth.models import RoleAssignment

    admin = get_by_username("group_admin")
    with pytest.raises(Refused) as e:
        operations.record_violation(admin, subject_user=admin, category="other", what="自己登记自己")
    assert e.value.status == 403 and "G10" in e.value.message
    # A second administrator records one about the first, who may see it but not confirm it.
    second = get_by_username("finance")
    db.session.add(RoleAssignment(user_id=second.id, role="group_admin"))
    db.session.commit()
    v = operations.record_violation(second, subject_user=admin, category="company_secret", what="外发文件")
    r = client_as("group_admin").post(f"/violations/{v.id}/confirm")
    assert r.status_code == 403 and db.session.get(Violation, v.id).state == "proposed"


def test_a_new_record_refused_keeps_the_input(client_as):
    admin = client_as("group_admin")
    r = admin.post("/violations/new", data={"subject_user": "", "subject_name": "", "category": "gambling",
                                            "what": "在群里组织赌球", "context": "工作群：销售群"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "请指明人员" in body and "在群里组织赌球" in body and "工作群：销售群" in body
    r = admin.post("/violations/new", data={"subject_name": "外部 张某", "category": "gambling",
                                            "what": "在群里组织赌球", "amount": "一百"})
    assert r.status_code == 422 and "请以元为单位" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Violation.id))) == 0
    assert client_as("contributor").get("/violations/new").status_code == 403


@pytest.mark.parametrize(("category", "fen"), [("late_answer", 10000), ("shirked", 5000), ("delayed", 5000)])
def test_the_groups_seam_call_is_taken_as_it_is(app, category, fen):
    """cms/groups/penalties.py's proposed body passes its own values through unchanged (G11)."""
    from cms import workdays

    v = operations.propose(get_by_username("contributor"), category=category, what="工作群任务", amount_fen=fen,
                           source="G11", context="group_message", context_ref=7, actor=None, now=workdays.now())
    assert (v.state, v.category, v.context_ref, v.proposed_amount_fen) == ("proposed", category, "7", fen)
