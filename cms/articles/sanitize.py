"""The one HTML sanitiser of the CMS: WeChat-shaped allowlists behind ``sanitize_html``.

Everything that is stored as rendered HTML, shown in a preview or sent to a platform passes through
:func:`sanitize_html`. The engine is bleach with its CSS sanitizer (tinycss2), the design card's
choice; bleach is archived upstream, so nothing outside this module may import it for sanitising, and
the engine can be swapped (nh3 is the measured alternative) by changing only this file.

What WeChat keeps (DESIGN.md, "WeChat HTML"): inline ``style`` on ``section``/``p``/``span``/``img``;
it drops ``<style>``, classes, scripts and most positioning. Pasted 135editor/Xiumi layouts are
nested ``<section style=...>`` and sometimes SVG, so the allowlist covers CSS properties as well as
tags, or layouts break (policy C10: the unified format must survive sanitising).

Rules, in order:

1. Elements whose *content* is dangerous or meaningless as text (script, style, iframe, object,
   math, foreignObject, ...) are dropped together with everything inside them.
2. SVG animation elements (animate, set, ...) survive only when they animate a presentational
   attribute with inert values: ``<animate attributeName="href" values="javascript:...">`` is
   dropped whole.
3. Every other element not on the allowlist is removed and its text kept.
4. Attributes: ``style`` everywhere (through the CSS allowlist), a few per tag; never ``on*``,
   ``class`` or ``id``. Links: http, https, mailto or relative. Images: http, https or ``/assets/``.
   No ``javascript:``, ``vbscript:`` or ``data:`` anywhere.
5. CSS: an allowlist of properties; a declaration is dropped when its value holds a function outside
   a small presentational set (``expression(``, ``image-set(``...), a ``url()`` that is not http(s)
   or ``/assets/``, or a parse error.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable, Iterator

import tinycss2
from bleach import html5lib_shim
from bleach.css_sanitizer import CSSSanitizer
from bleach.sanitizer import Cleaner

__all__ = [
    "ALLOWED_CSS_PROPERTIES",
    "ALLOWED_TAGS",
    "is_safe_image_url",
    "sanitize_css",
    "sanitize_engine_name",
    "sanitize_html",
]

# ---------------------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------------------

# HTML tags WeChat keeps in article content (policy C10: pasted layouts must survive).
_HTML_TAGS = frozenset(
    {
        "section", "div", "p", "span", "strong", "b", "em", "i", "u", "s", "del", "ins", "br", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "img", "a",
        "figure", "figcaption", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot",
        "tr", "th", "td", "pre", "code", "sup", "sub",
    }
)  # fmt: skip

# The presentational SVG subset used by 135editor/Xiumi layouts. No <use>, <image>, <foreignObject>,
# <script>, <style>, <a> with xlink, gradients/filters (they need ids, which are stripped anyway).
# Names as html5lib reports them (SVG tag names keep their camel case).
_SVG_TAGS = frozenset(
    {
        "svg", "g", "rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text", "tspan",
        "animate", "animateTransform", "animateMotion", "set",
    }
)  # fmt: skip

ALLOWED_TAGS = _HTML_TAGS | _SVG_TAGS

_SVG_ANIMATION_TAGS = frozenset({"animate", "animateTransform", "animateMotion", "set"})

# Elements dropped together with their content (rule 1). Lower case: compared case-insensitively.
_DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
        "applet", "noembed", "noframes", "xmp", "plaintext", "textarea", "select", "option", "title",
        "head", "math", "foreignobject", "xml", "audio", "video", "canvas", "portal",
        "listing", "param", "source", "track", "link", "meta", "base",
    }
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^\s*\d{1,5}(\.\d{1,4})?\s*$")
_LENGTH_RE = re.compile(r"^\s*\d{1,5}(\.\d{1,4})?\s*(px|%)?\s*$")

_SVG_ATTRIBUTES = frozenset(
    {
        # geometry and presentation
        "viewBox", "preserveAspectRatio", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx",
        "cy", "r", "rx", "ry", "d", "points", "transform", "opacity", "fill", "fill-opacity",
        "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
        "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "visibility", "display",
        "font-size", "font-family", "font-weight", "text-anchor", "dominant-baseline", "dx", "dy",
        "letter-spacing", "pathLength", "version",
        # animation timing and values (value attributes are checked again in _unsafe_animation)
        "attributeName", "attributeType", "type", "values", "from", "to", "by", "dur", "begin",
        "end", "repeatCount", "repeatDur", "keyTimes", "keySplines", "keyPoints", "calcMode",
        "additive", "accumulate", "restart", "min", "max", "path", "rotate",
    }
)  # fmt: skip

# Attribute values in SVG that would make an animation or paint reach outside the document.
_SVG_DANGEROUS_VALUE_RE = re.compile(r"url\s*\(|javascript|vbscript|data\s*:|&|:", re.IGNORECASE)

# Attributes SVG animations may change: presentational ones only (never href, style, on*, ...).
_SAFE_ANIMATED_ATTRIBUTES = frozenset(
    {
        "opacity", "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity",
        "stroke-dasharray", "stroke-dashoffset", "transform", "x", "y", "width", "height", "cx", "cy",
        "r", "rx", "ry", "d", "points", "visibility", "display", "x1", "y1", "x2", "y2",
        "font-size", "letter-spacing", "color", "offset", "stop-color", "stop-opacity",
    }
)  # fmt: skip
_SAFE_ANIMATED_ATTRIBUTES_LOWER = frozenset(a.lower() for a in _SAFE_ANIMATED_ATTRIBUTES)

_LINK_PROTOCOLS = frozenset({"http", "https", "mailto"})

_SCHEME_STRIP_RE = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")


def _normalised_url(value: str) -> str:
    """The URL as a browser would read it: entities decoded, whitespace/controls gone, lower case."""
    decoded = html.unescape(html.unescape(value))
    return _SCHEME_STRIP_RE.sub("", decoded).lower()


def is_safe_image_url(value: str) -> bool:
    """Images load from http(s) or our own ``/assets/`` only: no data:, javascript:, ``//host``."""
    url = _normalised_url(value)
    if url.startswith(("http://", "https://")):
        return True
    return url.startswith("/assets/") and ".." not in url and "\\" not in url


