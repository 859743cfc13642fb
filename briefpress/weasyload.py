"""WeasyPrint, loaded without six costs that a build never needs to pay.

The PDF's critical path is WeasyPrint's import followed by its layout and writing; these
six costs sit on it and buy little or nothing here:

- **The library search.**  WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi,
  trying several names for each library; cffi answers every name that ``dlopen`` cannot
  open by calling ``ctypes.util.find_library``, which on Linux runs ``ldconfig``, ``gcc``
  and ``ld`` (WeasyPrint issue #1125): about 0.3 s.  On Linux ``dlopen`` searches the
  same places (the ld.so cache, ``LD_LIBRARY_PATH``) and the names WeasyPrint tries
  include the ``.so.N`` ones, so the search is skipped while WeasyPrint is imported.
- **fontTools' subsetter and instancer,** imported by ``weasyprint.pdf.fonts`` for fonts
  that HarfBuzz cannot subset and for variable fonts: about 0.1 s.  They are imported on
  first use instead, which with HarfBuzz-Subset and the house fonts is never.
- **A C declaration parse per simple type.**  Laying out and writing the PDF, WeasyPrint
  allocates ``ffi.new(f"hb_codepoint_t[{n}]", ...)``, ``ffi.new("PangoRectangle *")``
  and the like; cffi parses each new declaration with pycparser, 4–7 ms each, even for
  a pointer to a declared type (about 0.13 s for the sample: one parse per array length,
  eight for the rest).  Its cache of parsed types learns to resolve a pointer to or an
  array of a declared or primitive type itself, building the model type cffi's parser
  builds: the same C type object, the same bytes.
- **Every object serialized twice, each stream compressed at level 9.**  pydyf
  serializes every object of the file (compressing each stream at zlib's level 9), then
  does it all again to hash them for the file identifier: 0.10 s of compression for the
  sample (two-thirds of it its CJK face, a 0.5 MB subset).  Each object WeasyPrint made
  is serialized once for both (the object stream pydyf makes of the small ones while it
  writes is still compressed twice), and at zlib's default level, which takes half the
  time for 0.9% more bytes.  This is checked when it is applied: a small file written
  both ways must be the same bytes.
- **A copy of every face's whole file.**  When WeasyPrint first draws with a face it
  copies the face's file out of HarfBuzz into its ``file_content`` (for a face in a CJK
  collection, the whole 19–26 MB ``.ttc``), which the subset that is embedded replaces
  without having read it: 45 MB copied for the sample's seven faces, about 40 ms.  The
  copy is made when ``file_content`` is first read instead (never, when every face is
  subset by HarfBuzz).

Each is checked and undone when it does not apply: if WeasyPrint's import fails with
them, the ordinary import runs instead.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
import zlib

# The fontTools modules that weasyprint.pdf.fonts imports for its fallbacks, with the
# names it takes from them.
_DEFERRED = {"fontTools.subset": (), "fontTools.varLib.instancer": ("instantiateVariableFont",)}
_SIMPLE = re.compile(r"\s*(?P<item>[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z_][A-Za-z0-9_]*)*)\s*"
                     r"(?:(?P<pointer>\*)|\[(?P<length>[0-9]*)\])\s*")


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
    _learn_simple_types(weasyprint)
    _compress_at_the_default_level()
    _serialize_once()
    _copy_faces_when_read()
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


class _SimpleTypes(dict):
    """cffi's cache of parsed types (``FFI._parsed_types``), which resolves a pointer to or
    an array of a declared or primitive type (``PangoRectangle *``, ``char[]``,
    ``hb_codepoint_t[517]``) without pycparser: it builds the model type cffi's parser
    builds for it (``Parser._get_type_and_quals``) and takes its C type from cffi's own
    cache, as ``FFI._typeof_locked`` does after the parse.  Anything else cffi parses."""

    def __init__(self, ffi, parsed: dict):
        super().__init__(parsed)
        self.ffi = ffi

    def __missing__(self, cdecl):
        from cffi import model

        found = _SIMPLE.fullmatch(cdecl) if isinstance(cdecl, str) else None
        item = _declared(self.ffi, found["item"]) if found else None
        if item is None or isinstance(item[0], model.RawFunctionType):
            raise KeyError(cdecl)  # cffi parses it
        if found["pointer"]:
            made = model.PointerType(*item)
        else:
            made = model.ArrayType(item[0], int(found["length"]) if found["length"] else None)
        with self.ffi._lock:  # as cffi holds it (only a lookup outside the lock reaches here)
            result = self.get(cdecl) or (self.ffi._get_cached_btype(made), False)
            self[cdecl] = result
        return result


def _declared(ffi, name: str):
    """(model type, qualifiers) of a typedef name or a primitive type written as cffi
    writes it ("unsigned int"), as cffi's parser resolves them; None for anything else."""
    from cffi import model
    from cffi.commontypes import resolve_common_type

    found = ffi._parser._declarations.get("typedef " + name) if " " not in name else None
    if found is not None:
        return found
    if name == "void":
        return (model.void_type, 0)
    if name in model.PrimitiveType.ALL_PRIMITIVE_TYPES:
        return resolve_common_type(ffi._parser, name)
    return None


class _DefaultLevel:
    """zlib as pydyf sees it: ``compressobj`` at zlib's default level whatever it is asked."""

    def __getattr__(self, name: str):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = -1, *args, **kwargs):
        return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs)


