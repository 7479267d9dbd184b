"""``{% load markdown_text %}`` gives ``{{ text|markdown_excerpt }}`` (or
``|markdown_excerpt:24`` for 24 words): the plain-text start of a Markdown text, with the
syntax gone ("*bold* and _it_" reads "bold and it"), for cards and lists. Autoescaped
like any string; no database access."""

from __future__ import annotations

from django import template

from hitrecord.markdown import EXCERPT_WORDS
from hitrecord.markdown import markdown_excerpt as _markdown_excerpt

register = template.Library()


@register.filter
def markdown_excerpt(text: str | None, words: int = EXCERPT_WORDS) -> str:
    return _markdown_excerpt(text or "", int(words))
