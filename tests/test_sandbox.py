"""The resource sandbox, proven against a real server: a loopback HTTP server records every
request, and builds whose chapters and templates name it must leave it with none."""

from __future__ import annotations

import http.server
import threading
import urllib.request
from typing import ClassVar

import pytest
from conftest import run_main

from briefpress.errors import BriefError
from briefpress.resources import Resources, check_public_host


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):  # the http.server API
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """``http://127.0.0.1:PORT`` of a server that records the paths it is asked for."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    # A positive control: the server answers, so an empty log below means no request was made.
    urllib.request.urlopen(base + "/control", timeout=5).read()
    assert Recorder.requests == ["/control"]
    Recorder.requests.clear()
    yield base
    httpd.shutdown()
    httpd.server_close()
    Recorder.requests.clear()


def build(project, tmp_path, to="pdf"):
    return run_main(["build", str(project), "--to", to, "--out", str(tmp_path / "out"), "--no-cache"])


@pytest.mark.parametrize("worker", ["0", "1"], ids=["in-process", "pdf-worker"])
def test_raw_html_in_a_chapter_reaches_no_server(make_project, tmp_path, server, worker, monkeypatch):
    monkeypatch.setenv("BRIEFPRESS_PDF_WORKER", worker)  # the refusals travel back from the worker
    chapter = f"""\
        # Remote things

        An inline image: ![]({server}/inline.png)

        <img src="{server}/raw-img.png" alt="a raw image">

        <p style="background: url({server}/style-attr.png)">Styled.</p>

        <style>
        @import url("{server}/import.css");
        @font-face {{ font-family: Leak; src: url({server}/font.woff); }}
        p {{ background: url({server}/style-element.png); font-family: Leak; }}
        </style>

        <link rel="stylesheet" href="{server}/link.css">
        """
    project = make_project(chapters={"01-first.md": chapter}, bib=None)
    code, _out, err = build(project, tmp_path)
    assert Recorder.requests == []
    assert code == 1 and "Traceback" not in err
    # What the sanitizer removed is a warning at its line; what it keeps (an http image)
    # is refused by the fetcher, at the line that names it.
    assert "manuscript/01-first.md:7:1: warning: removed a style attribute with url(…) or @import from <p>" in err
    assert "manuscript/01-first.md:9:1: warning: removed <style> from raw HTML" in err
    assert "manuscript/01-first.md:15:1: warning: removed <link rel=stylesheet> from raw HTML" in err
    assert (f"manuscript/01-first.md:3: error: refused to load '{server}/inline.png': "
            "remote resources are not allowed") in err
    assert (f"manuscript/01-first.md:5: error: refused to load '{server}/raw-img.png': "
            "remote resources are not allowed") in err


def test_a_project_template_reaches_no_server(make_project, tmp_path, server):
    css = f"""\
@import url("{server}/template-import.css");
@font-face {{ font-family: Leak; src: url({server}/template-font.woff); }}
body {{ font-family: Leak; background: url({server}/template-bg.png); }}
"""
    project = make_project(files={"templates/pdf/brief.css": css})
    code, _out, err = build(project, tmp_path)
    assert Recorder.requests == []
    assert code == 1 and "Traceback" not in err
    assert (f"templates/pdf/brief.css:1: error: refused to load '{server}/template-import.css': "
            "remote resources are not allowed") in err


def test_allow_remote_still_refuses_a_loopback_address(make_project, tmp_path, server):
    chapter = f"# Remote\n\n<img src=\"{server}/allowed.png\" alt=\"x\">\n"
    project = make_project(chapters={"01-first.md": chapter}, bib=None, allow_remote=True)
    code, _out, err = build(project, tmp_path)
    assert Recorder.requests == []
    assert code == 1
    assert f"manuscript/01-first.md:3: error: refused to load '{server}/allowed.png': '127.0.0.1' is a local" in err


def test_attachments_come_only_from_the_metadata(make_project, tmp_path):
    """``<link rel=attachment>`` in a chapter is removed; in a designer's template it is ignored."""
    from pypdf import PdfReader

    from briefpress.render import house_templates

    template = (house_templates() / "pdf" / "brief.html.j2").read_text(encoding="utf-8")
    template = template.replace("<head>", '<head>\n<link rel="attachment" href="bibliography.bib">', 1)
    chapter = "# Attach\n\nText.\n\n<link rel=\"attachment\" href=\"/etc/passwd\">\n"
    project = make_project(chapters={"01-first.md": chapter}, bib=None,
                           files={"templates/pdf/brief.html.j2": template, "bibliography.bib": "% none\n"})
    code, _out, err = build(project, tmp_path)
    assert code == 0, err
    assert "manuscript/01-first.md:5:1: warning: removed <link rel=attachment> from raw HTML" in err
    pdf = PdfReader(tmp_path / "out" / "minimal.pdf")
    assert pdf.attachments == {}


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://localhost/x", "http://10.0.0.1/x",
                                 "http://192.168.1.1/x", "http://169.254.169.254/x", "http://[::1]/x",
                                 "http://0.0.0.0/x", "http://[fe80::1]/x"])
def test_non_public_hosts_are_refused(url):
    with pytest.raises(BriefError, match="local or private address"):
        check_public_host(url)


def test_the_door_serves_only_the_project(tmp_path):
    project = tmp_path / "project"
    (project / "figures").mkdir(parents=True)
    (project / "figures" / "ok.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("secret")
    (project / "figures" / "link.svg").symlink_to(tmp_path / "secret.txt")
    resources = Resources(project)
    assert resources.read("figures/ok.svg")[0] == b"<svg/>"
    assert resources.read((project / "figures" / "ok.svg").as_uri())[0] == b"<svg/>"
    for reference in ("../secret.txt", (tmp_path / "secret.txt").as_uri(), "figures/link.svg",
                      "file://otherhost/etc/passwd", "ftp://example.org/x", "http://example.org/x.png",
                      "javascript:alert(1)"):
        with pytest.raises(BriefError, match="refused"):
            resources.read(reference)
