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
    """Write every file to a temporary file first, then move them all into place.

    Nothing is replaced until every temporary file is complete, so a full disk or a
    read-only folder leaves all earlier outputs as they were; either becomes an error
    naming the file.  ``.part`` files left by a killed build are removed first."""
    from .errors import BriefError

    staged: list[tuple[Path, Path]] = []
    current = None
    try:
        for folder in {path.parent for path in files}:
            remove_stale_parts(folder)
        for path, data in files.items():
            current = path
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            staged.append((Path(tmp), path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
    except OSError as exc:
        raise BriefError(f"cannot write '{current}': {exc.strerror or exc}",
                         hint="earlier outputs are unchanged; free some space or choose another --out folder"
                         ) from None
    finally:
        for tmp, _path in staged:
            if tmp.exists():
                tmp.unlink(missing_ok=True)


def remove_stale_parts(folder: Path) -> None:
    """Temporary files left in ``folder`` by a killed build (``.NAME.*.part``); the build
    lock guarantees that no other build is writing them now."""
    if folder.is_dir():
        for stale in folder.glob(".*.part"):
            with contextlib.suppress(OSError):
                stale.unlink()
