"""Pickled frames between a build and its worker processes (the PDF's, the EPUB's).

A frame is ``MAGIC``, the length (8 bytes, little-endian), then the pickled value; a
reader refuses anything else, so stray bytes on a pipe are an error, not an answer.
"""

from __future__ import annotations

import pickle
import struct

MAGIC = b"BPW1"
MAX_FRAME = 1 << 36


def write(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(MAGIC + struct.pack("<Q", len(data)) + data)


def read(stream):
    """The next frame's value; None at the end of the stream; ValueError for anything that
    is not a frame.  ``stream`` may be buffered or raw (a raw pipe returns short reads)."""
    head = _exactly(stream, 12)
    if not head:
        return None
    if len(head) < 12 or head[:4] != MAGIC:
        raise ValueError(f"not a frame: {head[:12]!r}")
    (size,) = struct.unpack("<Q", head[4:])
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes")
    data = _exactly(stream, size)
    if len(data) < size:
        raise EOFError("a frame cut short")
    return pickle.loads(data)


def _exactly(stream, size: int) -> bytes:
    """``size`` bytes, or fewer at the end of the stream."""
    first = stream.read(size)
    if not first or len(first) == size:
        return first or b""
    parts, got = [first], len(first)
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def failure(exc: BaseException, worker: str) -> tuple:
    """The answer that carries ``exc`` back to the build: ``("raise", exc, where)``, with
    the worker's traceback unless it is an author's error (:class:`BriefError`); an
    exception that cannot be pickled travels as a description."""
    import traceback

    from .errors import BriefError

    where = "" if isinstance(exc, BriefError) else f"in the {worker}:\n" + traceback.format_exc()
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception that cannot travel is described instead
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return ("raise", exc, where)


def reraise(answer: tuple) -> None:
    """Raises the exception of a ``("raise", exc, where)`` answer in the build."""
    _kind, exc, where = answer
    if where:
        exc.add_note(where)  # the worker's traceback, printed under the build's own
    raise exc
