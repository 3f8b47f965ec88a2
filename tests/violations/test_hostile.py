"""Hostile input in the violations register (issue 18): the XSS corpus and strange strings through
every field a group administrator types (what happened, where, reference, outside subject's name,
dismiss reason, handling note, note to legal); every page that shows them stays inert; refused
input is kept. Malformed and oversized evidence gets a clear 4xx and nothing is stored."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from cms.extensions import db
from cms.violations.models import Evidence, Violation
from tests.hostile import STRANGE, assert_safe, value

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def _record(admin, **kw):
    data = {"subject_user": "", "subject_name": value(64, "name"), "category": "company_secret",
            "context": value(200, "context"), "context_ref": value(64, "ref"), "what": value(5000, "what"),
            "amount": ""} | kw
    return admin.post("/violations/new", data=data)


def test_the_corpus_through_every_field_stays_text_on_every_page(app, client_as):
    admin = client_as("group_admin")
    r = _record(admin)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    v = db.session.scalar(select(Violation))
    assert_safe(admin.get(f"/violations/{v.id}"), shown="HOSTILE-what")
    assert_safe(admin.get("/violations/"), shown="HOSTILE-name")
    # Dismiss with a hostile reason on one record; handle and report another with hostile notes.
    assert admin.post(f"/violations/{v.id}/dismiss", data={"dismiss-reason": value(2000, "dismiss")}).status_code == 302
    assert_safe(admin.get(f"/violations/{v.id}"), shown="HOSTILE-dismiss")
    r = _record(admin, confirm="y")
    assert r.status_code == 302
    w = db.session.scalars(select(Violation).order_by(Violation.id.desc())).first()
    assert admin.post(f"/violations/{w.id}/handle", data={"handle-handling": "warning", "handle-amount": "",
                                                          "handle-note": value(2000, "handle")}).status_code == 302
    assert admin.post(f"/violations/{w.id}/report", data={"report-note": value(2000, "report")}).status_code == 302
    page = assert_safe(admin.get(f"/violations/{w.id}"), shown="HOSTILE-handle")
    assert "HOSTILE-report" in page
    assert_safe(admin.get("/violations/?q=<script>alert(1)</script>"))
    # The subject's own view too (an outside name has no account: the head of department's list).
    assert_safe(client_as("department_head").get("/violations/"))


@pytest.mark.parametrize("kind", sorted(STRANGE))
def test_strange_strings_are_kept_or_refused_clearly(app, client_as, kind):
    admin = client_as("group_admin")
    text = STRANGE[kind]
    r = _record(admin, what=text, context="", context_ref="", subject_name="外部 张某")
    if kind == "long":  # over 5000 characters: refused, the input kept
        page = assert_safe(r)
        assert r.status_code in (400, 422) and "5000" in page and "长长长长" in page
        assert db.session.scalar(select(func.count(Violation.id))) == 0
        return
    assert r.status_code in (302, 400, 422)
    if r.status_code == 302:
        v = db.session.scalar(select(Violation))
        assert_safe(admin.get(f"/violations/{v.id}"))
        assert_safe(admin.get("/violations/"))
    else:
        assert_safe(r)


def test_a_lone_surrogate_in_the_form_is_no_500(app, client_as):
    admin = client_as("group_admin")
    body = ("subject_name=%E5%A4%96&category=gambling&what=x%ED%A0%80y&context=&context_ref=&amount=")
    r = admin.post("/violations/new", data=body, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (302, 400, 422)
    if r.status_code == 302:
        assert_safe(admin.get(r.headers["Location"]))


def _upload(admin, v, files):
    return admin.post(f"/violations/{v.id}/evidence", data={"evidence-files": files},
                      content_type="multipart/form-data")


def test_malformed_and_oversized_evidence_is_refused_and_nothing_stored(app, client_as):
    admin = client_as("group_admin")
    assert _record(admin, what="转发内部文件", context="", context_ref="", subject_name="外部 张某").status_code == 302
    v = db.session.scalar(select(Violation))
    cases = [
        ([(io.BytesIO(b""), "empty.png")], "文件是空的"),
        ([(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "tool.png")], "tool.png"),  # a program named .png
        ([(io.BytesIO(b"<svg onload=alert(1)></svg>"), "x.svg")], "x.svg"),  # SVG is not accepted
        ([(io.BytesIO(b"%PDF-" + b"0" * (10 * 1024 * 1024)), "big.pdf")], "10 MB"),
    ]
    for files, words in cases:
        r = _upload(admin, v, files)
        page = assert_safe(r)
        assert r.status_code == 422 and words in page, (words, r.status_code)
    assert db.session.scalar(select(func.count(Evidence.id))) == 0
    # A whole request over the server's limit: 413 with a message, not a 500.
    r = _upload(admin, v, [(io.BytesIO(b"%PDF-" + b"0" * (26 * 1024 * 1024)), "huge.pdf")])
    assert r.status_code == 413
    assert db.session.scalar(select(func.count(Evidence.id))) == 0
    # 21 files: the 21st is refused (at most 20 per record) and none of them is kept.
    r = _upload(admin, v, [(io.BytesIO(_png()), f"{i}.png") for i in range(21)])
    page = assert_safe(r)
    assert r.status_code == 422 and "20" in page
    assert db.session.scalar(select(func.count(Evidence.id))) == 0


def test_a_png_that_is_a_pdf_is_kept_as_a_pdf_download(app, client_as):
    admin = client_as("group_admin")
    assert _record(admin, what="转发内部文件", context="", context_ref="", subject_name="外部 张某").status_code == 302
    v = db.session.scalar(select(Violation))
    r = _upload(admin, v, [(io.BytesIO(PDF), "截图.png")])
    assert r.status_code == 302
    e = db.session.scalar(select(Evidence))
    assert e.mime == "application/pdf" and e.filename.endswith(".pdf")
    got = admin.get(f"/violations/{v.id}/evidence/{e.id}")
    assert got.mimetype == "application/pdf" and got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
