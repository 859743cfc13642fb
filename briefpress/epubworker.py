"""An EPUB-only build's second process: the citations formatted, the cover drawn and the
EPUB written while the main process reads the manuscript.

An EPUB-only build would spend its time in one process, importing and reading, with a
core to spare.  This worker is forked when the build starts (sharing what the command
has imported so far).  While the main process reads, the worker reads the metadata too
and first loads the citation style it names (again, should the build's metadata name
another): the citations are the first request that waits.  It then forks a helper of its
own that draws the cover (and, for a project with templates of its own, a second one
that compiles them into the build cache; the house templates' code is shipped, see
:mod:`briefpress.templatecode`), and prepares the EPUB writer (Jinja2, lxml, ebooklib
and HarfBuzz imported, the templates loaded).  The main process sends the citations to
format when it reaches them (and draws the charts meanwhile), then the publication, and
writes the EPUB it gets back.  The EPUB is the same bytes as one written in the main process (a test
checks this); if the worker dies, the main process does the same work itself.

Requests and answers are pickled frames (:mod:`briefpress.frames`) over two pipes:

- ``("begin", meta)``: the metadata the build read, sent as soon as it is read;
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

ENV = "BRIEFPRESS_EPUB_WORKER"  # "0": never a worker; "1": always (on Linux); unset: when it pays off

# The EPUB writer's modules, imported while the main process reads: after the citation
# processor and the style, what the cover's helper needs too (forked after them, it shares
# them; Pillow it imports alone), then the rest.
FOR_THE_COVER = ["uharfbuzz", "briefpress.cover", "briefpress.resources"]
PREPARED = ["briefpress.render", "briefpress.epub", "briefpress.accessibility", "ebooklib.epub", "lxml.html", "briefpress.pagemap",
            "briefpress.lists"]


class WorkerFailed(Exception):
    """The worker ended without an answer, or its answer could not be read."""


def wanted() -> bool:
    """A worker pays off on a machine with a second core, in a process that has not
    imported the EPUB writer yet (a long-lived one, such as the watcher, keeps it), and
    can be forked safely: on Linux, with no other thread running."""
    if not sys.platform.startswith("linux"):
        return False
    setting = os.environ.get(ENV, "")
    if setting in ("0", "1"):
        return setting == "1"
    return (os.cpu_count() or 1) > 1 and "briefpress.epub" not in sys.modules and threading.active_count() == 1


class Worker:
    """The main process's side: a forked worker and the two pipes to it."""

    def __init__(self, root, templates, cache_folder):
        """``root``: the project's folder; ``templates``: its templates folder;
        ``cache_folder``: the build cache's (None without one)."""
        from . import fonts

        # Asked here, before the fork: the worker and its cover helper inherit the answers
        # instead of each starting fontconfig again (about 10 ms of CPU each).
        fonts.find_all()
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
                code = _serve(os.fdopen(requests_read, "rb", buffering=0), os.fdopen(answers_write, "wb"),
                              root, templates, cache_folder)
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

    def begin(self, meta) -> None:
        """Sends the metadata the build read: called as soon as it is read."""
        try:
            self._send(("begin", meta))
        except WorkerFailed:
            return
        self.begun = True

    def formatter(self, local):
        """The citation formatter for ``citations.resolve_later``: the worker's (the error of a
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


def _serve(requests, answers, root, templates, cache_folder) -> int:
    """The worker's side: prepare while idle, answer each request until the EPUB."""
    import importlib

    from .cache import Cache

    meta = _metadata(root)  # read once: the cover's helper, forked next, inherits it
    state: dict = {}
    # The citations are the first request that waits: the style is loaded before anything
    # else, and before the cover's helper is forked to take a core from it.
    _load_style(state, meta)
    for name in FOR_THE_COVER:
        importlib.import_module(name)
    helper = _Helper(root, meta, cache_folder, (requests, answers))
    # A project's own templates are compiled from source by a helper, into the build cache the
    # worker loads them from; the house templates' code is shipped (templatecode), and loaded
    # here while idle.
    from .project import own_templates

    compiler = None
    if cache_folder is not None and own_templates(templates):
        import briefpress.render  # noqa: F401 - before the fork: the compiling helper shares it

        compiler = _Compiler(templates, cache_folder, (requests, answers))
    # The house faces were found before the fork (Worker): this process and its helpers
    # inherit the answers.
    state.update({"templates": templates, "cache_object": Cache(cache_folder), "cover": helper.cover,
                  "compiler": compiler})
    steps = [_importer(name) for name in PREPARED]
    if compiler is None:
        steps.append(lambda: steps.extend(_compilers(state)))  # last: each template one step

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
                helper.draw(request[1], root)
                _load_style(state, request[1])
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
    helper.end()
    if compiler is not None:  # it may still be compiling into the build cache
        compiler.end()
    return code


