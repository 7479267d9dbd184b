"""Audio and video work with PyAV, run in a child process with limits (see ``runner``).

This file is run as a script (``python -I avwork.py``), never imported by the web or
worker processes: it reads one JSON request on stdin and writes one JSON answer on stdout.
It imports nothing of the project, so it starts fast and owes nothing to Django.

Two commands:

- ``probe``: open the container (format forced to the one sniffed from the first bytes,
  reading at most ``probe_bytes``) and check its streams against the allowlist, the
  maximum duration and the pixel limit, from the headers alone.
- ``process``: the probe's checks, then one pass over every packet: each is decoded (a
  file that does not decode to its last frame is refused), copied into a clean original
  (the same streams, remuxed without re-encoding, without container metadata such as GPS
  or device tags), and the first audio and video streams are transcoded into the
  rendition every browser plays (AAC in MP4 for audio; H.264 and AAC in MP4 for video, at
  most 720p, ``faststart``, turned upright by the display matrix). Audio gives waveform
  peaks; video gives a poster from a real frame.

Refusals answer ``{"rejected": {"message", "code"}}`` with a sentence for the artist.
Limits the parent sets: the address space and CPU time (``limits``, applied here before
any file is opened), and the thread count of every codec (``threads``), so that thread
stacks fit in the address space whatever the machine's core count.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from array import array
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

# FFmpeg demuxers per sniffed format: the container is never guessed from the bytes again.
DEMUXERS = {
    "mp3": "mp3",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "mp4": "mov",
    "m4a": "mov",
    "mov": "mov",
    "webm": "matroska",
}
# Muxers for the clean original (the same container as the upload).
MUXERS = {
    "mp3": "mp3",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "mp4": "mp4",
    "m4a": "ipod",
    "mov": "mov",
    "webm": "webm",
}
AUDIO_CODECS = {
    "mp3": "MP3",
    "mp3float": "MP3",
    "aac": "AAC",
    "vorbis": "Vorbis",
    "opus": "Opus",
    "flac": "FLAC",
    "alac": "Apple Lossless",
    "pcm_s16le": "PCM",
    "pcm_s24le": "PCM",
    "pcm_s32le": "PCM",
    "pcm_u8": "PCM",
    "pcm_f32le": "PCM",
}
VIDEO_CODECS = {"h264": "H.264", "hevc": "HEVC", "vp8": "VP8", "vp9": "VP9", "av1": "AV1"}
PEAKS = 1000
PEAK_RATE = 8000  # Hz: plenty to find the loudness of each of 1,000 slices
RENDITION_LONG_SIDE = 1280
RENDITION_SHORT_SIDE = 720
POSTER_LONG_SIDE = 640
AUDIO_BIT_RATE = 128_000
ERR_DETECT = "crccheck+bitstream+buffer+explode"


class Rejected(Exception):
    def __init__(self, message: str, code: str = "damaged") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def damaged(label: str, why: str = "") -> Rejected:
    detail = f" ({why})" if why else ""
    return Rejected(
        f"This {label} file is damaged or incomplete{detail}; perhaps the upload was cut "
        "short. Please export it again and upload the new file.",
        "damaged",
    )


def _clock(ms: int) -> str:
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def too_long(duration_ms: int, max_seconds: int) -> Rejected:
    limit = f"{max_seconds // 60} minutes" if max_seconds % 60 == 0 else f"{max_seconds} s"
    return Rejected(
        f"This recording is {_clock(duration_ms)} long; audio and video may be at most "
        f"{limit}. Please trim it and upload it again.",
        "too_long",
    )


@dataclass
class Request:
    path: str
    fmt: str  # the sniffed format key
    label: str  # what people call it: "MP4"
    kind: str  # "audio" | "video"
    max_seconds: int
    max_pixels: int
    probe_bytes: int = 5_000_000
    threads: int = 2
    outdir: str = ""
    extension: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Probe:
    duration_ms: int | None
    width: int | None = None
    height: int | None = None
    rotation: int = 0
    audio_codec: str | None = None
    video_codec: str | None = None
    sample_rate: int | None = None
    notes: list[str] = field(default_factory=list)


# --- probing ------------------------------------------------------------------------------


def _open(req: Request) -> Any:
    import av

    try:
        return av.open(
            req.path,
            format=DEMUXERS[req.fmt],
            options={
                "probesize": str(req.probe_bytes),
                "analyzeduration": "5000000",
                # Never follow a reference out of the file (QuickTime can name others).
                "enable_drefs": "0",
                "protocol_whitelist": "file",
            },
            metadata_errors="ignore",
        )
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise damaged(req.label, "it cannot be opened") from exc


def _is_picture(stream: Any) -> bool:
    """A cover picture attached to a recording, not video."""
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _rotation(container: Any, video: Any) -> int:
    """The clockwise turn (0, 90, 180, 270) that shows the stored pictures upright, from the
    display matrix the first frame carries (``frame.rotation`` is counter-clockwise: an
    upright phone video stored sideways reads -90, and is turned 90 degrees clockwise)."""
    import av

    try:
        for frame in container.decode(video):
            return int(round(-float(frame.rotation or 0) / 90) * 90) % 360
    except (av.error.FFmpegError, ValueError):
        return 0  # the full decode decides whether the file is damaged
    return 0


def _streams(container: Any, req: Request) -> tuple[Any | None, Any | None]:
    audio = next((s for s in container.streams.audio), None)
    videos = [s for s in container.streams.video if not _is_picture(s)]
    video = videos[0] if videos else None
    if audio is None and video is None:
        raise damaged(req.label, "it holds neither sound nor pictures we can read")
    if req.kind == "audio" and video is not None:
        raise Rejected(
            "This file holds pictures as well as sound: it is a video. "
            "Upload it as a video, or export the sound alone.",
            "wrong_kind",
        )
    if req.kind == "audio" and audio is None:
        raise Rejected(f"This {req.label} file holds no sound.", "damaged")
    if req.kind == "video" and video is None:
        raise Rejected(
            f"This {req.label} file holds only sound, no pictures; upload it as audio instead.",
            "wrong_kind",
        )
    if audio is not None and audio.codec_context.name not in AUDIO_CODECS:
        raise Rejected(
            f"This {req.label} file's sound is {audio.codec_context.name}, which we do not "
            "play; sound must be AAC, MP3, Vorbis, Opus, FLAC or PCM.",
            "unsupported",
        )
    if video is not None and video.codec_context.name not in VIDEO_CODECS:
        raise Rejected(
            f"This {req.label} file's pictures are {video.codec_context.name}, which we do not "
            "play; video must be H.264, HEVC, VP8, VP9 or AV1.",
            "unsupported",
        )
    return audio, video


def _duration_ms(container: Any, streams: list[Any]) -> int | None:
    if container.duration is not None and container.duration > 0:
        return int(container.duration // 1000)  # av.time_base is microseconds
    for stream in streams:
        if stream is not None and stream.duration and stream.time_base:
            return int(stream.duration * stream.time_base * 1000)
    return None


def probe(req: Request) -> Probe:
    with _open(req) as container:
        audio, video = _streams(container, req)
        found = Probe(duration_ms=_duration_ms(container, [audio, video]))
        if audio is not None:
            found.audio_codec = audio.codec_context.name
            found.sample_rate = audio.codec_context.sample_rate or None
        if video is not None:
            width, height = video.codec_context.width, video.codec_context.height
            if not width or not height:
                raise damaged(req.label, "its pictures have no size")
            if width * height > req.max_pixels:
                raise Rejected(
                    f"This video is {width} x {height} pixels; videos may have at most "
                    f"{req.max_pixels / 1_000_000:.1f} megapixels per frame. Please export it "
                    "smaller (4K or less) and upload it again.",
                    "too_many_pixels",
                )
            found.video_codec = video.codec_context.name
            found.rotation = _rotation(container, video)
            found.width, found.height = (
                (height, width) if found.rotation in (90, 270) else (width, height)
            )
    if found.duration_ms is not None and found.duration_ms > req.max_seconds * 1000:
        raise too_long(found.duration_ms, req.max_seconds)
    return found


# --- processing -------------------------------------------------------------------------


def wav_complete(path: str) -> bool:
    """Whether a WAV file holds all the sound its ``data`` chunk header announces (FFmpeg
    plays a cut WAV as a shorter one, so its header is the only witness of the cut)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        offset = 12  # "RIFF", the size, "WAVE"
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(8)
            length = int.from_bytes(header[4:8], "little")
            if header[:4] == b"data":
                return length == 0xFFFFFFFF or offset + 8 + length <= size  # streamed: unknown
            offset += 8 + length + (length & 1)
    return False


