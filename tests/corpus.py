"""The differential corpus: pydicom's test files, pydicom-data and the charset files."""
from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def corpus_files() -> tuple[str, ...]:
    """Every file in pydicom's test data (incl. pydicom-data) and charset files, sorted."""
    try:
        from pydicom.data import get_charset_files, get_testdata_files
    except ImportError:
        return ()
    files = set(get_testdata_files("**/*")) | set(get_charset_files("**/*"))
    return tuple(sorted(f for f in files if os.path.isfile(f) and not f.endswith((".py", ".pyc", ".json", ".txt", ".md"))))


def corpus_id(path: str) -> str:
    """A short, unique test id for a corpus file."""
    for marker in ("test_files/", "charset_files/", "data_store/data/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return os.path.basename(path)