_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def _is_safe_link(value: str) -> bool:
    """Links: http, https, mailto, or relative (no scheme at all)."""
    url = _normalised_url(value)
    scheme = _SCHEME_RE.match(url)
    if scheme:
        return scheme.group(1) in _LINK_PROTOCOLS
    return ":" not in url.split("/", 1)[0] and "\\" not in url


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    """bleach attribute callable; ``name`` comes without its namespace (xlink:href arrives as href)."""
    lname = name.lower()
    if lname.startswith("on") or lname in ("class", "id", "srcdoc", "formaction", "xmlns"):
        return False
    if lname == "style":
        return True
    if tag == "img":
        if lname in ("src", "data-src"):
            return is_safe_image_url(value)
        if lname in ("alt", "title"):
            return True
        if lname in ("width", "height"):
            return bool(_LENGTH_RE.match(value))
        if lname in ("data-ratio", "data-w"):
            return bool(_NUMBER_RE.match(value))
        return False
    if tag == "a":
        if lname == "href":
            return _is_safe_link(value)
        return lname == "title"
    if tag in ("td", "th"):
        return lname in ("colspan", "rowspan") and bool(_NUMBER_RE.match(value))
    if tag in ("col", "colgroup"):
        return lname == "span" and bool(_NUMBER_RE.match(value))
    if tag in ("ol",):
        return lname == "start" and bool(_NUMBER_RE.match(value))
    if tag in _SVG_TAGS:
        if name not in _SVG_ATTRIBUTES:
            return False
        return not _SVG_DANGEROUS_VALUE_RE.search(html.unescape(value))
    return False


# ---------------------------------------------------------------------------------------------------
# CSS
# ---------------------------------------------------------------------------------------------------

# What pasted 135editor / Xiumi / Word layouts use. Deliberately absent: position, top/left/right/
# bottom, z-index, behavior, -moz-binding, content, cursor, filter, mask, clip-path, animation.
ALLOWED_CSS_PROPERTIES = frozenset(
    {
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
        "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
        "color", "background", "background-color", "background-image", "background-size",
        "background-position", "background-repeat", "background-clip", "background-origin",
        "font", "font-size", "font-weight", "font-family", "font-style", "font-variant",
        "line-height", "letter-spacing", "word-spacing", "text-align", "text-indent",
        "text-decoration", "text-decoration-line", "text-decoration-color", "text-decoration-style",
        "text-shadow", "text-transform", "text-align-last",
        "border", "border-top", "border-right", "border-bottom", "border-left", "border-width",
        "border-style", "border-color", "border-top-width", "border-right-width",
        "border-bottom-width", "border-left-width", "border-top-style", "border-right-style",
        "border-bottom-style", "border-left-style", "border-top-color", "border-right-color",
        "border-bottom-color", "border-left-color", "border-radius", "border-top-left-radius",
        "border-top-right-radius", "border-bottom-left-radius", "border-bottom-right-radius",
        "border-collapse", "border-spacing",
        "width", "min-width", "max-width", "height", "min-height", "max-height",
        "display", "vertical-align", "box-sizing", "overflow", "overflow-x", "overflow-y",
        "box-shadow", "white-space", "word-break", "word-wrap", "overflow-wrap", "opacity",
        "transform", "-webkit-transform", "transform-origin", "float", "clear",
        "flex", "flex-direction", "flex-wrap", "flex-flow", "flex-grow", "flex-shrink", "flex-basis",
        "justify-content", "align-items", "align-self", "align-content", "order", "gap",
        "list-style", "list-style-type", "list-style-position", "table-layout", "caption-side",
        "writing-mode", "direction", "unicode-bidi", "visibility", "pointer-events",
        "-webkit-box-sizing", "text-size-adjust", "-webkit-text-size-adjust", "caret-color",
    }
)  # fmt: skip

