"""Metadata and trailing data out of uploaded images, without re-encoding a single pixel.

Served originals must not carry where a photo was taken (EXIF GPS), the camera, the
editing software or any other EXIF, XMP, IPTC or comment the uploader may not know is
there; and nothing after an image's end (HTML after a GIF trailer or a JPEG EOI, the
extra pictures phones append after EOI) is ever stored. Each function here rewrites the
container only: the compressed picture data (JPEG scans, PNG IDAT, WebP VP8/VP8L, GIF
LZW blocks) is copied byte for byte, so quality and colours are exactly the original's.

What is kept is an allowlist of what a decoder needs to show the picture right: the
colour profile and colour-space chunks, transparency, animation, and the orientation,
rewritten as a minimal EXIF holding that one tag when it is not 1 ("upright").

Pure functions over bytes: ``sanitize_image(data, fmt)`` with ``fmt`` one of ``jpeg``,
``png``, ``webp``, ``gif``; a file whose structure cannot be walked raises
``MalformedImage`` (the caller turns it into a refusal).
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image

ORIENTATION = 0x0112
UPRIGHT = 1


class MalformedImage(ValueError):
    """The container could not be walked to its end."""


# --- orientation: read from TIFF bytes by hand, written with Pillow ------------------------


def tiff_orientation(tiff: bytes) -> int:
    """The Orientation tag (1-8) of IFD0 in TIFF-structured EXIF data; 1 when absent or odd.

    Read by hand rather than through Pillow so that nothing here parses more of the
    uploader's metadata than this one value.
    """
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return UPRIGHT
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return UPRIGHT
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for k in range(count):
        entry = ifd + 2 + 12 * k
        if entry + 12 > len(tiff):
            break
        tag, kind, n = struct.unpack(order + "HHI", tiff[entry : entry + 8])
        if tag == ORIENTATION and kind == 3 and n >= 1:  # SHORT
            (value,) = struct.unpack(order + "H", tiff[entry + 8 : entry + 10])
            return value if 1 <= value <= 8 else UPRIGHT
    return UPRIGHT


def orientation_tiff(orientation: int) -> bytes:
    """TIFF-structured EXIF holding only the Orientation tag (no ``Exif\\0\\0`` prefix)."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes().removeprefix(b"Exif\x00\x00")


_EXIF_PREFIX = b"Exif\x00\x00"


# --- JPEG --------------------------------------------------------------------------------

# Markers with no length field: TEM and the restart markers.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_SOS, _EOI, _APP0, _APP1, _APP2, _APP14 = 0xDA, 0xD9, 0xE0, 0xE1, 0xE2, 0xEE


def _keep_jpeg_segment(marker: int, body: bytes) -> bool:
    """Everything but APPn and COM is picture data; of APPn, only what decoding needs."""
    if marker == 0xFE:  # COM
        return False
    if not 0xE0 <= marker <= 0xEF:
        return True
    if marker == _APP0:
        return body.startswith(b"JFIF\x00")  # JFXX and others may hold thumbnails
    if marker == _APP2:
        return body.startswith(b"ICC_PROFILE\x00")  # not MPF, not FlashPix
    if marker == _APP14:
        return body.startswith(b"Adobe")  # says how to read CMYK / YCCK colours
    return False  # APP1 Exif / XMP, APP13 IPTC / Photoshop, and the rest


