"""Format checks (policy C10: 标题和内容的字体、大小、颜色…基本保持一致).

"Basically consistent": a deviation from the channel's theme is a *warning* (the author records a
reason, reviewers see it), never a block. The platform's hard limits (WECHAT_API.md §1.3) are stated
in the messages: the title, author and digest limits are warnings here because the text can still be
shortened by the editor step, while content at or over the limit is an error (45002 at publishing).

Typography checks name a fix that :func:`cms.content.checks.apply_fix` applies to the source.
"""

from __future__ import annotations

import colorsys
import functools
import re
from collections.abc import Callable

from cms.content.checks.base import ERROR, WARNING, Article, CheckContext, Finding, join_limited, where_label
from cms.content.checks.htmltext import Body, parse_body
from cms.content.checks.typography import Edits, punctuation_edits, spacing_edits, traditional_edits

__all__ = [
    "ATTRIBUTION_PREFIX",
    "check_empty_paragraphs",
    "check_lengths",
    "check_punctuation",
    "check_spacing",
    "check_styles",
    "check_traditional",
    "color_hex",
    "font_size_px",
]

TITLE_MAX, AUTHOR_MAX, DIGEST_MAX = 32, 16, 128  # WECHAT_API.md §1.3 (45003, 45110, 45004)
# The renderer's source line of a reprint (cms/articles/render.py attribution_line): made from the
# source fields, not from the body, so the typography fixes cannot change it and do not look at it.
ATTRIBUTION_PREFIX = "本文转载自："


# -- lengths --------------------------------------------------------------------------------------


def check_lengths(article: Article, ctx: CheckContext) -> list[Finding]:
    findings = []
    if not article.title.strip():
        findings.append(Finding("format.title_missing", ERROR, "C10", "title", "标题不能为空，请填写标题。"))
    limits = (
        ("title", "format.title_length", article.title, TITLE_MAX, "45003"),
        ("author", "format.author_length", article.author, AUTHOR_MAX, "45110"),
        ("digest", "format.digest_length", article.digest, DIGEST_MAX, "45004"),
    )
    for where, check, text, limit, code in limits:
        if len(text) > limit:
            findings.append(
                Finding(
                    check,
                    WARNING,
                    "C10",
                    where,
                    f"{where_label(where)}共 {len(text)} 个字，超过微信公众平台上限 {limit} 个字，"
                    f"平台会拒收（错误码 {code}）。请精简到 {limit} 个字以内（C10：文字简明）。",
                    subject=text,
                )
            )
    size = len(article.html)
    if size >= ctx.content_limit:
        findings.append(
            Finding(
                "format.content_length",
                ERROR,
                "C10",
                "body",
                f"正文排版后共 {size} 个字符（含 HTML 标签），达到或超过微信公众平台上限 {ctx.content_limit}，"
                "平台会拒收（错误码 45002）。请删减内容，或清除粘贴带来的多余样式和空段落。",
                subject=str(size),
            )
        )
    return findings


# -- inline styles --------------------------------------------------------------------------------

