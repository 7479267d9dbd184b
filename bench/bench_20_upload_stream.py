"""Issue 4: uploading 200 MB through the web process raises its peak memory by < 50 MB.

A member uploads a 200 MB MP4 to ``POST /api/contributions/`` (multipart, streamed from
disk by the client with a Content-Length). Before the upload each gunicorn worker's peak
resident memory is reset (``/proc/<pid>/clear_refs`` = 5, as root) and its current RSS
noted; afterwards the rise is the largest ``VmHWM - RSS before`` over the workers. The
upload is checked in the request (the container walked to its end, ffmpeg decoding it
where installed, in a child process) and processed in-process on commit, as in the
embedded mode.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from bench.core import Context, Row, Target, judge
from bench.server import peak_rss_bytes

TITLE = "upload stream"
SIZE_MB = 200
RESULTS = Path(__file__).resolve().parent / "results"


def run(ctx: Context) -> list[Row]:
    name = f"upload {SIZE_MB} MB video: worker peak memory rise"
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("this row makes its video with ffmpeg: apt-get install -y ffmpeg")
    ctx.setup_django()
    token, slug = _uploader()
    ctx.close_db()
    video = _video(RESULTS / f"upload-{SIZE_MB}mb.mp4")

    workers = ctx.server.worker_pids()
    before = {pid: _reset_peak(pid) for pid in workers}
    status, body = _upload(ctx.url("/api/contributions/"), token, slug, video)
    rise = max(peak_rss_bytes(pid) - before[pid] for pid in workers) / 2**20
    note = f"{video.stat().st_size / 2**20:.0f} MB sent, answered {status}"
    if status != 201:
        raise RuntimeError(f"{note}: {body[:300]}")
    return [
        judge(
            name=name,
            value=round(rise, 1),
            unit="MB",
            target=Target.value_below(50, "MB"),
            note=note,
        )
    ]


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


def _video(path: Path) -> Path:
    """A real 200 MB MP4: a short high-bitrate clip, looped by stream copy (fast)."""
    if path.exists() and path.stat().st_size >= SIZE_MB * 2**20:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    clip = path.with_suffix(".clip.mp4")
    ffmpeg = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run(
        [
            *ffmpeg,
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=25",
            "-t",
            "4",
            "-c:v",
            "mpeg4",
            "-q:v",
            "1",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
        timeout=300,
    )
    loops = SIZE_MB * 2**20 // clip.stat().st_size + 1
    subprocess.run(
        [
            *ffmpeg,
            "-stream_loop",
            str(loops),
            "-i",
            str(clip),
            "-c",
            "copy",
            "-fs",
            str(SIZE_MB * 2**20 + 2**20),
            str(path),
        ],
        check=True,
        timeout=300,
    )
    clip.unlink()
    return path


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


def _upload(url: str, token: str, slug: str, video: Path) -> tuple[int, str]:
    """Stream a multipart body from disk: the client never holds the file in memory."""
    boundary = uuid.uuid4().hex
    fields = {"project": slug, "title": "Bench upload", "kind": "video", "terms_accepted": "true"}
    head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    try:
        conn.putrequest("POST", parts.path)
        conn.putheader("Authorization", f"Token {token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + video.stat().st_size + len(tail)))
        conn.endheaders()
        conn.send(head)
        with video.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                conn.send(chunk)
        conn.send(tail)
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, body
    finally:
        conn.close()
