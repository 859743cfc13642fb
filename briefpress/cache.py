"""The build cache: content-addressed results kept inside the output folder
(``OUT/.cache/``), so a fresh output folder is always a cold build.

Keys are hashes of everything a result depends on, the engine version included; a stale
entry is simply never asked for again.  ``publish.py clean`` removes the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from . import __version__


def digest(*parts) -> str:
    """A stable hash of strings, bytes and JSON-able values."""
    h = hashlib.sha256(__version__.encode())
    for part in parts:
        if isinstance(part, bytes):
            data = part
        elif isinstance(part, str):
            data = part.encode("utf-8")
        else:
            data = json.dumps(part, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class Cache:
    """``get``/``put`` of picklable values by key; disabled caches never hit."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / f"{key}.pickle"

    def holds(self, kind: str) -> bool:
        """Whether any entry of ``kind`` was ever kept (a cheap test before computing a key)."""
        return self.folder is not None and (self.folder / kind).is_dir()

    def get(self, kind: str, key: str):
        if self.folder is None:
            return None
        try:
            with open(self._path(kind, key), "rb") as f:
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None  # missing or written by another engine version: compute again

    def put(self, kind: str, key: str, value) -> None:
        if self.folder is None:
            return
        target = self._path(kind, key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower
