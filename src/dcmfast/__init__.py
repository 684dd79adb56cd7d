"""dcmfast: the fastest DICOM toolkit for Python.

A C tokenizer (csrc/) under a pydicom-compatible facade. Public names:
:func:`dcmread`, :func:`dcmwrite`, :class:`Dataset`, :class:`FileDataset`,
:class:`DataElement`, :class:`Sequence`, :class:`InvalidDicomError`,
:func:`build_info`.
"""
from __future__ import annotations

__version__ = "0.1.0"

try:
    from dcmfast import _parse
except ImportError as exc:  # pragma: no cover - a source tree without a build
    raise ImportError(
        "dcmfast's compiled modules are missing: install the package "
        "(pip install .) instead of importing it from the source tree"
    ) from exc

from dcmfast.dataelem import DataElement
from dcmfast.dataset import Dataset, FileDataset, FileMetaDataset
from dcmfast.errors import DicomWarning, InvalidDicomError, PixelDataError
from dcmfast.filereader import dcmread, read_file_meta_info
from dcmfast.sequence import Sequence
from dcmfast.tag import BaseTag, Tag
from dcmfast.uid import UID

__all__ = [
    "__version__", "dcmread", "dcmwrite", "read_file_meta_info", "Dataset", "FileDataset",
    "FileMetaDataset", "DataElement", "Sequence", "Tag", "BaseTag", "UID", "InvalidDicomError",
    "DicomWarning", "PixelDataError", "build_info", "from_pydicom", "pixel_array", "iter_frames",
    "convert", "read_series", "list_series", "Volume", "GeometryReport", "GeometryError",
    "GeometryWarning", "SeriesInfo",
]

_SERIES_NAMES = frozenset(["read_series", "list_series", "Volume", "GeometryReport",
                           "GeometryError", "GeometryWarning", "SeriesInfo", "SeriesList",
                           "SeriesSelectionError"])


def __getattr__(name: str):
    """Lazy exports: dcmfast.series is imported on first use."""
    if name in _SERIES_NAMES:
        from dcmfast import series

        return getattr(series, name)
    raise AttributeError(f"module 'dcmfast' has no attribute {name!r}")


def pixel_array(src, *, index=None, as_rgb=True, rescale=False, voi=False, threads=None,
                out=None, view=False):
    """Decode pixel data to a numpy array; see :func:`dcmfast.pixels.pixel_array`."""
    from dcmfast.pixels import pixel_array as _pixel_array

    return _pixel_array(src, index=index, as_rgb=as_rgb, rescale=rescale, voi=voi,
                        threads=threads, out=out, view=view)


def iter_frames(src, *, as_rgb=True):
    """Yield decoded frames one at a time; see :func:`dcmfast.pixels.iter_frames`."""
    from dcmfast.pixels import iter_frames as _iter_frames

    return _iter_frames(src, as_rgb=as_rgb)


def convert(sources, out_dir, to, *, workers=None, overwrite=False, progress=True, gzip=False,
            client=None, scheduler=None):
    """Bulk conversion of files and folders; see :func:`dcmfast.bulk.convert`."""
    from dcmfast.bulk import convert as _convert

    return _convert(sources, out_dir, to, workers=workers, overwrite=overwrite,
                    progress=progress, gzip=gzip, client=client, scheduler=scheduler)


def dcmwrite(filename, dataset, *, transfer_syntax=None, **kwargs):
    """Write ``dataset`` to ``filename`` (path or binary file object).

    See :func:`dcmfast.filewriter.dcmwrite`.
    """
    from dcmfast.filewriter import dcmwrite as _dcmwrite

    return _dcmwrite(filename, dataset, transfer_syntax=transfer_syntax, **kwargs)


def from_pydicom(ds):
    """A dcmfast Dataset holding the same elements as a pydicom Dataset."""
    from dcmfast.interop import from_pydicom as _from_pydicom

    return _from_pydicom(ds)


def build_info() -> dict:
    """Which compiled modules are loaded, and how they were built.

    There is no pure-Python fallback: if a compiled module were missing the
    import of dcmfast would have failed.
    """
    import importlib

    modules = {}
    for name in ("_parse", "_pixels", "_net"):
        mod = importlib.import_module(f"dcmfast.{name}")
        modules[name] = {"file": mod.__file__, "compiled": bool(getattr(mod, "COMPILED", False))}
    return {"version": __version__, "modules": modules}
