"""An EPUB-only build's second process: the citations formatted, the cover drawn and the
EPUB written while the main process reads the manuscript.

An EPUB-only build would spend its time in one process, importing and reading, with a
core to spare.  This worker is forked when the build starts (sharing what the command
has imported so far).  While the main process reads, it loads the citation style and
prepares the EPUB writer (Jinja2, lxml, ebooklib and HarfBuzz imported), and forks a
helper of its own that compiles the templates into the build cache and draws the cover.
The main process sends the citations to format when it reaches them (and draws the
charts meanwhile), then the publication, and writes the EPUB it gets back.  The EPUB is
the same bytes as one written in the main process (a test checks this); if the worker
dies, the main process does the same work itself.

Requests and answers are pickled frames (:mod:`briefpress.frames`) over two pipes:

- ``("begin", setup)``: the project's folders, the cache folder and the metadata, sent
  as soon as the metadata is read;
- ``("cite", citations, entries)``: answered ``("cited", formatted, None)``, or
  ``("cited", None, error)`` with the :class:`BriefError` of a style that cannot be used;
- ``("epub", publication, resources)``: answered ``("epub", data)``, the last request.

A failure is answered ``("raise", exc, where)`` and ends the worker.  While no request is
waiting, the worker prepares, one import at a time, so that a request waits for one
import at most.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time

from . import frames

ENV = "BRIEFPRESS_EPUB_WORKER"  # "0": never a worker; "1": always (where fork exists); unset: when it pays off

# The EPUB writer's modules, imported while the main process reads (Pillow is the cover's,
# imported by the helper that draws it).
PREPARED = ["briefpress.csl.formatter", "briefpress.render", "briefpress.epub", "briefpress.accessibility",
            "ebooklib.epub", "lxml.html", "uharfbuzz", "briefpress.pagemap"]


class WorkerFailed(Exception):
    """The worker ended without an answer, or its answer could not be read."""


def wanted() -> bool:
    """A worker pays off on a machine with a second core, in a process that has not
    imported the EPUB writer yet (a long-lived one, such as the watcher, keeps it), and
    can be forked safely: no other thread is running."""
    if not hasattr(os, "fork"):
        return False
    setting = os.environ.get(ENV, "")
    if setting in ("0", "1"):
        return setting == "1"
    return (os.cpu_count() or 1) > 1 and "briefpress.epub" not in sys.modules and threading.active_count() == 1


class Worker:
    """The main process's side: a forked worker and the two pipes to it."""

    def __init__(self):
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: it never returns from here
            code = 1
            try:
                _own_group()
                os.close(requests_write)
                os.close(answers_read)
                # Unbuffered, so that select() sees every request not yet read.
                code = _serve(os.fdopen(requests_read, "rb", buffering=0), os.fdopen(answers_write, "wb"))
            finally:
                os._exit(code)  # no teardown, and nothing of the build's buffers flushed twice
        _own_group(pid)
        os.close(requests_read)
        os.close(answers_write)
        self.pid: int | None = pid
        self.requests = os.fdopen(requests_write, "wb")
        self.answers = os.fdopen(answers_read, "rb")
        self.begun = False
        self.failed = False
        self._ahead: dict[str, tuple] = {}  # answers read while waiting for another kind

    def begin(self, root, templates, out, cache_folder, meta) -> None:
        """Sends what the worker prepares from: called as soon as the metadata is read."""
        try:
            self._send(("begin", {"root": root, "templates": templates, "out": out, "cache": cache_folder,
                                  "meta": meta}))
        except WorkerFailed:
            return
        self.begun = True

    def formatter(self, local):
        """The citation formatter for ``citations.resolve``: the worker's (the error of a
        style that cannot be used is raised when the result is asked for), or ``local()``
        when the worker cannot serve."""
        if not self.begun or self.failed:
            return local()
        return _Formatter(self, local)

    def epub(self, publication, resources) -> bytes:
        """The EPUB's bytes, written by the worker (:class:`WorkerFailed` if it cannot)."""
        if not self.begun:
            raise WorkerFailed("the EPUB worker was not started")
        self._send(("epub", publication, resources.settings()))
        return self._receive("epub")[1]

    def _send(self, request) -> None:
        if self.failed:
            raise WorkerFailed("the EPUB worker has stopped")
        try:
            frames.write(self.requests, request)
            self.requests.flush()
        except OSError as exc:
            self._fail()
            raise WorkerFailed(f"the EPUB worker stopped ({exc})") from None

    def _receive(self, kind: str) -> tuple:
        while kind not in self._ahead:
            try:
                answer = frames.read(self.answers)
            except (ValueError, EOFError, MemoryError, OSError, frames.pickle.UnpicklingError, AttributeError,
                    TypeError, ImportError) as exc:
                self._fail()
                raise WorkerFailed(f"the EPUB worker's answer could not be read ({exc})") from None
            if answer is None:
                self._fail()
                raise WorkerFailed("the EPUB worker ended without an answer")
            if answer[0] == "raise":
                self.failed = True
                frames.reraise(answer)
            self._ahead[answer[0]] = answer
        return self._ahead.pop(kind)

    def _fail(self) -> None:
        self.failed = True
        self.close(kill=True)

    def close(self, kill: bool = False) -> None:
        """Ends the worker (at once, if ``kill``, with its helper) and waits for it:
        whatever the worker writes to the build cache is written before the build lets go
        of its folder."""
        if self.pid is None:
            return
        if kill:
            _signal(self.pid, group=True)
        for stream in (self.requests, self.answers):
            try:
                stream.close()
            except OSError:
                pass
        _reap(self.pid)
        self.pid = None


