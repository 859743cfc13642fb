"""The bad-input suite: every case in ``tests/bad_inputs/`` ends in its exact messages.

A case is one file, ``NAME.case``: a few header lines, the expected stderr lines after
``stderr:``, then the files that differ from the minimal project, each after a line
``=== path``.  Header lines:

- ``exit: 1`` (the exit code), ``to: epub`` (the formats, epub by default: faster),
- ``meta: {…}`` YAML merged into ``publication.yaml``,
- ``generate: NAME`` a function below that finishes the project (files too large or too
  binary to keep in git: a 5 MB chapter, a symlink, NUL bytes, a huge PNG header),
- ``encode: PATH ENCODING`` and ``crlf: PATH`` (Windows line endings and a BOM).

Every failing case must leave the earlier edition in the output folder byte-identical.
Run with ``BAD_INPUTS_ACCEPT=1`` to rewrite the expected lines from the actual output
(then review the diff), as with Pandoc's ``--accept``.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path

import pytest
import yaml
from conftest import run_main, write_project

CASES = Path(__file__).parent / "bad_inputs"
EARLIER = b"the earlier edition, which no failed build may touch\n"


def parse_case(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\nstderr:\n")
    case = {"exit": 1, "to": "epub", "meta": {}, "files": {}, "generate": None, "encode": None, "crlf": None}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "exit":
            case["exit"] = int(value)
        elif key == "meta":
            case["meta"] = yaml.safe_load(value)
        elif key in ("to", "generate", "crlf"):
            case[key] = value
        elif key == "encode":
            case["encode"] = value.split()
    blocks = re.split(r"^=== (.+)\n", rest, flags=re.MULTILINE)
    case["stderr"] = [line for line in blocks[0].splitlines() if line.strip()]
    for name, content in zip(blocks[1::2], blocks[2::2]):
        case["files"][name.strip()] = content
    return case


def make_case(root: Path, case: dict) -> Path:
    files = dict(case["files"])
    chapters = {name[len("manuscript/"):]: files.pop(name) for name in list(files)
                if name.startswith("manuscript/") and name.endswith(".md")}
    bib = files.pop("bibliography.bib", None)
    kwargs = {"chapters": chapters or None, "files": files}
    if bib is not None:
        kwargs["bib"] = bib
    meta = {"nocite": ["@*"], **case["meta"]}  # no "never cited" warnings around the case's message
    order = meta.pop("chapters", None)  # write_project's chapters are the files
    project = write_project(root, **{**kwargs, **meta})
    if order is not None:
        path = project / "manuscript" / "publication.yaml"
        path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "chapters": order}, sort_keys=False))
    if case["encode"]:
        name, encoding = case["encode"]
        target = project / name
        target.write_bytes(target.read_text(encoding="utf-8").encode(encoding))
    if case["crlf"]:
        target = project / case["crlf"]
        target.write_bytes(b"\xef\xbb\xbf" + target.read_bytes().replace(b"\n", b"\r\n"))
    if case["generate"]:
        GENERATORS[case["generate"]](project)
    return project


# Inputs kept out of git: generated here.

def five_mb_chapter(project: Path) -> None:
    para = "A sentence that goes on about trade and roads and pipelines. " * 16 + "\n\n"
    (project / "manuscript" / "01-first.md").write_text("# Long\n\n" + para * (5 * 2**20 // len(para)))


def ten_thousand_rows(project: Path) -> None:
    rows = "".join(f"| {i} | {i * 2} |\n" for i in range(10_000))
    (project / "manuscript" / "01-first.md").write_text(f"# Table\n\nText.\n\n| a | b |\n|---|---|\n{rows}")


def long_csv(project: Path) -> None:
    (project / "data").mkdir(exist_ok=True)
    (project / "data" / "big.csv").write_text("year,value\n" + "".join(f"{i},{i}\n" for i in range(6_000)))


def deep_lists(project: Path) -> None:
    items = "".join("    " * depth + "- item\n" for depth in range(60))
    (project / "manuscript" / "01-first.md").write_text(f"# Lists\n\n{items}")


def nul_bytes(project: Path) -> None:
    (project / "manuscript" / "01-first.md").write_text("# Title\n\nSome text\x00 with a NUL.\n")


def nested_braces(project: Path) -> None:
    depth = 100_000
    (project / "bibliography.bib").write_text(
        "@misc{deep,\n  title = {" + "{" * depth + "x" + "}" * depth + "},\n  year = 2020,\n}\n")


def symlink_out(project: Path) -> None:
    (project / "figures").mkdir(exist_ok=True)
    (project / "figures" / "map.svg").symlink_to("/etc/passwd")


def huge_png(project: Path, width: int = 100_000, height: int = 100_000, name: str = "huge.png") -> None:
    """A PNG header declaring 100,000 × 100,000 pixels (a few bytes on disk)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    (project / "figures").mkdir(exist_ok=True)
    (project / "figures" / name).write_bytes(data)


