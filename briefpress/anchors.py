"""Element ids shared by both formats.  EPUB's XHTML needs ids that are XML names
(no colons), so labels such as ``fig:trade`` and keys such as ``doe:2020`` are mapped once
here and every link uses the same mapping."""

from __future__ import annotations

import re


def anchor(label: str) -> str:
    text = re.sub(r"[^\w.-]", "-", label)
    return text if re.match(r"[A-Za-z_]", text) else f"id-{text}"


def reference_anchor(key: str) -> str:
    return "ref-" + re.sub(r"[^\w.-]", "-", key)
