"""The ``dcmfast`` command line.

``dcmfast dump FILE...`` prints every element like DCMTK's dcmdump; ``dcmfast
demo`` reads the sample files the package ships. Exit codes follow API.md:
0 on success, 1 on invalid input (with a one-line reason on stderr).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any, Iterable, TextIO

__all__ = ["main", "dump"]

_MAX_VALUE_CHARS = 64
_TS_NAMES = {
    "1.2.840.10008.1.2": "Little Endian Implicit",
    "1.2.840.10008.1.2.1": "Little Endian Explicit",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Big Endian Explicit",
}


def _shorten(text: str, limit: int = _MAX_VALUE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _format_value(elem: Any) -> str:
    """The value column, in dcmdump's style: [text], =UIDName, numbers, hex."""
    from dcmfast.uid import UID

    vr, value = elem.VR, elem.value
    if value is None or (isinstance(value, (str, bytes, list)) and len(value) == 0):
        return "(no value available)"
    if vr in ("OB", "UN", "OW", "OF", "OD", "OL", "OV") or isinstance(value, bytes):
        raw = bytes(value)
        width = 2 if vr in ("OW",) else 4 if vr in ("OF", "OL") else 8 if vr in ("OD", "OV") else 1
        words = [raw[i:i + width][::-1].hex() for i in range(0, min(len(raw), 48), width)]
        return _shorten("\\".join(words) + ("..." if len(raw) > 48 else ""))
    values = value if isinstance(value, list) else [value]
    if vr == "UI":
        parts = []
        for v in values:
            uid = UID(str(v))
            parts.append(uid.keyword if uid.keyword else str(v))
        return _shorten("=" + "\\".join(parts))
    if vr == "AT":
        return _shorten("\\".join(f"({int(v) >> 16:04x},{int(v) & 0xFFFF:04x})" for v in values))
    if vr in ("US", "SS", "UL", "SL", "UV", "SV", "FL", "FD"):
        return _shorten("\\".join(str(v) for v in values))
    return _shorten("[" + "\\".join(str(v) for v in values) + "]")


def _comment(length: Any, vm: int, name: str, column: int) -> str:
    length_text = "u/l" if length is None else str(length)
    return f"# {length_text:>3}, {vm} {name}"


def _lengths(ds: Any) -> dict[int, Any]:
    """Encoded value length of each element still as read (None: undefined)."""
    table = ds.__dict__.get("_table")
    out: dict[int, Any] = {}
    if table is None:
        return out
    from dcmfast import _parse

    for tag, entry in ds._elems().items():
        idx = entry if entry.__class__ is int else None
        if idx is None:
            continue
        flags = table.flags(idx)
        out[tag] = None if flags & _parse.TF_UNDEFINED else table.length(idx)
    return out


def _dump_dataset(ds: Any, out: TextIO, depth: int) -> None:
    indent = "  " * depth
    lengths = _lengths(ds)
    for tag in sorted(ds._elems()):
        elem = ds[tag]
        name = elem.keyword or elem.name.strip("[]") or "Unknown Tag & Data"
        tag_text = f"({tag >> 16:04x},{tag & 0xFFFF:04x})"
        if elem.VR == "SQ":
            undefined = elem.is_undefined_length or lengths.get(tag, 0) is None
            kind = "undefined" if undefined else "explicit"
            head = f"{indent}{tag_text} SQ (Sequence with {kind} length #={len(elem.value)})"
            out.write(f"{head:<{56 + 2 * depth}} {_comment(None if undefined else lengths.get(tag), 1, name, 0)}\n")
            for item in elem.value:
                item_undefined = item.is_undefined_length_sequence_item
                ihead = f"{indent}  (fffe,e000) na (Item with {'undefined' if item_undefined else 'explicit'} length #={len(item)})"
                out.write(f"{ihead:<{58 + 2 * depth}} # {'u/l' if item_undefined else '':>3}, 1 Item\n")
                _dump_dataset(item, out, depth + 2)
                if item_undefined:
                    out.write(f"{indent}  (fffe,e00d) na (ItemDelimitationItem)\n")
            if undefined:
                out.write(f"{indent}(fffe,e0dd) na (SequenceDelimitationItem)\n")
            continue
        value = _format_value(elem)
        length = lengths.get(tag, len(elem.value) if isinstance(elem.value, (bytes, str)) else "?")
        head = f"{indent}{tag_text} {elem.VR} {value}"
        out.write(f"{head:<{56 + 2 * depth}} {_comment(length, elem.VM, name, 0)}\n")


