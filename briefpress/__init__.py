"""briefpress: Markdown chapters and a BibTeX bibliography in, a PDF brief and an EPUB 3 out.

Importing the package is cheap on purpose: it pulls in no third-party module, so the
bootstrap in ``publish.py`` can run before the dependencies are installed.
"""

__version__ = "0.1.0"
