"""What the storage SCP stored, indexed in SQLite for Patient Root and Study
Root C-FIND (PS3.4 C.3.1 / C.3.2; matching per C.2.2.2, shared with the
worklist SCP: :func:`dcmfast.net.worklist.match`).

One row per SOP instance (a repeated SOP Instance UID replaces its row, as
the file replaces the old one) in ``<storage>/.dcmfast-index.sqlite`` (WAL
journal). A stored file is noted and indexed by the next query, so storing
never waits for SQLite; at start, files the index lacks are indexed. A query is answered at its QueryRetrieveLevel: the rows are
grouped by that level's unique key, each group becomes one record holding the
attributes of its level and the levels above (plus the computed counts
NumberOfStudyRelatedInstances, ModalitiesInStudy, ...), and the record is
matched against the identifier like any other.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any, Iterator

__all__ = ["Index", "LEVEL_KEYS"]

#: (column, tag, VR, level) of the attributes kept per instance
_COLUMNS = (
    ("patient_id", 0x00100020, "LO", "PATIENT"),
    ("patient_name", 0x00100010, "PN", "PATIENT"),
    ("patient_birth_date", 0x00100030, "DA", "PATIENT"),
    ("patient_sex", 0x00100040, "CS", "PATIENT"),
    ("study_uid", 0x0020000D, "UI", "STUDY"),
    ("study_date", 0x00080020, "DA", "STUDY"),
    ("study_time", 0x00080030, "TM", "STUDY"),
    ("accession", 0x00080050, "SH", "STUDY"),
    ("study_id", 0x00200010, "SH", "STUDY"),
    ("study_description", 0x00081030, "LO", "STUDY"),
    ("referring_physician", 0x00080090, "PN", "STUDY"),
    ("series_uid", 0x0020000E, "UI", "SERIES"),
    ("modality", 0x00080060, "CS", "SERIES"),
    ("series_number", 0x00200011, "IS", "SERIES"),
    ("series_description", 0x0008103E, "LO", "SERIES"),
    ("sop_uid", 0x00080018, "UI", "IMAGE"),
    ("sop_class", 0x00080016, "UI", "IMAGE"),
    ("instance_number", 0x00200013, "IS", "IMAGE"),
    ("charset", 0x00080005, "CS", "IMAGE"),
)
_LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")
#: the unique key of each level
LEVEL_KEYS = {"PATIENT": "patient_id", "STUDY": "study_uid", "SERIES": "series_uid",
              "IMAGE": "sop_uid"}
_TAGS = {name: (tag, vr) for name, tag, vr, _ in _COLUMNS}


class Index:
    """The SQLite index of one storage folder (thread-safe)."""

    FILE = ".dcmfast-index.sqlite"

    def __init__(self, storage_dir: str) -> None:
        self.storage_dir = os.path.abspath(storage_dir)
        self.path = os.path.join(self.storage_dir, self.FILE)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        columns = ", ".join(f"{name} TEXT" for name, *_ in _COLUMNS if name != "sop_uid")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS instances (sop_uid TEXT PRIMARY KEY, "
                        f"path TEXT NOT NULL, {columns})")
        for name in ("patient_id", "study_uid", "series_uid"):
            self.db.execute(f"CREATE INDEX IF NOT EXISTS i_{name} ON instances({name})")
        # a stored file is only noted (a list append): it is parsed and inserted
        # by the next query (or at close), in one transaction, so C-STORE never
        # waits for SQLite and no background thread competes for the GIL
        self._pending: list[str] = []
        self._catch_up()

    def close(self) -> None:
        self.flush()
        with self._lock:
            self.db.close()

    def add_later(self, path: str) -> None:
        """Note ``path`` for indexing; the next query (or close) indexes it."""
        with self._lock:
            self._pending.append(path)

    def flush(self) -> None:
        """Index every file noted by :meth:`add_later`."""
        with self._lock:
            pending, self._pending = self._pending, []
        rows = [r for r in (self._row(p) for p in pending) if r]
        if rows:
            self._insert(rows)

    def _catch_up(self) -> None:
        """Index the folder's files the index does not hold (a new index, or
        files stored by a process that stopped before indexing them)."""
        with self._lock:
            known = {p for (p,) in self.db.execute("SELECT path FROM instances")}
        for root, dirs, files in os.walk(self.storage_dir):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                path = os.path.join(root, name)
                if not name.startswith(".") and path not in known:
                    self._pending.append(path)
        self.flush()

    def add(self, path: str) -> bool:
        """Index the file at ``path`` now (replacing the row of its SOP
        Instance UID). False if it cannot be read as DICOM."""
        row = self._row(path)
        if row is None:
            return False
        self._insert([row])
        return True

    @staticmethod
    def _row(path: str) -> dict | None:
        from dcmfast.errors import InvalidDicomError
        from dcmfast.filereader import dcmread

        try:
            ds = dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError):
            return None
        row = {"path": os.path.abspath(path)}
        for name, (tag, _vr) in _TAGS.items():
            value = ds[tag].value if tag in ds else None
            if value is not None and not isinstance(value, str):
                value = "\\".join(str(v) for v in value) if isinstance(value, list) else str(value)
            row[name] = value.strip() if isinstance(value, str) else value
        return row if row.get("sop_uid") else None

    def _insert(self, rows: list[dict]) -> None:
        names = list(rows[0])
        sql = (f"INSERT OR REPLACE INTO instances ({', '.join(names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        with self._lock:
            self.db.execute("BEGIN")
            try:
                self.db.executemany(sql, [tuple(r[n] for n in names) for r in rows])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def rows(self, where: dict[str, str] | None = None) -> list[sqlite3.Row]:
        """Rows whose columns equal ``where``'s values (exact keys narrow the
        scan before matching)."""
        self.flush()
        sql = "SELECT * FROM instances"
        args: tuple = ()
        if where:
            sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
            args = tuple(where.values())
        with self._lock:
            cur = self.db.execute(sql, args)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    def paths(self, level: str, matches: list) -> list[str]:
        """The files of the instances under the matched entities of ``level``
        (each a C-FIND response holding the level's unique key), in order."""
        self.flush()
        column = LEVEL_KEYS[level]
        tag = _TAGS[column][0]
        out: dict[str, None] = {}
        for found in matches:
            key = found[tag].value if tag in found else ""
            key = str(key or "").strip()
            with self._lock:
                rows = self.db.execute(
                    f"SELECT path FROM instances WHERE coalesce({column}, '') = ? "
                    "ORDER BY study_uid, series_uid, CAST(instance_number AS INTEGER), sop_uid",
                    (key,)).fetchall()
            for (path,) in rows:
                out.setdefault(path, None)
        return list(out)

    def sop_class_of(self, path: str) -> str:
        """The SOP Class UID indexed for ``path`` ('' if none)."""
        with self._lock:
            row = self.db.execute("SELECT sop_class FROM instances WHERE path = ?",
                                  (os.path.abspath(path),)).fetchone()
        return row[0] or "" if row else ""

    def uid_of(self, path: str) -> str:
        """The SOP Instance UID indexed for ``path`` ('' if none)."""
        with self._lock:
            row = self.db.execute("SELECT sop_uid FROM instances WHERE path = ?",
                                  (os.path.abspath(path),)).fetchone()
        return row[0] if row else ""

    def records(self, level: str, narrow: dict[str, str] | None = None) -> Iterator[Any]:
        """One Dataset per entity of ``level``: its attributes and those of
        the levels above, plus the counts PS3.4 C.3 defines for it."""
        from dcmfast.dataset import Dataset

        if level not in LEVEL_KEYS:
            raise ValueError(f"QueryRetrieveLevel {level!r} is not one of {', '.join(_LEVELS)}")
        depth = _LEVELS.index(level)
        keep = [(name, tag, vr) for name, tag, vr, lvl in _COLUMNS
                if _LEVELS.index(lvl) <= depth and name != "charset"]
        groups: dict[str, list] = {}
        for row in self.rows(narrow):
            # an empty key is one entity too (instances without a Patient ID
            # form one patient, as in DCMTK's dcmqrscp)
            groups.setdefault(row[LEVEL_KEYS[level]] or "", []).append(row)
        for members in groups.values():
            first = members[0]
            ds = Dataset()
            if first["charset"]:
                ds.add_new(0x00080005, "CS", first["charset"].split("\\"))
            for name, tag, vr in keep:
                value = first[name]
                if value is None:
                    continue
                if vr in ("UI", "CS", "PN", "LO", "SH", "DA", "TM") and "\\" in value:
                    value = value.split("\\")
                ds.add_new(tag, vr, value)
            _counts(ds, level, members)
            yield ds


def _counts(ds: Any, level: str, members: list) -> None:
    n = len(members)
    if level == "PATIENT":
        ds.add_new(0x00201200, "IS", len({m["study_uid"] for m in members}))  # studies
        ds.add_new(0x00201202, "IS", len({m["series_uid"] for m in members}))  # series
        ds.add_new(0x00201204, "IS", n)                                       # instances
    elif level == "STUDY":
        ds.add_new(0x00201206, "IS", len({m["series_uid"] for m in members}))
        ds.add_new(0x00201208, "IS", n)
        modalities = sorted({m["modality"] for m in members if m["modality"]})
        if modalities:
            ds.add_new(0x00080061, "CS", modalities)
    elif level == "SERIES":
        ds.add_new(0x00201209, "IS", n)