_SIZE_RE = re.compile(r"([0-9]*\.?[0-9]+)\s*(px|pt|em|rem|%|)")
_SIZE_KEYWORDS = {
    "xx-small": 9, "x-small": 10, "small": 13, "medium": 16, "large": 18, "x-large": 24,
    "xx-large": 32, "xxx-large": 48,
}  # fmt: skip
_FONT_TAG_SIZES = {1: 10, 2: 13, 3: 16, 4: 18, 5: 24, 6: 32, 7: 48}
_IGNORED = frozenset({"inherit", "initial", "unset", "revert", "revert-layer", "currentcolor", "transparent"})
_NAMED_COLORS = {
    "black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000", "blue": "#0000ff",
    "yellow": "#ffff00", "orange": "#ffa500", "purple": "#800080", "gray": "#808080", "grey": "#808080",
    "silver": "#c0c0c0", "maroon": "#800000", "olive": "#808000", "lime": "#00ff00", "aqua": "#00ffff",
    "cyan": "#00ffff", "teal": "#008080", "navy": "#000080", "fuchsia": "#ff00ff", "magenta": "#ff00ff",
    "pink": "#ffc0cb", "brown": "#a52a2a", "gold": "#ffd700", "darkred": "#8b0000",
    "darkgray": "#a9a9a9", "darkgrey": "#a9a9a9", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3",
    "dimgray": "#696969", "dimgrey": "#696969",
}  # fmt: skip
_FONT_SHORTHAND_RE = re.compile(
    r"(?:^|\s)((?:[0-9]*\.?[0-9]+)(?:px|pt|em|rem|%)|xx-small|x-small|small|medium|large|x-large|xx-large)"
    r"(?:\s*/\s*\S+)?\s+(.+)$",
    re.I,
)


@functools.lru_cache(maxsize=512)
def font_size_px(value: str, base: int = 16) -> float | None:
    """A CSS font-size (or a legacy ``<font size>``, marked "<font>N") in px, rounded to 0.5; None when
    it is relative to something unknown (inherit, larger, calc())."""
    v = value.strip().lower()
    if v.startswith("<font>"):
        n = v[6:].strip()
        try:
            size = 3 + int(n) if n[:1] in "+-" else int(n)
        except ValueError:
            return None
        return float(_FONT_TAG_SIZES[min(7, max(1, size))])
    if v in _SIZE_KEYWORDS:
        return float(_SIZE_KEYWORDS[v])
    m = _SIZE_RE.fullmatch(v)
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2)
    px = {"px": number, "": number, "pt": number * 4 / 3, "em": number * base, "rem": number * base}.get(
        unit, number * base / 100
    )
    return round(px * 2) / 2


def _channel(text: str, percent_of: float) -> float:
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1]) * percent_of / 100
    return float(text)


@functools.lru_cache(maxsize=512)
def color_hex(value: str) -> str | None:
    """A CSS colour as "#rrggbb"; None for inherit/transparent/fully transparent; the value itself
    (lower-cased) when it is not understood."""
    v = value.strip().lower()
    if v in _IGNORED:
        return None
    if v in _NAMED_COLORS:
        return _NAMED_COLORS[v]
    if re.fullmatch(r"#[0-9a-f]{3,4}", v):
        if len(v) == 5 and v[4] == "0":
            return None
        return "#" + "".join(c * 2 for c in v[1:4])
    if re.fullmatch(r"#[0-9a-f]{6}(?:[0-9a-f]{2})?", v):
        if len(v) == 9 and v[7:] == "00":
            return None
        return v[:7]
    m = re.fullmatch(r"(rgba?|hsla?)\(\s*([^)]*)\)", v)
    if not m:
        return v
    parts = [p for p in re.split(r"[\s,/]+", m.group(2)) if p]
    try:
        if len(parts) == 4 and _channel(parts[3], 1) == 0:
            return None
        if m.group(1).startswith("rgb"):
            r, g, b = (max(0, min(255, round(_channel(p, 255)))) for p in parts[:3])
        else:
            h = float(parts[0].removesuffix("deg")) / 360
            s, lightness = _channel(parts[1], 1), _channel(parts[2], 1)
            r, g, b = (round(c * 255) for c in colorsys.hls_to_rgb(h % 1, lightness, s))
    except (ValueError, IndexError):
        return v
    return f"#{r:02x}{g:02x}{b:02x}"


def _families(value: str) -> tuple[str, ...]:
    return tuple(f for f in (part.strip().strip("'\"").strip().lower() for part in value.split(",")) if f)


def _sizes_text(sizes: list[float]) -> str:
    return "、".join(f"{s:g}px" for s in sizes)