class _Formatter:
    """``format(citations, entries)`` in the worker; here, when the worker has stopped."""

    def __init__(self, worker: Worker, local):
        self.worker, self.local = worker, local

    def format(self, citations, entries):
        return self.submit(citations, entries)()

    def submit(self, citations, entries):
        """Sends the citations at once; the call it returns waits for them formatted."""
        try:
            self.worker._send(("cite", citations, entries))
        except WorkerFailed:
            return lambda: self.local().format(citations, entries)

        def result():
            try:
                _kind, formatted, error = self.worker._receive("cited")
            except WorkerFailed:
                return self.local().format(citations, entries)
            if error is not None:
                raise error
            return formatted

        return result


def _serve(requests, answers) -> int:
    """The worker's side: prepare while idle, answer each request until the EPUB."""
    from . import fonts

    fonts.forget_pending()  # a question the build was asking fontconfig is its own
    fonts.prefetch()
    state: dict = {}
    steps = [_importer(name) for name in PREPARED]

    def answer(value) -> None:
        frames.write(answers, value)
        answers.flush()

    code = 0
    while True:
        while steps and not select.select([requests], [], [], 0)[0]:
            steps.pop(0)()
        request = frames.read(requests)
        if request is None:
            break
        try:
            if request[0] == "begin":
                _begin(state, request[1])
                if not state.get("compiled"):  # no helper compiles them into the build cache
                    steps.append(lambda: steps.extend(_compilers(state)))
            elif request[0] == "cite":
                if state["style_error"] is not None:
                    answer(("cited", None, state["style_error"]))
                else:
                    answer(("cited", state["formatter"].format(request[1], request[2]), None))
            elif request[0] == "epub":
                answer(("epub", _epub(state, request[1], request[2])))
                break  # the last request: the build need not wait for the rest of the preparations
            else:
                raise ValueError(f"unknown request {request[0]!r}")
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the build
            answer(frames.failure(exc, "EPUB worker"))
            code = 1
            break
    if "helper" in state:  # it may be compiling into the build cache
        state["helper"].end()
    return code


def _begin(state: dict, setup: dict) -> None:
    """Starts the helper, then loads the citation style (keeping the error of a style
    that cannot be used, for the request that needs it)."""
    from .cache import Cache
    from .errors import BriefError

    state.update(setup)
    state["cache_object"] = Cache(setup["cache"])
    _start_helper(state)
    from .csl.formatter import CslFormatter

    meta = setup["meta"]
    state["style_error"] = None
    try:
        state["formatter"] = CslFormatter(meta.citation_style, locale=meta.language)
    except BriefError as exc:
        state["style_error"] = exc


