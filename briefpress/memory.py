"""The build process's free memory handed back to the system while it waits for the PDF.

Once the EPUB is made, the build process only waits for the PDF worker, whose peak comes
at the end, as it writes the PDF; the build's peak memory is the sum of both processes
then.  What the build process used for reading and for the EPUB is free by that time,
but the allocator keeps it: glibc returns freed heap to the system only on request
(``malloc_trim``).  For a 336-page book that is 14 MB of the process's 84.
"""

from __future__ import annotations

import gc
import sys


def release() -> None:
    """Collects garbage and returns the freed heap to the system (glibc; elsewhere only
    the collection)."""
    gc.collect()
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc's; musl has none
    except (OSError, AttributeError):
        return
    trim(0)
