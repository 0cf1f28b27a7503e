"""The variable parts of a certificate template, as the template marks them with ``data-slot``.

A template marks each block whose content comes from the facts with ``data-slot`` (and the QR
code's ``<img>`` with ``data-slot="qr"``). ``parse`` cuts the slots' content out of a rendered
page; what is left (the skeleton, with the title and the dcterms dates set to constants) keys
the cache of static pages. So a template that puts facts outside its slots gets a static page
per distinct value (slower, never wrong), and one without slots is not stamped at all.

Inside a slot: text and inline or block elements (``<span class="en sub">``). A ``<br>``, an
image or a nested slot there cannot be stamped (``CannotStamp``) and the page takes the full
render.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

SLOT = "data-slot"
QR = "qr"
# A custom element: inline by default and matched by no rule of a template's stylesheet, so
# wrapping a text in it changes nothing but lets the hidden layout name each text box.
TEXT_TAG = "loket-slot-text"
PLACEHOLDER_TITLE = "-"
PLACEHOLDER_DATE = "2000-01-01T00:00:00Z"
_DATE_METAS = ("dcterms.created", "dcterms.modified")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_NOT_IN_SLOTS = _VOID | {"script", "style", "textarea", "select", "svg", "math", "iframe"}


class CannotStamp(Exception):
    """The fast path cannot lay this certificate out; the full render must."""


@dataclass
class Element:
    tag: str
    attrs: str  # the start tag's attributes as written, e.g. ' class="en sub"'
    children: list[Node] = field(default_factory=list)


@dataclass
class Text:
    index: int  # position among all slot texts of the page, in document order
    text: str  # as a reader sees it (character references decoded)

    @property
    def token(self) -> str:
        """The text's shape for cache keys: leading space, content, trailing space."""
        stripped = self.text.strip(_WHITESPACE)
        if not stripped:
            return " " if self.text else ""
        lead = " " if self.text[0] in _WHITESPACE else ""
        trail = " " if self.text[-1] in _WHITESPACE else ""
        return f"{lead}x{trail}"


Node = Element | Text
_WHITESPACE = " \t\n\r\f"


@dataclass
class Page:
    """A rendered template split into its skeleton and its slots' content."""

    segments: list[str]  # len(slots) + 1 pieces of HTML around the text slots' content
    slots: list[list[Node]]
    texts: list[Text]
    title: str
    created: str | None
    qr_slots: int

    def skeleton(self) -> str:
        return "\x00".join(self.segments)

    def structure(self) -> str:
        """The slots' elements and the shape of their texts, without the texts."""
        return "\x00".join(
            render_tokens(tokens(nodes), lambda text: text.token) for nodes in self.slots
        )

    def html(self, slot_html: Callable[[int, list[Node]], str]) -> str:
        """The page with each slot's content replaced by ``slot_html(slot index, nodes)``."""
        parts = [self.segments[0]]
        for number, nodes in enumerate(self.slots):
            parts += [slot_html(number, nodes), self.segments[number + 1]]
        return "".join(parts)


def parse(html: str) -> Page:
    """Split a rendered certificate page into skeleton and slots; raises CannotStamp."""
    parser = _SlotParser(html)
    parser.feed(html)
    parser.close()
    if parser.depth:
        raise CannotStamp("a slot is not closed")
    if not parser.slots:
        raise CannotStamp("the template marks no slots")
    edits = sorted(parser.edits)
    segments, position = [], 0
    current: list[str] = []
    for start, end, replacement in edits:
        current.append(html[position:start])
        if replacement is None:  # a slot's content: a segment ends here
            segments.append("".join(current))
            current = []
        else:
            current.append(replacement)
        position = end
    current.append(html[position:])
    segments.append("".join(current))
    return Page(
        segments=segments,
        slots=parser.slots,
        texts=parser.texts,
        title=parser.title if parser.title is not None else "",
        created=parser.created,
        qr_slots=parser.qr_slots,
    )