def sixty_megapixel_png(project: Path) -> None:
    """Below Pillow's own bomb threshold, above ours: refused from the header, undecoded."""
    huge_png(project, 8_000, 7_500, "large.png")


def yaml_bomb(project: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = project / "manuscript" / "publication.yaml"
    path.write_text(path.read_text() + "\n".join(lines) + "\n")


GENERATORS = {f.__name__: f for f in (five_mb_chapter, ten_thousand_rows, long_csv, deep_lists, nul_bytes, nested_braces,
                                       symlink_out, huge_png, sixty_megapixel_png, yaml_bomb)}


def _cases() -> list[Path]:
    return sorted(CASES.glob("*.case"))


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.stem)
def test_bad_input_ends_in_its_expected_message(path, tmp_path):
    check_case(path, tmp_path)


@pytest.mark.parametrize("path", [p for p in _cases() if parse_case(p)["to"] == "epub"], ids=lambda p: p.stem)
def test_bad_input_ends_in_the_same_message_with_the_epub_worker(path, tmp_path, monkeypatch):
    """An EPUB-only build formats its citations and writes its EPUB in a forked worker
    (``briefpress.epubworker``): the same messages, the same exit code, nothing touched."""
    monkeypatch.setenv("BRIEFPRESS_EPUB_WORKER", "1")
    if os.environ.get("BAD_INPUTS_ACCEPT"):
        pytest.skip("the expected lines are written by the in-process run")
    check_case(path, tmp_path)


def check_case(path: Path, tmp_path: Path) -> None:
    case = parse_case(path)
    project = make_case(tmp_path / "project", case)
    out = tmp_path / "out"
    out.mkdir()
    earlier = {out / name: EARLIER for name in ("minimal.epub", "minimal-2020-03-04.epub", "minimal.pdf")}
    for file, data in earlier.items():
        file.write_bytes(data)
    code, _stdout, stderr = run_main(["build", str(project), "--to", case["to"], "--out", str(out), "--no-cache"])
    lines = [line.replace(str(project), "<project>") for line in stderr.splitlines() if line.strip()]
    if os.environ.get("BAD_INPUTS_ACCEPT"):
        text = path.read_text(encoding="utf-8")
        head, _, rest = text.partition("\nstderr:\n")
        files = rest[rest.index("=== "):] if "=== " in rest else ""
        head = re.sub(r"^exit: .*$", f"exit: {code}", head, flags=re.MULTILINE)
        path.write_text(head + "\nstderr:\n" + "".join(f"{line}\n" for line in lines) + files, encoding="utf-8")
        return
    assert "Traceback" not in stderr
    assert (code, lines) == (case["exit"], case["stderr"])
    if code != 0:
        for file, data in earlier.items():
            assert file.read_bytes() == data, f"{file.name} changed"
    assert not list(out.glob(".*.part"))


def test_the_suite_has_at_least_forty_cases():
    assert len(_cases()) >= 40
