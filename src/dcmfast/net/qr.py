"""Query as a service user: C-FIND (PS3.4 Annex C Query/Retrieve, Annex K
Modality Worklist; PS3.7 9.1.2 / 9.3.2) and C-CANCEL (PS3.7 9.3.2.3).

``assoc.find(query, model=...)`` sends one C-FIND-RQ with the identifier
encoded in the accepted transfer syntax and yields each pending response's
identifier as it arrives; the final response ends the iteration (success or
cancel) or raises :class:`QueryFailed` with the status and its meaning.
Closing the generator early sends a C-CANCEL-RQ and reads the remaining
responses, so the association stays usable.
"""
from __future__ import annotations

from typing import Any, Iterator

from dcmfast.net.dimse import (C_CANCEL_RQ, C_FIND_RQ, C_FIND_RSP, C_GET_RQ, C_GET_RSP,
                               C_MOVE_RQ, C_MOVE_RSP, C_STORE_RQ, C_STORE_RSP, NO_DATA_SET,
                               Status, encode_command)

__all__ = ["FIND_MODELS", "MOVE_MODELS", "GET_MODELS", "QueryFailed", "MoveFailed",
           "MoveResult", "find", "move", "get", "encode_identifier", "decode_identifier",
           "parse_keys"]

#: C-FIND information models (PS3.4 C.3, K.6) by the names API.md uses
FIND_MODELS = {
    "patient": "1.2.840.10008.5.1.4.1.2.1.1",   # Patient Root Q/R Information Model - FIND
    "study": "1.2.840.10008.5.1.4.1.2.2.1",     # Study Root Q/R Information Model - FIND
    "worklist": "1.2.840.10008.5.1.4.31",       # Modality Worklist Information Model - FIND
}
#: C-MOVE information models (PS3.4 C.3)
MOVE_MODELS = {
    "patient": "1.2.840.10008.5.1.4.1.2.1.2",   # Patient Root Q/R Information Model - MOVE
    "study": "1.2.840.10008.5.1.4.1.2.2.2",     # Study Root Q/R Information Model - MOVE
}
#: C-GET information models (PS3.4 C.3)
GET_MODELS = {
    "patient": "1.2.840.10008.5.1.4.1.2.1.3",   # Patient Root Q/R Information Model - GET
    "study": "1.2.840.10008.5.1.4.1.2.2.3",     # Study Root Q/R Information Model - GET
}
_IMPLICIT_LE = "1.2.840.10008.1.2"
_PENDING = (0xFF00, 0xFF01)


class QueryFailed(Exception):
    """A C-FIND ended with a failure status (``.status``: a Status with
    ``.meaning``; ``.error_comment`` when the peer sent one)."""

    def __init__(self, status: int, error_comment: str | None = None,
                 operation: str = "C-FIND") -> None:
        self.status = Status(status)
        self.error_comment = error_comment
        why = f" ({error_comment})" if error_comment else ""
        super().__init__(f"{operation} failed: 0x{int(status):04X} {self.status.meaning}{why}")


class MoveFailed(QueryFailed):
    """A C-MOVE (or C-GET) that failed: ``.status`` says why (0xA801 move destination
    unknown; 0xA702 the sub-operations could not be performed, e.g. the
    destination refused the association; ...), ``.error_comment`` the peer's
    words, ``.result`` the sub-operation counts so far."""

    def __init__(self, status: int, error_comment: str | None, result: "MoveResult",
                 operation: str = "C-MOVE") -> None:
        super().__init__(status, error_comment, operation)
        self.result = result


class MoveResult:
    """The final status of a C-MOVE and its sub-operation counts."""

    def __init__(self) -> None:
        self.status = Status(0)
        self.completed = self.failed = self.warning = self.remaining = 0
        self.failed_uids: list[str] = []

    def _update(self, cmd: Any) -> None:
        self.status = Status(cmd.get(0x0900, 0xC000))
        for attr, tag in (("remaining", 0x1020), ("completed", 0x1021), ("failed", 0x1022),
                          ("warning", 0x1023)):
            if tag in cmd:
                setattr(self, attr, int(cmd[tag]))

    def __repr__(self) -> str:
        return (f"<MoveResult 0x{int(self.status):04X} {self.status.meaning}: completed "
                f"{self.completed}, failed {self.failed}, warning {self.warning}>")


def _send_retrieve(assoc: Any, query: Any, models: dict, model: str, field: int,
                   operation: str, **fields: Any) -> tuple[int, str, int]:
    """Send a C-MOVE-RQ / C-GET-RQ; (context id, transfer syntax, message id)."""
    from dcmfast.net.assoc import NoPresentationContext

    abstract = models.get(model, model if model in models.values() else None)
    if abstract is None:
        raise ValueError(f"unknown {operation} model {model!r}: expected one of "
                         f"{', '.join(models)}")
    found = assoc._context_for(abstract)
    if found is None:
        raise NoPresentationContext(f"the peer did not accept the {model} {operation} model "
                                    f"({abstract})")
    ctx, ts = found
    msg_id = assoc._next_id()
    assoc.send_message(ctx, encode_command(
        AffectedSOPClassUID=abstract, CommandField=field, MessageID=msg_id, Priority=0,
        CommandDataSetType=0x0000, **fields), encode_identifier(query, ts))
    return ctx, ts, msg_id


