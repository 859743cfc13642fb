"""Editions: output names, the manifest each build leaves beside its outputs, and what
changed since the previous edition.

A manifest records, per chapter, reference and figure, a content hash and a title, so that
``publish.py diff`` can say which chapters were added, removed or edited (with word
counts), which references came or went and which figures changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .model import Publication

MANIFEST_SUFFIX = ".manifest.json"


def stem(publication_slug: str, date: dt.date) -> str:
    return f"{publication_slug}-{date.isoformat()}"


def output_paths(out: Path, slug: str, date: dt.date, fmt: str) -> tuple[Path, Path]:
    """(the edition's file, the stable ``latest`` alias) for one format."""
    return out / f"{stem(slug, date)}.{fmt}", out / f"{slug}.{fmt}"


def _words(text: str) -> int:
    return len(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", text)))


def manifest(publication: Publication) -> dict:
    meta = publication.metadata
    figures = []
    for chapter in publication.chapters:
        for fig in chapter.figures:
            data = _figure_bytes(publication.root / fig.src)
            figures.append({"label": fig.label, "src": fig.src, "sha256": hashlib.sha256(data).hexdigest()})
    return {
        "engine": __version__,
        "slug": meta.slug,
        "edition": {"date": meta.edition.date.isoformat(), "label": meta.edition.label},
        "chapters": [
            {"file": ch.path.name, "title": ch.title, "words": _words(ch.source),
             "sha256": hashlib.sha256(ch.source.encode("utf-8")).hexdigest()}
            for ch in publication.chapters
        ],
        "references": [
            {"key": key, "title": ref.csl.get("title", ""),
             "sha256": hashlib.sha256(json.dumps(ref.csl, sort_keys=True).encode()).hexdigest()}
            for key, ref in sorted(publication.references.items())
        ],
        "figures": figures,
    }


def _figure_bytes(path: Path) -> bytes:
    """A figure's content; for a chart, its spec and its data file, so a data-only change counts."""
    if not path.is_file():
        return b""
    data = path.read_bytes()
    if path.name.endswith((".chart.yaml", ".chart.yml")):
        m = re.search(r"^data:\s*(\S+)\s*$", data.decode("utf-8", "replace"), re.MULTILINE)
        if m and (path.parent / m.group(1)).is_file():
            data += (path.parent / m.group(1)).read_bytes()
    return data


def previous_manifest(out: Path, slug: str, date: dt.date) -> dict | None:
    """The manifest of the newest edition before ``date`` in ``out`` (or None)."""
    best = None
    for path in out.glob(f"{slug}-*{MANIFEST_SUFFIX}"):
        m = re.fullmatch(re.escape(slug) + r"-(\d{4}-\d{2}-\d{2})" + re.escape(MANIFEST_SUFFIX), path.name)
        if not m:
            continue
        when = dt.date.fromisoformat(m.group(1))
        if when < date and (best is None or when > best[0]):
            best = (when, path)
    if best is None:
        return None
    try:
        return json.loads(best[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass
class Changes:
    since: str
    chapters_added: list[str] = field(default_factory=list)
    chapters_removed: list[str] = field(default_factory=list)
    chapters_edited: list[tuple[str, int, int]] = field(default_factory=list)  # title, words before, after
    references_added: list[str] = field(default_factory=list)
    references_removed: list[str] = field(default_factory=list)
    figures_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.chapters_added or self.chapters_removed or self.chapters_edited
                    or self.references_added or self.references_removed or self.figures_changed)

    def lines(self) -> list[str]:
        out = []
        out += [f"chapter added: {t}" for t in self.chapters_added]
        out += [f"chapter removed: {t}" for t in self.chapters_removed]
        out += [f"chapter edited: {t} ({before} → {after} words)" for t, before, after in self.chapters_edited]
        out += [f"reference added: {k}" for k in self.references_added]
        out += [f"reference removed: {k}" for k in self.references_removed]
        out += [f"figure changed: {f}" for f in self.figures_changed]
        return out


def diff(old: dict, new: dict) -> Changes:
    changes = Changes(since=old["edition"]["date"])
    before = {c["file"]: c for c in old["chapters"]}
    after = {c["file"]: c for c in new["chapters"]}
    for name, c in after.items():
        if name not in before:
            changes.chapters_added.append(c["title"])
        elif before[name]["sha256"] != c["sha256"]:
            changes.chapters_edited.append((c["title"], before[name]["words"], c["words"]))
    changes.chapters_removed = [c["title"] for name, c in before.items() if name not in after]
    old_refs = {r["key"] for r in old["references"]}
    new_refs = {r["key"] for r in new["references"]}
    changes.references_added = sorted(new_refs - old_refs)
    changes.references_removed = sorted(old_refs - new_refs)
    old_figs = {f["src"]: f["sha256"] for f in old["figures"]}
    changes.figures_changed = [f["label"] or f["src"] for f in new["figures"]
                               if old_figs.get(f["src"]) != f["sha256"]]
    return changes


def write_manifest(data: dict) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