def check_styles(article: Article, ctx: CheckContext) -> list[Finding]:
    """Inline font sizes, colours and fonts outside the channel's theme (C10), one warning each."""
    theme = ctx.theme
    body = parse_body(article.html)
    sizes: set[float] = set()
    colors: dict[str, None] = {}
    families: dict[tuple[str, ...], str] = {}
    theme_families = _families(theme.body_font)
    for style in body.styles:
        prop, value = style.prop, style.value
        if prop == "font":
            m = _FONT_SHORTHAND_RE.search(value)
            if not m:
                continue
            prop, value = "font-size", m.group(1)
            family = _families(m.group(2))
            if family and family != theme_families and family[0] not in _IGNORED:
                families.setdefault(family, m.group(2).strip())
        if prop == "font-size":
            px = font_size_px(value, theme.body_size_px)
            if px:  # font-size:0 hides the whitespace between inline blocks in pasted layouts
                sizes.add(px)
        elif prop == "color":
            color = color_hex(value)
            if color:
                colors.setdefault(color)
        elif prop == "font-family":
            family = _families(value)
            if family and family != theme_families and family[0] not in _IGNORED:
                families.setdefault(family, value.strip())

    findings = []
    theme_sizes = {float(theme.body_size_px), float(theme.title_size_px), float(theme.caption_size_px)}
    used = sorted(sizes | {float(theme.body_size_px)})
    outside = sorted(sizes - theme_sizes)
    if outside or len(used) > theme.max_font_sizes:
        message = f"正文使用了 {len(used)} 种字号（{_sizes_text(used)}）"
        if outside:
            message += f"，其中 {_sizes_text(outside)} 不是本频道主题的字号"
        if len(used) > theme.max_font_sizes:
            message += f"，超过本频道允许的 {theme.max_font_sizes} 种"
        message += (
            f"（主题：正文 {theme.body_size_px}px、标题 {theme.title_size_px}px、图注 {theme.caption_size_px}px）。"
            "同一频道的字号应基本保持一致（C10）：请清除粘贴带来的字号，改用主题样式，或填写理由。"
        )
        findings.append(
            Finding("format.font_size", WARNING, "C10", "body", message, subject=_sizes_text(used))
        )
    allowed = {
        color_hex(c) for c in (theme.body_color, theme.heading_color, theme.accent_color, theme.quote_color)
    }
    allowed |= {color_hex(c) for c in theme.allowed_colors}
    foreign = [c for c in colors if c not in allowed]
    if foreign:
        shown = join_limited(foreign, 8)
        theme_colors = "、".join(c for c in (theme.body_color, theme.heading_color, theme.accent_color,
                                             theme.quote_color, *theme.allowed_colors))  # fmt: skip
        findings.append(
            Finding(
                "format.color",
                WARNING,
                "C10",
                "body",
                f"正文使用了本频道主题以外的文字颜色：{shown}（主题颜色：{theme_colors}）。"
                "同一频道的颜色应基本保持一致（C10）：请改用主题颜色，或请管理员把常用颜色加入本频道允许的颜色，"
                "或填写理由。",
                subject=",".join(sorted(foreign)),
            )
        )
    if families:
        shown = join_limited(list(families.values()), 3, sep="；")
        findings.append(
            Finding(
                "format.font_family",
                WARNING,
                "C10",
                "body",
                f"正文使用了本频道主题以外的字体：{shown}。同一频道的字体应保持一致（C10）："
                "请清除粘贴带来的字体设置，使用主题字体，或填写理由。",
                subject=";".join(",".join(f) for f in sorted(families)),
            )
        )
    return findings


# -- empty paragraphs -----------------------------------------------------------------------------


def _paragraphs_label(numbers: list[int]) -> str:
    return f"正文第 {join_limited([str(n) for n in numbers], 8)} 段"


