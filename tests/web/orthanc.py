"""Start and stop a real Orthanc (with its DICOMweb plugin), for tests and benchmarks.

Started once per test session on a free loopback port, with a configuration
written to a temporary folder (see ../shared/PEERS.md), ready when ``GET
/system`` answers (bounded wait), stopped by PID at the end. The tests are
skipped only when /usr/sbin/Orthanc is not installed.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

ORTHANC = "/usr/sbin/Orthanc"
PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as r:
            return r.status == 200
    except OSError:
        return False


class OrthancServer:
    def __init__(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.port = _free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.root}/dicom-web"
        config = {
            "Name": "dcmfast-test-orthanc",
            "StorageDirectory": os.path.join(folder, "db"),
            "IndexDirectory": os.path.join(folder, "db"),
            "Plugins": [PLUGIN],
            "HttpServerEnabled": True, "HttpPort": self.port, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False, "DicomServerEnabled": False,
            "SaveJobs": False, "StorageCompression": False,
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True,
                         "WadoRoot": "/wado"},
        }
        self.config = os.path.join(folder, "orthanc.json")
        with open(self.config, "w") as f:
            json.dump(config, f)
        self.log = os.path.join(folder, "orthanc.log")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, TCP_NODELAY="1")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([ORTHANC, self.config], stdout=log, stderr=subprocess.STDOUT,
                                         env=env, cwd=self.folder)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Orthanc exited with {self.proc.returncode}:\n{self.log_tail()}")
            if _answers(self.root + "/system"):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        try:
            with open(self.log, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_orthanc(folder: str) -> OrthancServer:
    if not os.path.exists(ORTHANC):
        pytest.skip(f"Orthanc is not installed ({ORTHANC} missing; "
                    "apt-get install orthanc orthanc-dicomweb)")
    for attempt in range(3):  # the free port may be taken meanwhile by another process
        server = OrthancServer(os.path.join(folder, f"run{attempt}"))
        try:
            server.start()
            return server
        except RuntimeError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
