"""YAML documents (``publication.yaml``, chart specs) parsed once.

libyaml composes the node tree when PyYAML has it (a tenth of the pure-Python parser's
time); the tree serves the checks (line numbers, alias expansion) and is then constructed
into data, so nothing is parsed twice.  A document libyaml refuses is composed again by
the Python parser, whose messages name the problem better ("expected ',' or ']', but got
'<stream end>'"), and which has the last word on what is valid.
"""

from __future__ import annotations

import yaml

FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Document:
    """A composed YAML document: ``node`` (None when empty), then ``data()``."""

    def __init__(self, text: str):
        try:
            self.node, self._loader = yaml.compose(text, Loader=FAST), FAST
        except yaml.YAMLError:
            if FAST is yaml.SafeLoader:
                raise
            self.node, self._loader = yaml.compose(text, Loader=yaml.SafeLoader), yaml.SafeLoader

    def data(self):
        """The document as Python values (aliases shared, not copied)."""
        if self.node is None:
            return None
        return self._loader("").construct_document(self.node)