def ogg_ends_cleanly(path: str) -> bool:
    """Whether an Ogg file's last page is flagged end-of-stream and ends at the file's end.

    An Ogg file cut short is otherwise a well-formed shorter file: Ogg states no length,
    so this one flag is what tells a recording that ends from one that was cut."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65_536))  # a page is at most 65,307 bytes
        tail = handle.read()
    start = tail.rfind(b"OggS")
    while start >= 0:
        page = tail[start:]
        if len(page) >= 27 and len(page) >= 27 + page[26]:
            length = 27 + page[26] + sum(page[27 : 27 + page[26]])
            if length == len(page):
                return bool(page[5] & 0x04)
        start = tail.rfind(b"OggS", 0, start)
    return False


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def rendition_size(width: int, height: int) -> tuple[int, int]:
    """At most 1280 x 720 (or 720 x 1280 upright), never enlarged, even sides."""
    long_side, short_side = max(width, height), min(width, height)
    scale = min(1.0, RENDITION_LONG_SIDE / long_side, RENDITION_SHORT_SIDE / short_side)
    return _even(width * scale), _even(height * scale)


class Peaks:
    """The loudest sample of each of about 1,000 equal slices, as fractions of full scale."""

    def __init__(self, expected_samples: int | None) -> None:
        self.per = max(1, (expected_samples or PEAK_RATE * 60) // PEAKS)
        self.values: list[int] = []
        self.current = 0
        self.filled = 0

    def add(self, samples: array) -> None:  # type: ignore[type-arg]
        i, n = 0, len(samples)
        while i < n:
            take = min(self.per - self.filled, n - i)
            chunk = samples[i : i + take]
            loud = max(max(chunk), -min(chunk))
            self.current = max(self.current, loud)
            self.filled += take
            i += take
            if self.filled == self.per:
                self.values.append(self.current)
                self.current = self.filled = 0

    def result(self) -> list[float]:
        values = self.values + ([self.current] if self.filled else [])
        if len(values) > PEAKS:  # the duration was unknown or wrong: fold down to 1,000
            step = len(values) / PEAKS
            values = [
                max(values[int(k * step) : max(int((k + 1) * step), int(k * step) + 1)])
                for k in range(PEAKS)
            ]
        return [round(min(v, 32767) / 32767, 3) for v in values]


@dataclass
class Continuity:
    """How much of the sound's timeline its decoded frames cover."""

    first: float | None = None
    last: float = 0.0
    played: float = 0.0

    def add(self, frame: Any) -> None:
        if frame.time is None or not frame.sample_rate:
            return
        start = float(frame.time)
        self.first = start if self.first is None else min(self.first, start)
        self.last = max(self.last, start + frame.samples / frame.sample_rate)
        self.played += frame.samples / frame.sample_rate

    def span(self) -> float:
        return 0.0 if self.first is None else self.last - self.first

    def missing_seconds(self) -> float:
        return max(0.0, self.span() - self.played)


