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
