"""JSON from the outside world, refused with a 400 before it can hurt.

``json.loads`` recurses (in C) once per nested ``[`` or ``{``: ``"[" * 5000`` raises
RecursionError, a 500. So the nesting depth is measured first, without recursing: one pass
over the brackets and string literals (strings skipped whole, so a ``[`` inside a string
does not count), stopping as soon as the limit is passed. PostgreSQL refuses text holding
NUL (``\\u0000``), which would otherwise surface as a 500 when the value is stored or
looked up, so parsed strings (keys and values) holding NUL are refused here too.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

JSON_MAX_DEPTH = 64
_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")

# A whole string literal (so brackets inside it are skipped), or one bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)

TOO_DEEP = f"JSON nested too deeply: at most {JSON_MAX_DEPTH} levels of [ and {{."
HAS_NUL = "Text must not contain the NUL character (\\u0000); remove it and send again."


class UnsafeJSON(ValueError):
    """JSON that parses poorly on purpose: too deep, or holding NUL; ``str()`` says which."""


def nesting_exceeds(text: str, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` brackets at once (outside strings).

    Linear in the number of string literals and brackets, no recursion; malformed JSON is
    left for ``json.loads`` to refuse."""
    if text.count("[") + text.count("{") <= limit:
        return False  # cannot be deeper than the number of openers
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif token in _CLOSERS:
            depth = max(depth - 1, 0)
    return False


def holds_nul(value: Any) -> bool:
    """Whether any string in a parsed JSON value (keys included) holds NUL. Iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _strict_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not valid JSON: {name}")


def loads(text: str | bytes, *, strict: bool = True) -> Any:
    """``json.loads`` for untrusted text: ``UnsafeJSON`` (a ValueError) when it is nested
    deeper than ``JSON_MAX_DEPTH`` or holds NUL; ``ValueError`` when it is not JSON."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if nesting_exceeds(text):
        raise UnsafeJSON(TOO_DEEP)
    try:
        value = json.loads(text, parse_constant=_strict_constant if strict else None)
    except RecursionError:  # a last guard; the scan above should make this unreachable
        raise UnsafeJSON(TOO_DEEP) from None
    if holds_nul(value):
        raise UnsafeJSON(HAS_NUL)
    return value


class SafeJSONParser(parsers.JSONParser):
    """DRF's JSONParser, with too-deep JSON and NUL in strings refused with a 400."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text, strict=self.strict)
        except UnsafeJSON as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from None


def _form_has_nul(data: Any, files: Any = None) -> bool:
    for holder in (data, files):
        if holder is None:
            continue
        for key, values in holder.lists():
            if "\x00" in key:
                return True
            for value in values:
                text = value if isinstance(value, str) else str(getattr(value, "name", "") or "")
                if "\x00" in text:
                    return True
    return False


class SafeFormParser(parsers.FormParser):
    """DRF's FormParser, with NUL in a field refused with a 400 (PUT and PATCH bodies do
    not pass through the middleware's check of Django's ``request.POST``)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _form_has_nul(data):
            raise ParseError(HAS_NUL)
        return data


class SafeMultiPartParser(parsers.MultiPartParser):
    """DRF's MultiPartParser, with NUL in a field or a file's name refused with a 400; the
    files' contents may hold any bytes."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        result = super().parse(stream, media_type, parser_context)
        if _form_has_nul(result.data, result.files):
            raise ParseError(HAS_NUL)
        return result


PARSER_CLASSES = [SafeJSONParser, SafeFormParser, SafeMultiPartParser]