@dataclass
class Outputs:
    original: Any
    rendition: Any
    streams: dict[int, Any]
    audio_in: Any | None
    video_in: Any | None
    # Any, not Optional: each is set exactly when its input stream exists.
    audio_out: Any = None
    video_out: Any = None
    resampler: Any = None
    peak_resampler: Any = None
    graph: Any = None
    poster_done: bool = False
    samples_sent: int = 0


def _graph(video: Any, rotation: int, size: tuple[int, int]) -> Any:
    import av.filter

    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=video)]
    turn = {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}
    for spec in turn.get(rotation, []):
        name, _, args = spec.partition("=")
        nodes.append(graph.add(name, args or None))
    nodes.append(graph.add("scale", f"{size[0]}:{size[1]}:flags=bicubic"))
    nodes.append(graph.add("format", "yuv420p"))
    nodes.append(graph.add("buffersink"))
    graph.link_nodes(*nodes).configure()
    return graph


def _open_outputs(container: Any, audio: Any, video: Any, found: Probe, req: Request) -> Outputs:
    import av

    out_dir = Path(req.outdir)
    # bitexact: no "encoder" tag either; the original carries no metadata of ours or theirs.
    original = av.open(
        str(out_dir / f"original{req.extension}"),
        "w",
        format=MUXERS[req.fmt],
        options={"fflags": "+bitexact"},
    )
    streams = {}
    for stream in container.streams:
        if stream.type not in ("audio", "video"):
            continue  # data and subtitle tracks (timecodes, GPS tracks) are dropped
        streams[stream.index] = original.add_stream_from_template(stream)
    rendition_ext = ".m4a" if video is None else ".mp4"
    rendition = av.open(
        str(out_dir / f"rendition{rendition_ext}"),
        "w",
        format="ipod" if video is None else "mp4",
        options={"movflags": "+faststart"},
    )
    outputs = Outputs(original, rendition, streams, audio, video)
    for stream in (audio, video):
        if stream is not None:
            # Stop at damage instead of concealing it: checksums checked, any error fatal.
            stream.codec_context.options = {"err_detect": ERR_DETECT}
    if video is not None:
        size = rendition_size(found.width or 2, found.height or 2)
        rate = video.average_rate or video.guessed_rate or 30
        picture = rendition.add_stream("libx264", rate=rate)
        picture.width, picture.height = size
        picture.pix_fmt = "yuv420p"
        picture.codec_context.time_base = video.time_base
        picture.codec_context.thread_count = req.threads
        picture.options = {"preset": "veryfast", "crf": "23", "threads": str(req.threads)}
        outputs.video_out = picture
        outputs.graph = _graph(video, found.rotation, size)
        video.codec_context.thread_count = req.threads
        video.thread_type = "AUTO"
    if audio is not None:
        layout = "mono" if audio.codec_context.channels == 1 else "stereo"
        rate = 48000 if (audio.codec_context.sample_rate or 0) >= 48000 else 44100
        sound = rendition.add_stream("aac", rate=rate)
        sound.layout = layout
        sound.bit_rate = AUDIO_BIT_RATE
        outputs.audio_out = sound
        outputs.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        if video is None:  # a recording's waveform; a video has its poster instead
            outputs.peak_resampler = av.AudioResampler(format="s16", layout="mono", rate=PEAK_RATE)
    return outputs


