"""Images carrying what a phone or an editor puts in them, and what an attacker appends.

Made at test time with Pillow and by hand: EXIF with GPS, camera make and model and an
orientation; XMP, IPTC and comments; an MPF-style second picture after a JPEG's end;
HTML after the end of every format; and a 16-bit RGBA PNG whose decoded size is a bomb.
Also small readers (the JPEG scan, PNG IDAT, WebP image chunks, GIF frames) so tests can
show the compressed picture data came through byte for byte.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

SCRIPT = b"<html><script>alert(document.cookie)</script></html>"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.2N" '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="Canon"/></rdf:RDF></x:xmpmeta>'
)
MAKE, MODEL = "Canon", "EOS 5D Mark IV"
GPS = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
# Strings that must not survive anywhere in a cleaned file.
SECRETS = (b"Canon", b"EOS 5D", b"ns.adobe.com/xap", b"GPSLatitude", b"<script", b"secret")


def picture(w: int = 48, h: int = 32, mode: str = "RGB") -> Image.Image:
    """Not symmetric, so a wrong rotation would show in the pixels."""
    im = Image.new("RGB", (w, h), (30, 90, 200))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, w // 3, h // 4), fill=(250, 20, 20))
    draw.ellipse((w // 2, h // 2, w - 2, h - 2), fill=(240, 230, 10))
    return im.convert(mode)


def camera_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKE
    exif[0x0110] = MODEL
    exif[0x0131] = "secret editor 1.0"  # Software
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    return exif


@cache
def srgb_icc() -> bytes:
    """One profile for the session: littleCMS stamps each new one with the time."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


@cache
def phone_jpeg(orientation: int = 6, *, progressive: bool = False) -> bytes:
    """A JPEG as phones write it: EXIF (GPS, camera, orientation), XMP, IPTC, a comment,
    an ICC profile, and a second picture after EOI announced by an MPF segment (Pillow's
    MPO writer, as a phone's gain map or depth map), then HTML."""
    out = io.BytesIO()
    picture().save(
        out,
        "MPO",
        save_all=True,
        append_images=[picture(12, 8)],
        quality=90,
        exif=camera_exif(orientation).tobytes(),
        icc_profile=srgb_icc(),
        progressive=progressive,
    )
    data = out.getvalue()
    extra = (
        _segment(0xE1, XMP_HEADER + XMP)
        + _segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00secret IPTC caption")
        + _segment(0xFE, b"secret comment")
    )
    # After SOI and APP0 JFIF (which must stay first); every MPF offset moves alike.
    app0_end = 2 + 2 + struct.unpack(">H", data[4:6])[0]
    return data[:app0_end] + extra + data[app0_end:] + SCRIPT


@cache
def phone_png(orientation: int = 8) -> bytes:
    """A PNG with tEXt, zTXt, iTXt XMP, tIME, eXIf (GPS, camera, orientation), an ICC
    profile and transparency, then HTML after IEND."""
    info = PngInfo()
    info.add_text("Comment", "secret comment")
    info.add_text("Author", "secret author", zip=True)
    info.add_itxt("XML:com.adobe.xmp", (XMP_HEADER + XMP).decode())
    data = _encode(
        picture(mode="RGBA"),
        "PNG",
        pnginfo=info,
        exif=camera_exif(orientation).tobytes(),
        icc_profile=srgb_icc(),
    )
    time_chunk = _png_chunk(b"tIME", struct.pack(">HBBBBB", 2026, 1, 2, 3, 4, 5))
    private = _png_chunk(b"prVt", b"secret private chunk")
    at = data.index(b"IDAT") - 4
    return data[:at] + time_chunk + private + data[at:] + SCRIPT


@cache
def phone_webp(orientation: int = 3) -> bytes:
    """An extended WebP with EXIF, XMP and an ICC profile, then HTML past its RIFF size."""
    data = _encode(
        picture(mode="RGBA"),
        "WEBP",
        quality=80,
        exif=camera_exif(orientation).tobytes(),
        xmp=XMP,
        icc_profile=srgb_icc(),
    )
    return data + SCRIPT


@cache
def commented_gif() -> bytes:
    """An animated, looping GIF with a comment and an XMP application extension, then HTML."""
    first = picture().convert("P", palette=Image.Palette.ADAPTIVE)
    second = picture().transpose(Image.Transpose.ROTATE_180)
    second = second.convert("P", palette=Image.Palette.ADAPTIVE)
    data = _encode(
        first,
        "GIF",
        save_all=True,
        append_images=[second],
        duration=100,
        loop=0,
        comment=b"secret comment",
    )
    xmp_ext = b"\x21\xff\x0bXMP DataXMP" + _sub_blocks(XMP) + b"\x00"
    assert data.endswith(b"\x3b")
    return data[:-1] + xmp_ext + b"\x3b" + SCRIPT


def _sub_blocks(payload: bytes) -> bytes:
    return b"".join(
        bytes([len(payload[k : k + 255])]) + payload[k : k + 255]
        for k in range(0, len(payload), 255)
    )


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def deep_png(w: int = 7071, h: int = 7071) -> bytes:
    """A valid 16-bit RGBA PNG of ``w`` x ``h`` (400 MB of pixels, under 50 megapixels)
    in about 389 KB: zero rows deflated as they are produced, never an array in memory."""
    row = b"\x00" * (1 + w * 8)  # filter byte, then 4 samples of 2 bytes per pixel
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    block = row * 64
    body = b"".join(packer.compress(block) for _ in range(h // 64))
    body += packer.compress(row * (h % 64)) + packer.flush()
    header = struct.pack(">IIBBBBB", w, h, 16, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


# --- readers: the compressed picture data, to compare byte for byte ------------------------


def jpeg_scans(data: bytes) -> bytes:
    """Everything from the first SOS to the EOI: the scans and the tables between them."""
    i = 2
    while True:
        while data[i] == 0xFF and data[i + 1] == 0xFF:
            i += 1
        marker = data[i + 1]
        if marker == 0xDA:
            return data[i : data.index(b"\xff\xd9", i) + 2]
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + length


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    i = 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        out.append((kind, data[i + 8 : i + 8 + length]))
        i += 12 + length
        if kind == b"IEND":
            break
    return out


def png_idat(data: bytes) -> bytes:
    return b"".join(body for kind, body in png_chunks(data) if kind == b"IDAT")


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    end = 8 + struct.unpack("<I", data[4:8])[0]
    out = []
    i = 12
    while i < end:
        kind = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        out.append((kind, data[i + 8 : i + 8 + size]))
        i += 8 + size + (size & 1)
    return out


def gif_frames(data: bytes) -> list[bytes]:
    """Each image descriptor with its colour table and LZW data."""
    frames = []
    i = 13
    if data[10] & 0x80:
        i += 3 * 2 ** ((data[10] & 7) + 1)
    while data[i] != 0x3B:
        start = i
        if data[i] == 0x21:
            i += 2
        else:
            if data[i + 9] & 0x80:
                i += 3 * 2 ** ((data[i + 9] & 7) + 1)
            i += 11
        while data[i]:
            i += 1 + data[i]
        i += 1
        if data[start] == 0x2C:
            frames.append(data[start:i])
    return frames


def frames_pixels(data: bytes) -> list[bytes]:
    """Every frame's decoded pixels, as Pillow gives them."""
    with Image.open(io.BytesIO(data)) as im:
        out = []
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            out.append(im.convert("RGBA").tobytes())
        return out
