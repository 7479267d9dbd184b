"""Deciding what a file is from its first bytes, never from its name or declared type."""

from __future__ import annotations

from hitrecord.media.base import (
    FORMATS,
    Format,
    MediaRejected,
    allowed_labels,
    allowed_sentence,
)

# ISO BMFF brands (bytes 8..12 of an `ftyp` box, and the compatible brands after it).
MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"iso7",
        b"iso8",
        b"iso9",
        b"mp41",
        b"mp42",
        b"mp71",
        b"avc1",
        b"M4V ",
        b"M4VP",
        b"dash",
        b"mmp4",
        b"msnv",
        b"MSNV",
        b"f4v ",
    }
)
# Other things in the same box structure, with the name people know them by.
OTHER_BRANDS: dict[bytes, tuple[str, str]] = {
    b"M4P ": ("a protected iTunes track", "audio"),
    b"heic": ("a HEIC photo", "image"),
    b"heix": ("a HEIC photo", "image"),
    b"hevc": ("a HEIC photo", "image"),
    b"mif1": ("a HEIF photo", "image"),
    b"msf1": ("a HEIF photo", "image"),
    b"avif": ("an AVIF image", "image"),
    b"avis": ("an AVIF image", "image"),
    b"crx ": ("a Canon raw photo", "image"),
    b"jp2 ": ("a JPEG 2000 image", "image"),
}


