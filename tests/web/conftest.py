"""A real Orthanc (with its DICOMweb plugin) for the web tests.

Started once per test session on a free loopback port, with a configuration
written to a temporary folder (see ../shared/PEERS.md and orthanc.py), ready
when ``GET /system`` answers (bounded wait), stopped by PID at the end. The
tests are skipped only when /usr/sbin/Orthanc is not installed.
"""
from __future__ import annotations

import pytest

from tests.web.orthanc import start_orthanc


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A running Orthanc + DICOMweb; ``.url`` is the DICOMweb root."""
    server = start_orthanc(str(tmp_path_factory.mktemp("orthanc")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(orthanc):
    from dcmfast.web import Client

    with Client(orthanc.url, timeout=60) as c:
        yield c
