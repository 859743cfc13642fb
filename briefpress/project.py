"""A project folder and its ``publication.yaml``: finding the parts, validating the metadata.

Validation follows a declared schema, names file, key and line for every problem, and
reports all of them at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import BriefError, Report
from .model import Author, Edition, Metadata, Revision

METADATA_FILE = "publication.yaml"

# key: (required, kind) -- kind names a checker below.
SCHEMA: dict[str, tuple[bool, str]] = {
    "title": (True, "text"),
    "subtitle": (False, "text"),
    "series": (False, "text"),
    "slug": (True, "slug"),
    "identifier": (True, "text"),
    "language": (True, "language"),
    "edition": (True, "edition"),
    "authors": (True, "authors"),
    "lead": (False, "text"),
    "publisher": (False, "text"),
    "rights": (False, "text"),
    "editors_note": (False, "text"),
    "citation_style": (False, "style"),
    "chapters": (True, "chapters"),
    "nocite": (False, "keys"),
    "keywords": (False, "keys"),
    "cjk_language": (False, "language"),
    "page_size": (False, "page_size"),
    "numbering": (False, "crossrefs"),  # figures and tables: publication | chapter
    "lists": (False, "crossrefs"),  # [figures, tables]: lists in the front matter
    "crossref_words": (False, "crossrefs"),  # {fig: [Figure, Figures], …}
    "cover": (False, "cover"),
    "pdf": (False, "pdf"),
    "allow_remote": (False, "flag"),  # remote images and styles; off by default
}

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def own_templates(project_templates: Path | None) -> bool:
    """Whether the project has templates of its own (the sample's folder holds the house
    templates themselves)."""
    return project_templates is not None and project_templates.is_dir() \
        and project_templates.resolve() != house_templates().resolve()


def house_templates() -> Path:
    """The house style: ``templates/`` of the source tree, or its installed copy."""
    source_tree = Path(__file__).resolve().parent.parent / "templates"
    if (source_tree / "pdf").is_dir():
        return source_tree
    import importlib.resources

    return Path(str(importlib.resources.files("briefpress") / "templates"))


@dataclass
class Project:
    """The parts of a project folder, as the design card lays them out."""

    root: Path

    @property
    def manuscript(self) -> Path:
        return self.root / "manuscript"

    @property
    def metadata_path(self) -> Path:
        return self.manuscript / METADATA_FILE

    @property
    def bibliography(self) -> Path:
        return self.root / "bibliography.bib"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @classmethod
    def find(cls, folder: Path) -> Project:
        root = Path(folder).resolve()
        if not root.is_dir():
            raise BriefError(f"project folder not found: {folder}")
        project = cls(root)
        if not project.metadata_path.is_file():
            raise BriefError(
                f"{project.metadata_path.relative_to(root).as_posix() if project.manuscript.is_dir() else 'manuscript/'} "
                "not found: this folder is not a briefpress project",
                path=str(folder),
                hint="a project has manuscript/publication.yaml, the chapters beside it, and bibliography.bib",
            )
        return project


def _key_lines(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    """Map dotted key paths ("edition.date", "authors.0.name") to 1-based line numbers."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            lines[path] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, path + "."))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}{i}"
            lines[path] = item.start_mark.line + 1
            lines.update(_key_lines(item, path + "."))
    return lines


