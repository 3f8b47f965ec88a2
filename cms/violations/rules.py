"""Pure decisions of the violations register (G10 U8): states and their transitions, the
categories, the handlings U8 lists, amounts in fen. No database, no Flask, no clock.

    proposed ──confirm──▶ confirmed ──handle──▶ handled
        └──dismiss (reason)──▶ dismissed
    report to legal (法务): once, from confirmed or handled
"""
from __future__ import annotations

PROPOSED, CONFIRMED, DISMISSED, HANDLED = "proposed", "confirmed", "dismissed", "handled"
STATES = (PROPOSED, CONFIRMED, DISMISSED, HANDLED)
STATE_LABELS = {PROPOSED: "待确认", CONFIRMED: "已确认", DISMISSED: "已驳回", HANDLED: "已处理"}

# action -> (states it starts from, state it leaves the violation in; None: unchanged)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "confirm": ((PROPOSED,), CONFIRMED),
    "dismiss": ((PROPOSED,), DISMISSED),
    "handle": ((CONFIRMED,), HANDLED),
    "report": ((CONFIRMED, HANDLED), None),
    "add_evidence": ((PROPOSED, CONFIRMED, HANDLED), None),
}

# C15's categories, with the keys the content word lists use (cms/content/checks/words.py), and
# G10's leaks and G11's work discipline in groups.
CATEGORY_LABELS = {
    "illegal": "违法",
    "obscene": "淫秽色情",
    "gambling": "赌博",
    "violent": "暴力",
    "terrorist": "恐怖",
    "rumour": "谣言",
    "political": "政治错误",
    "superstition": "封建迷信",
    "defamation": "诽谤",
    "company_secret": "泄露公司秘密",
    "customer_data": "泄露客户资料",
    "privacy": "泄露个人隐私",
    "advertising": "与公司业务无关的广告",
    # G11, with the kinds cms/groups/messages.py proposes
    "late_answer": "未在 30 分钟内回复当日工作任务（G11）",
    "shirked": "推诿工作任务（G11）",
    "delayed": "拖延工作任务（G11）",
    "other": "其他",
}
CATEGORIES = tuple(CATEGORY_LABELS)

# Where a record came from: entered by hand, or proposed by a feature (G11 acknowledgements).
SOURCE_LABELS = {
    "manual": "人工登记",
    "G11": "工作群任务与通知（G11）",  # cms/groups/messages.py
    "g11_unanswered": "工作任务 30 分钟未回复（G11）",
    "g11_shirked": "推诿、拖延工作任务（G11）",
    "word_check": "违禁词检查",
}
SOURCES = tuple(SOURCE_LABELS)

# U8's penalties; "fine" needs an amount, "bonus_deduction" may name one.
HANDLING_LABELS = {
    "warning": "警告",
    "written_warning": "书面警告",
    "fine": "罚款",
    "bonus_deduction": "扣发奖金",
    "demotion": "降级",
    "account_disabled": "停用企业微信账号",
    "suspension": "停职",
    "dismissal_proposal": "建议解除劳动合同",
}
HANDLINGS = tuple(HANDLING_LABELS)
NEEDS_AMOUNT = {"fine"}
MAY_HAVE_AMOUNT = {"fine", "bonus_deduction"}
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000.00: anything larger is a typing error

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 20
# (magic bytes, MIME type, file extension)
EVIDENCE_KINDS = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
)


def allowed(action: str, state: str) -> bool:
    starts, _to = TRANSITIONS[action]
    return state in starts


def next_state(action: str, state: str) -> str:
    """The state after `action` from `state` (unchanged for report, add_evidence); ValueError when
    the action is not allowed from there."""
    if not allowed(action, state):
        raise ValueError(f"{action} is not allowed from {state}")
    to = TRANSITIONS[action][1]
    return to if to is not None else state


def format_fen(amount_fen: int | None) -> str:
    """1000000 -> "¥10,000.00"; None -> ""."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(int(amount_fen)), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def parse_yuan(text: str | None) -> int | None:
    """"100" / "100.5" / "¥1,000.00" -> fen (10000 / 10050 / 100000); "" -> None; ValueError for
    anything else (negative, more than two decimals, not a number)."""
    text = (text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if not text:
        return None
    whole, _dot, frac = text.partition(".")
    if not whole.isdigit() and not (whole == "" and frac):
        raise ValueError("not an amount")
    if frac and (not frac.isdigit() or len(frac) > 2):
        raise ValueError("at most two decimals")
    return int(whole or 0) * 100 + int((frac + "00")[:2])


def check_amount(handling: str | None, amount_fen: int | None) -> str | None:
    """Why this amount does not fit (None: it fits). A proposal (handling None) may carry one."""
    if amount_fen is not None and not 0 < amount_fen <= MAX_AMOUNT_FEN:
        return "amount"
    if handling is None:
        return None
    if handling in NEEDS_AMOUNT and amount_fen is None:
        return "needs_amount"
    if amount_fen is not None and handling not in MAY_HAVE_AMOUNT:
        return "no_amount"
    return None


def sniff(data: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of an image or PDF by its first bytes (never the name the browser sent)."""
    for magic, mime, ext in EVIDENCE_KINDS:
        if data.startswith(magic):
            return mime, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def safe_filename(name: str, ext: str, fallback: str = "evidence") -> str:
    """A name to show and download under: the browser's base name without path parts or control
    characters, cut to 80 characters, ending in the sniffed extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:80] or fallback
    return f"{stem}.{ext}"