def _poster(frame: Any, path: Path) -> None:
    image = frame.to_image()
    image.thumbnail((POSTER_LONG_SIDE, POSTER_LONG_SIDE))
    image.save(path, "JPEG", quality=85, optimize=True, progressive=True)


def process(req: Request) -> dict[str, Any]:
    import av

    found = probe(req)
    out_dir = Path(req.outdir)
    expected = (found.duration_ms or 0) * PEAK_RATE // 1000 or None
    peaks = Peaks(expected)
    max_pts_seconds = req.max_seconds + 1.0
    poster_at = min(1.0, (found.duration_ms or 0) / 3000)
    decoded_seconds = 0.0
    frames = {"audio": 0, "video": 0}
    sound = Continuity()
    with _open(req) as container:
        audio, video = _streams(container, req)
        outputs = _open_outputs(container, audio, video, found, req)
        with outputs.original, outputs.rendition:
            for packet in container.demux():
                stream = packet.stream
                target = outputs.streams.get(stream.index)
                if target is None:
                    continue
                try:
                    decoded = packet.decode()
                except MemoryError:  # av.error.MemoryError too: ENOMEM at the memory limit
                    raise
                except (av.error.FFmpegError, ValueError) as exc:
                    raise _decode_failure(req) from exc
                for frame in decoded:
                    if frame.time is not None:
                        decoded_seconds = max(decoded_seconds, _frame_end(frame))
                        if decoded_seconds > max_pts_seconds:
                            raise too_long(int(decoded_seconds * 1000), req.max_seconds)
                    if stream is audio:
                        frames["audio"] += 1
                        sound.add(frame)
                        _audio_frame(frame, outputs, peaks)
                    elif stream is video:
                        frames["video"] += 1
                        _video_frame(frame, outputs, out_dir, poster_at)
                if packet.dts is None and packet.size == 0:
                    continue  # a flush packet
                packet.stream = target
                try:
                    outputs.original.mux(packet)
                except av.error.FFmpegError as exc:
                    raise damaged(req.label, "its packets are out of order") from exc
            _flush(outputs, peaks, out_dir)
    if req.fmt == "ogg" and not ogg_ends_cleanly(req.path):
        raise damaged(req.label, "its last page is missing")
    if req.fmt == "wav" and not wav_complete(req.path):
        raise damaged(req.label, "it holds less sound than its header says")
    if (audio is not None and frames["audio"] == 0) or (video is not None and not frames["video"]):
        raise damaged(req.label, "it holds no sound or pictures")
    if sound.missing_seconds() > max(0.05, sound.span() * 0.01):
        # A demuxer skips a damaged frame silently (FLAC's parser checks every frame's CRC
        # and drops the bad ones): the sound has a hole where the damage was.
        raise damaged(req.label, "parts of its sound are missing")
    # Containers and codecs round their stated length a little (priming samples, the last
    # frame's duration); a file that plays less than 95% of it was cut.
    if found.duration_ms and decoded_seconds * 1000 < found.duration_ms * 0.95 - 150:
        raise damaged(req.label, "it ends before its stated length")
    duration_ms = found.duration_ms or int(decoded_seconds * 1000)
    if duration_ms > req.max_seconds * 1000:
        raise too_long(duration_ms, req.max_seconds)
    answer: dict[str, Any] = {
        "duration_ms": duration_ms,
        "width": found.width,
        "height": found.height,
        "rotation": found.rotation,
        "original": str(out_dir / f"original{req.extension}"),
        "rendition": str(out_dir / ("rendition.m4a" if video is None else "rendition.mp4")),
    }
    if video is not None:
        answer["poster"] = str(out_dir / "poster.jpg") if outputs.poster_done else None
    if outputs.peak_resampler is not None:
        answer["peaks"] = peaks.result()
    return answer


