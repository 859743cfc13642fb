"""Parity with Pandoc: our BibTeX → CSL conversion and our CSL formatting against Pandoc's.

The harness is ``tests/parity.py`` (run it for the full report with every difference).  These
tests hold the line: conversion must stay equal to Pandoc's entry for entry, and formatting
parity must not drop below the numbers recorded here.  Raise a threshold when a fix lifts it.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import parity

pytestmark = pytest.mark.skipif(parity.pandoc_path() is None, reason="pandoc (pypandoc-binary) is not installed")

BIBLIOGRAPHIES = {"examples": parity.EXAMPLES, "project": parity.PROJECT, "hard-cases": parity.HARD_CASES}

# Differences from Pandoc's csljson that are ours on purpose: (bibliography, key, field).
JUSTIFIED = {
    # year = {n.d.}: Pandoc's csljson writer drops a literal date (it prints "date-parts": []);
    # Pandoc's own citeproc keeps the literal when it reads the .bib directly, and so do we.
    ("hard-cases", "misc", "issued"),
}

# (style, bibliography, CSL data from) -> (entries identical, citations identical), measured
# 2026-11-28 against pandoc 3.9.  Totals: examples 92 entries / 181 citations, project 10 / 20,
# hard-cases 41 / 80.  Pandoc's own CSL data is formatted only where it differs from ours (the
# hard cases); elsewhere the conversion test above proves the two inputs equal.
THRESHOLDS = {
    ("chicago-author-date", "examples", "ours"): (92, 181),
    ("apa", "examples", "ours"): (92, 181),
    ("ieee", "examples", "ours"): (90, 181),
    ("harvard-cite-them-right", "examples", "ours"): (92, 181),
    ("chicago-notes-bibliography", "examples", "ours"): (92, 181),
    ("chicago-author-date", "project", "ours"): (10, 20),
    ("apa", "project", "ours"): (10, 20),
    ("ieee", "project", "ours"): (10, 20),
    ("harvard-cite-them-right", "project", "ours"): (10, 20),
    ("chicago-notes-bibliography", "project", "ours"): (10, 20),
    ("chicago-author-date", "hard-cases", "ours"): (40, 80),
    ("apa", "hard-cases", "ours"): (40, 80),
    ("ieee", "hard-cases", "ours"): (39, 80),
    ("harvard-cite-them-right", "hard-cases", "ours"): (40, 80),
    ("chicago-notes-bibliography", "hard-cases", "ours"): (40, 78),
    ("chicago-author-date", "hard-cases", "pandoc"): (40, 80),
    ("apa", "hard-cases", "pandoc"): (40, 80),
    ("ieee", "hard-cases", "pandoc"): (39, 80),
    ("harvard-cite-them-right", "hard-cases", "pandoc"): (40, 80),
    ("chicago-notes-bibliography", "hard-cases", "pandoc"): (40, 78),
}
# The issue's targets: the share of entries and of citations byte-identical to Pandoc's.
TARGETS = {"chicago-author-date": 0.97, "apa": 0.95, "ieee": 0.95}


def _bib(name: str) -> Path:
    path = BIBLIOGRAPHIES[name]
    if not path.is_file():
        pytest.skip(f"{path} is not installed (Debian: texlive-bibtex-extra)")
    return path


@functools.cache
def _csl(name: str, source: str) -> tuple[tuple[str, dict], ...]:
    bib = _bib(name)
    data = parity.our_csl(bib) if source == "ours" else parity.pandoc_csl(bib)
    return tuple(data.items())


@pytest.mark.parametrize("name", BIBLIOGRAPHIES)
def test_every_entry_converts_as_pandoc_converts_it(name):
    """A .bib becomes the CSL data Pandoc makes of it, field for field, save the justified cases."""
    diffs = parity.convert_parity(_bib(name))
    unexpected = [(d.key, field, values) for d in diffs for field, values in d.fields.items()
                  if (name, d.key, field) not in JUSTIFIED]
    assert not unexpected, "\n".join(f"{key}.{field}: pandoc {theirs!r} / ours {ours!r}"
                                     for key, field, (theirs, ours) in unexpected)


@functools.cache
def _formatted(style: str, name: str, source: str) -> parity.FormatResult:
    return parity.format_parity(style, [dict(csl, id=key) for key, csl in _csl(name, source)])


@pytest.mark.parametrize(("style", "name", "source"), THRESHOLDS)
def test_formatting_parity_does_not_drop(style, name, source):
    """Entries and citations formatted like Pandoc's stay at least as many as recorded."""
    result = _formatted(style, name, source)
    entries, citations = THRESHOLDS[(style, name, source)]
    report = "\n".join(f"{key}\n  pandoc: {theirs}\n  ours:   {ours}"
                       for key, theirs, ours in [*result.entries, *result.citations] if theirs != ours)
    assert result.entries_same >= entries, report
    assert result.citations_same >= citations, report


@pytest.mark.parametrize(("style", "name"), [(s, n) for s in TARGETS for n in BIBLIOGRAPHIES])
def test_the_issue_targets_hold_on_every_bibliography(style, name):
    """Chicago author-date at least 97% of entries and of citations identical to Pandoc's,
    APA and IEEE at least 95%, on every bibliography tested."""
    result = _formatted(style, name, "ours")
    assert result.entries_same >= TARGETS[style] * len(result.entries), (result.entries_same, len(result.entries))
    assert result.citations_same >= TARGETS[style] * len(result.citations)


@pytest.mark.parametrize("style", ["chicago-author-date", "apa", "ieee", "harvard-cite-them-right",
                                   "chicago-notes-bibliography"])
def test_the_project_bibliography_formats_exactly_as_pandoc_formats_it(style):
    """The sample's own bibliography: every entry and every citation identical, in every style."""
    result = _formatted(style, "project", "ours")
    assert result.entries_same == len(result.entries)
    assert result.citations_same == len(result.citations)


def test_normalisation_keeps_what_a_reader_sees():
    theirs = '<span>“A <em>b</em>,”</span> <a href="https://doi.org/x">https://doi.org/x</a>'
    ours = '<span class="nocase">“A <i>b</i>,”</span>   https://doi.org/x'
    assert parity.normalise(theirs) == parity.normalise(ours) == "“A <i>b</i>,” https://doi.org/x"
    assert parity.normalise("A\u00a0B") != parity.normalise("A B")
    assert parity.normalise("<b>x</b>") != parity.normalise("x")
