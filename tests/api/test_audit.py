"""GET /audit: the audit trail (U7) through the API, for whoever the audit policy lets read it (the
auditor, the system administrator), filtered as on the auditor's page; never edited."""
from cms.auth.service import get_by_username


def test_the_auditor_reads_the_trail_newest_first(api):
    api("contributor")("POST", "/posts", json={"title": "审计一下", "category": "news"})
    r = api("auditor")("GET", "/audit")
    assert r.status_code == 200 and r.json["total"] > 0
    seqs = [e["seq"] for e in r.json["items"]]
    assert seqs == sorted(seqs, reverse=True)
    top = r.json["items"][0]
    assert set(top) == {"seq", "at", "actor", "action", "target", "before", "after", "ip", "hash", "prev_hash"}
    created = api("auditor")("GET", "/audit?action=post.created").json["items"]
    assert created and created[0]["actor"] == "contributor" and created[0]["target"]["type"] == "post"


def test_filters(api):
    call = api("sysadmin")
    contributor = get_by_username("contributor")
    call("POST", f"/users/{contributor.id}/depart", json={"date": "2026-01-05"})
    r = call("GET", f"/audit?target_type=user&target_id={contributor.id}&action=user.departed")
    assert [e["action"] for e in r.json["items"]] == ["user.departed"]
    assert call("GET", "/audit?actor=nobody").json["total"] == 0
    assert call("GET", "/audit?from=2999-01-01").json["total"] == 0
    assert call("GET", "/audit?to=2000-01-01").json["total"] == 0
    assert call("GET", "/audit?action=%25").json["total"] == 0  # a LIKE wildcard is a character here


def test_others_are_refused(api):
    for role in ("contributor", "editor", "supervisor", "account_admin"):
        r = api(role)("GET", "/audit")
        assert r.status_code == 403 and r.json["error"]["code"] == "forbidden", role


def test_bad_days_are_a_400_naming_them(api):
    call = api("auditor")
    for query, name in (("from=yesterday", "from"), ("to=2026-13-01", "to"), ("from=", "from"),
                        ("page=-1", "page"), ("who=me", "who")):
        r = call("GET", f"/audit?{query}")
        assert r.status_code == 400 and name in r.json["error"]["fields"], (query, r.json)
