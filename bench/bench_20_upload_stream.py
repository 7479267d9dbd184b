"""Issue 4 (and 10): a 200 MB video upload through the web process, the request alone.

A member uploads a 200 MB MP4 (1920 x 1080, 25 fps, H.264 at about 8 Mbit/s and AAC,
about 3.5 minutes; made here with PyAV, see ``write_upload_video``) to
``POST /api/contributions/`` (multipart, streamed from disk by the client with a
Content-Length), three times (``ROUNDS``); the times are medians. Three rows:

- **request time**: from the first byte sent to the 201, client side (the server is
  on 127.0.0.1). The note splits it into the time to send the body (the server parses the
  multipart as it arrives: a sync worker reads the socket only as Django asks, so the
  body cannot get more than the socket buffers ahead of it) and the time from the last
  byte to the answer (the probe in a child process, the sha256, storing the upload, the
  row, the task enqueued). The probe's and the sha256's own times, measured apart in this
  process on the same file, are given beside it.
- **plain receive**: the same bytes POSTed to a WSGI app of a few lines (``sink_app``
  below) on the same gunicorn (one sync worker) that writes the body to a file: what
  receiving the upload costs without Django.
- **worker peak memory rise**: before each upload the web worker's peak resident memory
  is reset (``/proc/<pid>/clear_refs`` = 5, as root) and its RSS noted; afterwards the
  rise is ``VmHWM - RSS before``, the largest over the uploads. Target < 50 MB. The
  upload server has one worker, warmed first (by the start-up ``/healthz`` probe and a
  1 s upload, whose rise is in the note): a worker's first request loads the URLconf,
  the views and what they import, about 28 MB here, once per worker and whatever the
  request; that is not the upload's memory.

The request only, never the processing: the bench's own server runs tasks in-process
(without a ``CELERY_BROKER_URL`` passed in: eager, so the transcode would run on commit in the
request). This row starts a second gunicorn of its own, the same settings and database
(one sync worker), with ``CELERY_BROKER_URL=redis://127.0.0.1:6379/15``
(``BENCH_UPLOAD_BROKER_URL`` names another; that database must be empty) and no worker
consuming it: the request enqueues the task and returns. Afterwards the row checks that
the contribution is still ``processing`` with its task waiting in the ``media`` queue,
and deletes the keys it made there. Without a reachable Redis the broker is kombu's
``memory://`` transport (the message stays in the web worker's memory), and the note
says so.
"""

from __future__ import annotations

import heapq
import http.client
import math
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.core import Context, Row, Status, Target, judge
from bench.server import Server, peak_rss_bytes

TITLE = "upload stream"
SIZE_MB = 200
PREFIX = f"upload {SIZE_MB} MB video: "
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_BROKER = "redis://127.0.0.1:6379/15"
CHUNK = 1 << 20
ROUNDS = 3  # uploads (and plain receives) per run: the median is reported
SINK_PATH = "BENCH_SINK_PATH"  # where sink_app writes the body (its server's environment)


