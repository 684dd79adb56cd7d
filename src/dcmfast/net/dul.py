"""The DICOM Upper Layer state machine of PS3.8 section 9.2, as a pure table.

States Sta1..Sta13 (Table 9-1 ... 9-9 of PS3.8 9.2.1), events Evt1..Evt19
(Table 9-10's rows) and actions AE-1..AE-8, DT-1..DT-2, AR-1..AR-10,
AA-1..AA-8 (Tables 9-6 .. 9-9) carry the standard's labels. :data:`TABLE` maps
``(state, event)`` to an action; a pair missing from it is a cell the standard
leaves empty (not possible in that state). :func:`transition` gives the action
and the next state; the two actions whose next state depends on a condition
(AE-6: is the A-ASSOCIATE-RQ acceptable to the service provider; AR-8: is this
side the association requestor) take it as an argument.

No sockets here: :class:`Machine` only records the state and says which action
to run; the transport in :mod:`dcmfast.net.assoc` performs the actions (send a
PDU, start or stop the ARTIM timer, issue a primitive to the user, close).
"""
from __future__ import annotations

__all__ = ["STATES", "EVENTS", "ACTIONS", "TABLE", "transition", "Machine", "InvalidEvent"]

STATES = {
    "Sta1": "Idle",
    "Sta2": "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
    "Sta3": "Awaiting local A-ASSOCIATE response primitive (from local user)",
    "Sta4": "Awaiting transport connection opening to complete (from local transport service)",
    "Sta5": "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
    "Sta6": "Association established and ready for data transfer",
    "Sta7": "Awaiting A-RELEASE-RP PDU",
    "Sta8": "Awaiting local A-RELEASE response primitive (from local user)",
    "Sta9": "Release collision requestor side; awaiting A-RELEASE response (from local user)",
    "Sta10": "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
    "Sta11": "Release collision requestor side; awaiting A-RELEASE-RP PDU",
    "Sta12": "Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)",
    "Sta13": "Awaiting Transport Connection Close Indication (Association no longer exists)",
}

EVENTS = {
    "Evt1": "A-ASSOCIATE Request (local user)",
    "Evt2": "Transport Connect Confirm (local transport service)",
    "Evt3": "A-ASSOCIATE-AC PDU (received on transport connection)",
    "Evt4": "A-ASSOCIATE-RJ PDU (received on transport connection)",
    "Evt5": "Transport Connection Indication (local transport service)",
    "Evt6": "A-ASSOCIATE-RQ PDU (received on transport connection)",
    "Evt7": "A-ASSOCIATE response primitive (accept)",
    "Evt8": "A-ASSOCIATE response primitive (reject)",
    "Evt9": "P-DATA request primitive",
    "Evt10": "P-DATA-TF PDU",
    "Evt11": "A-RELEASE Request primitive",
    "Evt12": "A-RELEASE-RQ PDU (received on open transport connection)",
    "Evt13": "A-RELEASE-RP PDU (received on transport connection)",
    "Evt14": "A-RELEASE response primitive",
    "Evt15": "A-ABORT Request primitive",
    "Evt16": "A-ABORT PDU (received on open transport connection)",
    "Evt17": "Transport connection closed indication (local transport service)",
    "Evt18": "ARTIM timer expired (Association reject/release timer)",
    "Evt19": "Unrecognized or invalid PDU received",
}

#: action -> (what it does, next state); next state None: decided by a condition
ACTIONS = {
    "AE-1": ("Issue TRANSPORT CONNECT request primitive to local transport service", "Sta4"),
    "AE-2": ("Send A-ASSOCIATE-RQ-PDU", "Sta5"),
    "AE-3": ("Issue A-ASSOCIATE confirmation (accept) primitive", "Sta6"),
    "AE-4": ("Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection", "Sta1"),
    "AE-5": ("Issue Transport connection response primitive; start ARTIM timer", "Sta2"),
    "AE-6": ("Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue "
             "A-ASSOCIATE indication primitive (next state Sta3); otherwise issue "
             "A-ASSOCIATE-RJ-PDU and start ARTIM timer (next state Sta13)", None),
    "AE-7": ("Send A-ASSOCIATE-AC PDU", "Sta6"),
    "AE-8": ("Send A-ASSOCIATE-RJ PDU and start ARTIM timer", "Sta13"),
    "DT-1": ("Send P-DATA-TF PDU", "Sta6"),
    "DT-2": ("Send P-DATA indication primitive", "Sta6"),
    "AR-1": ("Send A-RELEASE-RQ PDU", "Sta7"),
    "AR-2": ("Issue A-RELEASE indication primitive", "Sta8"),
    "AR-3": ("Issue A-RELEASE confirmation primitive, and close transport connection", "Sta1"),
    "AR-4": ("Issue A-RELEASE-RP PDU and start ARTIM timer", "Sta13"),
    "AR-5": ("Stop ARTIM timer", "Sta1"),
    "AR-6": ("Issue P-DATA indication", "Sta7"),
    "AR-7": ("Issue P-DATA-TF PDU", "Sta8"),
    "AR-8": ("Issue A-RELEASE indication (release collision): if association-requestor, next "
             "state is Sta9, if not next state is Sta10", None),
    "AR-9": ("Send A-RELEASE-RP PDU", "Sta11"),
    "AR-10": ("Issue A-RELEASE confirmation primitive", "Sta12"),
    "AA-1": ("Send A-ABORT PDU (service-user source) and start (or restart if already started) "
             "ARTIM timer", "Sta13"),
    "AA-2": ("Stop ARTIM timer if running. Close transport connection", "Sta1"),
    "AA-3": ("If (service-user initiated abort): issue A-ABORT indication and close transport "
             "connection; otherwise (service-provider initiated abort): issue A-P-ABORT "
             "indication and close transport connection", "Sta1"),
    "AA-4": ("Issue A-P-ABORT indication primitive", "Sta1"),
    "AA-5": ("Stop ARTIM timer", "Sta1"),
    "AA-6": ("Ignore PDU", "Sta13"),
    "AA-7": ("Send A-ABORT PDU", "Sta13"),
    "AA-8": ("Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and "
             "start ARTIM timer", "Sta13"),
}


