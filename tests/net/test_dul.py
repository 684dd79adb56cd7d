"""The upper-layer state machine (PS3.8 9.2, Table 9-10), every (state, event)
pair, without sockets. The expectation below is transcribed state by state
(the table's columns), independently of the row-wise table in dul.py."""
from __future__ import annotations

import pytest

from dcmfast.net import dul

# PS3.8 Table 9-10, column by column: state -> {event: action}
EXPECTED = {
    "Sta1": {"Evt1": "AE-1", "Evt5": "AE-5"},
    "Sta2": {"Evt3": "AA-1", "Evt4": "AA-1", "Evt6": "AE-6", "Evt10": "AA-1", "Evt12": "AA-1",
             "Evt13": "AA-1", "Evt16": "AA-2", "Evt17": "AA-5", "Evt18": "AA-2", "Evt19": "AA-1"},
    "Sta3": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt7": "AE-7", "Evt8": "AE-8",
             "Evt10": "AA-8", "Evt12": "AA-8", "Evt13": "AA-8", "Evt15": "AA-1", "Evt16": "AA-3",
             "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta4": {"Evt2": "AE-2", "Evt15": "AA-2", "Evt17": "AA-4"},
    "Sta5": {"Evt3": "AE-3", "Evt4": "AE-4", "Evt6": "AA-8", "Evt10": "AA-8", "Evt12": "AA-8",
             "Evt13": "AA-8", "Evt15": "AA-1", "Evt16": "AA-3", "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta6": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt9": "DT-1", "Evt10": "DT-2",
             "Evt11": "AR-1", "Evt12": "AR-2", "Evt13": "AA-8", "Evt15": "AA-1", "Evt16": "AA-3",
             "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta7": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt10": "AR-6", "Evt12": "AR-8",
             "Evt13": "AR-3", "Evt15": "AA-1", "Evt16": "AA-3", "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta8": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt9": "AR-7", "Evt10": "AA-8",
             "Evt12": "AA-8", "Evt13": "AA-8", "Evt14": "AR-4", "Evt15": "AA-1", "Evt16": "AA-3",
             "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta9": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt10": "AA-8", "Evt12": "AA-8",
             "Evt13": "AA-8", "Evt14": "AR-9", "Evt15": "AA-1", "Evt16": "AA-3", "Evt17": "AA-4",
             "Evt19": "AA-8"},
    "Sta10": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt10": "AA-8", "Evt12": "AA-8",
              "Evt13": "AR-10", "Evt15": "AA-1", "Evt16": "AA-3", "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta11": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt10": "AA-8", "Evt12": "AA-8",
              "Evt13": "AR-3", "Evt15": "AA-1", "Evt16": "AA-3", "Evt17": "AA-4", "Evt19": "AA-8"},
    "Sta12": {"Evt3": "AA-8", "Evt4": "AA-8", "Evt6": "AA-8", "Evt10": "AA-8", "Evt12": "AA-8",
              "Evt13": "AA-8", "Evt14": "AR-4", "Evt15": "AA-1", "Evt16": "AA-3", "Evt17": "AA-4",
              "Evt19": "AA-8"},
    "Sta13": {"Evt3": "AA-6", "Evt4": "AA-6", "Evt6": "AA-7", "Evt10": "AA-6", "Evt12": "AA-6",
              "Evt13": "AA-6", "Evt16": "AA-2", "Evt17": "AR-5", "Evt18": "AA-2", "Evt19": "AA-7"},
}

# PS3.8 9.2.2 action tables: next state of each action
NEXT = {"AE-1": "Sta4", "AE-2": "Sta5", "AE-3": "Sta6", "AE-4": "Sta1", "AE-5": "Sta2",
        "AE-7": "Sta6", "AE-8": "Sta13", "DT-1": "Sta6", "DT-2": "Sta6", "AR-1": "Sta7",
        "AR-2": "Sta8", "AR-3": "Sta1", "AR-4": "Sta13", "AR-5": "Sta1", "AR-6": "Sta7",
        "AR-7": "Sta8", "AR-9": "Sta11", "AR-10": "Sta12", "AA-1": "Sta13", "AA-2": "Sta1",
        "AA-3": "Sta1", "AA-4": "Sta1", "AA-5": "Sta1", "AA-6": "Sta13", "AA-7": "Sta13",
        "AA-8": "Sta13"}