def _audio_frame(frame: Any, outputs: Outputs, peaks: Peaks) -> None:
    frame.pts = None  # the resampler keeps its own clock
    if outputs.peak_resampler is not None:
        for mono in outputs.peak_resampler.resample(frame):
            peaks.add(array("h", bytes(mono.planes[0])[: mono.samples * 2]))
    for ready in outputs.resampler.resample(frame):
        _encode_sound(ready, outputs)


def _decode_failure(req: Request) -> Rejected:
    """Why decoding stopped: out of memory (near the address-space limit), or damage."""
    if near_memory_limit():
        return Rejected(_TOO_BIG["message"], _TOO_BIG["code"])
    return damaged(req.label, "it does not play to the end")


def _frame_end(frame: Any) -> float:
    """When a decoded frame stops playing, in seconds from the start."""
    start = float(frame.time)
    if getattr(frame, "sample_rate", None) and getattr(frame, "samples", None):
        return start + float(frame.samples) / float(frame.sample_rate)
    if frame.duration and frame.time_base:
        return start + float(frame.duration * frame.time_base)
    return start


def _encode_sound(frame: Any, outputs: Outputs) -> None:
    """Encode resampled sound with a clock of our own: one tick per sample sent."""
    frame.pts = outputs.samples_sent
    frame.time_base = Fraction(1, frame.sample_rate)
    outputs.samples_sent += frame.samples
    for packet in outputs.audio_out.encode(frame):
        outputs.rendition.mux(packet)