def run(ctx: Context) -> list[Row]:
    video = write_upload_video(RESULTS / f"upload-{SIZE_MB}mb.mp4")
    small = RESULTS / "upload-warm-up.mp4"
    if not small.exists():
        write_grain_video(small, seconds=1, size=(320, 180), fps=25, bit_rate=500_000)
    ctx.setup_django()
    token, slug = _uploader()
    apart = _measured_apart(video)
    ctx.close_db()
    body = Multipart(video, {"project": slug, "title": "Bench upload", "kind": "video"})

    sink_file = ctx.data_dir / "sink.bin"
    with SinkServer(
        env={**ctx.server.env, SINK_PATH: str(sink_file)},
        log_path=RESULTS / "sink.log",
        workers=1,
    ) as sink:
        plains = [_sink_once(sink.base_url + "/sink", body, sink_file) for _ in range(ROUNDS)]
    plain = median(plains)

    broker = Broker.choose(os.environ.get("BENCH_UPLOAD_BROKER_URL", DEFAULT_BROKER))
    uploads: list[Sent] = []
    rises: list[float] = []
    try:
        env = {**ctx.server.env, "CELERY_BROKER_URL": broker.url}
        # One worker: every upload is measured in the worker that served it, and the
        # warm-up below has surely reached it (see the module docstring).
        with Server(env=env, log_path=RESULTS / "upload-server.log", workers=1) as server:
            url = server.base_url + "/api/contributions/"
            (worker,) = server.worker_pids()
            before = _reset_peak(worker)
            warm = post(url, Multipart(small, body.fields), token=token)
            warm_rise = (peak_rss_bytes(worker) - before) / 2**20
            for _ in range(ROUNDS):
                before = _reset_peak(worker)
                sent = post(url, body, token=token)
                rises.append((peak_rss_bytes(worker) - before) / 2**20)
                if sent.status != 201:
                    raise RuntimeError(f"the upload answered {sent.status}: {sent.body[:300]}")
                uploads.append(sent)
            if warm.status != 201:
                raise RuntimeError(f"the warm-up upload answered {warm.status}: {warm.body[:300]}")
            uploads_made = [warm, *uploads]
            queued = broker.queued("media")
        ctx.setup_django()
        left = sorted({_left_processing(sent.body) for sent in uploads_made})
        ctx.close_db()
    finally:
        broker.clean()
    sent = median(uploads)
    rise = max(rises)

    megabytes = body.length / 2**20
    request_note = (
        f"body sent in {sent.sent:.2f} s, answered {sent.after:.2f} s after its last byte "
        f"(probe {apart['probe']:.2f} s and sha256 {apart['sha256']:.2f} s of that, "
        f"measured apart); {megabytes / sent.total:.0f} MB/s; "
        f"{sent.total / plain.total:.1f}x the plain receive; tasks to {broker.describe()}, "
        f"not run: the contributions are {', '.join(left)}, {queued} task(s) queued; "
        f"median of {ROUNDS}"
    )
    rows = [
        judge(
            name=PREFIX + "request time (task queued, not run)",
            value=round(sent.total, 2),
            unit="s",
            target=None,
            note=request_note,
            details={
                "rounds_s": [round(u.total, 3) for u in uploads],
                "sent_s": sent.sent,
                "after_s": sent.after,
                **apart,
            },
        ),
        judge(
            name=PREFIX + "same bytes into a plain file (WSGI sink)",
            value=round(plain.total, 2),
            unit="s",
            target=None,
            note=f"{megabytes / plain.total:.0f} MB/s; gunicorn, 1 sync worker, "
            f"wsgi.input to a file in 1 MB reads; median of {ROUNDS}",
            details={"rounds_s": [round(p.total, 3) for p in plains]},
        ),
        judge(
            name=PREFIX + "worker peak memory rise",
            value=round(rise, 1),
            unit="MB",
            target=Target.value_below(50, "MB"),
            note=f"{megabytes:.0f} MB sent, answered {sent.status}; the largest of {ROUNDS} "
            f"uploads, peaks reset before each; the worker's first upload (a 1 s clip, "
            f"the warm-up): {warm_rise:+.1f} MB",
            details={"rises_mb": [round(r, 1) for r in rises], "warm_up_mb": round(warm_rise, 1)},
        ),
    ]
    if left != ["processing"]:  # processing ran in the request: the time is not the request's
        rows[0] = replace(rows[0], status=Status.FAIL)
    return rows


def _sink_once(url: str, body: Multipart, sink_file: Path) -> Sent:
    plain = post(url, body, token=None)
    received = sink_file.stat().st_size if sink_file.exists() else 0
    sink_file.unlink(missing_ok=True)
    if plain.status != 201 or received != body.length:
        raise RuntimeError(f"the sink answered {plain.status} after {received} bytes")
    return plain


