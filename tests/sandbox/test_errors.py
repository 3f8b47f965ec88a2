"""cms.platforms.errors against the WECHAT_API.md 3 table."""

from __future__ import annotations

import pytest

from cms.platforms.errors import classify, classify_toutiao, describe, describe_toutiao, retry_delay

TABLE = {  # WECHAT_API.md 3, every row
    0: "ok",
    -1: "backoff",
    40001: "refresh",
    40014: "refresh",
    42001: "refresh",
    40007: "permanent",
    40164: "permanent",
    61004: "permanent",
    89501: "backoff",
    89503: "backoff",
    89506: "permanent",
    89507: "permanent",
    45009: "backoff",
    45011: "backoff",
    45028: "permanent",
    45015: "permanent",
    45047: "permanent",
    45065: "ok",
    45066: "backoff",
    48001: "permanent",
    48003: "permanent",
    44003: "permanent",
    45002: "permanent",
    45003: "permanent",
    45004: "permanent",
    45110: "permanent",
    45166: "permanent",
    47001: "permanent",
    **{code: "permanent" for code in range(88000, 88011)},
    53500: "permanent",
    53502: "permanent",
    53503: "permanent",
    53504: "permanent",
    53505: "permanent",
    53600: "permanent",
    53501: "backoff",
}


@pytest.mark.parametrize(("code", "expected"), sorted(TABLE.items()))
def test_classify(code, expected):
    assert classify(code) == expected


def test_classify_edges():
    assert classify(None) == "backoff"  # non-2xx answer
    assert classify(40001, token_call=True) == "permanent"  # wrong secret
    assert classify(99999) == "permanent"
    assert classify("45028") == "permanent"


def test_classify_toutiao():
    assert [
        classify_toutiao(c)
        for c in (-1, 40001, 42001, 41001, 45009, 70001, 70002, 70003, 70004, 70005, 70006)
    ] == ["backoff", "refresh", "refresh", "permanent", "backoff"] + ["permanent"] * 5 + ["ok"]


def test_retry_delay():
    assert [retry_delay(-1, n) for n in (1, 2, 3)] == [5, 10, None]
    assert retry_delay(45011, 1) == 60 and retry_delay(45009, 1) == 3600


def test_describe():
    assert describe(45028, "has no masssend quota").startswith("本月群发次数已用完")
    assert "88005" not in describe(88005, "already reply") and "一次" in describe(88005, "already reply")
    assert describe(12345, "odd") == "微信平台返回错误 12345：odd"
    assert describe(None, "HTTP 500")
    assert all("\u4e00" <= ch <= "\u9fff" for ch in describe(45003, "")[:2])
    assert describe_toutiao(70003, "标题夸张").endswith("标题夸张")