def dump(path: Any, out: TextIO = sys.stdout, *, stop_before_pixels: bool = False, force: bool = False) -> None:
    """Print every element of a DICOM file, dcmdump style."""
    import dcmfast

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dcmfast.dcmread(path, stop_before_pixels=stop_before_pixels, force=force)
        out.write("\n# Dicom-File-Format\n\n# Dicom-Meta-Information-Header\n"
                  "# Used TransferSyntax: Little Endian Explicit\n")
        _dump_dataset(ds.file_meta, out, 0)
        ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
        if ts in _TS_NAMES:
            ts_name = _TS_NAMES[ts]
        elif ts:
            from dcmfast.uid import UID

            ts_name = UID(ts).name
        else:
            ts_name = "Little Endian Implicit" if ds.original_encoding[0] else "Little Endian Explicit"
        out.write(f"\n# Dicom-Data-Set\n# Used TransferSyntax: {ts_name}\n")
        _dump_dataset(ds, out, 0)
    for w in caught:
        out.write(f"W: {w.message}\n")


def _cmd_dump(args: argparse.Namespace) -> int:
    from dcmfast.errors import InvalidDicomError

    status = 0
    for path in args.files:
        try:
            dump(path, sys.stdout, stop_before_pixels=args.stop_before_pixels, force=args.force)
        except BrokenPipeError:
            raise
        except (InvalidDicomError, OSError, ValueError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"dcmfast dump: {path}: {message}", file=sys.stderr)
            status = 1
    return status


def _cmd_demo(args: argparse.Namespace) -> int:
    from dcmfast.data import demo

    return demo(sys.stdout)


def _cmd_convert(args: argparse.Namespace) -> int:
    from dcmfast.bulk import convert

    summary = convert(args.sources, args.output, args.to, workers=args.workers,
                      overwrite=args.overwrite, progress=not args.quiet, gzip=args.gzip,
                      scheduler=args.scheduler)
    summary.report(sys.stdout)
    return 1 if summary.failed else 0


def _add_web(sub: Any) -> None:
    """``dcmfast web ...``: the parser is small; dcmfast.web (and httpx) load only when run."""
    import importlib.util

    if importlib.util.find_spec("dcmfast.web") is None:  # pragma: no cover
        return
    from dcmfast.web.cli import add_parser

    add_parser(sub)
    sub.choices["web"].set_defaults(func=_cmd_web)


def _cmd_web(args: argparse.Namespace) -> int:
    from dcmfast.web.cli import run

    return run(args)


def _net_error(prog: str, exc: BaseException) -> int:
    print(f"dcmfast {prog}: {exc}", file=sys.stderr)
    return 1


def _cmd_echo(args: argparse.Namespace) -> int:
    from dcmfast import net

    ae = _client_ae(args)
    try:
        with ae.associate(args.host, args.port, ae_title=args.aec, tls=client_tls(args),
                          contexts=[("1.2.840.10008.1.1", ["1.2.840.10008.1.2.1",
                                                            "1.2.840.10008.1.2"])]) as assoc:
            for _ in range(args.repeat):
                status = assoc.echo()
                if not status.is_success:
                    print(f"dcmfast echo: {status.meaning}", file=sys.stderr)
                    return 1
    except (net.AssociationError, OSError) as exc:
        return _net_error("echo", exc)
    return 0


def _client_ae(args: argparse.Namespace) -> Any:
    from dcmfast import net

    t = args.timeout
    return net.AE(args.aet, timeouts=net.Timeouts(connect=t, acse=t, dimse=t, network=t))


def _query(args: argparse.Namespace, prog: str) -> Any:
    """The identifier from -k keys, with the QueryRetrieveLevel (--level, or
    the model's top level) unless it is a worklist query; None after
    printing why when a key is bad."""
    from dcmfast.net.qr import parse_keys

    try:
        query = parse_keys(args.key)
    except (ValueError, KeyError) as exc:
        print(f"dcmfast {prog}: {exc}", file=sys.stderr)
        return None
    if args.model != "worklist" and (args.level or "QueryRetrieveLevel" not in query):
        query.QueryRetrieveLevel = args.level or ("PATIENT" if args.model == "patient"
                                                  else "STUDY")
    return query


