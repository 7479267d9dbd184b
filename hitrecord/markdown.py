"""Markdown to safe HTML: rendered once when text is saved, sanitised by an allowlist.

A single line break is kept as a line break (``nl2br``): poems and lyrics are written one
line at a time, and people expect what they typed. ``markdown_excerpt`` turns the same
Markdown into a short plain-text excerpt for cards, with the syntax gone.
"""

from __future__ import annotations

from html.parser import HTMLParser

import markdown as _markdown
import nh3
from django.utils.text import Truncator

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "a",
    "del",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Render Markdown and strip anything that could run or restyle the page: scripts,
    event handlers, inline styles, images and javascript: links never survive."""
    html = _markdown.markdown(
        text, extensions=["extra", "sane_lists", "nl2br"], output_format="html"
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener ugc",
    )


EXCERPT_WORDS = 40
# Where one block of text ends and the next begins: a space, so words never run together.
_BREAKS = {"p", "br", "hr", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "ul", "ol", "tr"}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def markdown_excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    """The first ``words`` words of Markdown ``text`` as plain text: rendered and sanitised
    like ``render_markdown`` (so no script or markup survives), then stripped of every tag,
    whitespace collapsed, and cut with "…". Plain text, not HTML: templates escape it."""
    parser = _TextOnly()
    parser.feed(render_markdown(text))
    parser.close()
    plain = " ".join("".join(parser.parts).split())
    return Truncator(plain).words(words, truncate="…")
