"""Direct uploads to the S3 store with presigned POSTs (the S3 mode only)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage

UPLOAD_PREFIX = "incoming/"
PRESIGNED_SECONDS = 3600


def presigned_post(*, kind: str) -> dict[str, Any]:
    """A presigned POST for one file of ``kind``, limited to that kind's size, under a
    generated key in ``incoming/``. The file is checked from its bytes when the contribution
    is submitted with the key, and deleted if refused."""
    max_bytes: int = settings.MEDIA_MAX_BYTES[kind]
    key = f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    post = client.generate_presigned_post(
        Bucket=default_storage.bucket_name,  # type: ignore[attr-defined]
        Key=key,
        Conditions=[["content-length-range", 1, max_bytes]],
        ExpiresIn=PRESIGNED_SECONDS,
    )
    return {"url": post["url"], "fields": post["fields"], "upload_key": key, "max_bytes": max_bytes}


def incoming_head(key: str, n: int) -> tuple[bytes, int]:
    """The first ``n`` bytes of a direct upload and its size, without downloading it: one
    ranged GET (the size is in its Content-Range). Raises FileNotFoundError if absent."""
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    bucket = default_storage.bucket_name  # type: ignore[attr-defined]
    try:
        answer = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{n - 1}")
    except client.exceptions.NoSuchKey:
        raise FileNotFoundError(key) from None
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("InvalidRange", "416"):
            return b"", 0  # an empty object: no byte 0 to start from
        raise
    head = answer["Body"].read(n)
    total = str(answer.get("ContentRange", "")).rpartition("/")[2]
    size = int(total) if total.isdigit() else int(answer.get("ContentLength", len(head)))
    return bytes(head), size