def _row(event: str, cells: str) -> dict:
    """One row of PS3.8 Table 9-10: 13 cells for Sta1..Sta13, '-' for empty."""
    out = {}
    for i, cell in enumerate(cells.split()):
        if cell != "-":
            out[(f"Sta{i + 1}", event)] = cell
    assert len(cells.split()) == 13, event
    return out


#: PS3.8 Table 9-10, row by row (columns Sta1 .. Sta13)
TABLE: dict[tuple[str, str], str] = {}
for _event, _cells in [
    ("Evt1", "AE-1 -    -    -    -    -    -    -    -    -     -    -    -"),
    ("Evt2", "-    -    -    AE-2 -    -    -    -    -    -     -    -    -"),
    ("Evt3", "-    AA-1 AA-8 -    AE-3 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8 AA-8 AA-6"),
    ("Evt4", "-    AA-1 AA-8 -    AE-4 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8 AA-8 AA-6"),
    ("Evt5", "AE-5 -    -    -    -    -    -    -    -    -     -    -    -"),
    ("Evt6", "-    AE-6 AA-8 -    AA-8 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8 AA-8 AA-7"),
    ("Evt7", "-    -    AE-7 -    -    -    -    -    -    -     -    -    -"),
    ("Evt8", "-    -    AE-8 -    -    -    -    -    -    -     -    -    -"),
    ("Evt9", "-    -    -    -    -    DT-1 -    AR-7 -    -     -    -    -"),
    ("Evt10", "-    AA-1 AA-8 -    AA-8 DT-2 AR-6 AA-8 AA-8 AA-8  AA-8 AA-8 AA-6"),
    ("Evt11", "-    -    -    -    -    AR-1 -    -    -    -     -    -    -"),
    ("Evt12", "-    AA-1 AA-8 -    AA-8 AR-2 AR-8 AA-8 AA-8 AA-8  AA-8 AA-8 AA-6"),
    ("Evt13", "-    AA-1 AA-8 -    AA-8 AA-8 AR-3 AA-8 AA-8 AR-10 AR-3 AA-8 AA-6"),
    ("Evt14", "-    -    -    -    -    -    -    AR-4 AR-9 -     -    AR-4 -"),
    ("Evt15", "-    -    AA-1 AA-2 AA-1 AA-1 AA-1 AA-1 AA-1 AA-1  AA-1 AA-1 -"),
    ("Evt16", "-    AA-2 AA-3 -    AA-3 AA-3 AA-3 AA-3 AA-3 AA-3  AA-3 AA-3 AA-2"),
    ("Evt17", "-    AA-5 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4  AA-4 AA-4 AR-5"),
    ("Evt18", "-    AA-2 -    -    -    -    -    -    -    -     -    -    AA-2"),
    ("Evt19", "-    AA-1 AA-8 -    AA-8 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8 AA-8 AA-7"),
]:
    TABLE.update(_row(_event, _cells))
del _event, _cells

#: the event a received PDU type raises
PDU_EVENTS = {1: "Evt6", 2: "Evt3", 3: "Evt4", 4: "Evt10", 5: "Evt12", 6: "Evt13", 7: "Evt16"}


class InvalidEvent(RuntimeError):
    """An event in a state where PS3.8 Table 9-10 has no entry."""


def transition(state: str, event: str, *, acceptable: bool = True,
               requestor: bool = True) -> tuple[str, str]:
    """``(action, next_state)`` for ``event`` in ``state``.

    ``acceptable`` decides AE-6 (Sta3 if the A-ASSOCIATE-RQ is acceptable to
    the service provider, else Sta13 after an A-ASSOCIATE-RJ); ``requestor``
    decides AR-8 (Sta9 for the association requestor, else Sta10). Raises
    :class:`InvalidEvent` for an empty cell.
    """
    try:
        action = TABLE[(state, event)]
    except KeyError:
        if state not in STATES or event not in EVENTS:
            raise ValueError(f"unknown state or event: {state}, {event}") from None
        raise InvalidEvent(f"{event} ({EVENTS[event]}) is not possible in {state} "
                           f"({STATES[state]})") from None
    nxt = ACTIONS[action][1]
    if action == "AE-6":
        nxt = "Sta3" if acceptable else "Sta13"
    elif action == "AR-8":
        nxt = "Sta9" if requestor else "Sta10"
    return action, nxt


class Machine:
    """The state of one association's upper layer. :meth:`event` moves it and
    returns the action the transport must perform."""

    __slots__ = ("state", "requestor", "history")

    def __init__(self, requestor: bool, keep_history: bool = False) -> None:
        self.state = "Sta1"
        self.requestor = requestor
        self.history: list | None = [] if keep_history else None

    def event(self, event: str, *, acceptable: bool = True) -> str:
        action, nxt = transition(self.state, event, acceptable=acceptable, requestor=self.requestor)
        if self.history is not None:
            self.history.append((self.state, event, action, nxt))
        self.state = nxt
        return action
