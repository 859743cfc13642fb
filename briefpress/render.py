"""Templates: the Jinja2 environment shared by both writers, and the context they receive.

A project's own ``templates/`` folder overrides the house templates file by file.
Autoescaping is on and undefined variables are errors that name the template and line.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup

from .anchors import reference_anchor
from .cache import digest
from .errors import BriefError
from .model import Publication
from .project import house_templates, own_templates


def environment(project_templates: Path | None, cache=None) -> jinja2.Environment:
    """The templates' environment; with the build ``cache``, templates compiled by an
    earlier build into the same folder are reused (about 0.1 s for a rebuild)."""
    loaders = []
    if own_templates(project_templates):
        loaders.append(jinja2.FileSystemLoader(str(project_templates)))
    loaders.append(_HouseLoader(str(house_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_CompiledTemplates(cache) if cache is not None and cache.enabled else None,
    )
    env.project_root = project_templates.parent if project_templates is not None else None
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = lambda d: f"{d.day} {d.strftime('%B')} {d.year}"
    return env


class _HouseLoader(jinja2.FileSystemLoader):
    """The house templates: each from the code shipped for it (:mod:`briefpress.templatecode`)
    when that code was made from the same source, else compiled like any other."""

    def load(self, environment, name, globals=None):
        from .templatecode import code

        source, filename, uptodate = self.get_source(environment, name)
        compiled = code(environment, name, source)
        if compiled is None:
            return super().load(environment, name, globals)
        template = environment.template_class.from_code(environment, compiled, globals or {}, uptodate)
        template.filename = filename  # the template's own file, for messages (not the shipped module's)
        return template


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates in the build cache.  Jinja2 checks each entry against its
    template's source (and its own and Python's versions) and compiles again on any
    difference, so an edited template is never served stale."""

    def __init__(self, cache):
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.cache.get("templates", digest(bucket.key))
        if isinstance(data, bytes):
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.put("templates", digest(bucket.key), bucket.bytecode_to_string())


def render(env: jinja2.Environment, name: str, **context) -> str:
    """Render one template; template mistakes become errors naming template and line."""
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BriefError(f"template error: {exc.message}", path=_shown(env, exc.filename or exc.name),
                         line=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        path, line = _template_frame(exc)
        raise BriefError(f"template error: {exc.message}", path=_shown(env, path or name), line=line) from None
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(exc)  # the template that includes or extends it, if any
        raise BriefError(f"template '{exc.name}' not found", path=_shown(env, path) if path else None,
                         line=line) from None


def _template_frame(exc) -> tuple[str | None, int | None]:
    """The innermost template frame of a traceback (Jinja maps its line to the template's)."""
    found = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _shown(env, filename: str) -> str:
    """Template paths as the author knows them: relative to the project, else to the house."""
    path = Path(filename)
    for base in (getattr(env, "project_root", None), house_templates().parent):
        if base is not None:
            try:
                return path.resolve().relative_to(Path(base).resolve()).as_posix()
            except ValueError:
                continue
    return filename


def context(publication: Publication) -> dict:
    """What every template sees: the metadata, the chapters and the reference list."""
    from .lists import entries

    meta = publication.metadata
    return {
        "figure_lists": entries(publication),  # lists of figures and tables, if asked for
        "meta": meta,
        "authors": ", ".join(a.name for a in meta.authors),
        "chapters": publication.chapters,
        "references": [Markup(r.html) for r in publication.cited],
        "reference_anchors": [reference_anchor(r.key) for r in publication.cited],
        "refs_heading": publication.refs_heading,
        "how_to_cite": Markup(how_to_cite(publication)),
        "changes": publication.changes,
        # A new source is named in the colophon by its entry, as the reference list gives it.
        "reference_entries": {k: Markup(r.html) for k, r in publication.references.items() if r.html},
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
