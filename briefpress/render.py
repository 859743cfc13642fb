"""Templates: the Jinja2 environment shared by both writers, and the context they receive.

A project's own ``templates/`` folder overrides the house templates file by file.
Autoescaping is on and undefined variables are errors that name the template and line.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from .anchors import reference_anchor
from .errors import BriefError
from .model import Publication


def house_templates() -> Path:
    """The house style: ``templates/`` of the source tree, or its installed copy."""
    source_tree = Path(__file__).resolve().parent.parent / "templates"
    if (source_tree / "pdf").is_dir():
        return source_tree
    return Path(str(importlib.resources.files("briefpress") / "templates"))


def environment(project_templates: Path | None) -> jinja2.Environment:
    loaders = []
    if project_templates is not None and project_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(project_templates)))
    loaders.append(jinja2.FileSystemLoader(str(house_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = lambda d: f"{d.day} {d.strftime('%B')} {d.year}"
    return env


def render(env: jinja2.Environment, name: str, **context) -> str:
    """Render one template; template mistakes become errors naming template and line."""
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BriefError(f"template error: {exc.message}", path=exc.filename or exc.name, line=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise BriefError(f"template error: {exc.message}", path=_template_file(env, name),
                         line=_template_line(exc, name)) from None
    except jinja2.TemplateNotFound as exc:
        raise BriefError(f"template '{exc.name}' not found") from None


def _template_file(env, name) -> str:
    try:
        source = env.loader.get_source(env, name)
        return source[1] or name
    except jinja2.TemplateNotFound:
        return name


def _template_line(exc, name) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name) or "template" in tb.tb_frame.f_code.co_name:
            template = tb.tb_frame.f_globals.get("__jinja_template__")
            if template is not None:
                line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line


def context(publication: Publication) -> dict:
    """What every template sees: the metadata, the chapters and the reference list."""
    meta = publication.metadata
    return {
        "meta": meta,
        "authors": ", ".join(a.name for a in meta.authors),
        "chapters": publication.chapters,
        "references": [Markup(r.html) for r in publication.cited],
        "reference_anchors": [reference_anchor(r.key) for r in publication.cited],
        "refs_heading": publication.refs_heading,
        "how_to_cite": Markup(how_to_cite(publication)),
        "Markup": Markup,
    }


def how_to_cite(publication: Publication) -> str:
    from html import escape

    meta = publication.metadata
    names = [a.name for a in meta.authors]
    first = names[0].rsplit(" ", 1)
    lead = f"{first[1]}, {first[0]}" if len(first) == 2 else names[0]
    who = lead if len(names) == 1 else lead + ", " + ", ".join(names[1:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    parts = [f"{escape(who)}. {meta.edition.date.year}. <i>{escape(meta.title)}</i>."]
    if meta.series:
        parts.append(f"{escape(meta.series)}.")
    if meta.publisher:
        parts.append(f"{escape(meta.publisher)}.")
    parts.append(f"Updated {meta.edition.date.day} {meta.edition.date.strftime('%B')} {meta.edition.date.year}.")
    return " ".join(parts)