def check_empty_paragraphs(article: Article, ctx: CheckContext) -> list[Finding]:
    body = parse_body(article.html)
    empty = [p.number for p in body.paragraphs if p.tag == "p" and p.is_empty]
    if not empty:
        return []
    where = f"paragraph {empty[0]}" if len(empty) == 1 else "body"
    return [
        Finding(
            "format.empty_paragraph",
            WARNING,
            "C10",
            where,
            f"{_paragraphs_label(empty)}是空段落（共 {len(empty)} 个）。段落间距由频道主题统一设置，"
            "不必用空行隔开（C10）。可一键删除空段落。",
            fix="remove_empty_paragraphs",
            subject=",".join(map(str, empty)),
        )
    ]


# -- typography -----------------------------------------------------------------------------------

Describe = Callable[[str, list[str]], str]


def _attribution_paragraph(article: Article, body: Body) -> int | None:
    if article.source_kind == "reprint" and body.paragraphs:
        last = body.paragraphs[-1]
        if last.text.startswith(ATTRIBUTION_PREFIX):
            return last.number
    return None


def _typography(
    article: Article, rule: Callable[[str], Edits], check: str, fix: str, describe: Describe
) -> list[Finding]:
    findings = []

    def add(where: str, place: str, items: list[str]) -> None:
        findings.append(
            Finding(check, WARNING, "C10", where, describe(place, items), fix=fix, subject="|".join(items))
        )

    for where in ("title", "digest"):
        hits = rule(getattr(article, where)).hits
        if hits:
            add(where, where_label(where), [snippet for _, snippet in hits])
    body = parse_body(article.html)
    skip = _attribution_paragraph(article, body)
    by_paragraph: dict[int, list[str]] = {}
    for offset, snippet in rule(body.typo).hits:
        number = body.paragraph_at(offset, typo=True)
        if number != skip:
            by_paragraph.setdefault(number, []).append(snippet)
    if len(by_paragraph) == 1:
        ((number, items),) = by_paragraph.items()
        add(f"paragraph {number}", where_label(f"paragraph {number}"), items)
    elif by_paragraph:
        items = [s for n in sorted(by_paragraph) for s in by_paragraph[n]]
        add("body", _paragraphs_label(sorted(by_paragraph)), items)
    return findings


def _quoted(items: list[str], limit: int = 3) -> str:
    shown = "、".join(f"“{s}”" for s in items[:limit])
    return shown + (f" 等 {len(items)} 处" if len(items) > limit else "")


def check_punctuation(article: Article, ctx: CheckContext) -> list[Finding]:
    """Half-width , ; : ? ! ( ) inside Chinese sentences (the mixed "我们今天开会,讨论方案。")."""
    return _typography(
        article,
        punctuation_edits,
        "format.punctuation",
        "fullwidth_punctuation",
        lambda place, items: (
            f"{place}的中文句子里混用了半角标点：{_quoted(items)}。中文句子应统一使用全角标点（，；：？！（））"
            "（C10）。可一键改为全角。"
        ),
    )


def check_spacing(article: Article, ctx: CheckContext) -> list[Finding]:
    """A missing space between Chinese and Latin letters or digits ("使用WeChat发布")."""
    return _typography(
        article,
        spacing_edits,
        "format.spacing",
        "space_cjk_latin",
        lambda place, items: (
            f"{place}的中文与英文字母或数字之间缺少空格：{_quoted(items)}。应写作“使用 WeChat 发布”"
            "（C10；日期、数量如“2024年”“30人”不加空格）。可一键添加空格。"
        ),
    )


def check_traditional(article: Article, ctx: CheckContext) -> list[Finding]:
    """Traditional characters in a simplified text."""

    def describe(place: str, items: list[str]) -> str:
        chars = list(dict.fromkeys(items))
        return (
            f"{place}混有繁体字：{join_limited(chars, 10)}（共 {len(items)} 处）。本频道使用简体中文，"
            "用字应保持一致（C10）。可一键转为简体。"
        )

    return _typography(article, traditional_edits, "format.traditional", "to_simplified", describe)
