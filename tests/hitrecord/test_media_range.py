"""The local media view answers byte ranges as players ask for them (RFC 9110).

Safari plays no video unless ``Range: bytes=0-1`` comes back as a 206, and every browser
seeks by asking for ranges. Files are real bytes written under a temporary MEDIA_ROOT;
those outside ``contributions/`` belong to no access policy and are public.
"""

from __future__ import annotations

import io
import os
import random

import av
import pytest
from django.utils.http import http_date
from PIL import Image

from contributions.models import Contribution
from tests import media_samples as samples
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db

SIZE = 5000
DATA = random.Random(9110).randbytes(SIZE)
MTIME = 1_700_000_000  # 2023-11-14 22:13:20 UTC
FOLDER = "somewhere-not-contributions"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def store(root, name: str, data: bytes, folder: str = FOLDER, mtime: int = MTIME) -> str:
    """Write ``data`` under the media root and return the address it is served at."""
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return f"/media/{folder}/{name}"


@pytest.fixture
def clip(media_root) -> str:
    return store(media_root, "clip.mp4", DATA)


def etag_of(client, url: str) -> str:
    response = client.get(url)
    body(response)
    return response["ETag"]


def body(response) -> bytes:
    """The whole body (reading a streamed one to its end also closes the file)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- whole files ---------------------------------------------------------------------


def test_a_plain_get_is_the_whole_file_and_says_ranges_are_accepted(client, clip):
    response = client.get(clip)

    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(SIZE)
    assert response["Last-Modified"] == http_date(MTIME)
    assert response["ETag"].startswith('"')
    assert "Content-Range" not in response


# --- one range -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=0-1", 0, 1),  # what Safari asks first
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-10", SIZE - 10, SIZE - 1),
        ("bytes=5-999999", 5, SIZE - 1),  # clipped to the end
        ("bytes=-999999", 0, SIZE - 1),  # a suffix longer than the file is all of it
        ("bytes=4999-4999", SIZE - 1, SIZE - 1),
        ("Bytes=10-19", 10, 19),  # the unit is case-insensitive
        ("bytes=10-19,", 10, 19),  # an empty list element is no second range
    ],
)
def test_one_range_is_answered_with_exactly_those_bytes(client, clip, header, first, last):
    response = client.get(clip, headers={"range": header})

    assert response.status_code == 206
    assert body(response) == DATA[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"


def test_a_partial_answer_keeps_the_type_and_the_sandbox(client, clip):
    response = client.get(clip, headers={"range": "bytes=0-99"})

    assert response.status_code == 206
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Last-Modified"] == http_date(MTIME)
    body(response)


def test_a_large_range_is_streamed_in_blocks_not_read_whole(client, media_root):
    data = random.Random(1).randbytes(300_000)
    url = store(media_root, "long.webm", data)

    response = client.get(url, headers={"range": "bytes=1000-250999"})

    assert response.status_code == 206
    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) > 1
    assert b"".join(chunks) == data[1000:251000]


def test_a_file_of_unknown_type_is_still_a_download_when_ranged(client, media_root):
    url = store(media_root, "notes.exe", DATA)

    response = client.get(url, headers={"range": "bytes=0-9"})

    assert response.status_code == 206
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert body(response) == DATA[:10]


# --- nothing of the file: 416 ----------------------------------------------------------


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", "bytes=9999-10000", "bytes=-0"])
def test_a_range_past_the_end_is_416_with_the_size(client, clip, header):
    response = client.get(clip, headers={"range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response.content == b""
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # A shared cache must not keep an error that would answer the next plain GET.
    assert response["Cache-Control"] == "no-store"


def test_an_empty_file_has_no_first_byte_to_range_from(client, media_root):
    url = store(media_root, "empty.mp3", b"")

    from_start = client.get(url, headers={"range": "bytes=0-"})
    suffix = client.get(url, headers={"range": "bytes=-5"})

    assert from_start.status_code == 416
    assert from_start["Content-Range"] == "bytes */0"
    assert suffix.status_code == 200
    assert body(suffix) == b""


# --- headers that are ignored: the whole file, 200 -------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "items=0-1",
        "bytes=0-1,3-4",
        "bytes=0-1, 3-4",
        "bytes=10-5",  # last before first: invalid, not unsatisfiable
        "bytes=-",
        "bytes=",
        "bytes",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=0x10-0x20",
        "bytes=\u0661-\u0669",  # Arabic-Indic digits are not ASCII ones
        "bytes=0-" + "9" * 9992,  # 10,000 characters
        "bytes=" + ",".join(["0-1"] * 2500),
    ],
    ids=lambda header: header[:20],
)
def test_a_range_header_that_is_not_one_byte_range_gets_the_whole_file(client, clip, header):
    response = client.get(clip, headers={"range": header})

    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response


# --- If-Range ---------------------------------------------------------------------------


def test_if_range_with_the_files_validators_gets_the_range(client, clip):
    etag = etag_of(client, clip)

    for validator in (etag, http_date(MTIME)):
        response = client.get(clip, headers={"range": "bytes=0-9", "if-range": validator})
        assert response.status_code == 206, validator
        assert body(response) == DATA[:10]


@pytest.mark.parametrize(
    "validator",
    ['"another-version"', "weak", http_date(MTIME - 60), "not a date"],
)
def test_if_range_naming_another_version_gets_the_whole_file(client, clip, validator):
    if validator == "weak":
        validator = "W/" + etag_of(client, clip)  # If-Range takes strong tags only

    response = client.get(clip, headers={"range": "bytes=0-9", "if-range": validator})

    assert response.status_code == 200
    assert body(response) == DATA


def test_a_changed_file_no_longer_matches_its_old_validators(client, media_root, clip):
    etag = etag_of(client, clip)
    store(media_root, "clip.mp4", DATA[::-1], mtime=MTIME + 1)

    response = client.get(clip, headers={"range": "bytes=0-9", "if-range": etag})

    assert response.status_code == 200
    assert body(response) == DATA[::-1]


# --- methods -----------------------------------------------------------------------------


def test_head_describes_the_whole_file_without_a_body(client, clip):
    response = client.head(clip)
    ranged = client.head(clip, headers={"range": "bytes=0-9"})  # Range is for GET only

    for answer in (response, ranged):
        assert answer.status_code == 200
        assert answer["Content-Length"] == str(SIZE)
        assert answer["Accept-Ranges"] == "bytes"
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert body(answer) == b""


def test_writing_methods_are_refused(client, clip):
    assert client.post(clip).status_code == 405
    assert client.put(clip).status_code == 405


# --- the new types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("phone.mov", "video/quicktime"),
        ("voice.m4a", "audio/mp4"),
        ("clip.peaks.json", "application/json"),
    ],
)
def test_new_media_types_are_served_inline_in_the_sandbox(client, media_root, name, content_type):
    url = store(media_root, name, DATA)

    response = client.get(url, headers={"range": "bytes=0-99"})

    assert response.status_code == 206
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert body(response) == DATA[:100]


# --- a real file, fetched as a player does ----------------------------------------------


def _opens_as_mp4(data: bytes) -> bool:
    with av.open(io.BytesIO(data)) as container:
        picture = next(container.decode(video=0))
        return container.format.name.startswith("mov,mp4") and picture.width > 0


def _opens_as_jpeg(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return picture.format == "JPEG"


@pytest.mark.parametrize(
    ("name", "make", "opens"),
    [
        ("real.mp4", samples.mp4_bytes, _opens_as_mp4),
        ("real.jpg", samples.jpeg_bytes, _opens_as_jpeg),
    ],
    ids=["mp4", "jpeg"],
)
def test_a_real_file_fetched_in_ranges_reassembles_into_a_file_that_opens(
    client, media_root, name, make, opens
):
    data = make()
    url = store(media_root, name, data)

    probe = client.get(url, headers={"range": "bytes=0-1"})
    assert probe.status_code == 206
    assert body(probe) == data[:2]
    size = int(probe["Content-Range"].rpartition("/")[2])
    assert size == len(data)

    parts = []
    for first in range(0, size, 700):
        response = client.get(url, headers={"range": f"bytes={first}-{first + 699}"})
        assert response.status_code == 206
        parts.append(body(response))

    assert b"".join(parts) == data
    assert opens(b"".join(parts))


# --- files that an access policy guards -------------------------------------------------


def test_an_unfinished_contributions_file_is_404_to_others_even_with_a_range(
    client, media_root, user_client, user
):
    url = store(media_root, "unfinished.mp4", DATA, folder="contributions")
    ContributionFactory(
        author=user,
        kind=Contribution.Kind.VIDEO,
        text="",
        text_html="",
        file="contributions/unfinished.mp4",
        status=Contribution.Status.PROCESSING,
    )

    assert client.get(url, headers={"range": "bytes=0-99"}).status_code == 404
    assert client.get(url, headers={"range": "bytes=999999-"}).status_code == 404
    assert client.head(url).status_code == 404

    # Its author may watch it, seeking too, and no shared cache keeps it.
    partial = user_client.get(url, headers={"range": "bytes=0-99"})
    past_end = user_client.get(url, headers={"range": "bytes=999999-"})
    assert partial.status_code == 206
    assert body(partial) == DATA[:100]
    assert past_end.status_code == 416
    for answer in (partial, past_end):
        assert answer["Cache-Control"] == "private, no-store"
        assert "Cookie" in answer["Vary"]
        assert answer["X-Content-Type-Options"] == "nosniff"
