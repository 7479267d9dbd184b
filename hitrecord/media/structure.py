"""Walking audio and video containers to their last byte, so a file cut short is caught.

Each walker takes the whole file as a bytes-like object (a memory map for large files) and
returns what it learnt (a duration in milliseconds when the container says), or raises
MediaRejected. They read only structure, never decode sound or pictures: ffmpeg does that
where it is installed.
"""

from __future__ import annotations

import struct
import zlib
from typing import Protocol

from hitrecord.media.base import MediaRejected
from hitrecord.media.sniff import MP4_BRANDS, id3_size


class Buffer(Protocol):
    def __len__(self) -> int: ...
    def __getitem__(self, key: slice) -> bytes: ...
    def find(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...
    def rfind(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...


def damaged(label: str, why: str = "") -> MediaRejected:
    reason = f" ({why})" if why else ""
    return MediaRejected(
        f"This {label} file is damaged or incomplete{reason}; perhaps the upload was cut "
        "short. Please export it again and upload the new file.",
        code="damaged",
    )


def _u8(data: Buffer, i: int) -> int:
    return data[i : i + 1][0]


# --- WAV ---------------------------------------------------------------------------------

PCM_FORMATS = {1, 3, 0xFFFE}  # integer PCM, float, extensible: what browsers play


def wav_structure(data: Buffer) -> int:
    """Walk the RIFF chunks: ``fmt `` then ``data``, each inside the file. Duration in ms."""
    n = len(data)
    riff_size = int.from_bytes(data[4:8], "little")
    if 8 + riff_size > n + 1:  # one byte of slack for a missing pad byte
        raise damaged("WAV", "it is shorter than its header says")
    end = min(n, 8 + riff_size)
    i = 12
    byte_rate = 0
    audio_format = 0
    data_size: int | None = None
    while i + 8 <= end:
        chunk = data[i : i + 4]
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        body = i + 8
        if body + size > n:
            raise damaged("WAV", f"the {chunk.decode('latin-1').strip()!r} part runs past the end")
        if chunk == b"fmt ":
            if size < 16:
                raise damaged("WAV")
            audio_format, channels, rate, byte_rate, align, bits = struct.unpack(
                "<HHIIHH", data[body : body + 16]
            )
            if channels == 0 or rate == 0 or byte_rate == 0:
                raise damaged("WAV")
        elif chunk == b"data":
            if byte_rate == 0:
                raise damaged("WAV", "the sound comes before its description")
            data_size = size
        i = body + size + (size & 1)
    if data_size is None:
        raise damaged("WAV", "it holds no sound")
    if audio_format not in PCM_FORMATS:
        raise MediaRejected(
            "This WAV file holds compressed sound that browsers cannot play; please export it "
            "as plain (PCM) WAV, or as MP3, OGG or FLAC.",
            code="unsupported",
        )
    return data_size * 1000 // byte_rate


# --- MP3 ---------------------------------------------------------------------------------

_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0)
_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0)
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_frame(header: bytes) -> tuple[int, int, int] | None:
    """(frame length, samples, sample rate) of an MPEG layer III frame header, else None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = (header[1] >> 3) & 3
    layer = (header[1] >> 1) & 3
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    padding = (header[2] >> 1) & 1
    rate = _RATES[version][rate_index]
    if version == 3:
        bitrate = _BITRATES_V1[bitrate_index] * 1000
        return 144 * bitrate // rate + padding, 1152, rate
    bitrate = _BITRATES_V2[bitrate_index] * 1000
    return 72 * bitrate // rate + padding, 576, rate


def _mp3_info_frame(frame: bytes) -> tuple[bool, int | None]:
    """Whether the first frame is a Xing/Info or VBRI header, and the frames it announces."""
    for tag in (b"Xing", b"Info"):
        at = frame.find(tag, 0, 64)
        if at >= 0 and len(frame) >= at + 12:
            flags = int.from_bytes(frame[at + 4 : at + 8], "big")
            if flags & 1:
                return True, int.from_bytes(frame[at + 8 : at + 12], "big")
            return True, None
    if frame[36:40] == b"VBRI" and len(frame) >= 36 + 18:
        return True, int.from_bytes(frame[36 + 14 : 36 + 18], "big")
    return False, None


def _mp3_chains(data: Buffer, i: int, n: int) -> bool:
    """A real frame at ``i``: its successor starts right after it (or the file ends there)."""
    first = mp3_frame(data[i : i + 4])
    if first is None:
        return False
    j = i + first[0]
    return j >= n or mp3_frame(data[j : j + 4]) is not None or data[j : j + 3] == b"TAG"


def _zeros_from(data: Buffer, end: int) -> int:
    """Where the run of zero bytes that ends the file (up to ``end``) starts."""
    position = end
    while position > 0:
        block = data[max(0, position - 4096) : position]
        stripped = len(block.rstrip(b"\x00"))
        if stripped:
            return position - len(block) + stripped
        position -= len(block)
    return 0


def mp3_structure(data: Buffer) -> int:
    """Walk every MPEG frame from the first to the last byte; duration in ms.

    A frame that runs past the end, or fewer frames than the Xing/Info header announces,
    means the file was cut.
    """
    n = len(data)
    end = n
    if n >= 128 and data[n - 128 : n - 125] == b"TAG":  # ID3v1 at the very end
        end = n - 128
    i = id3_size(data[:10])
    while i < end and _u8(data, i) == 0:  # padding after the tag
        i += 1
    if i >= end or not _mp3_chains(data, i, end):
        raise damaged("MP3", "no sound frames were found")
    frames = 0
    samples = 0
    rate = 0
    declared: int | None = None
    padding_from = _zeros_from(data, end)
    seen_first = False
    junk = 0
    while i < end:
        frame = mp3_frame(data[i : i + 4])
        if frame is None:
            rest = data[i : i + 8]
            if rest.startswith((b"APETAGEX", b"LYRICSBE", b"TAG")) or i >= padding_from:
                break  # trailing tags or padding
            # Skip junk between frames (some encoders leave it), but only a little.
            j = i + 1
            while j < end and not (_u8(data, j) == 0xFF and _mp3_chains(data, j, end)):
                j += 1
            junk += j - i
            if junk > max(4096, n // 100):
                raise damaged("MP3", "parts of it are not sound")
            i = j
            continue
        length, frame_samples, rate = frame
        if i + length > end:
            raise damaged("MP3", "the last frame is cut off")
        if frames == 0 and not seen_first:
            seen_first = True
            is_info, declared = _mp3_info_frame(data[i : i + min(length, 200)])
            if is_info:
                i += length  # the Info frame is silent bookkeeping, not sound
                continue
        frames += 1
        samples += frame_samples
        i += length
    if frames == 0:
        raise damaged("MP3", "no sound frames were found")
    if declared is not None and frames + 1 < declared:
        raise damaged("MP3", "it is shorter than its header says")
    return samples * 1000 // rate


# --- Ogg ---------------------------------------------------------------------------------

_REVERSED_BITS = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, not reflected, init 0).

    zlib's CRC-32 is the reflected form of the same polynomial: feeding it bit-reversed
    bytes with a zero register and reversing the result gives Ogg's, at C speed.
    """
    register = ~zlib.crc32(page.translate(_REVERSED_BITS), 0xFFFFFFFF) & 0xFFFFFFFF
    return int(f"{register:032b}"[::-1], 2)


