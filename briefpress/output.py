"""Safe outputs: a file is written beside its destination and moved into place only when
complete, so a failed or interrupted build leaves the previous edition untouched."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path):
    """Yield a temporary path in the target's folder; on success it replaces ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


class BuildLocked(Exception):
    pass


@contextlib.contextmanager
def build_lock(out: Path):
    """One build at a time per output folder; a second one is refused with a clear message."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    path = out / ".lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(str(out)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_all(files: dict[Path, bytes]) -> None:
    """Write every file through a temporary file, then move them all into place."""
    for path, data in files.items():
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