STATES = [f"Sta{i}" for i in range(1, 14)]
EVENTS = [f"Evt{i}" for i in range(1, 20)]


def test_labels_are_the_standards():
    assert list(dul.STATES) == STATES
    assert list(dul.EVENTS) == EVENTS
    assert sorted(dul.ACTIONS) == sorted(
        [f"AE-{i}" for i in range(1, 9)] + ["DT-1", "DT-2"] + [f"AR-{i}" for i in range(1, 11)]
        + [f"AA-{i}" for i in range(1, 9)])


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_every_state_event_pair(state, event):
    expected = EXPECTED[state].get(event)
    if expected is None:
        with pytest.raises(dul.InvalidEvent):
            dul.transition(state, event)
        return
    for requestor in (True, False):
        for acceptable in (True, False):
            action, nxt = dul.transition(state, event, acceptable=acceptable, requestor=requestor)
            assert action == expected
            if action == "AE-6":
                assert nxt == ("Sta3" if acceptable else "Sta13")
            elif action == "AR-8":
                assert nxt == ("Sta9" if requestor else "Sta10")
            else:
                assert nxt == NEXT[action]


def test_table_has_exactly_the_standards_cells():
    assert len(dul.TABLE) == sum(len(v) for v in EXPECTED.values())


def test_unknown_labels():
    with pytest.raises(ValueError):
        dul.transition("Sta14", "Evt1")
    with pytest.raises(ValueError):
        dul.transition("Sta1", "Evt20")


def test_agrees_with_pynetdicom_when_installed():
    fsm = pytest.importorskip("pynetdicom.fsm")
    theirs = {(s, e): a for (e, s), a in fsm.TRANSITION_TABLE.items()}
    assert theirs == dul.TABLE


def _run(requestor, events, **kw):
    m = dul.Machine(requestor, keep_history=True)
    actions = [m.event(e, **kw) for e in events]
    return m, actions


def test_requestor_lifecycle():
    m, actions = _run(True, ["Evt1", "Evt2", "Evt3", "Evt9", "Evt10", "Evt11", "Evt13"])
    assert actions == ["AE-1", "AE-2", "AE-3", "DT-1", "DT-2", "AR-1", "AR-3"]
    assert m.state == "Sta1"


def test_acceptor_lifecycle_and_rejection():
    m, actions = _run(False, ["Evt5", "Evt6", "Evt7", "Evt10", "Evt9", "Evt12", "Evt14", "Evt17"])
    assert actions == ["AE-5", "AE-6", "AE-7", "DT-2", "DT-1", "AR-2", "AR-4", "AR-5"]
    assert m.state == "Sta1"
    m, actions = _run(False, ["Evt5", "Evt6", "Evt18"], acceptable=False)
    assert actions == ["AE-5", "AE-6", "AA-2"]
    m, actions = _run(False, ["Evt5", "Evt6", "Evt8", "Evt17"])
    assert actions == ["AE-5", "AE-6", "AE-8", "AR-5"]


def test_release_collision_both_sides():
    # requestor: sent RQ, receives RQ -> Sta9, answers RP -> Sta11, gets RP -> Sta1
    m, actions = _run(True, ["Evt1", "Evt2", "Evt3", "Evt11", "Evt12", "Evt14", "Evt13"])
    assert actions[-3:] == ["AR-8", "AR-9", "AR-3"] and m.state == "Sta1"
    # acceptor: sent RQ, receives RQ -> Sta10, gets RP -> Sta12, answers RP -> Sta13
    m, actions = _run(False, ["Evt5", "Evt6", "Evt7", "Evt11", "Evt12", "Evt13", "Evt14", "Evt17"])
    assert actions[-4:] == ["AR-8", "AR-10", "AR-4", "AR-5"]
    assert [h[3] for h in m.history[-4:]] == ["Sta10", "Sta12", "Sta13", "Sta1"]


def test_abort_paths():
    m, actions = _run(True, ["Evt1", "Evt2", "Evt3", "Evt16"])
    assert actions[-1] == "AA-3" and m.state == "Sta1"
    m, actions = _run(True, ["Evt1", "Evt2", "Evt3", "Evt19", "Evt17"])
    assert actions[-2:] == ["AA-8", "AR-5"]
    m, actions = _run(True, ["Evt1", "Evt2", "Evt3", "Evt15", "Evt10", "Evt18"])
    assert actions[-3:] == ["AA-1", "AA-6", "AA-2"]
