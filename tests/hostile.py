"""Hostile input for the sibling pages (issue 18): the XSS corpus and strange strings stored through
every free-text field, and a page scanner that says what in a rendered page could run.

The scanner parses the page (html.parser: html5lib/lxml are not installed) and reports elements and
attributes, not raw text: an escaped payload inside value="..." or a <textarea> is text, not markup."""
from __future__ import annotations

from html.parser import HTMLParser

from tests.articles.xss_vectors import HTML_VECTORS

# One stored value holding the whole corpus (a field with a limit gets the part that fits).
CORPUS = "\n".join(v for _, v in HTML_VECTORS)
SHORT = '"><script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>'

# Strange strings: a NUL byte, the right-to-left override, a very long text, a zero-width joiner.
STRANGE = {
    "nul": "前\x00后",
    "rtl": "\u202egnp.exe 文件",
    "long": "长" * 100_000,
    "zwj": "a\u200db\ufeffc",
}
# A lone surrogate cannot be sent as UTF-8: as a form value it goes as the bytes a broken encoder
# makes (werkzeug reads them with replacement characters); in JSON it goes as the escape \ud800.
LONE_SURROGATE_JSON = '"x\\ud800y"'

_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "srcset", "poster", "background"}
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
_FORBIDDEN = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "math", "portal"}


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        if tag in _FORBIDDEN:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name in _URL_ATTRS and "".join(value.split()).startswith(_BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name == "style" and ("expression(" in value or "javascript:" in value):
                self.problems.append(f"<{tag} style={value[:60]!r}>")
            if tag == "script" and name == "src" and "xss" in value:
                self.problems.append(f"<script src={value[:60]!r}>")
        self._script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._script = False

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if self._script and ("alert" in data or "xss" in data.lower()):
            self.problems.append(f"<script>{data[:60]!r}")
        if not self._script:
            self.text.append(data)


def scan(page: str) -> tuple[list[str], str]:
    s = _Scan()
    s.feed(page)
    s.close()
    return s.problems, "".join(s.text)


def assert_safe(response, *, shown: str | None = None) -> str:
    """No 500, nothing in the page that could run; `shown` (if given) is visible as text."""
    assert response.status_code < 500, response.status_code
    page = response.get_data(as_text=True)
    problems, text = scan(page)
    assert not problems, problems
    if shown is not None:
        assert shown in text, f"{shown!r} not shown"
    return page


def value(limit: int, marker: str) -> str:
    """The corpus cut to `limit` characters, starting with a marker to find it on the page."""
    head = f"HOSTILE-{marker} "
    return (head + SHORT + "\n" + CORPUS)[:limit]