# SVG presentation properties allowed inside style attributes as well.
_ALLOWED_SVG_CSS_PROPERTIES = frozenset(
    {
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
        "stroke-linejoin", "stroke-opacity", "stroke-dasharray", "stroke-dashoffset",
    }
)  # fmt: skip

# CSS functions that only compute colours, lengths, gradients and rotations.
_ALLOWED_CSS_FUNCTIONS = frozenset(
    {
        "rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "clamp",
        "linear-gradient", "radial-gradient", "repeating-linear-gradient",
        "repeating-radial-gradient", "-webkit-linear-gradient", "cubic-bezier", "steps",
        "url",  # checked separately: http(s) or /assets/ only
    }
)  # fmt: skip

# transform: rotation, scaling, skewing and offsets (WeChat keeps them; 135editor uses rotate and
# translate3d). No matrix(): it can do all of the others at once and nobody pastes it by hand.
_TRANSFORM_FUNCTIONS = frozenset(
    {
        "rotate", "rotatex", "rotatey", "rotatez", "rotate3d", "scale", "scalex", "scaley", "scale3d",
        "skew", "skewx", "skewy", "translate", "translatex", "translatey", "translate3d",
        "perspective",
    }
)  # fmt: skip

_CSS_DANGEROUS_TEXT_RE = re.compile(
    r"expression|javascript|vbscript|behavior|-moz-binding|data\s*:|@import|\\", re.IGNORECASE
)


def _css_url_ok(url: str) -> bool:
    return is_safe_image_url(url)


def _css_value_ok(tokens: Iterable, property_name: str) -> bool:
    transform = property_name in ("transform", "-webkit-transform")
    for token in tokens:
        kind = token.type
        if kind in ("error", "{} block", "at-keyword"):
            return False
        if kind == "url":
            if not _css_url_ok(token.value):
                return False
        elif kind == "function":
            name = token.lower_name
            if name == "url":
                args = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
                if len(args) != 1 or args[0].type != "string" or not _css_url_ok(args[0].value):
                    return False
            elif transform:
                if name not in _TRANSFORM_FUNCTIONS:
                    return False
            elif name not in _ALLOWED_CSS_FUNCTIONS:
                return False
            if not _css_value_ok(token.arguments, property_name):
                return False
        elif kind in ("[] block", "() block"):
            if not _css_value_ok(token.content, property_name):
                return False
        elif kind in ("ident", "string") and _CSS_DANGEROUS_TEXT_RE.search(token.value):
            return False
    return True


def _serialize_css(tokens: Iterable) -> str:
    """tinycss2.serialize, but strings in single quotes so that style attributes stay double-quoted."""
    parts: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "string":
            if "'" in token.value or "\\" in token.value or "\n" in token.value:
                return "\\"  # rejected by the caller (_CSS_DANGEROUS_TEXT_RE)
            parts.append(f"'{token.value}'")
        elif kind == "function":
            parts.append(f"{tinycss2.serializer.serialize_identifier(token.name)}(")
            parts.append(_serialize_css(token.arguments))
            parts.append(")")
        elif kind == "() block":
            parts.append(f"({_serialize_css(token.content)})")
        elif kind == "[] block":
            parts.append(f"[{_serialize_css(token.content)}]")
        else:
            parts.append(token.serialize())
    return "".join(parts)


def sanitize_css(style: str) -> str:
    """Keep the allowed declarations of CSS text (a decoded ``style`` value), compact and in order."""
    out: list[str] = []
    for decl in tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True):
        if decl.type != "declaration":
            continue  # parse errors and at-rules are dropped
        name = decl.lower_name
        if name not in ALLOWED_CSS_PROPERTIES and name not in _ALLOWED_SVG_CSS_PROPERTIES:
            continue
        if not _css_value_ok(decl.value, name):
            continue
        value = _serialize_css(decl.value).strip()
        if not value or _CSS_DANGEROUS_TEXT_RE.search(value):
            continue
        out.append(f"{name}:{value}{' !important' if decl.important else ''}")
    return ";".join(out)