def _cmd_find(args: argparse.Namespace) -> int:
    from dcmfast import net
    from dcmfast.net.qr import FIND_MODELS, QueryFailed

    query = _query(args, "find")
    if query is None:
        return 1
    ae = _client_ae(args)
    abstract = FIND_MODELS[args.model]
    count = 0
    try:
        with ae.associate(args.host, args.port, ae_title=args.aec, tls=client_tls(args),
                          contexts=[(abstract, ["1.2.840.10008.1.2.1",
                                                "1.2.840.10008.1.2"])]) as assoc:
            for identifier in assoc.find(query, model=args.model):
                count += 1
                print(f"# match {count}")
                print(identifier)
    except QueryFailed as exc:
        print(f"dcmfast find: {exc}", file=sys.stderr)
        return 1
    except (net.AssociationError, OSError) as exc:
        return _net_error("find", exc)
    if not args.quiet:
        print(f"{count} match{'es' if count != 1 else ''}", file=sys.stderr)
    return 0


def _cmd_move(args: argparse.Namespace) -> int:
    from dcmfast import net
    from dcmfast.net.qr import MOVE_MODELS, MoveFailed

    query = _query(args, "move")
    if query is None:
        return 1
    ae = _client_ae(args)
    try:
        with ae.associate(args.host, args.port, ae_title=args.aec, tls=client_tls(args),
                          contexts=[(MOVE_MODELS[args.model], ["1.2.840.10008.1.2.1",
                                                               "1.2.840.10008.1.2"])]) as assoc:
            result = assoc.move(query, args.dest, model=args.model)
    except MoveFailed as exc:
        print(f"dcmfast move: {exc}", file=sys.stderr)
        return 1
    except (net.AssociationError, OSError) as exc:
        return _net_error("move", exc)
    print(f"moved {result.completed}, failed {result.failed}, warning {result.warning} "
          f"({result.status.meaning})")
    return 1 if result.failed else 0


def _cmd_get(args: argparse.Namespace) -> int:
    import os

    from dcmfast import net
    from dcmfast.dataset import FileMetaDataset
    from dcmfast.filewriter import dcmwrite
    from dcmfast.net.qr import MoveFailed
    from dcmfast.net.storage import safe_filename

    query = _query(args, "get")
    if query is None:
        return 1
    os.makedirs(args.output, exist_ok=True)
    ae = _client_ae(args)
    count = 0
    try:
        with ae.associate(args.host, args.port, ae_title=args.aec, tls=client_tls(args)) as assoc:
            for ds in assoc.get(query, model=args.model):
                meta = FileMetaDataset()
                meta.MediaStorageSOPClassUID = ds.SOPClassUID
                meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
                ds.file_meta = meta
                final = os.path.join(args.output, safe_filename(str(ds.SOPInstanceUID)))
                tmp = os.path.join(args.output, f".{os.path.basename(final)}.{os.getpid()}.part")
                dcmwrite(tmp, ds)
                os.replace(tmp, final)
                count += 1
    except MoveFailed as exc:
        print(f"dcmfast get: {exc} ({count} received)", file=sys.stderr)
        return 1
    except (net.AssociationError, OSError) as exc:
        return _net_error("get", exc)
    print(f"received {count} instance(s) into {args.output}")
    return 0


def _server_tls(args: argparse.Namespace) -> Any:
    import ssl

    if not args.tls_cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=args.tls_ca)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_ca:          # client certificates signed by this CA are required
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _peers(values: list[str]) -> dict:
    peers = {}
    for value in values:
        ae, _, where = value.partition("=")
        host, _, port = where.rpartition(":")
        if not ae or not host or not port.isdigit():
            raise SystemExit(f"dcmfast serve: --peer wants AE=HOST:PORT, not {value!r}")
        peers[ae] = (host, int(port))
    return peers


def _store_files(paths: list[str]) -> list[str]:
    import os

    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out.extend(os.path.join(root, f) for f in sorted(files))
        else:
            out.append(p)
    return out