def _metadata(root):
    """The project's metadata, read here too, so that the style is loaded before the
    build sends the metadata it read (None when it has errors: the build reports them)."""
    from .errors import BriefError, Report
    from .project import Project, load_metadata

    report = Report(root=root)
    try:
        meta = load_metadata(Project(root), report)
    except BriefError:
        return None
    return None if report.errors else meta


def _load_style(state: dict, meta) -> None:
    """Loads the citation style ``meta`` names, unless it is loaded already (keeping the
    error of a style that cannot be used, for the request that needs it)."""
    from .csl.formatter import CslFormatter
    from .errors import BriefError

    if meta is None or state.get("style") == (meta.citation_style, meta.language):
        return
    state["style"] = (meta.citation_style, meta.language)
    state["style_error"] = None
    try:
        state["formatter"] = CslFormatter(meta.citation_style, locale=meta.language)
        state["formatter"].prepare()
    except BriefError as exc:
        state["style_error"] = exc


def _fork(worker_pipes, work) -> int:
    """Forks a helper that runs ``work()`` (its exit code) and closes the worker's own pipes
    to the build (the build must see the end of the worker's answers when it ends)."""
    pid = os.fork()
    if pid == 0:  # the helper: it never returns from here
        code = 1
        try:
            for pipe in worker_pipes:
                os.close(pipe.fileno())
            code = work()
        finally:
            os._exit(code)
    return pid


class _Compiler:
    """A helper that compiles the EPUB's templates into the build cache, where the worker
    loads them from."""

    def __init__(self, templates, cache_folder, worker_pipes):
        def work() -> int:
            from .cache import Cache

            for compile_template in _compilers({"templates": templates, "cache_object": Cache(cache_folder)}):
                compile_template()
            return 0

        self.pid = _fork(worker_pipes, work)

    def end(self) -> None:
        """Waits for the templates (at most once)."""
        if self.pid is not None:
            _reap(self.pid, timeout=60)
            self.pid = None


class _Helper:
    """A helper that imports Pillow, then draws the cover from the project's metadata as the
    worker read it (or takes it from the build cache); the build's metadata, when it is sent, confirms it (or
    has the cover drawn again); a thread in the worker waits for the cover.  What the
    helper draws is kept in the build cache by the worker: a killed helper leaves no file
    behind."""

    def __init__(self, root, meta, cache_folder, worker_pipes):
        """``meta``: the metadata of the project in ``root`` as the worker read it (None
        when it has errors)."""
        from concurrent.futures import Future

        self.cache_folder = cache_folder
        self.cover: Future = Future()
        to_read, to_write = os.pipe()
        from_read, from_write = os.pipe()

        def work() -> int:
            os.close(to_write)
            os.close(from_read)
            with os.fdopen(to_read, "rb") as requests, os.fdopen(from_write, "wb") as answers:
                return _draw(requests, answers, root, meta, cache_folder)

        self.pid = _fork(worker_pipes, work)
        os.close(to_read)
        os.close(from_write)
        self.requests = os.fdopen(to_write, "wb")
        self.answers = os.fdopen(from_read, "rb")
        self.thread = threading.Thread(target=self._wait, name="cover", daemon=True)
        self.thread.start()

    def draw(self, meta, root) -> None:
        """Sends the metadata the cover is drawn from."""
        try:
            frames.write(self.requests, ("draw", meta, root))
            self.requests.close()
        except OSError:
            pass  # the helper has ended: its thread tells why

    def _wait(self) -> None:
        try:
            answer = frames.read(self.answers)
            if answer is None:
                raise WorkerFailed("the EPUB worker's helper ended without a cover")
            if answer[0] == "raise":
                frames.reraise(answer)
            _kind, data, key = answer
            if key is not None:  # drawn, not taken from the cache
                from .cache import Cache
                from .cover import keep

                keep(key, data, Cache(self.cache_folder))
            self.cover.set_result(data)
        except BaseException as exc:  # noqa: BLE001 - the EPUB's writing raises it
            self.cover.set_exception(exc)
        finally:
            self.answers.close()
            _reap(self.pid)

    def end(self) -> None:
        """Stops a helper whose cover nobody waits for any more, and waits for its thread."""
        if not self.cover.done():
            _signal(self.pid)
        try:
            self.requests.close()
        except OSError:
            pass
        self.thread.join()