def _start_helper(state: dict) -> None:
    """The cover, from the build cache or drawn by the helper, which first compiles the
    templates into the build cache (the worker then loads them compiled)."""
    from concurrent.futures import Future

    from . import fonts
    from .cover import Wanted
    from .project import house_templates
    from .resources import Resources

    meta, cache = state["meta"], state["cache_object"]
    reading = Resources(state["root"], extra_roots=(house_templates(),), allow_remote=meta.allow_remote)
    future: Future = Future()
    state["cover"] = future
    try:
        fonts.settle()  # the helper gets fontconfig's answers, not a question being asked
        wanted = Wanted(meta, state["root"], reading)
        cover = wanted.kept(cache)
    except BaseException as exc:  # noqa: BLE001 - the EPUB's writing raises it
        future.set_exception(exc)
        return
    if cover is not None:
        future.set_result(cover)
    if cover is None or cache.enabled:
        state["helper"] = _Helper(None if cover is not None else wanted, state, future)
        state["compiled"] = cache.enabled  # the worker loads what the helper compiles


class _Helper:
    """A process forked from the worker (before the worker starts any thread) that
    compiles the EPUB's templates into the build cache, then draws the cover; a thread
    here waits for its answer."""

    def __init__(self, wanted, state: dict, future):
        self.wanted, self.cache, self.future = wanted, state["cache_object"], future
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the helper: it never returns from here
            code = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    try:
                        if self.cache.enabled:
                            for compile_template in _compilers(state):
                                compile_template()
                        frames.write(out, ("cover", wanted.draw() if wanted is not None else None))
                        code = 0
                    except BaseException as exc:  # noqa: BLE001 - the EPUB's writing raises it
                        frames.write(out, frames.failure(exc, "EPUB worker's helper"))
            finally:
                os._exit(code)
        os.close(write_end)
        self.answers = os.fdopen(read_end, "rb")
        self.thread = threading.Thread(target=self._wait, name="cover", daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        try:
            answer = frames.read(self.answers)
            if answer is None:
                raise WorkerFailed("the EPUB worker's helper ended without an answer")
            if answer[0] == "raise":
                frames.reraise(answer)
            if self.wanted is not None:
                self.wanted.keep(answer[1], self.cache)  # kept here: a killed helper leaves no file behind
                self.future.set_result(answer[1])
        except BaseException as exc:  # noqa: BLE001 - the EPUB's writing raises it
            if not self.future.done():
                self.future.set_exception(exc)
        finally:
            self.answers.close()
            _reap(self.pid)

    def end(self) -> None:
        """Stops a helper nobody waits for any more, and waits for its thread."""
        if not self.future.done():
            _signal(self.pid)
        self.thread.join()


def _environment(state: dict):
    if "env" not in state:
        from .render import environment

        state["env"] = environment(state["templates"], state["cache_object"])
    return state["env"]


def _compilers(state: dict) -> list:
    """One call per template the EPUB renders, compiling it (into the build cache, when
    there is one)."""
    env = _environment(state)
    names = env.list_templates(filter_func=lambda n: n.startswith(("epub/", "partials/")) and n.endswith(".j2"))
    return [lambda name=name: env.get_template(name) for name in names]


def _importer(name: str):
    import importlib

    return lambda: importlib.import_module(name)


def _epub(state: dict, publication, resources_settings: dict) -> bytes:
    from .epub import render_epub
    from .resources import Resources

    if not state.get("compiled"):  # no helper compiled them into the build cache
        for compile_template in _compilers(state):
            compile_template()
    resources = Resources.from_settings(resources_settings)
    return render_epub(publication, _environment(state), resources, page_map=None, cache=state["cache_object"],
                       cover=state["cover"])


def _own_group(pid: int = 0) -> None:
    """Puts the worker in a process group of its own (called on both sides of the fork, so
    that it holds whichever side runs first): the build can end it with its helper."""
    try:
        os.setpgid(pid, pid)
    except OSError:  # already done by the other side, or the worker has ended
        pass


def _reap(pid: int, timeout: float = 5) -> None:
    """Waits for the child process ``pid`` to end (killing it after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        if time.monotonic() > deadline:
            _signal(pid)
            deadline = float("inf")
        time.sleep(0.002)


def _signal(pid: int, group: bool = False) -> None:
    import signal

    try:
        if group:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if group:
            _signal(pid)
