"""The house templates' shipped code (``briefpress.templatecode``): current with the
sources, used for the house templates only, never served for an edited source, and
naming the template's own file and line in a message."""

from __future__ import annotations

import shutil

import jinja2
import pytest


def test_the_shipped_code_is_what_jinja2_generates_from_the_current_sources(tmp_path):
    """Fails after a house template is edited until the code is generated again with
    ``python -m briefpress.templatecode``."""
    from briefpress import templatecode

    names = templatecode.generate(tmp_path / "fresh")
    shipped = templatecode.FOLDER
    assert names and sorted(p.name for p in (tmp_path / "fresh").glob("*.py")) == \
        sorted(p.name for p in shipped.glob("*.py")), "run: python -m briefpress.templatecode"
    for fresh in (tmp_path / "fresh").glob("*.py"):
        assert fresh.read_text(encoding="utf-8") == (shipped / fresh.name).read_text(encoding="utf-8"), \
            f"{fresh.name} is stale: run python -m briefpress.templatecode"


def test_every_house_template_is_loaded_from_its_shipped_code(monkeypatch):
    from briefpress import templatecode
    from briefpress.project import house_templates
    from briefpress.render import environment

    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, name=None, *a, **k: compiled.append(name) or real(self, source, name, *a, **k))
    env = environment(None)
    names = [n for n in env.list_templates() if n.endswith(templatecode.SUFFIXES)]
    for name in names:
        template = env.get_template(name)
        assert template.filename == str(house_templates() / name)
        assert template.root_render_func.__code__.co_filename.startswith(str(templatecode.FOLDER))
    assert compiled == []


def test_an_edited_house_template_is_compiled_from_its_source_not_served_stale(tmp_path):
    from briefpress import render, templatecode
    from briefpress.project import house_templates

    house = shutil.copytree(house_templates(), tmp_path / "house")
    css = house / "epub" / "epub.css"
    css.write_text(css.read_text(encoding="utf-8") + "/* edited */\n", encoding="utf-8")
    env = render.environment(None)
    env.loader = jinja2.ChoiceLoader([render._HouseLoader(str(house))])
    edited = env.get_template("epub/epub.css")
    assert "/* edited */" in edited.render()
    assert not edited.root_render_func.__code__.co_filename.startswith(str(templatecode.FOLDER))
    unedited = env.get_template("epub/cover.xhtml.j2")
    assert unedited.root_render_func.__code__.co_filename.startswith(str(templatecode.FOLDER))


@pytest.mark.parametrize("change", ["jinja", "settings"])
def test_code_made_by_another_jinja2_or_other_settings_is_not_used(monkeypatch, change):
    import importlib

    from briefpress import templatecode
    from briefpress.project import house_templates
    from briefpress.render import environment

    env = environment(None)
    source = (house_templates() / "epub" / "cover.xhtml.j2").read_text(encoding="utf-8")
    assert templatecode.code(env, "epub/cover.xhtml.j2", source) is not None
    if change == "jinja":
        monkeypatch.setattr(importlib.import_module(templatecode.PACKAGE), "JINJA", "0.0")
    else:
        env.filters["another"] = str
    assert templatecode.code(env, "epub/cover.xhtml.j2", source) is None


def test_a_mistake_met_in_shipped_code_names_the_template_file_and_line():
    from briefpress.errors import BriefError
    from briefpress.project import house_templates
    from briefpress.render import environment, render

    with pytest.raises(BriefError) as caught:
        render(environment(None), "epub/cover.xhtml.j2")  # no context: `meta` is undefined
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.path == "templates/epub/base.xhtml.j2" and "'meta' is undefined" in diagnostic.message
    lines = (house_templates() / "epub" / "base.xhtml.j2").read_text(encoding="utf-8").splitlines()
    first_use = next(n for n, text in enumerate(lines, start=1) if "meta." in text)
    assert diagnostic.line == first_use
