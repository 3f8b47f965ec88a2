"""A corpus of real XSS vectors for the sanitiser tests (test_sanitize.py, test_render.py).

Collected from the OWASP XSS Filter Evasion Cheat Sheet, the html5sec.org list, PortSwigger's XSS
cheat sheet and published DOMPurify/bleach bypasses (mutation XSS, namespace confusion). Each entry is
(id, vector); the id names the test case.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

HTML_VECTORS: list[tuple[str, str]] = [
    # --- <script> in many spellings --------------------------------------------------------------
    ("script-plain", "<script>alert(1)</script>"),
    ("script-upper-src", '<SCRIPT SRC="http://xss.example/xss.js"></SCRIPT>'),
    ("script-mixed-case", "<ScRiPt>alert(1)</sCrIpT>"),
    ("script-slash-attr", '<script/xss src="http://xss.example/xss.js"></script>'),
    ("script-double-open", '<<SCRIPT>alert("XSS");//<</SCRIPT>'),
    ("script-unclosed", "<p>text<script>alert(1)"),
    ("script-split-name", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script-cdata", '<script type="text/javascript">/*<![CDATA[*/alert(1)/*]]>*/</script>'),
    ("script-in-svg", "<svg><script>alert(1)</script></svg>"),
    ("script-in-svg-xlink", '<svg><script xlink:href="data:,alert(1)"></script></svg>'),
    ("script-after-quotes", '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">'),
    ("script-in-textarea", "<textarea><script>alert(1)</script></textarea>"),
    ("script-comment-trick", '<!--<img src="--><img src=x onerror=alert(1)//">'),
    ("script-cdata-section", "<![CDATA[<script>alert(1)</script>]]>"),
    # --- images and event handlers ---------------------------------------------------------------
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-onerror-slashes", "<img/src='x'/onerror=alert(1)>"),
    ("img-onerror-eval-src", "<img src=x:alert(alt) onerror=eval(src) alt=0>"),
    ("img-onerror-with-good-src", '<img src="https://mmbiz.qpic.cn/a.png" onerror="alert(1)">'),
    ("img-javascript-src", "<IMG SRC=\"javascript:alert('XSS');\">"),
    ("img-mixed-case-scheme", "<IMG SRC=JaVaScRiPt:alert('XSS')>"),
    (
        "img-decimal-entities",
        "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;"
        "&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    ),
    (
        "img-padded-decimal-entities",
        "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112"
        "&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041>",
    ),
    (
        "img-hex-entities-no-semicolon",
        "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74"
        "&#x28&#x31&#x29>",
    ),
    ("img-tab-in-scheme", "<IMG SRC=\"jav\tascript:alert('XSS');\">"),
    ("img-encoded-tab", "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">"),
    ("img-encoded-newline", "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">"),
    ("img-leading-control", "<IMG SRC=\" &#14;  javascript:alert('XSS');\">"),
    ("img-backtick", "<IMG SRC=`javascript:alert(1)`>"),
    ("img-data-svg", '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("img-data-upper", '<img src="DATA:image/png;base64,iVBORw0KGgo=">'),
    ("img-data-src-javascript", '<img src="https://mmbiz.qpic.cn/a.png" data-src="javascript:alert(1)">'),
    ("img-vbscript-style", '<img src="https://a.example/a.png" style="background:url(vbscript:msgbox(1))">'),
    ("img-unclosed-attr", '<img src="x onerror=alert(1)//'),
    ("isindex", "<isindex type=image src=1 onerror=alert(1)>"),
    # --- other event handlers ---------------------------------------------------------------------
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-slash-onload", "<svg/onload=alert(1)>"),
    ("body-onload", "<body onload=alert(1)>"),
    ("details-ontoggle", "<details open ontoggle=alert(1)>"),
    ("video-source-onerror", '<video><source onerror="alert(1)"></video>'),
    ("audio-onerror", "<audio src=x onerror=alert(1)>"),
    ("input-onfocus", "<input autofocus onfocus=alert(1)>"),
    ("keygen-onfocus", "<keygen autofocus onfocus=alert(1)>"),
    ("marquee-onstart", "<marquee onstart=alert(1)>x</marquee>"),
    ("div-onmouseover", '<div onmouseover="alert(1)">x</div>'),
    ("p-onclick-upper", '<p ONCLICK="alert(1)">x</p>'),
    ("a-onclick-good-href", '<a href="https://example.com" onclick="alert(1)">x</a>'),
    ("section-onanimation", '<section style="animation:x 1s" onanimationstart="alert(1)">x</section>'),
    ("frameset-onload", "<frameset onload=alert(1)>"),
    # --- links ------------------------------------------------------------------------------------
    ("href-javascript", '<a href="javascript:alert(1)">x</a>'),
    ("href-mixed-case", '<a href="JaVaScRiPt:alert(1)">x</a>'),
    ("href-decimal-entity", '<a href="&#106;avascript:alert(1)">x</a>'),
    ("href-hex-entities", '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>'),
    ("href-padded-entity", '<a href="&#0000106avascript:alert(1)">x</a>'),
    ("href-leading-space", '<a href=" javascript:alert(1)">x</a>'),
    ("href-named-tab", '<a href="java&Tab;script:alert(1)">x</a>'),
    ("href-named-newline", '<a href="jav&NewLine;ascript:alert(1)">x</a>'),
    ("href-named-colon", '<a href="javascript&colon;alert(1)">x</a>'),
    ("href-control-char", '<a href="\x01javascript:alert(1)">x</a>'),
    ("href-nul-char", '<a href="java\x00script:alert(1)">x</a>'),
    ("href-vbscript", '<a href="vbscript:msgbox(1)">x</a>'),
    ("href-data-base64", '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'),
    ("href-data-plain", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    ("href-data-percent", '<a href="data:text/html;charset=utf-8,%3Cscript%3Ealert(1)%3C/script%3E">x</a>'),
    ("href-unclosed", '<a href="javascript:alert(1)"'),
    ("table-background", '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>'),
    # --- CSS --------------------------------------------------------------------------------------
    ("css-url-javascript", '<div style="background:url(javascript:alert(1))">x</div>'),
    ("css-url-quoted-javascript", "<div style=\"background-image: url('javascript:alert(1)')\">x</div>"),
    ("css-url-entity", '<div style="background:url(&#106;avascript:alert(1))">x</div>'),
    ("css-url-entity-quotes", '<p style="background:url(&quot;javascript:alert(1)&quot;)">x</p>'),
    ("css-url-escape", '<div style="background:u\\72 l(javascript:alert(1))">x</div>'),
    ("css-url-data", '<div style="background:url(data:image/svg+xml;base64,PHN2Zz4=)">x</div>'),
    ("css-expression", '<div style="width: expression(alert(1))">x</div>'),
    ("css-expression-comment", "<div style=\"xss:expr/*XSS*/ession(alert('XSS'))\">x</div>"),
    ("css-expression-escape", '<div style="width:\\65xpression(alert(1))">x</div>'),
    ("css-expression-entity", '<div style="width:expr&#101;ssion(alert(1))">x</div>'),
    ("css-semicolon-entity", '<p style="color:red&#59;background:url(javascript:alert(1))">x</p>'),
    ("css-moz-binding", '<div style="-moz-binding: url(http://xss.example/xss.xml#xss)">x</div>'),
    ("css-behavior", '<div style="behavior: url(xss.htc)">x</div>'),
    ("css-import-in-style", "<style>@import 'http://xss.example/xss.css';</style>"),
    ("css-style-block-url", '<style>body{background:url("javascript:alert(1)")}</style><p>x</p>'),
    ("css-svg-style", "<svg><style>@import url(javascript:alert(1))</style></svg>"),
    # --- embedding, forms, document-level tags ----------------------------------------------------
    ("iframe-javascript", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object-data", '<object data="javascript:alert(1)"></object>'),
    ("object-scriptlet", '<object type="text/x-scriptlet" data="http://xss.example/xss.sct"></object>'),
    ("embed-data-svg", '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'),
    ("form-action", '<form action="javascript:alert(1)"><input type=submit></form>'),
    ("button-formaction", '<form><button formaction="javascript:alert(1)">x</button></form>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base-href", '<base href="javascript:alert(1)//"><a href="/x">x</a>'),
    ("link-stylesheet", '<link rel="stylesheet" href="javascript:alert(1)">'),
    ("title-img", "<title><img src=x onerror=alert(1)></title>"),
    ("xmp-img", "<xmp><img src=x onerror=alert(1)></xmp>"),
    # --- mutation XSS and namespace confusion -----------------------------------------------------
    ("mxss-noscript", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    (
        "mxss-math-mglyph-style",
        '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;'
        'src=1&Tab;onerror=alert(1)&gt;">',
    ),
    ("mxss-svg-p-style", '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">'),
    (
        "mxss-math-textarea",
        '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">',
    ),
    ("mxss-form-math", "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>"),
    ("math-href", '<math href="javascript:alert(1)">CLICKME</math>'),
    (
        "math-maction",
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    ),
    (
        "svg-foreignobject-iframe",
        '<svg><foreignObject><iframe src="javascript:alert(1)"></iframe></foreignObject></svg>',
    ),
    # --- SVG ----------------------------------------------------------------------------------------
    (
        "svg-animate-href-values",
        "<svg><animate attributeName=href values=javascript:alert(1) /><a><text y=20>x</text></a></svg>",
    ),
    (
        "svg-animate-href-to",
        '<svg><a><animate attributeName="href" to="javascript:alert(1)"/><text x="20" y="20">x</text></a></svg>',
    ),
    (
        "svg-animate-xlink-href",
        '<svg><animate attributeName="xlink:href" values="javascript:alert(1)"/></svg>',
    ),
    (
        "svg-animate-entity-values",
        '<svg><a><animate attributeName="href" values="&#106;avascript:alert(1)"/></a></svg>',
    ),
    (
        "svg-animate-safe-name-bad-values",
        '<svg><rect><animate attributeName="fill" values="url(javascript:alert(1))"/></rect></svg>',
    ),
    ("svg-set-onmouseover", '<svg><set attributeName="onmouseover" to="alert(1)"/></svg>'),
    ("svg-a-xlink-href", '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>'),
    ("html-a-xlink-href", '<a xlink:href="javascript:alert(1)">x</a>'),
    (
        "svg-use-data",
        "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' "
        "onerror='alert(1)'/></svg>#x\"/></svg>",
    ),
    ("svg-image-href", '<svg><image href="javascript:alert(1)"/></svg>'),
    ("svg-fill-url", '<svg><rect width="10" height="10" fill="url(javascript:alert(1))"/></svg>'),
    ("svg-handler-on-rect", '<svg><rect width="10" height="10" onclick="alert(1)"/></svg>'),
    # --- unclosed and broken markup -----------------------------------------------------------------
    ("unclosed-nested", "<div><p>unclosed <b>bold <script>alert(1)"),
    ("unclosed-tag-open", "<img src=x onerror=alert(1)"),
    ("broken-attr-quotes", '<a href="https://ok.example" title="x"onclick="alert(1)">x</a>'),
]

# Markdown sources (format "markdown"): links and images through markdown-it-py.
MARKDOWN_VECTORS: list[tuple[str, str]] = [
    ("md-link-javascript", "[x](javascript:alert(1))"),
    ("md-link-mixed-case", "[x](JaVaScRiPt:alert(1))"),
    ("md-link-entity", "[x](&#106;avascript:alert(1))"),
    ("md-link-vbscript", "[x](vbscript:msgbox(1))"),
    ("md-link-data", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-link-angle-javascript", "[x](<javascript:alert(1)>)"),
    ("md-autolink-javascript", "<javascript:alert(1)>"),
    ("md-reference-javascript", "[x][a]\n\n[a]: javascript:alert(1)"),
    ("md-image-javascript", "![x](javascript:alert(1))"),
    ("md-image-data-svg", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("md-image-data-png", "![x](data:image/png;base64,iVBORw0KGgo=)"),
    ("md-image-title-breakout", '![x](https://a.example/a.png "t\\" onerror=\\"alert(1)")'),
    ("md-raw-script", "text <script>alert(1)</script> text"),
    ("md-raw-img", "<img src=x onerror=alert(1)>"),
    ("md-raw-block-html", "<div onmouseover=alert(1)>\n\n*x*\n\n</div>"),
    ("md-table-cell-html", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"),
]


# --- the oracle: what "no executable part" means ----------------------------------------------------

_FORBIDDEN_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "base", "meta", "link",
     "form", "input", "button", "textarea", "select", "isindex", "keygen", "math", "maction",
     "foreignobject", "noscript", "template", "xmp", "title", "body", "use", "image", "video", "audio",
     "source", "portal"}
)  # fmt: skip
# Attributes whose value a browser may load or navigate to.
_URL_ATTRS = frozenset(
    {"href", "xlink:href", "src", "data-src", "values", "from", "to", "by", "action", "formaction", "data",
     "srcset", "poster", "background", "dynsrc", "lowsrc", "ping", "cite", "longdesc", "content"}
)  # fmt: skip
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
_SQUASH_RE = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")
_CSS_HEX_ESCAPE_RE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
_CSS_ESCAPE_RE = re.compile(r"\\(.)")
_RAW_TAG_RE = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style|base|meta|link|form|math|foreignobject|noscript)\b", re.I
)


def _squash(value: str) -> str:
    """The value as a URL parser reads it: entities decoded, whitespace and controls gone, lower case."""
    return _SQUASH_RE.sub("", html.unescape(html.unescape(value))).lower()


def _css_text(style: str) -> str:
    css = html.unescape(style)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = _CSS_HEX_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), css)
    css = _CSS_ESCAPE_RE.sub(lambda m: m.group(1), css)
    return _SQUASH_RE.sub("", css).lower().replace("'", "").replace('"', "")


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name in ("srcdoc", "formaction", "class", "id"):
                self.problems.append(f"<{tag} {name}>")
            if name in _URL_ATTRS or name.endswith(":href"):
                squashed = _squash(value)
                if squashed.startswith(_BAD_SCHEMES) or any(f";{s}" in squashed for s in _BAD_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("values", "from", "to", "by") and "javascript:" in _squash(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" or "url(" in _css_text(value):  # style, or SVG fill="url(...)"
                css = _css_text(value)
                for bad in ("expression(", "url(javascript", "url(vbscript", "url(data", "javascript:",
                            "-moz-binding", "behavior:", "@import"):  # fmt: skip
                    if bad in css:
                        self.problems.append(f"<{tag} {name}={value!r}> ({bad})")
        if tag in ("animate", "set", "animatetransform", "animatemotion"):
            target = values.get("attributename", "").strip().lower()
            if target.endswith("href") or target.startswith("on") or target == "style":
                self.problems.append(f"<{tag} attributeName={target}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def inert_problems(output: str) -> list[str]:
    """Everything executable left in ``output`` (empty list: inert)."""
    inspector = _Inspector()
    inspector.feed(output)
    inspector.close()
    problems = inspector.problems
    if _RAW_TAG_RE.search(output):
        problems.append(f"raw tag {_RAW_TAG_RE.search(output).group(0)!r}")
    return problems


def assert_inert(output: str) -> None:
    problems = inert_problems(output)
    assert not problems, f"executable parts left: {problems}\n{output}"
