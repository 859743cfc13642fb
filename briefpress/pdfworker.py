"""The PDF laid out in a second process, in parallel with the rest of the build.

On a machine with more than one core, the build starts this worker before it reads the
manuscript: the worker imports WeasyPrint (most of a second) while the main process reads
and formats, then lays out the print HTML it is sent.  It answers twice: first with where
each page starts (the EPUB's page-list needs it, so the main process writes the EPUB
while the worker is still writing the PDF), then with the PDF itself.  The PDF is the
same bytes as one laid out in the main process (a test checks this).

The protocol is pickled frames (:mod:`briefpress.frames`) over the worker's stdin and
stdout; the worker prints nothing else there.  Run it as ``python -m briefpress.pdfworker``.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys

from . import frames

ENV = "BRIEFPRESS_PDF_WORKER"  # "0": never a worker; "1": always; unset: when it pays off


class WorkerFailed(Exception):
    """The worker process ended without an answer (killed, out of memory)."""


def wanted() -> bool:
    """A worker pays off when a second core is free and WeasyPrint is not imported yet
    (a long-lived process, such as the watcher, already has it)."""
    setting = os.environ.get(ENV, "")
    if setting in ("0", "1"):
        return setting == "1"
    return (os.cpu_count() or 1) > 1 and "weasyprint" not in sys.modules


class Worker:
    def __init__(self):
        self.process = subprocess.Popen(
            # -P: the current folder is not put on sys.path (no module there can shadow ours).
            [sys.executable, "-P", "-m", "briefpress.pdfworker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")})

    def send(self, job: dict) -> None:
        try:
            frames.write(self.process.stdin, job)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerFailed(f"the PDF worker stopped before its job ({exc})") from None

    def receive(self):
        """The next answer: ``("map", page_map)``, ``("pdf", bytes, pages, refused)``;
        an exception raised in the worker is raised here again."""
        try:
            answer = frames.read(self.process.stdout)
        except (ValueError, EOFError, MemoryError, pickle.UnpicklingError, AttributeError, TypeError,
                ImportError) as exc:
            self.process.kill()
            raise WorkerFailed(f"the PDF worker's answer could not be read ({exc})") from None
        if answer is None:
            code = self.process.wait()
            raise WorkerFailed(f"the PDF worker ended without an answer (exit {code})")
        if answer[0] == "raise":
            frames.reraise(answer)
        return answer

    def close(self, kill: bool = False) -> None:
        """Ends the worker, whether or not it got a job (at once, if ``kill``)."""
        if kill:
            self.process.kill()
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def serve() -> int:
    """The worker's side: import WeasyPrint at once, then lay out the one job it is sent."""
    # Frames go to a private copy of stdout; whatever else writes to file descriptor 1
    # (a C library, a print) lands on stderr instead, before anything is imported.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from . import pdf
    from .weasyload import import_weasyprint

    import_weasyprint()  # the point: imported while the main process reads
    # The layout keeps most of what it allocates until the PDF is written, so full
    # collections find little garbage but walk the whole growing heap: 3 s of a 336-page
    # book's 45.  WeasyPrint's own objects are frozen out of them, and they run a tenth as
    # often (for 11 MB more at the peak of that book).
    gc.freeze()
    gc.set_threshold(700, 10, 100)
    job = frames.read(sys.stdin.buffer)
    if job is None:
        return 0
    if job.pop("patterns_follow", False):  # the hyphenation patterns: the next frame
        from . import hyphenation

        hyphenation.install_when_received(lambda: frames.read(sys.stdin.buffer))

    def answer(value) -> None:
        frames.write(answers, value)
        answers.flush()

    try:
        pdf.lay_out(job, on_page_map=lambda found: answer(("map", found)), answer=answer)
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the build
        answer(frames.failure(exc, "PDF worker"))
        return 1
    return 0


if __name__ == "__main__":
    code = serve()
    # Everything is sent; skipping the interpreter's teardown (a tenth of a second with
    # WeasyPrint's objects) lets the build's wait for this process end at once.
    sys.stderr.flush()
    os._exit(code)