def load_metadata(project: Project, report: Report) -> Metadata:
    """Read and validate ``publication.yaml``; every problem goes to ``report``."""
    path = project.metadata_path
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report.error(f"not valid UTF-8 (byte {exc.start})", path)
        report.raise_if_errors()
        raise  # pragma: no cover - raise_if_errors always raises here
    from .limits import check_yaml_aliases, check_yaml_size
    from .yamltext import Document

    if not check_yaml_size(text, path, report):
        report.raise_if_errors()
    try:
        document = Document(text)
        # The aliases are checked on the node tree, before anything walks the data (where
        # they would expand); a tag the safe loader does not know fails as the data is made.
        if not check_yaml_aliases(document.node, path, report):
            report.raise_if_errors()
        node, data = document.node, document.data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        report.error(f"invalid YAML: {problem}", path, mark.line + 1 if mark else None)
        report.raise_if_errors()
        raise  # pragma: no cover
    except RecursionError:
        report.error("the metadata is nested too deeply", path)
        report.raise_if_errors()
        raise  # pragma: no cover
    if not isinstance(data, dict):
        report.error("expected a mapping of keys (title:, authors:, chapters:, …)", path, 1)
        report.raise_if_errors()
    lines = _key_lines(node)

    def bad(key: str, message: str) -> None:
        report.error(f"'{key}': {message}", path, lines.get(key, 1))

    for key in data:
        if key not in SCHEMA:
            close = [k for k in SCHEMA if _similar(k, str(key))]
            report.warning(
                f"unknown key '{key}' is ignored", path, lines.get(str(key)),
                hint=f"did you mean '{close[0]}'?" if close else None,
            )
    for key, (required, kind) in SCHEMA.items():
        if key not in data or data[key] is None:
            if required:
                report.error(f"missing required key '{key}'", path, 1)
            continue
        value = data[key]
        if kind in ("text",) and not isinstance(value, str):
            bad(key, "expected text")
        elif kind == "slug" and not (isinstance(value, str) and SLUG.match(value)):
            bad(key, "expected lowercase letters, digits and hyphens (it names the output files)")
        elif kind == "language" and not (isinstance(value, str) and LANGUAGE_TAG.match(value)):
            bad(key, "expected a BCP 47 language tag such as en-GB")
        elif kind == "flag" and not isinstance(value, bool):
            bad(key, "expected true or false")
        elif kind == "page_size" and value not in ("A4", "letter"):
            bad(key, "expected A4 or letter")
        elif kind == "keys" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            bad(key, "expected a list of texts")
        elif kind == "style":
            _check_style(value, project, bad, report, path, lines)
        elif kind == "edition":
            _check_edition(value, lines, bad)
        elif kind == "authors":
            _check_authors(value, lines, bad)
        elif kind == "chapters":
            _check_chapters(value, project, lines, bad)
        elif kind == "crossrefs":
            from .crossrefs import check_setting

            check_setting(key, value, bad)
        elif kind == "cover":
            if not isinstance(value, dict) or not isinstance(value.get("image"), str):
                bad(key, "expected 'image:' (a file in the project) and optionally 'credit:'")
            elif not (project.root / value["image"]).is_file():
                bad("cover.image", f"cover image '{value['image']}' not found")
            elif (project.root / value["image"]).stat().st_size == 0:
                bad("cover.image", f"cover image '{value['image']}' is an empty file")
        elif kind == "pdf":
            if not isinstance(value, dict):
                bad(key, "expected a mapping such as {variant: pdf/a-3b, attach_bibliography: true}")
            else:
                if value.get("variant", "pdf/ua-1") not in PDF_VARIANTS:
                    bad("pdf.variant", f"expected one of {', '.join(PDF_VARIANTS)}")
                for flag in ("attach_bibliography",):
                    if flag in value and not isinstance(value[flag], bool):
                        bad(f"pdf.{flag}", "expected true or false")
    report.raise_if_errors()

    edition = data["edition"]
    return Metadata(
        title=data["title"].strip(),
        subtitle=(data.get("subtitle") or "").strip(),
        series=(data.get("series") or "").strip(),
        slug=data["slug"],
        identifier=data["identifier"].strip(),
        language=data["language"],
        edition=Edition(
            date=_as_date(edition["date"]),
            label=str(edition.get("label") or edition.get("number") or ""),
            first_published=_as_date(edition["first_published"]) if edition.get("first_published") else None,
            revisions=sorted((Revision(_as_date(r["date"]), r["summary"].strip())
                              for r in edition.get("revisions") or []), key=lambda r: r.date),
            whats_new=bool(edition.get("whats_new", False)),
        ),
        authors=[Author(name=a["name"].strip(), bio=(a.get("bio") or "").strip()) for a in data["authors"]],
        lead=(data.get("lead") or "").strip(),
        publisher=(data.get("publisher") or "").strip(),
        rights=(data.get("rights") or "").strip(),
        editors_note=(data.get("editors_note") or "").strip(),
        citation_style=_style(data.get("citation_style") or "chicago-author-date", project),
        chapters=list(data["chapters"]),
        nocite=list(data.get("nocite") or []),
        keywords=list(data.get("keywords") or []),
        cjk_language=data.get("cjk_language") or "zh-Hans",
        page_size=data.get("page_size") or "A4",
        numbering=data.get("numbering") or "publication",
        lists=list(data.get("lists") or []),
        crossref_words=dict(data.get("crossref_words") or {}),
        cover_image=(data.get("cover") or {}).get("image", ""),
        cover_credit=str((data.get("cover") or {}).get("credit", "") or ""),
        pdf_variant=(data.get("pdf") or {}).get("variant", "pdf/ua-1"),
        attach_bibliography=bool((data.get("pdf") or {}).get("attach_bibliography", False)),
        allow_remote=data.get("allow_remote") is True,
        source=path,
    )


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


