"""A channel's article theme (policy C10: title and body font, size and colour consistent per channel).

``Theme`` is shared with ``cms/content/checks/`` (the format checks compare posts against it); the
renderer turns it into inline styles, since WeChat drops ``<style>`` blocks and classes.
``theme_from_dict`` validates what an administrator typed (messages in Chinese, shown on the form);
``theme_to_dict`` gives the JSON-friendly form to store on the channel.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

__all__ = ["DEFAULT_THEME", "Theme", "theme_from_dict", "theme_to_dict"]


@dataclasses.dataclass(frozen=True)
class Theme:
    body_font: str = "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"
    body_size_px: int = 16
    body_color: str = "#333333"
    line_height: float = 1.75
    paragraph_spacing_px: int = 16
    title_size_px: int = 22
    heading_color: str = "#1a1a1a"
    accent_color: str = "#07c160"
    quote_color: str = "#888888"
    caption_size_px: int = 14
    allowed_colors: tuple[str, ...] = ()
    max_font_sizes: int = 3


DEFAULT_THEME = Theme()

_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Font names: letters (CJK included), digits, spaces, hyphens, commas and single quotes. Nothing that
# could end a CSS declaration or an HTML attribute (; : " < > \ ( ) { }).
_FONT_RE = re.compile(r"^[\w\s,'\-]+$")

# field -> (Chinese label, minimum, maximum) for the numeric fields
_INT_FIELDS: dict[str, tuple[str, int, int]] = {
    "body_size_px": ("正文字号", 12, 24),
    "paragraph_spacing_px": ("段落间距", 0, 64),
    "title_size_px": ("标题字号", 14, 40),
    "caption_size_px": ("图注字号", 10, 20),
    "max_font_sizes": ("字号种类上限", 1, 10),
}
_COLOR_FIELDS: dict[str, str] = {
    "body_color": "正文颜色",
    "heading_color": "小标题颜色",
    "accent_color": "强调色",
    "quote_color": "引用颜色",
}


def _int(name: str, value: Any) -> int:
    label, low, high = _INT_FIELDS[name]
    if isinstance(value, bool):
        raise ValueError(f"{label}必须是整数")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d+", value):
            raise ValueError(f"{label}必须是整数")
        value = int(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{label}必须是整数")
        value = int(value)
    elif not isinstance(value, int):
        raise ValueError(f"{label}必须是整数")
    if not low <= value <= high:
        raise ValueError(f"{label}应在 {low} 到 {high} 之间")
    return value


def _line_height(value: Any) -> float:
    label = "行高"
    if isinstance(value, bool):
        raise ValueError(f"{label}必须是数字")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"{label}必须是数字") from None
    if not math.isfinite(number) or not 1.0 <= number <= 3.0:
        raise ValueError(f"{label}应在 1.0 到 3.0 之间")
    return number


def _color(label: str, value: Any) -> str:
    if not isinstance(value, str) or not _COLOR_RE.match(value.strip()):
        raise ValueError(f"{label}必须是 #RRGGBB 形式的颜色值")
    return value.strip().lower()


def _font(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("正文字体不能为空")
    value = " ".join(value.split())
    if len(value) > 200 or not _FONT_RE.match(value):
        raise ValueError("正文字体格式无效：只能包含字体名称、逗号和单引号")
    return value


def theme_from_dict(d: dict[str, Any]) -> Theme:
    """Build a Theme from stored or submitted values; unknown keys are ignored, missing ones default.

    Raises ValueError with a Chinese message naming the field when a value is unusable.
    """
    if not isinstance(d, dict):
        raise ValueError("主题设置必须是键值对")
    values: dict[str, Any] = {}
    for key, raw in d.items():
        if key in _INT_FIELDS:
            values[key] = _int(key, raw)
        elif key in _COLOR_FIELDS:
            values[key] = _color(_COLOR_FIELDS[key], raw)
        elif key == "line_height":
            values[key] = _line_height(raw)
        elif key == "body_font":
            values[key] = _font(raw)
        elif key == "allowed_colors":
            if isinstance(raw, str):
                raw = [part for part in re.split(r"[\s,，;；]+", raw) if part]
            if not isinstance(raw, list | tuple):
                raise ValueError("允许的颜色必须是颜色值列表")
            colors: list[str] = []
            for item in raw:
                color = _color("允许的颜色", item)
                if color not in colors:
                    colors.append(color)
            values[key] = tuple(colors)
    theme = Theme(**values)
    if theme.caption_size_px > theme.body_size_px:
        raise ValueError("图注字号不应大于正文字号")
    if theme.title_size_px < theme.body_size_px:
        raise ValueError("标题字号不应小于正文字号")
    return theme


def theme_to_dict(theme: Theme) -> dict[str, Any]:
    """JSON-friendly form of a Theme (``allowed_colors`` as a list); theme_from_dict reads it back."""
    data = dataclasses.asdict(theme)
    data["allowed_colors"] = list(theme.allowed_colors)
    return data
