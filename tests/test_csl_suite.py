"""The CSL processor test suite (../shared/csl-test-suite) run against briefpress.csl.

Every fixture is run with a time limit; a crash or a fixture slower than one second is a
failure, never the end of the run.  The failures must be exactly those listed in
tests/csl_known_failures.txt: a new failure is a regression, and a listed fixture that now
passes must be taken off the list, so the list stays the truth (as in Pandoc's citeproc).

Run this file as a script to see one fixture's output:
    python tests/test_csl_suite.py name_AsianGlyphs
"""

from __future__ import annotations

import json
import re
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefpress.csl import Processor, bibliography_html

SUITE = ROOT.parent / "shared" / "csl-test-suite"
KNOWN = Path(__file__).with_name("csl_known_failures.txt")
TIME_LIMIT = 1.0
_SECTION = re.compile(r">>=+ ([A-Z-]+) =+>>\n(.*?)\n<<=+ \1 =+<<", re.DOTALL)


def parse_fixture(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in _SECTION.finditer(text)}


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def _cite(raw: dict) -> dict:
    cite = dict(raw)
    cite["id"] = str(cite["id"])
    return cite


def run_fixture(fx: dict) -> str:
    """The processor's output for a fixture, in the suite's RESULT format."""
    proc = Processor(fx["CSL"])
    items = json.loads(fx["INPUT"])
    for n, item in enumerate(items, 1):
        item.setdefault("id", f"ITEM-{n}")
    proc.add_items(items)
    mode = fx["MODE"].strip()
    citations_run = None
    if "CITATIONS" in fx:
        # Each run gives a citation with the citations before and after it, as
        # [citationID, noteIndex] pairs: the document is those, in that order, with their
        # notes renumbered; the document's final state is what is printed.
        document: list[tuple[str, list, int]] = []
        for entry in json.loads(fx["CITATIONS"]):
            c = entry[0]
            pre = entry[1] if len(entry) > 1 else []
            post = entry[2] if len(entry) > 2 else []
            cid = c.get("citationID", str(len(document)))
            note = (c.get("properties") or {}).get("noteIndex", 0) or 0
            known = {d[0]: d[1] for d in document}
            listed = [(p[0], p[1]) for p in pre if p[0] in known]
            following = [(p[0], p[1]) for p in post if p[0] in known]
            document = ([(i, known[i], n) for i, n in listed] + [(cid, [_cite(i) for i in c["citationItems"]], note)]
                        + [(i, known[i], n) for i, n in following])
        citations_run = [(cites, note) for _, cites, note in document]
    elif "CITATION-ITEMS" in fx:
        citations_run = [([_cite(i) for i in group], n + 1)
                         for n, group in enumerate(json.loads(fx["CITATION-ITEMS"]))]
    synthesized = citations_run is None
    if synthesized:
        # Each item once: an id given twice is one item, the later data replacing the earlier.
        ids = dict.fromkeys(str(i["id"]) for i in items)
        citations_run = [([{"id": i} for i in ids], 1)]
    if mode.startswith("bibliography") and "CITATION-ITEMS" not in fx and "CITATIONS" not in fx:
        proc.register(str(i["id"]) for i in items)
    for cites, _ in citations_run:
        proc.register(c["id"] for c in cites)
    proc.finalize()
    if mode.startswith("bibliography"):
        return bibliography_html(proc.bibliography())
    if synthesized and proc.style.sort_keys("bibliography"):
        # citeproc-js's runner synthesizes the citation from the items in bibliography order.
        citations_run = [([{"id": i} for i in proc.bib_order], 1)]
    out = proc.cite_all(citations_run)
    if "CITATIONS" in fx:
        return "\n".join(f"..[{n}] {html}" for n, html in enumerate(out))
    return "\n".join(out)


def normalise(text: str) -> str:
    """The comparison the suite's runners use: surrounding whitespace and the
    ``>>``/``..`` markers of CITATIONS runs do not count."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    lines = [re.sub(r"^>>\[", "..[", line) for line in lines]
    return "\n".join(lines)


def outcome(path: Path) -> tuple[bool, str]:
    fx = parse_fixture(path)
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        got = run_fixture(fx)
    except Timeout:
        return False, "timeout"
    except Exception as exc:  # noqa: BLE001 - a crash fails this fixture, not the run
        return False, f"crash: {type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return normalise(got) == normalise(fx.get("RESULT", "")), got


def fixtures(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def known_failures() -> set[str]:
    lines = KNOWN.read_text(encoding="utf-8").splitlines() if KNOWN.exists() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def run_suite(folder: Path) -> tuple[list[str], list[str], dict]:
    passed, failed, details = [], [], {}
    for path in fixtures(folder):
        ok, got = outcome(path)
        (passed if ok else failed).append(path.stem)
        if not ok:
            details[path.stem] = got
    return passed, failed, details


def test_csl_suite_matches_known_failures():
    if not SUITE.is_dir():  # it lives in shared/, beside the repository, as in CI
        pytest.skip(f"the CSL test suite is not at {SUITE}")
    passed, failed, details = run_suite(SUITE)
    crashes = sorted(n for n, d in details.items() if d.startswith(("crash", "timeout")))
    total = len(passed) + len(failed)
    print(f"\nCSL test suite: {len(passed)}/{total} passed ({100 * len(passed) / total:.1f}%), "
          f"{len(crashes)} crashed or timed out")
    print("failures:", " ".join(sorted(failed)))
    known = known_failures()
    regressions = sorted(set(failed) - known)
    fixed = sorted(known & set(passed))
    assert not regressions, f"fixtures that newly fail: {regressions}"
    assert not fixed, f"fixtures that now pass; remove them from {KNOWN.name}: {fixed}"


def test_off_spec_fixtures_are_counted_apart():
    passed, failed, _ = run_suite(SUITE / "off-spec")
    print(f"\nCSL off-spec fixtures: {len(passed)}/{len(passed) + len(failed)} passed")
    assert len(passed) + len(failed) == len(fixtures(SUITE / "off-spec"))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--write-known":
        _, failed, _ = run_suite(SUITE)
        KNOWN.write_text("# CSL test-suite fixtures that fail today (see tests/test_csl_suite.py)\n"
                         + "\n".join(sorted(failed)) + "\n", encoding="utf-8")
        print(f"{len(failed)} known failures written")
    elif len(sys.argv) > 1 and sys.argv[1] == "--summary":
        passed, failed, details = run_suite(SUITE)
        print(f"{len(passed)}/{len(passed) + len(failed)}")
        for name in failed:
            if details[name].startswith(("crash", "timeout")):
                print(name, details[name][:150])
    else:
        for name in sys.argv[1:]:
            path = SUITE / f"{name}.txt"
            ok, got = outcome(path)
            print(f"== {name}: {'PASS' if ok else 'FAIL'}\n-- got:\n{got}\n-- expected:\n"
                  f"{parse_fixture(path).get('RESULT', '')}")
