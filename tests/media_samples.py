"""Real media files made at test time, for any test that uploads something.

Images come from Pillow, WAV from the standard library, all other sound and pictures
from PyAV (FFmpeg's libraries, in its wheels; no ffmpeg program, no numpy). Each file
is made once per test session and cached, so importing these in many tests stays fast.
All functions return ``bytes``. The hostile files (huge frames, endless length, noise
after a valid header) come after the ordinary ones.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import math
import struct
import tempfile
import wave
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

# --- images ------------------------------------------------------------------------------


def _picture(w: int, h: int, mode: str = "RGB") -> Image.Image:
    """A picture with something in it (gradient, shapes), so encoders do real work."""
    across = Image.linear_gradient("L").rotate(90).resize((w, h))
    down = Image.linear_gradient("L").resize((w, h))
    im = Image.merge("RGB", (across, down, Image.new("L", (w, h), 128)))
    draw = ImageDraw.Draw(im)
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(250, 240, 20))
    draw.rectangle((0, 0, w // 5, h // 5), fill=(10, 10, 10))
    if mode == "RGBA":
        im = im.convert("RGBA")
        alpha = Image.new("L", (w, h), 255)
        ImageDraw.Draw(alpha).rectangle((0, 0, w // 2, h), fill=0)
        im.putalpha(alpha)
    return im


def _encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


@cache
def jpeg_bytes(w: int = 64, h: int = 48, *, exif_orientation: int | None = None) -> bytes:
    """A JPEG; with ``exif_orientation`` (e.g. 6: turn 90 degrees clockwise to show it)."""
    options: dict[str, object] = {"quality": 90}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        options["exif"] = exif.tobytes()
    return _encode(_picture(w, h), "JPEG", **options)


@cache
def png_bytes(w: int = 64, h: int = 48, *, transparent: bool = False) -> bytes:
    return _encode(_picture(w, h, "RGBA" if transparent else "RGB"), "PNG")


@cache
def webp_bytes(w: int = 64, h: int = 48, *, transparent: bool = False) -> bytes:
    return _encode(_picture(w, h, "RGBA" if transparent else "RGB"), "WEBP", quality=80)


@cache
def gif_bytes(w: int = 64, h: int = 48) -> bytes:
    """An animated GIF of two frames."""
    first = _picture(w, h).convert("P", palette=Image.Palette.ADAPTIVE)
    second = _picture(w, h).transpose(Image.Transpose.ROTATE_180)
    second = second.convert("P", palette=Image.Palette.ADAPTIVE)
    return _encode(first, "GIF", save_all=True, append_images=[second], duration=200, loop=0)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def bomb_png_bytes(w: int = 10_000, h: int = 10_000) -> bytes:
    """A valid 1-bit PNG whose header says ``w`` x ``h`` (100 megapixels) in a few KB.

    Written by hand: every row is a filter byte and zeros, compressed as it is produced.
    """
    row = b"\x00" * (1 + (w + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(h)) + packer.flush()
    header = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


# --- audio and video ---------------------------------------------------------------------


@cache
def wav_bytes(seconds: float = 1.0, rate: int = 22_050) -> bytes:
    """A mono 16-bit sine tone at 440 Hz, written with the standard library."""
    out = io.BytesIO()
    frames = int(seconds * rate)
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(12_000 * math.sin(2 * math.pi * 440 * k / rate)))
                for k in range(frames)
            )
        )
    return out.getvalue()


# Everything below is encoded with PyAV (FFmpeg's libraries in its wheels): no ffmpeg
# program and no numpy. Pictures are drawn with Pillow, sound is built from bytes.

Size = tuple[int, int]
# (when in seconds, packets): what one stream of `_record` muxes, in time order. Encoding
# happens as the merge asks for the next item, so the streams are encoded interleaved.
_Timed = tuple[float, list["av.Packet[av.VideoStream | av.AudioStream]"]]

TONE_HZ = 440
# The place phones record by default in these samples: the Eiffel Tower, 35 m up.
ISO6709 = "+48.8584+002.2945+035.000/"
# What an iPhone writes in the movie's metadata ("mdta" keys, read back under these names).
PHONE_TAGS = {
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15",
    "com.apple.quicktime.software": "17.5.1",
    "com.apple.quicktime.creationdate": "2024-06-01T12:00:00+0200",
}


@cache
def _tone_second(rate: int) -> bytes:
    """One second of a 440 Hz sine, mono s16: a whole number of cycles, so it repeats cleanly."""
    return array(
        "h", (round(8_000 * math.sin(2 * math.pi * TONE_HZ * k / rate)) for k in range(rate))
    ).tobytes()


def _sound(stream: av.AudioStream, seconds: float, rate: int) -> Iterator[_Timed]:
    """The tone for ``seconds``, one-second frames (the encoder cuts them to its own size)."""
    second = _tone_second(rate)
    total = round(seconds * rate)
    for start in range(0, total, rate):
        count = min(rate, total - start)
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(second[: 2 * count])
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield start / rate, stream.encode(frame)
    yield math.inf, stream.encode(None)


@cache
def _backdrop(size: Size) -> Image.Image:
    """A colour gradient: thousands of colours, so a poster frame is plainly a picture."""
    w, h = size
    across = Image.linear_gradient("L").rotate(90).resize((w, h))
    down = Image.linear_gradient("L").resize((w, h))
    return Image.merge("RGB", (across, down, Image.new("L", (w, h), 128)))


def _pictures(stream: av.VideoStream, seconds: float, size: Size, fps: int) -> Iterator[_Timed]:
    """The gradient with a ball crossing it and changing colour, and a fixed dark square."""
    w, h = size
    count = max(1, round(seconds * fps))
    backdrop = _backdrop(size)
    radius = max(1, min(w, h) // 5)
    for index in range(count):
        im = backdrop.copy()
        draw = ImageDraw.Draw(im)
        x = radius + (w - 2 * radius) * index // max(1, count - 1)
        y = radius + (h - 2 * radius) * index // max(1, count - 1)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius),
            fill=(250, (240 - 23 * index) % 256, (20 + 41 * index) % 256),
        )
        draw.rectangle((0, 0, w // 5, h // 5), fill=(10, 10, 10))
        frame = av.VideoFrame.from_image(im)
        frame.pts = index
        frame.time_base = Fraction(1, fps)
        yield index / fps, stream.encode(frame)
    yield math.inf, stream.encode(None)


def _record(
    fmt: str,
    seconds: float,
    *,
    pictures: str | None = None,
    size: Size = (160, 120),
    fps: int = 10,
    picture_options: dict[str, str] | None = None,
    picture_tag: str | None = None,
    rotation: int = 0,
    sound: str | None = None,
    rate: int = 44_100,
    layout: str = "mono",
    sound_options: dict[str, str] | None = None,
    bit_rate: int | None = None,
    muxer_options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
) -> bytes:
    """Encode the drawn pictures and/or the tone with PyAV into a ``fmt`` file.

    Written to a real file, not a BytesIO: ``movflags=+faststart`` reopens the file to
    move the index in front of the media data.
    """
    with tempfile.TemporaryDirectory(prefix="hitrecord-samples-") as folder:
        target = Path(folder) / "sample"
        with av.open(str(target), "w", format=fmt, options=muxer_options or {}) as out:
            out.metadata.update(metadata or {})
            timed: list[Iterator[_Timed]] = []
            if pictures is not None:
                video = out.add_stream(pictures, rate=fps, options=picture_options or {})
                assert isinstance(video, av.VideoStream)
                video.width, video.height = size
                video.pix_fmt = "yuv420p"
                if picture_tag is not None:
                    video.codec_tag = picture_tag
                if rotation:
                    # PyAV counts counter-clockwise; `rotation` is clockwise (see mov_bytes).
                    video.set_display_rotation(-rotation)
                timed.append(_pictures(video, seconds, size, fps))
            if sound is not None:
                audio = out.add_stream(sound, rate=rate, options=sound_options or {})
                assert isinstance(audio, av.AudioStream)
                audio.layout = layout
                if bit_rate is not None:
                    audio.bit_rate = bit_rate
                timed.append(_sound(audio, seconds, rate))
            for _, packets in heapq.merge(*timed, key=lambda item: item[0]):
                out.mux(packets)
        return target.read_bytes()


@cache
def mp3_bytes(seconds: float = 1.0) -> bytes:
    """MP3 (LAME, 64 kbit/s) of the tone at 44.1 kHz, with the ID3 and Xing headers."""
    return _record("mp3", seconds, sound="libmp3lame", bit_rate=64_000)


@cache
def ogg_bytes(seconds: float = 1.0, *, codec: str = "vorbis") -> bytes:
    """Ogg Vorbis (default; FFmpeg's own encoder, stereo) or Ogg Opus (``codec="opus"``)."""
    if codec == "vorbis":
        # FFmpeg's Vorbis encoder is "experimental" and writes two channels only.
        return _record(
            "ogg",
            seconds,
            sound="vorbis",
            layout="stereo",
            sound_options={"strict": "experimental"},
        )
    if codec in ("opus", "libopus"):
        return _record("ogg", seconds, sound="libopus", rate=48_000)
    raise ValueError(f"ogg_bytes makes Vorbis or Opus, not {codec!r}")


@cache
def flac_bytes(seconds: float = 1.0) -> bytes:
    return _record("flac", seconds, sound="flac")


_X264 = {"preset": "ultrafast"}


@cache
def mp4_bytes(seconds: float = 1.0, *, faststart: bool = True, sound: bool = True) -> bytes:
    """H.264 pictures (160x120, 10 fps: a ball crossing a gradient) and AAC sound.

    ``sound=False`` for pictures only; ``faststart=False`` leaves the index (moov) after
    the media data, as a camera writing as it goes does.
    """
    return _record(
        "mp4",
        seconds,
        pictures="libx264",
        picture_options=_X264,
        sound="aac" if sound else None,
        muxer_options={"movflags": "+faststart"} if faststart else None,
    )


@cache
def m4a_bytes(seconds: float = 1.0) -> bytes:
    """AAC sound alone in an MP4 box structure, brand "M4A " (what phones record).

    Not an allowed video (it holds no pictures). The "ipod" muxer is FFmpeg's MP4 muxer
    writing the iTunes audio brand.
    """
    return _record("ipod", seconds, sound="aac", muxer_options={"movflags": "+faststart"})


@cache
def webm_bytes(seconds: float = 1.0) -> bytes:
    """VP8 pictures (as in mp4_bytes) and Opus sound."""
    return _record(
        "webm",
        seconds,
        pictures="libvpx",
        picture_options={"deadline": "realtime", "cpu-used": "8", "b": "200k"},
        sound="libopus",
        rate=48_000,
    )


@cache
def mov_bytes(
    seconds: float = 1.0,
    *,
    codec: str = "h264",
    rotation: int = 0,
    location: bool = True,
    size: Size = (160, 120),
) -> bytes:
    """A QuickTime movie as an iPhone writes it: brand "qt  ", H.264 or HEVC, AAC, tags.

    ``codec="hevc"`` is libx265 under the tag ``hvc1`` (what Apple plays). The container
    carries the phone's ``mdta`` tags (PHONE_TAGS: make "Apple", model "iPhone 15",
    software, creation date) and, with ``location``, where it was filmed: the key
    ``com.apple.quicktime.location.ISO6709`` as an iPhone writes it and the classic
    ``©xyz`` user-data box Android phones write. Read back with PyAV,
    ``container.metadata`` holds ``com.apple.quicktime.make`` / ``.model`` /
    ``.location.ISO6709`` under their own names, and ``location`` (with a copy as
    ``location-eng``) from ``©xyz``.

    ``rotation`` is how far to turn the stored picture clockwise to show it: 90 is an
    iPhone held upright (stored landscape, shown portrait), like the old ``rotate`` tag.
    It is written as the track's display matrix (tkhd). FFmpeg reads the matrix back
    counter-clockwise: decoded frames carry it as side data, so
    ``next(container.decode(video=0)).rotation == -90`` for ``rotation=90`` (also
    ``frame.side_data`` holds a ``DISPLAYMATRIX`` entry). The clockwise turn to apply
    for display is ``-frame.rotation % 360``; with Pillow that is
    ``image.rotate(frame.rotation, expand=True)`` (Pillow turns counter-clockwise).
    PyAV 18 has no stream-level accessor for the matrix; a frame must be decoded.
    """
    if codec == "h264":
        pictures, options, tag = "libx264", _X264, None
    elif codec == "hevc":
        options = {"preset": "ultrafast", "x265-params": "log-level=error"}
        pictures, tag = "libx265", "hvc1"
    else:
        raise ValueError(f"mov_bytes makes H.264 or HEVC, not {codec!r}")
    metadata = dict(PHONE_TAGS)
    if location:
        metadata["com.apple.quicktime.location.ISO6709"] = ISO6709
        metadata["location"] = ISO6709
    return _record(
        "mov",
        seconds,
        pictures=pictures,
        size=size,
        fps=30,
        picture_options=options,
        picture_tag=tag,
        rotation=rotation,
        sound="aac",
        # Phones' tags are QuickTime "mdta" keys: FFmpeg writes them with this flag.
        muxer_options={"movflags": "+faststart+use_metadata_tags"},
        metadata=metadata,
    )


@cache
def tone_video_bytes(seconds: float, *, size: Size = (1280, 720), fps: int = 30) -> bytes:
    """A longer H.264 + AAC MP4 (faststart) for timing tests and benches.

    The same drawn pictures as mp4_bytes; about 0.2 s to make per second at 720p.
    """
    return _record(
        "mp4",
        seconds,
        pictures="libx264",
        size=size,
        fps=fps,
        picture_options=_X264,
        sound="aac",
        muxer_options={"movflags": "+faststart"},
    )


@cache
def long_audio_bytes(minutes: float) -> bytes:
    """Mono 8 kHz FLAC of silence lasting ``minutes``: long in time, small in bytes.

    For the maximum duration. Silence is a constant subframe in FLAC, and the blocks are
    the largest FLAC allows, so an hour is about 15 KB and takes a fraction of a second.
    The STREAMINFO header states the full length.
    """
    rate, block = 8_000, 65_535
    total = round(minutes * 60 * rate)
    with tempfile.TemporaryDirectory(prefix="hitrecord-samples-") as folder:
        target = Path(folder) / "sample.flac"
        with av.open(str(target), "w", format="flac") as out:
            audio = out.add_stream("flac", rate=rate, options={"frame_size": str(block)})
            audio.layout = "mono"
            quiet = bytes(2 * block)
            for start in range(0, total, block):
                count = min(block, total - start)
                frame = av.AudioFrame(format="s16", layout="mono", samples=count)
                frame.planes[0].update(quiet[: 2 * count])
                frame.sample_rate = rate
                frame.pts = start
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
        return target.read_bytes()


# --- hostile audio and video -------------------------------------------------------------
# Each is a file an upload check must refuse (or survive) without decoding it whole. Cut
# files are half(...) of any sample above; mislabelled ones are any sample sent under
# another kind's name.


@cache
def huge_frame_video_bytes(width: int = 8192, height: int = 8192) -> bytes:
    """A decompression bomb by pixels: a valid H.264 MP4 of two flat 8192x8192 frames.

    64 megapixels a frame (libx264 refuses 16384) in about 200 KB: decoding one frame
    takes ~100 MB. Meant to provoke a check that the probed width x height is below the
    limit before any frame is decoded. The one slow sample: making it takes ~0.5 s on an
    idle machine (64 megapixels go through the encoder) and ~0.9 GB for a moment.
    """
    with tempfile.TemporaryDirectory(prefix="hitrecord-samples-") as folder:
        target = Path(folder) / "sample.mp4"
        with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream("libx264", rate=1, options=_X264)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            flat = av.VideoFrame(width, height, "yuv420p")
            for plane, value in zip(flat.planes, (90, 110, 150), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            for index in range(2):
                flat.pts = index
                out.mux(video.encode(flat))
            out.mux(video.encode(None))
        return target.read_bytes()


@cache
def many_frames_video_bytes(seconds: int = 1800) -> bytes:
    """A 16x16 H.264 MP4 at 1 frame a second lasting ``seconds`` (half an hour): tiny.

    Longer than any sane maximum duration in about 150 KB. Meant to provoke a check
    of the probed duration before any transcoding starts.
    """
    return _record("mp4", seconds, pictures="libx264", size=(16, 16), fps=1, picture_options=_X264)


@cache
def garbage_after_header_mp4_bytes() -> bytes:
    """mp4_bytes() with its media data replaced by random-looking bytes of the same length.

    The ftyp box, the whole faststart moov index and the mdat box header are intact, so
    a probe (open the container, list the streams, their codecs, sizes and duration)
    accepts it; every packet it points to is noise, so decoding fails (PyAV raises
    InvalidDataError on the first video packet). Meant to provoke a check that
    decodes, not one that trusts the header.
    """
    data = mp4_bytes()
    mdat = next(start for kind, start, _ in mp4_boxes(data) if kind == b"mdat")
    payload = mdat + 8
    noise = hashlib.shake_256(b"hitrecord garbage after header").digest(len(data) - payload)
    return data[:payload] + noise


def mp4_boxes(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """The top-level boxes of an MP4 / QuickTime file: (type, offset, size)."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:  # a 64-bit size follows the type
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:  # to the end of the file
            size = len(data) - offset
        yield kind, offset, size
        offset += size


# --- look-alikes and helpers -------------------------------------------------------------


def svg_bytes() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<script>alert(document.domain)</script><rect width="10" height="10"/></svg>\n'
    )


def html_bytes() -> bytes:
    return b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("cover.png", png_bytes())
    return out.getvalue()


def half(data: bytes) -> bytes:
    """The file cut at half its length, as an interrupted upload leaves it."""
    return data[: len(data) // 2]


def uploaded(
    name: str, data: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    """A Django upload, as a view receives it (the name and type are the client's claims)."""
    return SimpleUploadedFile(name, data, content_type=content_type)
