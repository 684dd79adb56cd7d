"""The transport: scatter-gather sends that the kernel takes in pieces, PDUs
framed from arbitrary receive boundaries, and a data set streamed to its sink
PDV by PDV (never held whole)."""
from __future__ import annotations

import os
import socket
import threading

from dcmfast import _net, net
from dcmfast.net import storage
from dcmfast.net.assoc import Transport

from tests.net.conftest import _testdata


def test_send_iov_survives_partial_sends():
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    data = os.urandom(3_000_000)
    parts = _net.frame_message_iov(1, b"c" * 50, data, 16384)
    expected = b"".join(bytes(p) for p in parts)
    got = bytearray()

    def reader():
        b.settimeout(10)
        while len(got) < len(expected):
            chunk = b.recv(7000)
            if not chunk:
                break
            got.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    try:
        tr = Transport(a, 16384)
        tr.send_iov(parts, 10)
        t.join(10)
        assert bytes(got) == expected
    finally:
        a.close()
        b.close()


def test_recv_pdu_from_byte_by_byte_arrival():
    a, b = socket.socketpair()
    try:
        msg = bytes(_net.encode_message(3, b"x" * 40, b"y" * 100, 64))
        tr = Transport(b, 1 << 20)

        def writer():
            for i in range(len(msg)):
                a.send(msg[i:i + 1])

        t = threading.Thread(target=writer)
        t.start()
        got = []
        while sum(len(p) for p in got) < len(msg):
            got.append(bytes(tr.recv_pdu(5)))
        t.join(5)
        assert b"".join(got) == msg
        assert all(p[0] == 4 and len(p) <= 70 for p in got)
    finally:
        a.close()
        b.close()


def test_data_set_streams_to_the_file_pdv_by_pdv(tmp_path, monkeypatch, scu):
    sizes = []
    real = storage.StorageSink.write

    def spy(self, mv):
        sizes.append(len(mv))
        return real(self, mv)

    monkeypatch.setattr(storage.StorageSink, "write", spy)
    srv = net.AE("SMALL", max_pdu=16384).start_server(0, storage_dir=str(tmp_path))
    try:
        src = _testdata("CT_small.dcm")
        with scu.associate("127.0.0.1", srv.port, for_files=[src]) as assoc:
            assert assoc.peer_max_pdu == 16384
            assert assoc.store(src) == 0
    finally:
        srv.shutdown()
    assert len(sizes) > 2 and max(sizes) <= 16384 - 6
    from tests.net.conftest import dataset_bytes

    assert sum(sizes) == len(dataset_bytes(src)[1])