def ogg_structure(data: Buffer) -> None:
    """Walk every page: capture pattern, complete body, checksum, sequence; streams end with EOS."""
    n = len(data)
    i = 0
    streams: dict[int, tuple[int, bool]] = {}  # serial -> (next sequence number, ended)
    while i < n:
        if data[i : i + 4] != b"OggS":
            raise damaged("OGG", "a page is broken")
        if i + 27 > n:
            raise damaged("OGG", "the last page is cut off")
        version, flags = data[i + 4 : i + 6]
        serial, sequence, checksum = struct.unpack("<III", data[i + 14 : i + 26])
        segments = _u8(data, i + 26)
        if version != 0 or i + 27 + segments > n:
            raise damaged("OGG", "the last page is cut off")
        body = sum(data[i + 27 : i + 27 + segments])
        end = i + 27 + segments + body
        if end > n:
            raise damaged("OGG", "the last page is cut off")
        page = bytearray(data[i:end])
        page[22:26] = b"\x00\x00\x00\x00"
        if ogg_crc(bytes(page)) != checksum:
            raise damaged("OGG", "a page fails its checksum")
        expected, ended = streams.get(serial, (sequence, False))
        if ended or sequence != expected:
            raise damaged("OGG", "pages are missing")
        if flags & 0x02 and serial in streams:
            raise damaged("OGG")
        streams[serial] = (sequence + 1, bool(flags & 0x04))
        i = end
    if not streams or not all(ended for _next, ended in streams.values()):
        raise damaged("OGG", "it stops before the end of the stream")