def median(runs: list[Sent]) -> Sent:
    """The run of median total time (the upper one of an even count)."""
    return sorted(runs, key=lambda run: run.total)[len(runs) // 2]


def _uploader() -> tuple[str, str]:
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from projects.models import Membership, Project

    user, _ = User.objects.get_or_create(
        username="bench-uploader", defaults={"email": "bench-uploader@example.com"}
    )
    project, _ = Project.objects.get_or_create(
        slug="bench-upload", defaults={"title": "Bench upload", "created_by": user}
    )
    Membership.objects.get_or_create(project=project, user=user)
    token, _ = Token.objects.get_or_create(user=user)
    return token.key, project.slug


def _measured_apart(video: Path) -> dict[str, float]:
    """The probe's and the sha256's times on the upload, as the request runs them."""
    from hitrecord.media import runner, sha256_path, sniff

    with video.open("rb") as handle:
        fmt = sniff(handle.read(64 * 1024), "video", total=video.stat().st_size)
    started = time.perf_counter()
    probed = runner.probe(str(video), fmt)
    probe_s = time.perf_counter() - started
    if not probed.duration_ms or probed.width != 1920:
        raise RuntimeError(f"the upload video probes as {probed}")
    started = time.perf_counter()
    sha256_path(video)
    return {"probe": round(probe_s, 3), "sha256": round(time.perf_counter() - started, 3)}


def _left_processing(answer: str) -> str:
    """The uploaded contribution's status now (``processing`` if its task did not run)."""
    import json

    from contributions.models import Contribution

    pk = json.loads(answer)["id"]
    return str(Contribution.objects.values_list("status", flat=True).get(pk=pk))


def _reset_peak(pid: int) -> int:
    """Reset the process's peak RSS to its current RSS (root only) and return that RSS."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass  # not root: the rise is then measured against the lifetime peak
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# --- the broker the upload server enqueues to, and nobody consumes --------------------------


@dataclass
class Broker:
    url: str
    redis: Any = None  # a redis.Redis on the broker's database, or None for memory://
    why: str = ""

    @classmethod
    def choose(cls, url: str) -> Broker:
        """Redis at ``url`` if it answers and its database is empty, else ``memory://``."""
        try:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=2)
            keys = client.dbsize()
        except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
            return cls("memory://", why=f"Redis not reachable: {type(exc).__name__}")
        if keys:
            raise RuntimeError(
                f"{url} holds {keys} keys; name an empty database with BENCH_UPLOAD_BROKER_URL"
            )
        return cls(url, client)

    def describe(self) -> str:
        return self.url if self.redis is not None else f"memory:// ({self.why})"

    def queued(self, queue: str) -> int | str:
        if self.redis is None:
            return "?"  # held in the web worker's memory
        return int(self.redis.llen(queue))

    def clean(self) -> None:
        """Delete what the upload put in the (empty before) database: the queue, bindings."""
        if self.redis is not None:
            keys = list(self.redis.scan_iter(count=100))
            if keys:
                self.redis.delete(*keys)


# --- the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Multipart:
    """A multipart body: form fields, then the file streamed from disk."""

    file: Path
    fields: dict[str, str]
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def head(self) -> bytes:
        fields = {**self.fields, "terms_accepted": "true"}
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        ]
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{self.file.name}"\r\nContent-Type: video/mp4\r\n\r\n'
        )
        return "".join(parts).encode()

    @property
    def tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def length(self) -> int:
        return len(self.head) + self.file.stat().st_size + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        with self.file.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        yield self.tail


@dataclass(frozen=True)
class Sent:
    status: int
    body: str
    sent: float  # seconds from the first byte to the last byte sent
    after: float  # seconds from the last byte sent to the response's status line

    @property
    def total(self) -> float:
        return self.sent + self.after


def post(url: str, body: Multipart, *, token: str | None) -> Sent:
    """POST ``body`` streamed from disk: the client never holds the file in memory."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)
    try:
        conn.putrequest("POST", parts.path)
        if token:
            conn.putheader("Authorization", f"Token {token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={body.boundary}")
        conn.putheader("Content-Length", str(body.length))
        conn.endheaders()
        started = time.perf_counter()
        for chunk in body.chunks():
            conn.send(chunk)
        sent = time.perf_counter()
        response = conn.getresponse()
        answered = time.perf_counter()
        text = response.read().decode(errors="replace")
        return Sent(response.status, text, sent - started, answered - sent)
    finally:
        conn.close()


# --- the plain receiver ----------------------------------------------------------------------


def sink_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """WSGI: write a POST's body to ``$BENCH_SINK_PATH``; answer 200 to ``/healthz``."""
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    with open(os.environ[SINK_PATH], "wb") as out:
        while remaining > 0:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                break
            out.write(chunk)
            remaining -= len(chunk)
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"stored"]


@dataclass
class SinkServer(Server):
    """The bench's gunicorn, serving ``sink_app`` instead of the site."""

    def command(self) -> list[str]:
        site = super().command()
        return [
            arg if arg != "hitrecord.wsgi:application" else f"{__name__}:sink_app" for arg in site
        ]


# --- the video --------------------------------------------------------------------------------


def write_upload_video(path: Path, *, size_mb: int = SIZE_MB) -> Path:
    """A real MP4 of at least ``size_mb`` MB: a 9.6 s 1080p clip with sound (made by
    ``write_grain_video``), repeated by remuxing its packets with shifted timestamps (a
    stream copy: seconds, not an encode). Made once and kept in bench/results/."""
    if path.exists() and path.stat().st_size >= size_mb * 2**20:
        return path
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    clip = path.with_suffix(".clip.mp4")
    write_grain_video(clip, seconds=9.6, size=(1920, 1080), fps=25, bit_rate=8_000_000)
    partial = path.with_suffix(".part.mp4")
    with av.open(str(clip)) as source, av.open(str(partial), "w", format="mp4") as out:
        outputs = {s.index: out.add_stream_from_template(s) for s in source.streams}
        packets = [p for p in source.demux() if p.dts is not None]
        spans = _spans(packets)
        written, loop = 0, 0
        while written < size_mb * 2**20:
            for packet in packets:
                shift = loop * spans[packet.stream.index]
                copy = av.Packet(bytes(packet))
                copy.pts = (packet.pts or 0) + shift
                copy.dts = (packet.dts or 0) + shift
                copy.duration = packet.duration
                copy.is_keyframe = packet.is_keyframe
                copy.time_base = packet.time_base
                copy.stream = outputs[packet.stream.index]
                out.mux(copy)
                written += packet.size
            loop += 1
    clip.unlink()
    partial.rename(path)
    return path


