"""List the elements of an HTML fragment, for tests that inspect rendered or sanitised output."""

from html.parser import HTMLParser


class _Elements(HTMLParser):
    """(tag, attrs) of every element, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def elements(html_text: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html_text)
    parser.close()
    return parser.elements
