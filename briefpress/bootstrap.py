"""First-use set-up for ``publish.py``, with the standard library only.

When the dependencies are missing, it creates ``.venv`` in the repository, installs the
project there (with its test extras for ``publish.py test``), installs the Debian fonts
when running as root on Debian, and re-runs the command inside the environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
DEBIAN_PACKAGES = ["fonts-noto-core", "fonts-noto-cjk", "poppler-utils", "qpdf",
                   "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "default-jre-headless"]
# Only the tests need these: Chromium and Node for DAISY Ace, Calibre for the conversion check,
# biblatex's example bibliography for the parity tests against pandoc.
TEST_PACKAGES = ["chromium", "nodejs", "npm", "calibre", "texlive-bibtex-extra"]
COMMANDS = {"nodejs": "node", "calibre": "ebook-convert"}  # the command each package provides
FILES = {"texlive-bibtex-extra": "/usr/share/texlive/texmf-dist/bibtex/bib/biblatex/biblatex/biblatex-examples.bib"}


def _missing(package: str) -> bool:
    if package in FILES:
        return not Path(FILES[package]).exists()
    return shutil.which(COMMANDS.get(package, package)) is None
ACE = "@daisy/ace-cli@1.4.6"  # needs Node >= 20; Debian 12 has 18, so .tools/ then gets Node 20 from npm
TOOLS = ROOT / ".tools"
REQUIRED_FILES = ["/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
                  "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"]


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _say(message: str) -> None:
    print(f"briefpress: {message}", file=sys.stderr, flush=True)


def _has_library(name: str) -> bool:
    """Whether a shared library is installed (a file check: no ldconfig on every run)."""
    return any(any(Path(d).glob(name)) for d in ("/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu",
                                             "/usr/lib/aarch64-linux-gnu", "/usr/local/lib"))


def debian_packages(test: bool) -> None:
    """Install the fonts (and, for the tests, the PDF tools and Java) through apt."""
    needed = [f for f in REQUIRED_FILES if not Path(f).exists()]
    needed += [] if _has_library("libharfbuzz-subset.so.0") else ["libharfbuzz-subset0"]
    tools = test and (any(shutil.which(t) is None for t in ("pdftotext", "qpdf", "java"))
                      or any(_missing(p) for p in TEST_PACKAGES))
    if not needed and not tools:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        _say("fonts missing: install them with 'apt-get install " + " ".join(DEBIAN_PACKAGES) + "'")
        return
    _say("installing Debian packages: " + " ".join(DEBIAN_PACKAGES))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    # Node may come from elsewhere than Debian (NodeSource's nodejs conflicts with Debian's
    # npm): a test package whose command is already there is not installed again.
    extra = [p for p in (TEST_PACKAGES if test else []) if _missing(p)]
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_PACKAGES, *extra],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def ace_checker() -> None:
    """DAISY Ace in ``.tools/`` for the EPUB accessibility test (skipped when this fails)."""
    if (TOOLS / "node_modules" / ".bin" / "ace-cli").exists() or shutil.which("npm") is None:
        return
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "true"}  # Ace drives Debian's chromium
    npm = ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS)]
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout
        if int(node.strip().lstrip("v").split(".")[0] or 0) < 20:
            _say("installing Node 20 into .tools (DAISY Ace needs it)")
            subprocess.run([*npm, "node@20"], check=True, env=env, stdout=subprocess.DEVNULL)
        _say(f"installing {ACE} into .tools")
        subprocess.run([*npm, ACE], check=True, env=env, stdout=subprocess.DEVNULL)
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        _say(f"DAISY Ace not installed ({exc}); its test will be skipped")


def python_environment(test: bool) -> Path:
    """``.venv`` with the project installed; reinstalled when pyproject.toml changes."""
    import hashlib

    python = VENV / "bin" / "python"
    stamp = VENV / ".briefpress-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = stamp.read_text().split() if stamp.exists() else []
    if python.exists() and installed[-1:] == [digest] and ("test" in installed or not test):
        return python
    if not python.exists():
        _say(f"creating {VENV.relative_to(ROOT)} (first use)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    _say("installing the Python packages into .venv")
    target = f"{ROOT}[test]" if test else str(ROOT)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target],
                   check=True)
    stamp.write_text(("test " if test else "run ") + digest + "\n")
    return python


def ensure_environment(argv: list[str]) -> None:
    """Make sure the command runs with its dependencies; may replace this process."""
    test = len(argv) > 1 and argv[1] == "test"
    if _in_venv() and not test:
        return
    if not _in_venv():
        debian_packages(test)
        python = python_environment(test)
        os.execv(str(python), [str(python), *argv])
    # inside the environment, "test": run the suite
    python_environment(True)
    debian_packages(True)
    ace_checker()
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "pytest", *argv[2:]])
