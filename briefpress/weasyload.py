"""WeasyPrint, loaded without three costs that a build never needs to pay.

The PDF's critical path is WeasyPrint's import followed by its layout and writing; these
three costs sit on it and buy nothing here:

- **The library search.**  WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi,
  trying several names for each library; cffi answers every name that ``dlopen`` cannot
  open by calling ``ctypes.util.find_library``, which on Linux runs ``ldconfig``, ``gcc``
  and ``ld`` (WeasyPrint issue #1125): about 0.3 s.  On Linux ``dlopen`` searches the
  same places (the ld.so cache, ``LD_LIBRARY_PATH``) and the names WeasyPrint tries
  include the ``.so.N`` ones, so the search is skipped while WeasyPrint is imported.
- **fontTools' subsetter and instancer,** imported by ``weasyprint.pdf.fonts`` for fonts
  that HarfBuzz cannot subset and for variable fonts: about 0.1 s.  They are imported on
  first use instead, which with HarfBuzz-Subset and the house fonts is never.
- **One C declaration parse per array length.**  Writing the PDF, WeasyPrint allocates
  arrays as ``ffi.new(f"hb_codepoint_t[{n}]", ...)``; cffi parses each new ``T[n]`` with
  pycparser (5 ms each, about 0.09 s for the sample's fonts).  Its cache of parsed types
  learns to build ``T[n]`` from the ``T *`` it already knows, which is what the parse
  ends in: the same C type and the same bytes.

Each is checked and undone when it does not apply: if WeasyPrint's import fails with
them, the ordinary import runs instead.
"""

from __future__ import annotations

import importlib
import re
import sys
import types

# The fontTools modules that weasyprint.pdf.fonts imports for its fallbacks, with the
# names it takes from them.
_DEFERRED = {"fontTools.subset": (), "fontTools.varLib.instancer": ("instantiateVariableFont",)}
_ARRAY = re.compile(r"(?P<item>[A-Za-z_][A-Za-z0-9_ ]*?)\s*\[(?P<length>[0-9]+)\]")


def import_weasyprint():
    """The ``weasyprint`` module, imported as described above (once per process)."""
    if "weasyprint" in sys.modules or sys.platform != "linux":
        import weasyprint

        return weasyprint
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = _not_searched
    stubs = _defer_fonttools()
    try:
        import weasyprint
        from weasyprint.text import ffi as libraries

        if getattr(libraries, "harfbuzz_subset", True) is None:  # optional: no OSError, so search for it
            raise OSError("HarfBuzz-Subset was not opened by name")
    except (OSError, ImportError):
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        _undefer(stubs)
        ctypes.util.find_library = search
        import weasyprint
    finally:
        ctypes.util.find_library = search
        _undefer(stubs)
    _learn_array_types(weasyprint)
    return weasyprint


def _not_searched(name: str) -> None:
    return None


class _OnFirstUse(types.ModuleType):
    """Stands in for a module until one of its attributes is used."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        real = _real(self.__name__)
        return getattr(real, name)


def _real(name: str):
    _undefer([name])
    return importlib.import_module(name)


def _defer_fonttools() -> list[str]:
    """Stand-ins for the fontTools modules WeasyPrint imports eagerly (none if one of them
    is imported already)."""
    if any(name in sys.modules for name in _DEFERRED):
        return []
    for name, functions in _DEFERRED.items():
        stub = _OnFirstUse(name)
        for function in functions:
            setattr(stub, function, _calls_real(name, function))
        sys.modules[name] = stub
    return list(_DEFERRED)


def _calls_real(module: str, function: str):
    def call(*args, **kwargs):
        return getattr(_real(module), function)(*args, **kwargs)

    call.__name__ = function
    return call


def _undefer(names: list[str]) -> None:
    """Takes the stand-ins out of ``sys.modules``: any later import gets the real module
    (WeasyPrint keeps its stand-ins, which forward to it)."""
    for name in names:
        if isinstance(sys.modules.get(name), _OnFirstUse):
            del sys.modules[name]


class _ArrayTypes(dict):
    """cffi's cache of parsed types (``FFI._parsed_types``), which makes ``T[n]`` from the
    cached ``T *`` as cffi's own parse does (``model.ArrayType.build_backend_type``)."""

    def __init__(self, ffi, parsed: dict):
        super().__init__(parsed)
        self.ffi = ffi

    def __missing__(self, cdecl):
        found = _ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if found is None:
            raise KeyError(cdecl)  # cffi parses it
        pointer = self.ffi.typeof(found["item"] + " *")
        result = (self.ffi._backend.new_array_type(pointer, int(found["length"])), False)
        self[cdecl] = result
        return result


def _learn_array_types(weasyprint) -> None:
    ffi = getattr(getattr(getattr(weasyprint, "text", None), "ffi", None), "ffi", None)
    parsed = getattr(ffi, "_parsed_types", None)
    if type(parsed) is dict and hasattr(getattr(ffi, "_backend", None), "new_array_type"):
        ffi._parsed_types = _ArrayTypes(ffi, parsed)
