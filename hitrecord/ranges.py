"""HTTP byte ranges (RFC 9110 section 14) for the local media view, as pure functions.

Safari will not play a video whose server does not answer ``Range: bytes=0-1`` with a 206,
and every browser seeks in audio and video by asking for ranges. Only what players send
is honoured: one range, in bytes. Anything else (several ranges, another unit, a header
that does not parse) is ignored and the whole file is served with 200, which the RFC
allows a server to do for any Range header; so no odd header ever becomes a 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.http import parse_http_date_safe

# Players send a few dozen characters; a longer header is not worth parsing (and a
# position with thousands of digits would only make int() slow or refuse).
RANGE_HEADER_MAX = 200
# RFC 9110: int-range = first-pos "-" [ last-pos ], suffix-range = "-" suffix-length.
# ASCII digits only: ``\d`` would also take digits of other scripts.
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
_OWS = " \t"


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``first`` to ``last`` (both included) of a file of ``size`` bytes."""

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.size}"


@dataclass(frozen=True)
class NotSatisfiable:
    """A valid range that selects none of the file's ``size`` bytes: a 416."""

    size: int

    @property
    def content_range(self) -> str:
        return f"bytes */{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | NotSatisfiable | None:
    """The part of a ``size``-byte file that ``header`` (a Range value) asks for.

    A ``ByteRange`` clipped to the file for ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n``;
    ``NotSatisfiable`` when the first byte is past the end or the suffix is empty
    (``bytes=-0``); None, meaning "serve the whole file", for no header, a header that
    does not parse, another unit, several ranges, or a suffix of an empty file.
    """
    if not header or len(header) > RANGE_HEADER_MAX:
        return None
    unit, equals, range_set = header.strip(_OWS).partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    # range-set is a list: empty elements and whitespace around the commas are allowed.
    specs = [spec.strip(_OWS) for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if len(specs) != 1:
        return None
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None  # "bytes=-"
        suffix = int(last_text)
        if suffix == 0:
            return NotSatisfiable(size)
        if size == 0:
            return None  # the whole of an empty file is no range at all
        return ByteRange(first=max(size - suffix, 0), last=size - 1, size=size)
    first = int(first_text)
    last = int(last_text) if last_text else None
    if last is not None and last < first:
        return None  # an invalid range-spec, not an unsatisfiable one
    if first >= size:
        return NotSatisfiable(size)
    return ByteRange(first=first, last=size - 1 if last is None else min(last, size - 1), size=size)


def if_range_matches(header: str | None, *, etag: str, last_modified: int) -> bool:
    """Whether a Range may be honoured given ``header`` (an If-Range value).

    True without the header. An entity tag must equal ``etag`` by strong comparison (a
    weak tag never matches); a date must be exactly ``last_modified`` (a timestamp in
    whole seconds). Anything else does not match, so the whole, current file is sent.
    """
    if header is None:
        return True
    value = header.strip(_OWS)
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False
    return parse_http_date_safe(value) == last_modified


class FileRange:
    """The bytes of ``file`` described by ``byte_range``, read as a file: what
    FileResponse streams in blocks, so a range is never read into memory whole."""

    def __init__(self, file: BinaryIO, byte_range: ByteRange) -> None:
        file.seek(byte_range.first)
        self._file = file
        self._left = byte_range.length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        data = self._file.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()
