"""The project's own CSL 1.0.2 processor.

Modules follow the specification: ``style`` and ``locale`` load the XML, ``render`` renders
the basic elements and conditionals, ``names``, ``dates`` and ``numbers`` the specialised
ones, ``textcase`` and ``markup`` the text transformations, ``sorting`` and
``disambiguation`` the reference-list logic, ``positions`` the cite positions (ibid and
the like), ``collapse`` cite grouping and collapsing, ``trigraph`` the generated
``citation-label``, ``ir`` and ``output`` the intermediate
representation and its HTML output, ``processor`` ties them together and ``formatter``
offers briefpress's ``format(citations, references)`` interface.
"""

from .processor import Processor, bibliography_html
from .style import Style, StyleError

__all__ = ["Processor", "Style", "StyleError", "bibliography_html"]