EDITION_KEYS = ("date", "label", "number", "first_published", "revisions", "whats_new")


STYLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def _style(value: str, project) -> str:
    """A style name as given; a ``.csl`` file as its path in the project."""
    return str((project.root / value).resolve()) if value.endswith(".csl") else value


def _check_style(value, project, bad, report, path, lines) -> None:
    if not isinstance(value, str) or not value.strip():
        bad("citation_style", "expected a style name such as chicago-author-date, or a .csl file in the project")
    elif value.endswith(".csl"):
        style = (project.root / value).resolve()
        if not style.is_relative_to(project.root.resolve()):
            bad("citation_style", f"the style file '{value}' is outside the project")
        elif not style.is_file():
            bad("citation_style", f"style file '{value}' not found")
    elif not STYLE_NAME.fullmatch(value):  # a name, never a path into or out of the styles folder
        bad("citation_style", f"'{value}' is not a style name (lowercase letters, digits and hyphens) "
                              "nor a .csl file in the project")
    else:
        from .citeformat import style_path
        from .errors import BriefError

        try:
            style_path(value)
        except BriefError as exc:
            report.error(f"'citation_style': {exc.diagnostics[0].message}", path, lines.get("citation_style", 1),
                         hint=exc.diagnostics[0].hint)


def _check_edition(value, lines, bad) -> None:
    if not isinstance(value, dict):
        bad("edition", "expected a mapping with 'date:' (YYYY-MM-DD)")
        return
    for key in value:
        if key not in EDITION_KEYS:
            bad(f"edition.{key}", f"unknown key (expected {', '.join(EDITION_KEYS)})")
    if "date" not in value:
        bad("edition", "missing 'date:' (YYYY-MM-DD)")
    for key in ("date", "first_published"):
        if key in value and not _is_date(value[key]):
            bad(f"edition.{key}", f"'{value[key]}' is not a date of the form YYYY-MM-DD")
    if "whats_new" in value and not isinstance(value["whats_new"], bool):
        bad("edition.whats_new", "expected true or false")
    revisions = value.get("revisions", [])
    if not isinstance(revisions, list):
        bad("edition.revisions", "expected a list of {date:, summary:}")
        return
    for i, rev in enumerate(revisions):
        if not isinstance(rev, dict) or not _is_date(rev.get("date")) or not isinstance(rev.get("summary"), str):
            bad(f"edition.revisions.{i}", "each revision needs 'date:' (YYYY-MM-DD) and 'summary:'")
    if (_is_date(value.get("date")) and _is_date(value.get("first_published"))
            and _as_date(value["first_published"]) > _as_date(value["date"])):
        bad("edition.first_published", "first publication is later than the edition date")


def _is_date(value) -> bool:
    try:
        _as_date(value)
        return True
    except (TypeError, ValueError):
        return False


def _check_authors(value, lines, bad) -> None:
    if not isinstance(value, list) or not value:
        bad("authors", "expected a list of authors, each with 'name:'")
        return
    for i, author in enumerate(value):
        if not isinstance(author, dict) or not isinstance(author.get("name"), str):
            bad(f"authors.{i}", "each author needs 'name:'")
        elif "bio" in author and not isinstance(author["bio"], str):
            bad(f"authors.{i}.bio", "expected text")


def _check_chapters(value, project: Project, lines, bad) -> None:
    if not isinstance(value, list) or not value:
        bad("chapters", "expected a list of chapter files in reading order")
        return
    seen = set()
    for i, name in enumerate(value):
        key = f"chapters.{i}"
        if not isinstance(name, str):
            bad(key, "expected a file name")
            continue
        chapter = (project.manuscript / name).resolve()
        if project.manuscript.resolve() not in chapter.parents:
            bad(key, f"chapter '{name}' is outside manuscript/")
        elif not chapter.is_file():
            bad(key, f"chapter file '{name}' not found in manuscript/")
        elif name in seen:
            bad(key, f"chapter '{name}' is listed twice")
        seen.add(name)


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() > 0.75
