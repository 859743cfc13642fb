#!/usr/bin/env python3
"""Build the sample brief, or any project folder: ``python3 publish.py [build] [PROJECT]``.

On first use this installs what it needs (see briefpress/bootstrap.py); then it runs the
``briefpress`` command.  ``python3 publish.py test`` runs the test suite.
"""

import sys

from briefpress.bootstrap import ensure_environment

if __name__ == "__main__":
    ensure_environment(sys.argv)
    from briefpress.cli import run

    run(sys.argv[1:])