class _WeChatCSSSanitizer(CSSSanitizer):
    def __init__(self) -> None:
        super().__init__(
            allowed_css_properties=ALLOWED_CSS_PROPERTIES,
            allowed_svg_properties=_ALLOWED_SVG_CSS_PROPERTIES,
        )

    def sanitize_css(self, style: str) -> str:
        """bleach calls this with the attribute's raw text (its tokenizer leaves entities alone).

        Decode first, so the CSS checked is the CSS a browser reads (``&#106;avascript`` and
        ``&#59;`` tricks); then encode every ``&`` again, so the browser decodes the output back to
        exactly the CSS that passed.
        """
        return sanitize_css(html.unescape(style)).replace("&", "&amp;")


# ---------------------------------------------------------------------------------------------------
# Token-stream filters around bleach's own sanitizer filter
# ---------------------------------------------------------------------------------------------------

_TAG_TOKENS = ("StartTag", "EndTag", "EmptyTag")


def _attr(token: dict, name: str) -> str | None:
    for (_ns, attr_name), value in (token.get("data") or {}).items():
        if attr_name.lower() == name.lower():
            return value
    return None


def _unsafe_animation(token: dict) -> bool:
    """Rule 2: an SVG animation that would change anything but a presentational attribute."""
    target = (_attr(token, "attributeName") or "").strip().lower()
    if target not in _SAFE_ANIMATED_ATTRIBUTES_LOWER:
        return True
    for name in ("values", "from", "to", "by", "href"):
        value = _attr(token, name)
        if value is not None and _SVG_DANGEROUS_VALUE_RE.search(html.unescape(value)):
            return True
    return False


_SVG_NAMESPACE = html5lib_shim.namespaces["svg"]


def _drop_dangerous_subtrees(tokens: Iterable[dict]) -> Iterator[dict]:
    """Rules 1 and 2, on the walker's (balanced) token stream before bleach's sanitizer.

    Also drops an HTML element that the parser left *inside* SVG (``<svg></p>`` makes one): serialised
    and parsed again it would jump out of the SVG, and such a change of structure between two parses
    is what mutation XSS feeds on. The output therefore parses back to itself.
    """
    depth = 0
    namespaces: list[str | None] = []  # of the open elements that are kept
    for token in tokens:
        kind = token["type"]
        if depth:
            if kind == "StartTag":
                depth += 1
            elif kind == "EndTag":
                depth -= 1
            continue
        if kind in _TAG_TOKENS:
            name = token["name"]
            if kind == "EndTag":
                if namespaces:
                    namespaces.pop()
                yield token
                continue
            namespace = token.get("namespace")
            drop = (
                name.lower() in _DROP_WITH_CONTENT
                or (name in _SVG_ANIMATION_TAGS and _unsafe_animation(token))
                or (namespace != _SVG_NAMESPACE and namespaces and namespaces[-1] == _SVG_NAMESPACE)
            )
            if drop:
                if kind == "StartTag":
                    depth = 1
                continue
            if kind == "StartTag":
                namespaces.append(namespace)
        yield token


class _TidyFilter(html5lib_shim.Filter):
    """After sanitising: drop ``style=""`` left when no declaration survived, and source-less images."""

    def __iter__(self) -> Iterator[dict]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token.get("data"):
                data = token["data"]
                if data.get((None, "style"), None) == "":
                    del data[(None, "style")]
            if token["type"] == "EmptyTag" and token["name"] == "img":
                data = token.get("data") or {}
                if (None, "src") not in data and (None, "data-src") not in data:
                    continue  # an image whose source was refused shows nothing
            yield token


def _make_cleaner() -> Cleaner:
    cleaner = Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=_LINK_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_TidyFilter],
        css_sanitizer=_WeChatCSSSanitizer(),
    )
    # The parser must see the elements of rule 1 as elements (not as stripped tags whose content
    # turns into text), so that _drop_dangerous_subtrees can remove them with their content. The
    # sanitizer filter still only allows ALLOWED_TAGS, so anything the drop step misses is stripped.
    cleaner.parser = html5lib_shim.BleachHTMLParser(
        tags=ALLOWED_TAGS | _DROP_WITH_CONTENT,
        strip=True,
        consume_entities=False,
        namespaceHTMLElements=False,
    )
    walker = cleaner.walker
    cleaner.walker = lambda dom: _drop_dangerous_subtrees(walker(dom))
    return cleaner


_local = threading.local()  # bleach's Cleaner is not thread-safe: one per thread


def sanitize_engine_name() -> str:
    """The engine behind :func:`sanitize_html` (for the bench and the about page)."""
    return "bleach"


def sanitize_html(html_text: str) -> str:
    """Return ``html_text`` with only WeChat-safe tags, attributes and CSS left (see module doc)."""
    if not html_text:
        return ""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _make_cleaner()
    return cleaner.clean(html_text)
