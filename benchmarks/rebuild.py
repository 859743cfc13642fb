"""The author's loop, measured on the sample brief: cold build, no-op rebuild, and the
EPUB after editing one chapter.  Each is the median of N runs of the real command
(``python publish.py build``), interpreter start-up included.

    python3 benchmarks/rebuild.py [--runs 5]     (needs PyYAML: run it with .venv/bin/python)

Prints a Markdown table and writes benchmarks/results/rebuild.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import make_book  # the benchmark folder is not a package


def run(args: list[str]) -> float:
    start = time.perf_counter()
    # The README's command, as an author types it: the system python3 and publish.py.
    subprocess.run(["python3", str(ROOT / "publish.py"), *args], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    work = Path(tempfile.mkdtemp(prefix="briefpress-bench-"))
    try:
        project = make_book(work / "brief", copies=1)
        chapter = project / "manuscript" / "03-economic-relations.md"
        original = chapter.read_text(encoding="utf-8")
        results: dict[str, list[float]] = {"cold": [], "noop": [], "epub_cold": [], "epub_after_edit": []}
        run(["build", str(project), "--out", str(work / "warmup")])
        for n in range(runs):
            out = work / f"out-{n}"
            results["cold"].append(run(["build", str(project), "--out", str(out)]))
            results["noop"].append(run(["build", str(project), "--out", str(out)]))
            epub_out = work / f"epub-{n}"
            results["epub_cold"].append(run(["build", str(project), "--to", "epub", "--out", str(epub_out)]))
            chapter.write_text(original + f"\nAn added sentence, edit {n}.\n", encoding="utf-8")
            results["epub_after_edit"].append(run(["build", str(project), "--to", "epub", "--out", str(epub_out)]))
            chapter.write_text(original, encoding="utf-8")
        medians = {k: statistics.median(v) for k, v in results.items()}
        table = [
            "| measure | median (s) |",
            "| --- | --- |",
            *(f"| {k} | {v:.3f} |" for k, v in medians.items()),
            f"| cold / no-op | {medians['cold'] / medians['noop']:.1f}× |",
            f"| cold EPUB / EPUB after one edited chapter | {medians['epub_cold'] / medians['epub_after_edit']:.1f}× |",
        ]
        print("\n".join(table))
        target = ROOT / "benchmarks" / "results"
        target.mkdir(exist_ok=True)
        (target / "rebuild.json").write_text(json.dumps({"runs": results, "medians": medians}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