def _draw(requests, answers, root, meta, cache_folder) -> int:
    """The cover helper's side: import Pillow, draw the cover from ``meta`` (the metadata
    the worker read), then answer the build's request with it, or with the cover of the
    metadata the build read should that be another."""
    from .cache import Cache

    cache = Cache(cache_folder)
    try:
        import PIL.ImageDraw
        import PIL.ImageFont  # noqa: F401 - both imported while the main process reads

        from .cover import Wanted
        from .project import house_templates
        from .resources import Resources

        def wanted(meta, root) -> Wanted:
            return Wanted(meta, root, Resources(root, extra_roots=(house_templates(),),
                                                allow_remote=meta.allow_remote))

        def cover(wanted: Wanted) -> tuple:  # ("cover", data, key); no key when taken from the cache
            data = wanted.kept(cache)
            return ("cover", data, None) if data is not None else ("cover", wanted.draw(), wanted.key)

        early = None
        if meta is not None:
            try:
                drawn = wanted(meta, root)
                early = (drawn.key, cover(drawn))
            except Exception:  # noqa: BLE001 - the build's metadata decides (and its errors are reported)
                early = None
        request = frames.read(requests)
        if request is None:  # the build ended first
            return 0
        _kind, meta, root = request
        asked = wanted(meta, root)
        frames.write(answers, early[1] if early is not None and early[0] == asked.key else cover(asked))
    except BaseException as exc:  # noqa: BLE001 - the EPUB's writing raises it
        frames.write(answers, frames.failure(exc, "EPUB worker's helper"))
        return 1
    return 0


def _environment(state: dict):
    if "env" not in state:
        from .render import environment

        state["env"] = environment(state["templates"], state["cache_object"])
    return state["env"]


def _compilers(state: dict) -> list:
    """One call per template the EPUB renders, loading it: from its shipped code (a house
    template), or compiled from source (into the build cache, when there is one)."""
    env = _environment(state)
    names = env.list_templates(filter_func=lambda n: n.startswith(("epub/", "partials/"))
                               and n.endswith((".j2", ".css")))  # the stylesheet is a template too
    return [lambda name=name: env.get_template(name) for name in names]


def _importer(name: str):
    import importlib

    return lambda: importlib.import_module(name)


def _epub(state: dict, publication, resources_settings: dict) -> bytes:
    from .epub import render_epub
    from .resources import Resources

    if state["compiler"] is not None:  # the templates are loaded from the build cache it compiled them into
        state["compiler"].end()
    resources = Resources.from_settings(resources_settings)
    return render_epub(publication, _environment(state), resources, page_map=None, cache=state["cache_object"],
                       cover=state["cover"])


def _own_group(pid: int = 0) -> None:
    """Puts the worker in a process group of its own (called on both sides of the fork, so
    that it holds whichever side runs first): the build can end it with its helpers."""
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