def _retrieve_response(assoc: Any, result: MoveResult, cmd: Any, data: Any, ts: str,
                       msg_id: int, rsp_field: int, operation: str) -> bool:
    """Take one C-MOVE-RSP / C-GET-RSP into ``result``: False while pending,
    True at the end with success, warning or cancel; raises MoveFailed at a
    failure and aborts on anything unexpected."""
    from dcmfast.net.assoc import AssociationAborted

    if cmd.field != rsp_field or cmd.get(0x0120) != msg_id:
        assoc.abort()
        raise AssociationAborted(f"unexpected DIMSE message 0x{cmd.field:04X} during a "
                                 f"{operation}")
    result._update(cmd)
    if data:
        ident = decode_identifier(data, ts)
        failed = ident.get("FailedSOPInstanceUIDList") if ident is not None else None
        if failed:
            result.failed_uids = [failed] if isinstance(failed, str) else list(failed)
    if result.status in _PENDING:
        return False
    if result.status.category in ("Success", "Warning", "Cancel"):
        return True
    raise MoveFailed(result.status, _error_comment(cmd), result, operation)


def _next(assoc: Any, operation: str) -> tuple:
    from dcmfast.net.assoc import AssociationAborted

    got = assoc.receive_message(assoc.timeouts.dimse)
    if got is None:
        raise AssociationAborted(f"the peer released the association during a {operation}")
    return got


def move(assoc: Any, query: Any, destination: str, model: str = "study") -> MoveResult:
    """C-MOVE the instances matching ``query`` to the AE ``destination`` (which
    the peer must know); returns the :class:`MoveResult` when the move ended
    with success or a warning, raises :class:`MoveFailed` otherwise."""
    _, ts, msg_id = _send_retrieve(assoc, query, MOVE_MODELS, model, C_MOVE_RQ, "C-MOVE",
                                   MoveDestination=destination)
    result = MoveResult()
    while True:
        _, cmd, data = _next(assoc, "C-MOVE")
        if _retrieve_response(assoc, result, cmd, data, ts, msg_id, C_MOVE_RSP, "C-MOVE"):
            return result


def get(assoc: Any, query: Any, model: str = "study") -> Iterator[Any]:
    """C-GET the instances matching ``query``: the peer C-STOREs them over this
    association (on the storage contexts proposed with role selection, which
    ``ae.associate`` adds when it proposes a C-GET model). Yields each
    received instance as a Dataset (answering its C-STORE with success);
    raises :class:`MoveFailed` (operation "C-GET") with the peer's reason when
    the retrieve fails, after yielding what did arrive. ``.result`` of the
    generator's StopIteration is the :class:`MoveResult`."""
    _, ts, msg_id = _send_retrieve(assoc, query, GET_MODELS, model, C_GET_RQ, "C-GET")
    result = MoveResult()
    while True:
        cid, cmd, data = _next(assoc, "C-GET")
        if cmd.field == C_STORE_RQ:
            sop_class, inst = cmd.get(0x0002, ""), cmd.get(0x1000, "")
            status = 0x0000
            try:
                ds = decode_identifier(data or b"", assoc.contexts[cid][1])
            except ValueError:
                ds, status = None, 0xC000
            assoc.send_message(cid, encode_command(
                AffectedSOPClassUID=sop_class, CommandField=C_STORE_RSP,
                MessageIDBeingRespondedTo=cmd.get(0x0110, 0), CommandDataSetType=NO_DATA_SET,
                Status=status, AffectedSOPInstanceUID=inst))
            if ds is not None:
                yield ds
            continue
        if _retrieve_response(assoc, result, cmd, data, ts, msg_id, C_GET_RSP, "C-GET"):
            return result


def _model_uid(model: str) -> str:
    if model in FIND_MODELS:
        return FIND_MODELS[model]
    if model in FIND_MODELS.values():
        return model
    raise ValueError(f"unknown query model {model!r}: expected one of {', '.join(FIND_MODELS)}")


def encode_identifier(ds: Any, transfer_syntax: str) -> bytes:
    """The identifier data set's bytes in an (uncompressed) transfer syntax."""
    from dcmfast.filewriter import encode_dataset

    return encode_dataset(ds, transfer_syntax=transfer_syntax)


def decode_identifier(raw: bytes, transfer_syntax: str) -> Any:
    """A received identifier as a dcmfast Dataset."""
    from dcmfast import _parse
    from dcmfast.dataset import Dataset
    from dcmfast.filereader import _dictionary_arrays, _inflate

    sq, known = _dictionary_arrays()
    if transfer_syntax == "1.2.840.10008.1.2.1.99":  # deflated (PS3.5 A.5)
        raw = _inflate(raw, 0)
    table = _parse.tokenize(bytes(raw), little_endian=transfer_syntax != "1.2.840.10008.1.2.2",
                            implicit=transfer_syntax == _IMPLICIT_LE, stop=0, sq_tags=sq,
                            known_tags=known)
    return Dataset._from_tokens(table)


