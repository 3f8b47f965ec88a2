"""The register's pure rules (G10 U8): transitions, amounts, files."""
import pytest

from cms.violations import rules
from cms.violations.rules import CONFIRMED, DISMISSED, HANDLED, PROPOSED


@pytest.mark.parametrize(("action", "state", "after"), [
    ("confirm", PROPOSED, CONFIRMED), ("dismiss", PROPOSED, DISMISSED), ("handle", CONFIRMED, HANDLED),
    ("report", CONFIRMED, CONFIRMED), ("report", HANDLED, HANDLED), ("add_evidence", PROPOSED, PROPOSED),
    ("confirm", CONFIRMED, None), ("confirm", DISMISSED, None), ("confirm", HANDLED, None),
    ("dismiss", CONFIRMED, None), ("dismiss", HANDLED, None), ("handle", PROPOSED, None),
    ("handle", DISMISSED, None), ("handle", HANDLED, None), ("report", PROPOSED, None), ("report", DISMISSED, None),
    ("add_evidence", DISMISSED, None),
])
def test_transitions(action, state, after):
    if after is None:
        assert not rules.allowed(action, state)
        with pytest.raises(ValueError):
            rules.next_state(action, state)
    else:
        assert rules.allowed(action, state) and rules.next_state(action, state) == after


@pytest.mark.parametrize(("fen", "text"), [(10000, "¥100.00"), (5000, "¥50.00"), (1, "¥0.01"),
                                           (123456789, "¥1,234,567.89"), (None, ""), (-250, "-¥2.50")])
def test_format_fen(fen, text):
    assert rules.format_fen(fen) == text


@pytest.mark.parametrize(("text", "fen"), [("100", 10000), ("50.5", 5050), ("¥1,000.00", 100000), ("0.01", 1),
                                           ("", None), ("  ", None), ("￥20", 2000), (".5", 50)])
def test_parse_yuan(text, fen):
    assert rules.parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["abc", "-5", "1.234", "1e3", "1.2.3", "¥"])
def test_parse_yuan_refuses(text):
    if text == "¥":
        assert rules.parse_yuan(text) is None
        return
    with pytest.raises(ValueError):
        rules.parse_yuan(text)


@pytest.mark.parametrize(("handling", "fen", "why"), [
    ("fine", 10000, None), ("fine", None, "needs_amount"), ("bonus_deduction", None, None),
    ("bonus_deduction", 20000, None), ("warning", 100, "no_amount"), ("warning", None, None),
    (None, 10000, None), (None, 0, "amount"), ("fine", -1, "amount"),
    ("fine", rules.MAX_AMOUNT_FEN + 1, "amount"), ("dismissal_proposal", None, None),
])
def test_amount_rules(handling, fen, why):
    assert rules.check_amount(handling, fen) == why


def test_u8_handlings_are_all_there():
    assert set(rules.HANDLING_LABELS.values()) >= {"警告", "书面警告", "罚款", "扣发奖金", "停用企业微信账号", "停职",
                                                   "建议解除劳动合同", "降级"}


def test_the_c15_categories_are_the_word_lists_keys():
    from cms.content.checks.words import CATEGORY_LABELS

    assert set(CATEGORY_LABELS) <= set(rules.CATEGORIES)


@pytest.mark.parametrize(("data", "kind"), [
    (b"\x89PNG\r\n\x1a\n....", ("image/png", "png")), (b"\xff\xd8\xff\xe0..", ("image/jpeg", "jpg")),
    (b"GIF89a..", ("image/gif", "gif")), (b"%PDF-1.7\n", ("application/pdf", "pdf")),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("image/webp", "webp")), (b"<html><script>", None), (b"PK\x03\x04", None),
])
def test_sniff(data, kind):
    assert rules.sniff(data) == kind


@pytest.mark.parametrize(("name", "ext", "safe"), [
    ("截图.png", "png", "截图.png"), ("../../etc/passwd", "pdf", "passwd.pdf"), ("C:\\证据\\a.exe", "png", "a.png"),
    ("", "jpg", "evidence.jpg"), ('x<y>"z".pdf', "pdf", "xyz.pdf"), ("a" * 200 + ".png", "png", "a" * 80 + ".png"),
    ("报告.html", "pdf", "报告.pdf"),
])
def test_safe_filename(name, ext, safe):
    assert rules.safe_filename(name, ext) == safe