def _mp3_frame_at(head: bytes, i: int) -> bool:
    """Whether an MPEG audio layer III frame header starts at ``i``."""
    if i + 4 > len(head) or head[i] != 0xFF or head[i + 1] & 0xE0 != 0xE0:
        return False
    version = (head[i + 1] >> 3) & 3
    layer = (head[i + 1] >> 1) & 3
    bitrate = head[i + 2] >> 4
    rate = (head[i + 2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def id3_size(head: bytes) -> int:
    """The length of a leading ID3v2 tag (0 when there is none)."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for b in head[6:10]:
        size = (size << 7) | (b & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


class Unknown:
    """What a refused file looks like, for the message."""

    def __init__(self, description: str, kind: str | None = None) -> None:
        self.description = description
        self.kind = kind


def _ebml_doctype(head: bytes) -> bytes | None:
    marker = head.find(b"\x42\x82")  # DocType inside the EBML header
    if marker < 0 or marker + 3 > len(head):
        return None
    size_byte = head[marker + 2]
    if not size_byte & 0x80:
        return None
    length = size_byte & 0x7F
    return head[marker + 3 : marker + 3 + length].rstrip(b"\x00")


def _text_like(head: bytes) -> bytes:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: drop the NULs to look inside
        text = text[2:].replace(b"\x00", b"").lstrip()
    return text.lower()


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still text.
        if exc.start < len(head) - 4:
            return False
    return True


def identify(head: bytes, *, total: int | None = None) -> Format | Unknown:
    """The allowed format the bytes start like, or a description of what they are instead.

    ``head`` is the start of the file (4 KB is plenty, except past a long ID3 tag).
    """
    if head.startswith(b"\xff\xd8\xff"):
        return FORMATS["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["png"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FORMATS["gif"]
    if head.startswith(b"RIFF") and len(head) >= 12:
        form = head[8:12]
        if form == b"WEBP":
            return FORMATS["webp"]
        if form == b"WAVE":
            return FORMATS["wav"]
        if form == b"AVI ":
            return Unknown("an AVI video", "video")
        return Unknown("a RIFF file we do not know", None)
    if head.startswith(b"OggS"):
        return FORMATS["ogg"]
    if head.startswith(b"fLaC"):
        return FORMATS["flac"]
    if head.startswith(b"ID3"):
        skip = id3_size(head)
        rest = head[skip:]
        if total is not None and skip >= total:
            return Unknown("an MP3 tag with no sound after it", "audio")
        if rest.startswith(b"fLaC"):
            return FORMATS["flac"]
        if not rest or _mp3_frame_at(rest, 0):
            return FORMATS["mp3"]  # the frames are checked thoroughly later
        if head[skip : skip + 4] == b"\x00\x00\x00\x00" or len(rest) < 4:
            return FORMATS["mp3"]  # padding after the tag; the frame walk decides
        return Unknown("an ID3 tag without MP3 sound after it", "audio")
    if _mp3_frame_at(head, 0):
        return FORMATS["mp3"]
    if head[4:8] == b"ftyp" and len(head) >= 12:
        major = head[8:12]
        if major == b"qt  ":
            return FORMATS["mov"]
        if major in (b"M4A ", b"M4B "):
            return FORMATS["m4a"]
        if major in OTHER_BRANDS:
            description, kind = OTHER_BRANDS[major]
            return Unknown(description, kind)
        compatible = {head[i : i + 4] for i in range(16, min(len(head), 8 + 64), 4)}
        if major in MP4_BRANDS or (compatible & MP4_BRANDS and not major.startswith(b"3g")):
            return FORMATS["mp4"]
        if major.startswith(b"3g"):
            return Unknown("a 3GP phone video", "video")
        return Unknown("an MPEG-4 family file of a kind we do not accept", None)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        doctype = _ebml_doctype(head[:64])
        if doctype == b"webm":
            return FORMATS["webm"]
        return Unknown("a Matroska (.mkv) video", "video")

    # Look-alikes and common mistakes, named so people know what they sent.
    if head.startswith(b"%PDF"):
        return Unknown("a PDF document")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return Unknown("a ZIP archive (or an Office document)")
    if head.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh")):
        return Unknown("a compressed archive")
    if head.startswith((b"MZ", b"\x7fELF", b"#!")):
        return Unknown("a program")
    if head.startswith(b"BM"):
        return Unknown("a BMP bitmap", "image")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Unknown("a TIFF image", "image")
    if head.startswith(b"8BPS"):
        return Unknown("a Photoshop document", "image")
    if head.startswith((b"\x00\x00\x01\x00", b"\x00\x00\x02\x00")) and len(head) > 6:
        return Unknown("a Windows icon", "image")
    if head.startswith(b"\x00\x00\x00\x0cjP  "):
        return Unknown("a JPEG 2000 image", "image")
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return Unknown("a JPEG XL image", "image")
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return Unknown("an AIFF recording", "audio")
    if head.startswith(b"\xff") and len(head) > 1 and head[1] & 0xF6 == 0xF0:
        return Unknown("an AAC recording", "audio")
    if head.startswith(b"MThd"):
        return Unknown("a MIDI file", "audio")
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")) or head[:1] == b"\x47":
        if head[:1] != b"\x47" or (len(head) > 188 and head[188] == 0x47):
            return Unknown("an MPEG-2 video", "video")
    text = _text_like(head)
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return Unknown("an SVG drawing", "image")
    if text.startswith(b"<!doctype svg") or b"<svg" in text[:512]:
        return Unknown("an SVG drawing", "image")
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe")):
        return Unknown("a web page (HTML)")
    if b"<html" in text[:512] or b"<script" in text[:512]:
        return Unknown("a web page (HTML)")
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return Unknown("an XML or markup document")
    if text.startswith((b"{", b"[")):
        return Unknown("a text document (JSON)")
    if _looks_like_text(head):
        return Unknown("a text document")
    return Unknown("")


_NOUN = {"image": "an image", "audio": "audio", "video": "a video"}


def _choose(kind: str) -> str:
    article = "an" if allowed_labels(kind)[0] in "AEFHILMNORSX" else "a"
    return f"{article} {allowed_labels(kind)} file"


def refuse_unknown(found: Unknown, kind: str) -> MediaRejected:
    """The refusal for a file that is none of the allowed formats."""
    if found.description == "":
        opening = "We could not recognise this file"
    else:
        opening = f"This file is {found.description}"
    return MediaRejected(f"{opening}; {allowed_sentence(kind)}", code="unsupported")


def refuse_wrong_kind(fmt: Format, kind: str) -> MediaRejected:
    """The refusal for an allowed file sent as another kind (a PNG sent as audio)."""
    return MediaRejected(
        f"This file is {_NOUN[fmt.kind]} ({fmt.label}), not {_NOUN[kind]}. "
        f"Upload it as {_NOUN[fmt.kind]}, or choose {_choose(kind)}.",
        code="wrong_kind",
    )


def detect(head: bytes, kind: str, *, total: int | None = None) -> Format:
    """The allowed format of ``kind`` these bytes are, or a MediaRejected saying what they are."""
    found = identify(head, total=total)
    if isinstance(found, Unknown):
        raise refuse_unknown(found, kind)
    if found.key == "mp4" and kind == "audio":
        # Sound alone in MP4 boxes with a video brand (many recorders write "isom"): the
        # probe decides whether it holds pictures.
        return FORMATS["m4a"]
    if found.key == "m4a" and kind == "video":
        return FORMATS["mp4"]  # the probe refuses it if it holds no pictures
    if found.kind == "video" and kind == "audio":
        # Sound alone is often kept in the same boxes (WebM audio, MOV): say both.
        raise MediaRejected(
            f"This file is {'an' if found.key == 'mp4' else 'a'} {found.label} file, a video "
            f"format; {allowed_sentence('audio')} If it is a video, upload it as a video.",
            code="wrong_kind",
        )
    if found.kind != kind:
        raise refuse_wrong_kind(found, kind)
    return found