# --- FLAC --------------------------------------------------------------------------------


def _crc_table(poly: int, width: int) -> list[int]:
    top = 1 << (width - 1)
    mask = (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) if crc & top else (crc << 1)
        table.append(crc & mask)
    return table


_CRC8 = _crc_table(0x07, 8)
_CRC16 = _crc_table(0x8005, 16)


def crc8(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = _CRC8[crc ^ b]
    return crc


def crc16(data: bytes) -> int:
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ b]
    return crc


_FLAC_BLOCK = {1: 192, 2: 576, 3: 1152, 4: 2304, 5: 4608}


def _flac_frame_header(data: bytes, min_block: int) -> tuple[int, int] | None:
    """(first sample, samples) of a frame whose header starts ``data``, when its CRC-8 holds."""
    if len(data) < 6 or data[0] != 0xFF or data[1] not in (0xF8, 0xF9):
        return None
    block_code = data[2] >> 4
    rate_code = data[2] & 0x0F
    if block_code == 0 or rate_code == 15 or data[3] & 1 or (data[3] >> 4) > 10:
        return None
    # The frame or sample number, coded like UTF-8 (up to 7 bytes).
    lead = data[4]
    extra = 0
    while extra < 7 and lead & (0x80 >> extra):
        extra += 1
    if extra == 1 or extra > 7:
        return None
    count = max(extra - 1, 0)
    number = lead & (0x7F >> extra) if extra else lead
    i = 5
    for _ in range(count):
        if i >= len(data) or data[i] & 0xC0 != 0x80:
            return None
        number = (number << 6) | (data[i] & 0x3F)
        i += 1
    if block_code in _FLAC_BLOCK:
        block = _FLAC_BLOCK[block_code]
    elif block_code == 6:
        block = data[i] + 1
        i += 1
    elif block_code == 7:
        block = int.from_bytes(data[i : i + 2], "big") + 1
        i += 2
    else:
        block = 256 << (block_code - 8)
    if rate_code == 12:
        i += 1
    elif rate_code in (13, 14):
        i += 2
    if i >= len(data) or crc8(data[:i]) != data[i]:
        return None
    variable = data[1] == 0xF9
    first = number if variable else number * min_block
    return first, block


def flac_structure(data: Buffer, *, total_samples: int, min_block: int, max_frame: int) -> None:
    """The last frame must end exactly at the end of the file and close the stream.

    Found by walking back from the end to a frame header whose CRC-8 holds, whose CRC-16
    covers everything up to the last two bytes, and whose last sample is the stream's last.
    """
    n = len(data)
    end = n - 128 if n >= 128 and data[n - 128 : n - 125] == b"TAG" else n
    window = max(max_frame, 1 << 16) + 64
    start = max(4, end - window)
    footer = int.from_bytes(data[end - 2 : end], "big")
    position = end - 6
    while position >= start:
        position = _rfind_sync(data, start, position)
        if position < 0:
            break
        header = _flac_frame_header(data[position : position + 16], min_block)
        if header is not None and crc16(data[position : end - 2]) == footer:
            first, block = header
            if total_samples and first + block != total_samples:
                raise damaged("FLAC", "it stops before the end of the sound")
            return
        position -= 1
    raise damaged("FLAC", "the last frame is cut off")


def _rfind_sync(data: Buffer, start: int, position: int) -> int:
    """The last frame-sync byte pair starting between ``start`` and ``position``."""
    return max(
        data.rfind(b"\xff\xf8", start, position + 2), data.rfind(b"\xff\xf9", start, position + 2)
    )


# --- MP4 (ISO base media) ----------------------------------------------------------------