def _compress_at_the_default_level() -> None:
    import pydyf

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _DefaultLevel()


class _Serialized:
    """One of a PDF's objects while pydyf writes the file: its bytes are made once, for the
    file and for the hash that identifies it; everything else is the object's own."""

    __slots__ = ("_data", "object")

    def __init__(self, pdf_object):
        object.__setattr__(self, "object", pdf_object)
        object.__setattr__(self, "_data", None)

    @property
    def data(self) -> bytes:
        if self._data is None:
            object.__setattr__(self, "_data", self.object.data)
        return self._data

    @property
    def indirect(self) -> bytes:  # pydyf's own, over the bytes made once
        return type(self.object).indirect.fget(self)

    def __getattr__(self, name: str):
        return getattr(self.object, name)

    def __setattr__(self, name: str, value) -> None:  # the offset pydyf notes as it writes
        setattr(self.object, name, value)


def _serialize_once() -> None:
    """``pydyf.PDF.write`` with an identifier to compute: the objects it walks twice (to
    write them, then to hash them) are :class:`_Serialized` while it runs."""
    import pydyf

    write = getattr(getattr(pydyf, "PDF", None), "write", None)
    if write is None or getattr(write, "serializes_once", False) \
            or not isinstance(getattr(getattr(pydyf, "Object", None), "indirect", None), property):
        return

    def serialized_once(self, output, version=b"1.7", identifier=False, compress=False):
        if not identifier:  # walked once
            return write(self, output, version, identifier, compress)
        objects = self.objects
        self.objects = [_Serialized(pdf_object) for pdf_object in objects]
        try:
            return write(self, output, version, identifier, compress)
        finally:  # and those it added (the information, the object and cross-reference streams)
            self.objects = objects + [getattr(added, "object", added) for added in self.objects[len(objects):]]

    serialized_once.serializes_once = True
    serialized_once.__wrapped__ = write
    try:
        same = _written(pydyf, serialized_once) == _written(pydyf, write)
    except Exception:  # noqa: BLE001 - another pydyf than this was made for: its own write stays
        same = False
    if same:
        pydyf.PDF.write = serialized_once


def _written(pydyf, write) -> bytes:
    """A small file, as ``write`` writes it: pages with content streams, a free object, the
    information, an object stream, an identifier."""
    import io

    pdf = pydyf.PDF()
    freed = pydyf.Dictionary({})
    pdf.add_object(freed)
    freed.free = "f"
    for n in range(2):
        content = pydyf.Stream([b"BT /F1 12 Tf 72 %d Td (%d) Tj ET" % (700 - 20 * n, n)], compress=True)
        pdf.add_object(content)
        pdf.add_page(pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference,
                                       "MediaBox": pydyf.Array([0, 0, 595, 842]), "Contents": content.reference}))
    pdf.info["Title"] = pydyf.String("once")
    output = io.BytesIO()
    write(pdf, output, b"1.7", b"id", True)
    return output.getvalue()


def _learn_simple_types(weasyprint) -> None:
    ffi = getattr(getattr(getattr(weasyprint, "text", None), "ffi", None), "ffi", None)
    parsed = getattr(ffi, "_parsed_types", None)
    if type(parsed) is dict and hasattr(ffi, "_get_cached_btype") \
            and isinstance(getattr(getattr(ffi, "_parser", None), "_declarations", None), dict):
        ffi._parsed_types = _SimpleTypes(ffi, parsed)


class _FaceFile:
    """A face's file as WeasyPrint's ``Font`` holds it before subsetting: copied out of
    HarfBuzz when first read (the face stays referenced by the font, and this keeps it
    too)."""

    __slots__ = ("copy", "data", "face")
    _UNREAD = object()

    def __init__(self, face, copy):
        self.face, self.copy, self.data = face, copy, self._UNREAD

    def read(self):
        if self.data is self._UNREAD:
            self.data = self.copy(self.face)
        return self.data

    def __bool__(self) -> bool:  # "if file_content:", as WeasyPrint tests a copy
        return bool(self.read())


def _copy_faces_when_read() -> None:
    """``Font.file_content`` becomes a property that copies the face's file on first read:
    WeasyPrint sets it to ``get_hb_object_data(face)`` (the whole file, here a
    :class:`_FaceFile`), then to the subset's bytes."""
    fonts = sys.modules.get("weasyprint.pdf.fonts")
    font = getattr(fonts, "Font", None)
    copy = getattr(fonts, "get_hb_object_data", None)
    if font is None or copy is None or "file_content" in vars(font) or getattr(copy, "defers", False):
        return  # another WeasyPrint than the one this was written for, or done already

    def get_hb_object_data(hb_object, ot_color=None, glyph=None):
        if ot_color is None and glyph is None:
            return _FaceFile(hb_object, copy)
        return copy(hb_object, ot_color, glyph)

    def read(self):
        try:
            value = self.__dict__["_file_content"]
        except KeyError:
            raise AttributeError("file_content") from None
        if isinstance(value, _FaceFile):
            value = self.__dict__["_file_content"] = value.read()
        return value

    def write(self, value) -> None:
        self.__dict__["_file_content"] = value

    get_hb_object_data.defers = True
    fonts.get_hb_object_data = get_hb_object_data
    font.file_content = property(read, write)
