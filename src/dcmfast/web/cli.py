"""``dcmfast web search|retrieve|store``: the DICOMweb client on the command line.

Exit codes: 0 on success; 1 on failure (HTTP error, connection error,
malformed answer, instances not stored), with a one-line reason on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser"]

_SUMMARY = {
    "studies": ("StudyInstanceUID", "PatientID", "PatientName", "StudyDate", "StudyDescription",
                "ModalitiesInStudy"),
    "series": ("StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber",
               "SeriesDescription"),
    "instances": ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID",
                  "InstanceNumber"),
}


def add_parser(sub: Any) -> None:
    web = sub.add_parser("web", help="DICOMweb client: QIDO-RS search, WADO-RS retrieve, STOW-RS store")
    wsub = web.add_subparsers(dest="web_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("url", help="DICOMweb service root, e.g. http://127.0.0.1:8042/dicom-web")
        p.add_argument("--user", help="user name (HTTP basic authentication; password from "
                                      "--password or $DCMFAST_WEB_PASSWORD)")
        p.add_argument("--password", help=argparse.SUPPRESS)
        p.add_argument("-H", "--header", action="append", default=[], metavar="NAME:VALUE",
                       help="extra HTTP header (repeatable)")
        p.add_argument("--timeout", type=float, default=60.0, help="seconds (default 60)")

    p = wsub.add_parser("search", help="QIDO-RS: search studies, series or instances")
    common(p)
    p.add_argument("--level", choices=["studies", "series", "instances"], default="studies")
    p.add_argument("--study", help="search within this StudyInstanceUID")
    p.add_argument("--series", help="search within this SeriesInstanceUID (needs --study)")
    p.add_argument("-k", "--key", action="append", default=[], metavar="KEYWORD=VALUE",
                   help="matching key, e.g. PatientID=123 or PatientName=DOE* (repeatable)")
    p.add_argument("--field", action="append", default=[], help="includefield (repeatable; 'all')")
    p.add_argument("--limit", type=int)
    p.add_argument("--offset", type=int)
    p.add_argument("--fuzzy", action="store_true", help="fuzzymatching=true")
    p.add_argument("--json", action="store_true", help="print the DICOM JSON of each match (one per line)")
    p.set_defaults(web_func=_search)

    p = wsub.add_parser("retrieve", help="WADO-RS: save a study, series or instance to a folder")
    common(p)
    p.add_argument("study", help="StudyInstanceUID")
    p.add_argument("series", nargs="?", help="SeriesInstanceUID")
    p.add_argument("instance", nargs="?", help="SOPInstanceUID")
    p.add_argument("-o", "--output", required=True, help="folder (files are <SOPInstanceUID>.dcm)")
    p.add_argument("--transfer-syntax", default="*",
                   help="transfer syntax UID to ask for ('*', the default: as stored)")
    p.set_defaults(web_func=_retrieve)

    p = wsub.add_parser("store", help="STOW-RS: upload DICOM files and folders (recursive)")
    common(p)
    p.add_argument("paths", nargs="+", help="DICOM files or folders")
    p.add_argument("--study", help="store into this StudyInstanceUID (POST /studies/{study})")
    p.add_argument("--batch-size", type=int, default=50, help="instances per request (default 50)")
    p.add_argument("-j", "--workers", type=int, default=2, help="requests in parallel (default 2)")
    p.set_defaults(web_func=_store)


def _client(args: argparse.Namespace) -> Any:
    import os

    from dcmfast.web import Client

    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            raise SystemExit(f"dcmfast web: invalid header {item!r} (NAME:VALUE)")
        headers[name.strip()] = value.strip()
    auth = None
    if args.user:
        auth = (args.user, args.password or os.environ.get("DCMFAST_WEB_PASSWORD", ""))
    return Client(args.url, auth=auth, headers=headers, timeout=args.timeout)


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\\".join(str(v) for v in value)
    return str(value)


def _search(args: argparse.Namespace) -> int:
    from dcmfast.web import to_json

    filters = {}
    for item in args.key:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"dcmfast web search: invalid key {item!r} (KEYWORD=VALUE)")
        filters[key.strip()] = value
    with _client(args) as client:
        common = dict(search_filters=filters, limit=args.limit, offset=args.offset,
                      fields=args.field or None, fuzzymatching=True if args.fuzzy else None)
        if args.level == "studies":
            found = client.search_for_studies(**common)
        elif args.level == "series":
            found = client.search_for_series(args.study, **common)
        else:
            found = client.search_for_instances(args.study, args.series, **common)
    for ds in found:
        if args.json:
            print(json.dumps(to_json(ds), ensure_ascii=False))
        else:
            print("  ".join(f"{k}={_value_text(ds.get(k))}" for k in _SUMMARY[args.level] if k in ds))
    print(f"{len(found)} match(es)", file=sys.stderr)
    return 0


def _retrieve(args: argparse.Namespace) -> int:
    if args.instance and not args.series:  # pragma: no cover - argparse fills in order
        raise SystemExit("dcmfast web retrieve: an instance needs its series")
    count = 0
    with _client(args) as client:
        ts = args.transfer_syntax or None
        for path in client.iter_save_instances(args.output, args.study, args.series, args.instance,
                                          transfer_syntax=ts):
            count += 1
            print(path)
    print(f"{count} instance(s) saved to {args.output}", file=sys.stderr)
    return 0 if count else 1


def _store(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.store_instances(args.paths, args.study, batch_size=args.batch_size,
                                        workers=args.workers, raise_on_failure=False)
    for s in result.stored:
        note = f" (warning 0x{int(s.warning_reason):04X})" if s.warning_reason is not None else ""
        print(f"stored {s.source or s.sop_instance_uid}{note}")
    for f in result.failed:
        print(f"FAILED {f}", file=sys.stderr)
    total = len(result.stored) + len(result.failed)
    print(f"{len(result.stored)} of {total} instance(s) stored", file=sys.stderr)
    return 0 if result.ok and total else 1


def run(args: argparse.Namespace) -> int:
    """Run a ``dcmfast web`` command; errors become exit code 1 and one line on stderr."""
    from dcmfast.errors import InvalidDicomError
    from dcmfast.web.errors import DICOMwebError

    try:
        return args.web_func(args)
    except (DICOMwebError, InvalidDicomError, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"dcmfast web {args.web_command}: {message}", file=sys.stderr)
        return 1