def _boxes(data: Buffer, start: int, end: int, label: str) -> list[tuple[bytes, int, int]]:
    """The boxes between ``start`` and ``end`` as (type, body start, box end); each must fit."""
    boxes = []
    i = start
    while i < end:
        if i + 8 > end:
            raise damaged(label, "it ends in the middle of a part")
        size = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        body = i + 8
        if size == 1:
            if i + 16 > end:
                raise damaged(label, "it ends in the middle of a part")
            size = int.from_bytes(data[i + 8 : i + 16], "big")
            body = i + 16
        elif size == 0:  # to the end of the file
            size = end - i
        if size < body - i or i + size > end:
            raise damaged(label, "a part runs past the end of the file")
        boxes.append((kind, body, i + size))
        i += size
    return boxes


def _find(boxes: list[tuple[bytes, int, int]], kind: bytes) -> list[tuple[bytes, int, int]]:
    return [box for box in boxes if box[0] == kind]


def mp4_structure(data: Buffer) -> tuple[int | None, bool]:
    """Walk the top-level boxes; (duration in ms from ``mvhd``, has a video track).

    ``ftyp`` comes first with an MP4 brand, ``moov`` and ``mdat`` are present, every box
    fits inside the file exactly (a cut file leaves its last box running past the end),
    and every chunk offset of every track points inside the file.
    """
    n = len(data)
    top = _boxes(data, 0, n, "MP4")
    if not top or top[0][0] != b"ftyp":
        raise damaged("MP4")
    _kind, body, ftyp_end = top[0]
    brands = {data[j : j + 4] for j in range(body, ftyp_end, 4) if j != body + 4}
    if not brands & MP4_BRANDS:
        raise damaged("MP4")
    moovs = _find(top, b"moov")
    if len(moovs) != 1 or not (_find(top, b"mdat") or _find(top, b"moof")):
        raise damaged("MP4", "its index or its sound and pictures are missing")
    _kind, moov_body, moov_end = moovs[0]
    moov = _boxes(data, moov_body, moov_end, "MP4")
    duration_ms: int | None = None
    for _kind, mvhd, _end in _find(moov, b"mvhd"):
        version = _u8(data, mvhd)
        if version == 1:
            timescale, duration = struct.unpack(">IQ", data[mvhd + 20 : mvhd + 32])
        else:
            timescale, duration = struct.unpack(">II", data[mvhd + 12 : mvhd + 20])
        if timescale and duration not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
            duration_ms = duration * 1000 // timescale
    has_video = False
    for _kind, trak_body, trak_end in _find(moov, b"trak"):
        for _kind, mdia_body, mdia_end in _find(_boxes(data, trak_body, trak_end, "MP4"), b"mdia"):
            mdia = _boxes(data, mdia_body, mdia_end, "MP4")
            for _kind, hdlr, _end in _find(mdia, b"hdlr"):
                if data[hdlr + 8 : hdlr + 12] == b"vide":
                    has_video = True
            for _kind, minf_body, minf_end in _find(mdia, b"minf"):
                for _kind, stbl_body, stbl_end in _find(
                    _boxes(data, minf_body, minf_end, "MP4"), b"stbl"
                ):
                    _check_chunk_offsets(data, _boxes(data, stbl_body, stbl_end, "MP4"), n)
    return duration_ms, has_video


def _check_chunk_offsets(data: Buffer, stbl: list[tuple[bytes, int, int]], n: int) -> None:
    """Every chunk a track points at starts inside the file (a cut file loses the last ones)."""
    for kind, body, end in stbl:
        if kind not in (b"stco", b"co64"):
            continue
        width = 4 if kind == b"stco" else 8
        count = int.from_bytes(data[body + 4 : body + 8], "big")
        if body + 8 + count * width > end:
            raise damaged("MP4")
        if count:
            offsets = data[body + 8 : body + 8 + count * width]
            biggest = max(
                int.from_bytes(offsets[k : k + width], "big") for k in range(0, len(offsets), width)
            )
            if biggest >= n:
                raise damaged("MP4", "its index points past the end of the file")


# --- WebM (Matroska/EBML) ----------------------------------------------------------------

_SEGMENT = 0x18538067
_CLUSTER = 0x1F43B675
_TOP_LEVEL = {
    0x114D9B74,  # SeekHead
    0x1549A966,  # Info
    0x1654AE6B,  # Tracks
    _CLUSTER,
    0x1C53BB6B,  # Cues
    0x1254C367,  # Tags
    0x1043A770,  # Chapters
    0x1941A469,  # Attachments
    0xEC,  # Void
    0xBF,  # CRC-32
}
_INFO = 0x1549A966
_TRACKS = 0x1654AE6B


