"""The embedded default's cache: Django's file cache, shared by every process on the
machine, with the two things a shared counter and a busy page cache need from it.

- ``incr`` keeps the entry's expiry and is atomic across processes. Django's file cache
  inherits ``BaseCache.incr`` (a get, then a ``set`` with the default timeout), so a
  rate-limit window would outlive its length and two workers could lose a count.
- Culling looks at the folder on one write in ``CULL_EVERY`` rather than on every write:
  listing tens of thousands of files per write cost more than the write.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
import time
import zlib
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks
from django.core.files.move import file_move_safe

CULL_EVERY = 200


class SharedFileCache(FileBasedCache):
    # What django-stubs leaves out of FileBasedCache's private helpers used here.
    _dir: str

    def _key_to_file(self, key: Any, version: int | None = None) -> str:
        return str(super()._key_to_file(key, version))  # type: ignore[misc]

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        fname = self._key_to_file(key, version)
        with open(os.path.join(self._dir, "incr.lock"), "a+b") as lock:
            locks.lock(lock, locks.LOCK_EX)
            try:
                try:
                    with open(fname, "rb") as f:
                        expiry = pickle.load(f)  # noqa: S301 - our own cache files
                        if expiry is not None and expiry < time.time():
                            raise ValueError(f"Key '{key}' not found")
                        value = pickle.loads(zlib.decompress(f.read()))  # noqa: S301
                except FileNotFoundError:
                    raise ValueError(f"Key '{key}' not found") from None
                new_value = value + delta
                fd, tmp_path = tempfile.mkstemp(dir=self._dir)
                with open(fd, "wb") as f:
                    f.write(pickle.dumps(expiry, self.pickle_protocol))
                    f.write(zlib.compress(pickle.dumps(new_value, self.pickle_protocol)))
                file_move_safe(tmp_path, fname, allow_overwrite=True)
            finally:
                locks.unlock(lock)
        return int(new_value)

    def _cull(self) -> None:
        if random.randrange(CULL_EVERY) == 0:  # noqa: S311 - sampling, not security
            super()._cull()  # type: ignore[misc]