def _video_frame(frame: Any, outputs: Outputs, out_dir: Path, poster_at: float) -> None:
    outputs.graph.push(frame)
    _drain_graph(outputs, out_dir, poster_at)


def _drain_graph(outputs: Outputs, out_dir: Path, poster_at: float) -> None:
    import av

    while True:
        try:
            upright = outputs.graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        if not outputs.poster_done and (upright.time is None or upright.time >= poster_at):
            _poster(upright, out_dir / "poster.jpg")
            outputs.poster_done = True
        for packet in outputs.video_out.encode(upright):
            outputs.rendition.mux(packet)


def _flush(outputs: Outputs, peaks: Peaks, out_dir: Path) -> None:
    if outputs.video_out is not None:
        outputs.graph.push(None)
        _drain_graph(outputs, out_dir, 0.0)
        for packet in outputs.video_out.encode(None):
            outputs.rendition.mux(packet)
    if outputs.peak_resampler is not None:
        for mono in outputs.peak_resampler.resample(None):
            peaks.add(array("h", bytes(mono.planes[0])[: mono.samples * 2]))
    if outputs.audio_out is not None:
        for ready in outputs.resampler.resample(None):
            _encode_sound(ready, outputs)
        for packet in outputs.audio_out.encode(None):
            outputs.rendition.mux(packet)


# --- the child process ----------------------------------------------------------------------


_MEMORY_LIMIT = 0


def near_memory_limit() -> bool:
    """Whether this process came close to its address-space limit: a failure then is most
    likely an allocation the limit refused, wherever FFmpeg reports it (a decoder's frame
    pool, an encoder's open, a filter), whatever words it uses. The peak virtual size
    (``VmPeak``) stays within one failed allocation of the limit; 70% leaves room for the
    largest frame a 4K video allocates at a time."""
    if not _MEMORY_LIMIT:
        return False
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("VmPeak:"):
            return int(line.split()[1]) * 1024 >= _MEMORY_LIMIT * 0.7
    return False


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    global _MEMORY_LIMIT
    _MEMORY_LIMIT = memory_bytes
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds:
        # SIGXCPU at the soft limit (the default action ends the process), SIGKILL at the hard.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> int:
    message = json.loads(sys.stdin.read())
    limits = message.get("limits", {})
    threads = int(message["request"].get("threads", 2))
    # Libraries that size thread pools from the core count see the pinned number instead.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    _limit(int(limits.get("memory_bytes", 0)), int(limits.get("cpu_seconds", 0)))
    # FFmpeg's log stays off (PyAV's default). Turned on, a decoder thread that logs while
    # the main thread frees its codec (holding the GIL) waits for the GIL for ever: a
    # deadlock seen here. Damage is found instead by decoders that fail on it
    # (``err_detect``, set where each stream is opened) and by the length checks.
    req = Request.from_json(message["request"])
    command = message["command"]
    try:
        if command == "probe":
            found = probe(req)
            answer: dict[str, Any] = {"probe": found.__dict__}
        elif command == "process":
            answer = {"processed": process(req)}
        else:
            answer = {"error": f"unknown command {command!r}"}
    except Rejected as refusal:
        answer = {"rejected": {"message": refusal.message, "code": refusal.code}}
    except MemoryError:
        answer = {"rejected": _TOO_BIG}
    except Exception as exc:  # noqa: BLE001 - any decoder failure refuses the file
        out_of_memory = "Cannot allocate memory" in str(exc) or getattr(exc, "errno", 0) == 12
        if out_of_memory or near_memory_limit():
            answer = {"rejected": _TOO_BIG}
        else:
            answer = {"rejected": {"message": damaged(req.label).message, "code": "damaged"}}
            answer["detail"] = f"{type(exc).__name__}: {exc}"[:500]
    sys.stdout.write(json.dumps(answer, allow_nan=False, default=_finite))
    sys.stdout.flush()
    return 0


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


_TOO_BIG = {
    "message": "This file needs more memory to decode than we allow; please export it smaller "
    "(fewer pixels or a shorter length) and upload it again.",
    "code": "too_much_memory",
}


if __name__ == "__main__":
    sys.exit(main())