def tokens(nodes: list[Node]) -> list[tuple[str, Node]]:
    """A slot's content as a flat list of ("open" | "close" | "text", node)."""
    flat: list[tuple[str, Node]] = []

    def walk(items: list[Node]) -> None:
        for node in items:
            if isinstance(node, Text):
                flat.append(("text", node))
            else:
                flat.append(("open", node))
                walk(node.children)
                flat.append(("close", node))

    walk(nodes)
    return flat


def render_tokens(flat: list[tuple[str, Node]], text_html: Callable[[Text], str]) -> str:
    """HTML for a token list; ``text_html`` writes each text (already escaped)."""
    out = []
    for kind, node in flat:
        if kind == "text":
            assert isinstance(node, Text)
            out.append(text_html(node))
        elif kind == "open":
            assert isinstance(node, Element)
            out.append(f"<{node.tag}{node.attrs}>")
        elif kind == "close":
            assert isinstance(node, Element)
            out.append(f"</{node.tag}>")
        else:  # a line break the static page needs
            out.append("<br>")
    return "".join(out)


def placeholder(index: int, text: str) -> str:
    """A hidden stand-in for a slot text, named by ``index`` in the layout."""
    return f'<{TEXT_TAG} i="{index}">{html_lib.escape(text, quote=False)}</{TEXT_TAG}>'


def walk_texts(nodes: list[Node]) -> Iterator[Text]:
    for kind, node in tokens(nodes):
        if kind == "text":
            assert isinstance(node, Text)
            yield node


class _SlotParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self._line_starts = [0]
        for number, char in enumerate(source):
            if char == "\n":
                self._line_starts.append(number + 1)
        self.edits: list[tuple[int, int, str | None]] = []
        self.slots: list[list[Node]] = []
        self.texts: list[Text] = []
        self.title: str | None = None
        self.created: str | None = None
        self.qr_slots = 0
        self.depth = 0  # open elements inside the current slot, the slot itself included
        self._stack: list[Element] = []
        self._slot_start = 0
        self._in_title = False
        self._title_start = 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        start = self._offset()
        names = dict(attrs)
        if self.depth:
            if tag in _NOT_IN_SLOTS or SLOT in names:
                raise CannotStamp(f"<{tag}> inside a slot")
            element = Element(tag, raw[1 + len(tag) : -1].rstrip("/"))
            self._stack[-1].children.append(element)
            self._stack.append(element)
            self.depth += 1
            return
        if SLOT in names:
            if names[SLOT] == QR:
                if tag != "img":
                    raise CannotStamp("the QR slot must be an <img>")
                self.qr_slots += 1
                return
            if tag in _VOID:
                raise CannotStamp(f"a text slot on <{tag}>")
            root = Element(tag, "")
            self._stack, self.depth = [root], 1
            self._slot_start = start + len(raw)
            return
        if tag == "title" and self.title is None:
            self._in_title, self._title_start = True, start + len(raw)
        elif tag == "meta" and (names.get("name") or "").lower() in _DATE_METAS:
            if (names.get("name") or "").lower() == "dcterms.created":
                self.created = names.get("content")
            name = html_lib.escape(names.get("name") or "")
            normalised = f'<meta name="{name}" content="{PLACEHOLDER_DATE}">'
            self.edits.append((start, start + len(raw), normalised))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.depth and tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in_title and tag == "title":
            self.edits.append((self._title_start, self._offset(), PLACEHOLDER_TITLE))
            self._in_title = False
            return
        if not self.depth:
            return
        if tag != self._stack[-1].tag:  # an end tag left out: too clever for the fast path
            raise CannotStamp(f"</{tag}> does not close <{self._stack[-1].tag}> in a slot")
        self.depth -= 1
        element = self._stack.pop()
        if not self.depth:
            self.slots.append(element.children)
            self.edits.append((self._slot_start, self._offset(), None))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data
        if not self.depth:
            return
        children = self._stack[-1].children
        if children and isinstance(children[-1], Text):
            children[-1].text += data
            return
        text = Text(len(self.texts), data)
        self.texts.append(text)
        children.append(text)