def _scan_end(data: bytes, i: int) -> int:
    """Index of the first marker after the entropy-coded data that starts at ``i``."""
    n = len(data)
    while True:
        i = data.find(b"\xff", i)
        if i < 0 or i + 1 >= n:
            raise MalformedImage("JPEG scan runs past the end")
        following = data[i + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
            i += 2
        elif following == 0xFF:  # fill byte before a marker
            i += 1
        else:
            return i


def sanitize_jpeg(data: bytes) -> bytes:
    """The JPEG without EXIF, XMP, IPTC, comments and MPF, and nothing after its EOI.

    Keeps the JFIF header, the ICC profile, Adobe's colour-transform segment and every
    table, frame and scan as they were; a minimal EXIF with the orientation is written
    when the original was not upright.
    """
    if not data.startswith(b"\xff\xd8"):
        raise MalformedImage("not a JPEG")
    n = len(data)
    kept: list[bytes] = []
    orientation = UPRIGHT
    seen_exif = False
    i = 2
    while True:
        if i >= n:
            raise MalformedImage("JPEG ends before its EOI")
        if data[i] != 0xFF:  # junk between segments, which decoders skip: so do we
            i += 1
            continue
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            raise MalformedImage("JPEG ends before its EOI")
        marker = data[i]
        start = i - 1
        i += 1
        if marker == _EOI:
            break
        if marker in _STANDALONE:
            kept.append(data[start:i])
            continue
        if i + 2 > n:
            raise MalformedImage("JPEG segment cut short")
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2 or i + length > n:
            raise MalformedImage("JPEG segment cut short")
        body = data[i + 2 : i + length]
        i += length
        if marker == _SOS:
            i = _scan_end(data, i)
            kept.append(data[start:i])  # header and entropy-coded data, untouched
            continue
        if marker == _APP1 and body.startswith(_EXIF_PREFIX) and not seen_exif:
            seen_exif = True  # decoders read the first one
            orientation = tiff_orientation(body[len(_EXIF_PREFIX) :])
        if _keep_jpeg_segment(marker, body):
            kept.append(data[start:i])
    out = [b"\xff\xd8"]
    if kept and kept[0][1] == _APP0:  # JFIF must stay first
        out.append(kept.pop(0))
    if orientation != UPRIGHT:
        payload = _EXIF_PREFIX + orientation_tiff(orientation)
        out.append(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    out.extend(kept)
    out.append(b"\xff\xd9")
    return b"".join(out)


# --- PNG ---------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Ancillary chunks a decoder needs: colour, transparency, density, animation (APNG).
_PNG_KEEP = {
    b"iCCP",
    b"sRGB",
    b"gAMA",
    b"cHRM",
    b"cICP",
    b"mDCV",
    b"cLLI",
    b"sBIT",
    b"pHYs",
    b"tRNS",
    b"bKGD",
    b"hIST",
    b"sPLT",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def sanitize_png(data: bytes) -> bytes:
    """The PNG without text (tEXt, zTXt, iTXt, where XMP lives), eXIf, tIME and any other
    ancillary chunk not needed to show it, and nothing after IEND.

    Critical chunks (IHDR, PLTE, IDAT, IEND) and the colour, transparency and animation
    chunks are copied byte for byte; a minimal eXIf with the orientation goes before the
    first IDAT when the original was not upright.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise MalformedImage("not a PNG")
    n = len(data)
    kept: list[tuple[bytes, bytes]] = []  # (type, whole chunk)
    orientation = UPRIGHT
    i = len(PNG_SIGNATURE)
    while True:
        if i + 12 > n:
            raise MalformedImage("PNG ends before IEND")
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n:
            raise MalformedImage("PNG chunk cut short")
        chunk = data[i:end]
        i = end
        if kind == b"eXIf" and orientation == UPRIGHT:
            orientation = tiff_orientation(chunk[8:-4])
        critical = not kind[0] & 0x20
        if critical or kind in _PNG_KEEP:
            kept.append((kind, chunk))
        if kind == b"IEND":
            break
    out = [PNG_SIGNATURE]
    for kind, chunk in kept:
        if kind == b"IDAT" and orientation != UPRIGHT:
            out.append(_png_chunk(b"eXIf", orientation_tiff(orientation)))
            orientation = UPRIGHT
        out.append(chunk)
    return b"".join(out)


# --- WebP --------------------------------------------------------------------------------

_WEBP_KEEP = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def sanitize_webp(data: bytes) -> bytes:
    """The WebP without EXIF, XMP and unknown chunks, and nothing past its RIFF size.

    The image chunks (VP8, VP8L, ALPH, animation frames) and the ICC profile are copied
    byte for byte; the VP8X flags and the RIFF size are set to what is left. A minimal
    EXIF with the orientation is kept when the original was not upright.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MalformedImage("not a WebP")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if riff_size < 4 or end > len(data):
        raise MalformedImage("WebP cut short")
    kept: list[tuple[bytes, bytes]] = []
    orientation = UPRIGHT
    i = 12
    while i < end:
        if i + 8 > end:
            raise MalformedImage("WebP chunk cut short")
        kind = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        stop = i + 8 + size + (size & 1)
        if i + 8 + size > end:
            raise MalformedImage("WebP chunk cut short")
        if kind == b"EXIF" and orientation == UPRIGHT:
            orientation = tiff_orientation(data[i + 8 : i + 8 + size].removeprefix(_EXIF_PREFIX))
        if kind in _WEBP_KEEP:
            kept.append((kind, _riff_chunk(kind, data[i + 8 : i + 8 + size])))
        i = stop
    if not kept:
        raise MalformedImage("WebP without an image")
    extended = kept[0][0] == b"VP8X"
    if extended:
        header = bytearray(kept[0][1])
        if len(header) < 18:
            raise MalformedImage("WebP VP8X chunk cut short")
        flags = header[8] & ~(_VP8X_EXIF | _VP8X_XMP)
        if orientation != UPRIGHT:
            flags |= _VP8X_EXIF
        header[8] = flags
        kept[0] = (b"VP8X", bytes(header))
        if orientation != UPRIGHT:
            kept.append((b"EXIF", _riff_chunk(b"EXIF", orientation_tiff(orientation))))
    # A simple WebP (one VP8 / VP8L chunk) has no place for EXIF without turning it into
    # an extended one; Pillow never writes orientation there, so there is none to keep.
    body = b"WEBP" + b"".join(chunk for _, chunk in kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- GIF ---------------------------------------------------------------------------------


def _gif_sub_blocks(data: bytes, i: int) -> int:
    n = len(data)
    while True:
        if i >= n:
            raise MalformedImage("GIF ends inside a block")
        length = data[i]
        i += 1 + length
        if length == 0:
            if i > n:
                raise MalformedImage("GIF ends inside a block")
            return i


def sanitize_gif(data: bytes) -> bytes:
    """The GIF without comments and application extensions (XMP lives in one), except
    NETSCAPE2.0 looping, and nothing after its trailer (0x3B).

    Header, colour tables, graphic control, plain text and every frame's LZW data are
    copied byte for byte.
    """
    n = len(data)
    if n < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
        raise MalformedImage("not a GIF")
    flags = data[10]
    i = 13
    if flags & 0x80:
        i += 3 * (2 ** ((flags & 7) + 1))
    out = [data[:i]]
    while True:
        if i >= n:
            raise MalformedImage("GIF ends before its trailer")
        block = data[i]
        if block == 0x3B:
            out.append(b"\x3b")
            break
        if block == 0x21:
            if i + 2 > n:
                raise MalformedImage("GIF ends inside a block")
            label = data[i + 1]
            stop = _gif_sub_blocks(data, i + 2)
            looping = label == 0xFF and data[i + 2 : i + 14] == b"\x0bNETSCAPE2.0"
            if label in (0xF9, 0x01) or looping:  # graphic control, plain text, looping
                out.append(data[i:stop])
            i = stop
        elif block == 0x2C:
            if i + 10 > n:
                raise MalformedImage("GIF ends inside a frame")
            local = data[i + 9]
            stop = i + 10
            if local & 0x80:
                stop += 3 * (2 ** ((local & 7) + 1))
            stop = _gif_sub_blocks(data, stop + 1)  # after the LZW minimum code size
            out.append(data[i:stop])
            i = stop
        else:
            raise MalformedImage("GIF block of unknown type")
    return b"".join(out)


SANITIZERS = {
    "jpeg": sanitize_jpeg,
    "png": sanitize_png,
    "webp": sanitize_webp,
    "gif": sanitize_gif,
}


def sanitize_image(data: bytes, fmt: str) -> bytes:
    """``data`` (a ``fmt`` image: jpeg, png, webp or gif) with its metadata and anything
    after its end removed and its pixels untouched. Raises ``MalformedImage``."""
    try:
        sanitizer = SANITIZERS[fmt]
    except KeyError:
        raise ValueError(f"Not an image format we sanitise: {fmt!r}") from None
    return sanitizer(data)