def _vint(data: Buffer, i: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, length, all ones = unknown size) of an EBML variable-size integer at ``i``."""
    first = _u8(data, i)
    if first == 0:
        raise damaged("WebM")
    length = 1
    while not first & (0x80 >> (length - 1)):
        length += 1
    raw = int.from_bytes(data[i : i + length], "big")
    if len(data[i : i + length]) < length:
        raise damaged("WebM", "it ends in the middle of a part")
    if keep_marker:
        return raw, length, False
    value = raw & ((1 << (7 * length)) - 1)
    return value, length, value == (1 << (7 * length)) - 1


def _element(data: Buffer, i: int) -> tuple[int, int, int | None]:
    """(id, body start, body size or None when unknown) of the element at ``i``."""
    ident, id_length, _ = _vint(data, i, keep_marker=True)
    size, size_length, unknown = _vint(data, i + id_length, keep_marker=False)
    return ident, i + id_length + size_length, None if unknown else size


def _children(data: Buffer, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    i = start
    while i < end:
        ident, body, size = _element(data, i)
        if size is None or body + size > end:
            raise damaged("WebM", "a part runs past the end of the file")
        out.append((ident, body, body + size))
        i = body + size
    return out


def webm_structure(data: Buffer) -> tuple[int | None, bool]:
    """EBML header with DocType webm, then a Segment that fits and whose children all fit.

    Returns (duration in ms from Info, has a video track).
    """
    n = len(data)
    ident, body, size = _element(data, 0)
    if size is None or body + size > n:
        raise damaged("WebM")
    header = _children(data, body, body + size)
    doctypes = [data[b:e].rstrip(b"\x00") for i, b, e in header if i == 0x4282]
    if doctypes != [b"webm"]:
        raise damaged("WebM")
    i = body + size
    ident, seg_body, seg_size = _element(data, i)
    if ident != _SEGMENT:
        raise damaged("WebM")
    if seg_size is not None and seg_body + seg_size > n:
        raise damaged("WebM", "it is shorter than its header says")
    seg_end = n if seg_size is None else seg_body + seg_size
    duration_ms: int | None = None
    has_video = False
    clusters = 0
    i = seg_body
    while i < seg_end:
        ident, body, size = _element(data, i)
        if size is None:
            if ident != _CLUSTER:
                raise damaged("WebM")
            i = _skip_unknown_cluster(data, body, seg_end)
            clusters += 1
            continue
        if body + size > seg_end:
            raise damaged("WebM", "a part runs past the end of the file")
        if ident == _INFO:
            duration_ms = _webm_duration(data, body, body + size)
        elif ident == _TRACKS:
            for entry, e_body, e_end in _children(data, body, body + size):
                if entry == 0xAE:
                    for field, f_body, f_end in _children(data, e_body, e_end):
                        if field == 0x83 and data[f_body:f_end] == b"\x01":
                            has_video = True
        elif ident == _CLUSTER:
            clusters += 1
        i = body + size
    if clusters == 0:
        raise damaged("WebM", "it holds no pictures or sound")
    return duration_ms, has_video


def _skip_unknown_cluster(data: Buffer, start: int, end: int) -> int:
    """A live-recorded cluster has no size: it ends where the next top-level element starts."""
    i = start
    while i < end:
        ident, body, size = _element(data, i)
        if ident in _TOP_LEVEL:
            return i
        if size is None or body + size > end:
            raise damaged("WebM", "a part runs past the end of the file")
        i = body + size
    return end


def _webm_duration(data: Buffer, start: int, end: int) -> int | None:
    scale = 1_000_000
    duration: float | None = None
    for ident, body, stop in _children(data, start, end):
        if ident == 0x2AD7B1:
            scale = int.from_bytes(data[body:stop], "big") or scale
        elif ident == 0x4489:
            raw = data[body:stop]
            if len(raw) == 4:
                duration = struct.unpack(">f", raw)[0]
            elif len(raw) == 8:
                duration = struct.unpack(">d", raw)[0]
    if duration is None or duration != duration or duration < 0:  # absent or NaN
        return None
    return int(duration * scale / 1_000_000)