def _spans(packets: list[Any]) -> dict[int, int]:
    """Each stream's length in its own time base (end of its last packet - its first)."""
    first: dict[int, int] = {}
    end: dict[int, int] = {}
    for packet in packets:
        index = packet.stream.index
        first.setdefault(index, packet.dts)
        end[index] = max(end.get(index, 0), (packet.pts or 0) + (packet.duration or 0))
    return {index: end[index] - first[index] for index in first}


def write_grain_video(
    path: Path,
    *,
    seconds: float,
    size: tuple[int, int] = (1280, 720),
    fps: int = 30,
    bit_rate: int = 5_000_000,
    grain: float = 0.25,
) -> Path:
    """An H.264 + AAC MP4 that is work to decode and to encode, like a camera's.

    A colour gradient panning slowly under a ball that crosses it, film grain (Gaussian
    noise of standard deviation 48 levels blended in at ``grain``, a new pattern each
    frame out of seven) over everything, H.264 (libx264
    ``ultrafast``) at ``bit_rate`` bits per second, yuv420p; a stereo 48 kHz chord in AAC at
    128 kbit/s under it. Drawn with Pillow, encoded with PyAV; no numpy, no ffmpeg program.
    """
    import av
    from PIL import Image, ImageDraw

    width, height = size
    across = Image.linear_gradient("L").rotate(90).resize((width * 2, height))
    down = Image.linear_gradient("L").resize((width * 2, height))
    backdrop = Image.merge("RGB", (across, down, Image.new("L", (width * 2, height), 140)))
    grains = [Image.effect_noise(size, 48).convert("RGB") for _ in range(7)]
    count = max(1, round(seconds * fps))
    radius = height // 6
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.bit_rate = bit_rate
        sound = out.add_stream("aac", rate=48_000)
        sound.layout = "stereo"
        sound.bit_rate = 128_000

        def pictures() -> Iterator[tuple[float, list[Any]]]:
            for index in range(count):
                pan = (width * index) // count
                frame = Image.blend(
                    backdrop.crop((pan, 0, pan + width, height)), grains[index % 7], grain
                )
                x = radius + (width - 2 * radius) * index // max(1, count - 1)
                y = height // 2 + int(height / 4 * math.sin(index / (fps / 2)))
                ImageDraw.Draw(frame).ellipse(
                    (x - radius, y - radius, x + radius, y + radius), fill=(250, 200, 60)
                )
                picture = av.VideoFrame.from_bytes(frame.convert("RGBA").tobytes(), width, height)
                picture.pts = index
                picture.time_base = Fraction(1, fps)
                yield index / fps, video.encode(picture)
            yield math.inf, video.encode(None)

        for _, packets in heapq.merge(
            pictures(), chord(sound, seconds, rate=48_000), key=lambda item: item[0]
        ):
            out.mux(packets)
    return path


def chord(stream: Any, seconds: float, *, rate: int) -> Iterator[tuple[float, list[Any]]]:
    """A stereo A minor chord, one-second frames, encoded by ``stream`` as it goes."""
    import av

    second = stereo_chord_second(rate)
    total = round(seconds * rate)
    for start in range(0, total, rate):
        samples = min(rate, total - start)
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        frame.planes[0].update(second[: 4 * samples])
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield start / rate, stream.encode(frame)
    yield math.inf, stream.encode(None)


def stereo_chord_second(rate: int) -> bytes:
    """One second of A, C and E (whole cycles: it repeats cleanly), left and right apart."""
    from array import array

    notes = (220.0, 261.0, 330.0)
    samples = array("h")
    for k in range(rate):
        t = k / rate
        left = sum(math.sin(2 * math.pi * f * t) for f in notes[:2])
        right = sum(math.sin(2 * math.pi * f * t) for f in notes[1:])
        samples.extend((int(4_000 * left), int(4_000 * right)))
    return samples.tobytes()