def find(assoc: Any, query: Any, model: str = "study") -> Iterator[Any]:
    """C-FIND ``query`` (a Dataset) on ``assoc``; yields each match."""
    from dcmfast.net.assoc import NoPresentationContext

    abstract = _model_uid(model)
    found = assoc._context_for(abstract)
    if found is None:
        raise NoPresentationContext(
            f"the peer did not accept the {model} C-FIND model ({abstract}); propose it with "
            f"ae.associate(..., contexts=[({abstract!r}, [...])])")
    ctx, ts = found
    msg_id = assoc._next_id()
    assoc.send_message(ctx, encode_command(
        AffectedSOPClassUID=abstract, CommandField=C_FIND_RQ, MessageID=msg_id, Priority=0,
        CommandDataSetType=0x0000), encode_identifier(query, ts))
    done = False
    try:
        while True:
            status, identifier, cmd = _next_response(assoc, msg_id, ts)
            if status in _PENDING:
                if identifier is not None:
                    yield identifier
                continue
            done = True
            if status in (0x0000, 0xFE00):
                return
            raise QueryFailed(status, _error_comment(cmd))
    finally:
        if not done and assoc.is_established:
            _cancel(assoc, ctx, msg_id, ts)


def _next_response(assoc: Any, msg_id: int, ts: str) -> tuple[int, Any, Any]:
    from dcmfast.net.assoc import AssociationAborted

    got = assoc.receive_message(assoc.timeouts.dimse)
    if got is None:
        raise AssociationAborted("the peer released the association during a C-FIND")
    _, cmd, data = got
    if cmd.field != C_FIND_RSP or cmd.get(0x0120) != msg_id:
        assoc.abort()
        raise AssociationAborted(f"unexpected DIMSE message 0x{cmd.field:04X} during a C-FIND")
    status = cmd.get(0x0900, 0xC000)
    identifier = decode_identifier(data, ts) if data else None
    return status, identifier, cmd


def _error_comment(cmd: Any) -> str | None:
    comment = cmd.get(0x0902)
    if isinstance(comment, bytes):
        comment = comment.decode("ascii", "replace").strip("\x00 ")
    return comment or None


def _cancel(assoc: Any, ctx: int, msg_id: int, ts: str) -> None:
    """C-CANCEL-RQ, then read responses until the final one."""
    assoc.send_message(ctx, encode_command(CommandField=C_CANCEL_RQ,
                                           MessageIDBeingRespondedTo=msg_id,
                                           CommandDataSetType=NO_DATA_SET))
    while True:
        status, _, _ = _next_response(assoc, msg_id, ts)
        if status not in _PENDING:
            return


def parse_keys(keys: list[str]) -> Any:
    """A query Dataset from findscu-style keys: ``Keyword=Value``, ``Keyword``
    (universal matching: empty), ``(gggg,eeee)=Value`` and sequence paths such
    as ``ScheduledProcedureStepSequence[0].Modality=CT``."""
    from dcmfast.dataset import Dataset
    from dcmfast.datadict import dictionary_VR, tag_for_keyword
    from dcmfast.sequence import Sequence

    ds = Dataset()
    for key in keys:
        path, _, value = key.partition("=")
        node = ds
        parts = path.strip().split(".")
        for depth, part in enumerate(parts):
            name, _, index = part.partition("[")
            tag = _tag_of(name.strip(), tag_for_keyword)
            vr = dictionary_VR(tag)
            last = depth == len(parts) - 1
            if vr == "SQ":
                item_no = int(index.rstrip("]")) if index else 0
                if tag not in node:
                    node.add_new(tag, "SQ", Sequence([]))
                seq = node[tag].value
                while len(seq) <= item_no and not (last and not value and not index):
                    seq.append(Dataset())
                if last:
                    break
                node = seq[item_no]
            else:
                if not last:
                    raise ValueError(f"{part!r} in {key!r} is not a sequence")
                vr = vr.split(" ")[0]
                node.add_new(tag, vr, _typed(vr, value) if value else None)
    return ds


def _typed(vr: str, value: str) -> Any:
    if vr in ("US", "SS", "UL", "SL", "UV", "SV"):
        return int(value)
    if vr in ("FL", "FD"):
        return float(value)
    return value


def _tag_of(name: str, tag_for_keyword: Any) -> int:
    if name.startswith("(") and name.endswith(")"):
        group, _, elem = name[1:-1].partition(",")
        return int(group, 16) << 16 | int(elem, 16)
    tag = tag_for_keyword(name)
    if tag is None:
        raise ValueError(f"unknown keyword {name!r}")
    return int(tag)