def _cmd_store(args: argparse.Namespace) -> int:
    from dcmfast import net
    from dcmfast.net import storage

    files = _store_files(args.paths)
    failed = []
    described: list[tuple[str, tuple[str, str]]] = []
    for f in files:
        try:
            sop_class, _, ts = storage.describe(f)
        except Exception as exc:  # not DICOM, unreadable
            failed.append((f, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            continue
        if not sop_class:
            failed.append((f, "no SOP Class UID"))
            continue
        described.append((f, (sop_class, ts)))
    ae = _client_ae(args)
    # batches whose contexts (and Verification) fit one association: at most 128
    batches: list[tuple[list[str], list]] = []
    cur: list[str] = []
    pairs: set = set()
    for f, pair in described:
        if pair not in pairs and len(storage.contexts_for(list(pairs | {pair}))) > 127 and cur:
            batches.append((cur, storage.contexts_for(list(pairs))))
            cur, pairs = [], set()
        cur.append(f)
        pairs.add(pair)
    if cur:
        batches.append((cur, storage.contexts_for(list(pairs))))
    stored = 0
    verification = [("1.2.840.10008.1.1", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])]
    for batch, contexts in batches:
        try:
            with ae.associate(args.host, args.port, ae_title=args.aec, tls=client_tls(args),
                              contexts=verification + contexts) as assoc:
                for f in batch:
                    try:
                        status = assoc.store(f)
                    except (net.NoPresentationContext, ValueError) as exc:
                        failed.append((f, str(exc)))
                        continue
                    if status.category in ("Success", "Warning"):
                        stored += 1
                    else:
                        failed.append((f, status.meaning))
        except (net.AssociationError, OSError) as exc:
            done = {f for f, _ in failed}
            failed.extend((f, str(exc)) for f in batch if f not in done)
    for f, why in failed:
        print(f"dcmfast store: {f}: {why}", file=sys.stderr)
    if not args.quiet:
        print(f"stored {stored} of {len(files)} file(s)")
    return 0 if not failed and stored == len(files) else 1


def _cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from dcmfast import net

    ae = net.AE(args.aet)
    server = net.Server(ae, args.port, args.storage, host=args.host,
                        max_associations=args.max_associations, fsync=not args.no_fsync,
                        allowed_calling=args.allow or None, worklist_dir=args.worklist,
                        peers=_peers(args.peer), tls=_server_tls(args))

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    print(f"dcmfast serve: {args.aet} listening on port {server.port}, storing into "
          f"{args.storage}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown(timeout=5)
    return 0


def _add_net_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("host", help="the peer's host name or address")
    p.add_argument("port", type=int, help="the peer's TCP port")
    p.add_argument("--aet", default="DCMFAST", help="our (calling) AE title (default DCMFAST)")
    p.add_argument("--aec", default="ANY-SCP", help="the called AE title (default ANY-SCP)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for each network wait")
    p.add_argument("--tls", action="store_true", help="connect over TLS")
    p.add_argument("--tls-ca", metavar="PEM", help="trust this CA (or the peer's certificate); "
                                                  "without it the peer is not verified")
    p.add_argument("--tls-cert", metavar="PEM", help="our client certificate (with --tls-key)")
    p.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")


def client_tls(args: argparse.Namespace) -> Any:
    """The client SSLContext the TLS options ask for, or None."""
    import ssl

    if not getattr(args, "tls", False):
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.tls_ca)
    if not args.tls_ca:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if args.tls_cert:
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    return ctx


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dcmfast", description="The fastest DICOM toolkit for Python.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("dump", help="print every element of DICOM files, like dcmdump")
    p.add_argument("files", nargs="+", help="DICOM files")
    p.add_argument("--stop-before-pixels", action="store_true", help="do not read Pixel Data")
    p.add_argument("-f", "--force", action="store_true", help="read files without the DICM preamble")
    p.set_defaults(func=_cmd_dump)

    p = sub.add_parser("convert", help="convert DICOM files and folders: transfer syntax, or "
                                       "series to NIfTI / npy volumes")
    p.add_argument("sources", nargs="+", help="DICOM files or folders (searched recursively)")
    p.add_argument("-o", "--output", required=True,
                   help="output folder (file formats keep relative paths; volumes are named "
                        "PatientID/SeriesNumber_Description_uid)")
    p.add_argument("--to", required=True,
                   choices=["explicit", "implicit", "deflate", "big", "rle", "j2k", "nifti", "npy"],
                   help="explicit/implicit/deflate/big: native pixels in that transfer syntax; "
                        "rle: RLE Lossless; j2k: JPEG 2000 Lossless; nifti: one .nii per series "
                        "(needs nibabel); npy: one .npy (+ .json geometry) per series")
    p.add_argument("--gzip", action="store_true", help="nifti: write .nii.gz")
    p.add_argument("-j", "--workers", type=int, default=None, help="worker processes (default: CPUs)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the work on a Dask distributed cluster (e.g. tcp://host:8786); "
                        "its workers must see the same paths")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("echo", help="C-ECHO a DICOM peer (exit 0 on success)")
    _add_net_args(p)
    p.add_argument("--repeat", type=int, default=1, help="C-ECHOs in the one association")
    p.set_defaults(func=_cmd_echo)

    p = sub.add_parser("store", help="C-STORE files and folders (recursive) to a DICOM peer")
    _add_net_args(p)
    p.add_argument("paths", nargs="+", help="DICOM files or folders")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=_cmd_store)

    p = sub.add_parser("find", help="C-FIND: query a Q/R or Modality Worklist SCP, print matches")
    _add_net_args(p)
    p.add_argument("--model", choices=["patient", "study", "worklist"], default="study",
                   help="information model (default study root)")
    p.add_argument("--level", default=None,
                   help="QueryRetrieveLevel (PATIENT, STUDY, SERIES, IMAGE); default the "
                        "model's top level")
    p.add_argument("-k", "--key", action="append", default=[], metavar="KEY[=VALUE]",
                   help="a query key like findscu's: PatientName=DOE*, StudyDate=20240101-, "
                        "ScheduledProcedureStepSequence[0].Modality=CT; no value asks for "
                        "the attribute back")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=_cmd_find)

    p = sub.add_parser("move", help="C-MOVE: have a Q/R SCP send matching instances to an AE")
    _add_net_args(p)
    p.add_argument("--dest", required=True, metavar="AE", help="the move destination's AE title")
    p.add_argument("--model", choices=["patient", "study"], default="study",
                   help="information model (default study root)")
    p.add_argument("--level", default=None, help="QueryRetrieveLevel (default the model's top)")
    p.add_argument("-k", "--key", action="append", default=[], metavar="KEY[=VALUE]",
                   help="an identifier key like movescu's: StudyInstanceUID=1.2.3")
    p.set_defaults(func=_cmd_move)

    p = sub.add_parser("get", help="C-GET: retrieve matching instances into a folder")
    _add_net_args(p)
    p.add_argument("-o", "--output", required=True, help="folder for the received instances")
    p.add_argument("--model", choices=["patient", "study"], default="study",
                   help="information model (default study root)")
    p.add_argument("--level", default=None, help="QueryRetrieveLevel (default the model's top)")
    p.add_argument("-k", "--key", action="append", default=[], metavar="KEY[=VALUE]",
                   help="an identifier key like getscu's: StudyInstanceUID=1.2.3")
    p.set_defaults(func=_cmd_get)

    p = sub.add_parser("serve", help="Verification, Storage, Q/R (C-FIND, C-MOVE, C-GET) and "
                                     "Modality Worklist SCP, until stopped")
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--aet", default="DCMFAST", help="our AE title (default DCMFAST)")
    p.add_argument("--storage", required=True, help="folder for received instances")
    p.add_argument("--host", default="", help="address to bind (default: all)")
    p.add_argument("--max-associations", type=int, default=32,
                   help="associations at once; more are rejected (default 32)")
    p.add_argument("--allow", action="append", default=[], metavar="AE",
                   help="accept associations only from this calling AE title (repeatable)")
    p.add_argument("--no-fsync", action="store_true",
                   help="do not fsync received files (faster, not durable; like storescp)")
    p.add_argument("--peer", action="append", default=[], metavar="AE=HOST:PORT",
                   help="a C-MOVE destination (repeatable)")
    p.add_argument("--tls-cert", metavar="PEM", help="serve over TLS with this certificate")
    p.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    p.add_argument("--tls-ca", metavar="PEM", help="require client certificates from this CA")
    p.add_argument("--worklist", default=None, metavar="DIR",
                   help="answer Modality Worklist C-FIND from the *.wl files in DIR (or in "
                        "DIR/<called AE>, wlmscpfs's layout)")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("demo", help="read the sample files shipped with dcmfast and time it")
    p.set_defaults(func=_cmd_demo)

    _add_web(sub)

    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
