"""Networking speed on loopback: dcmfast against DCMTK (TCP_NODELAY=1), as a
plain script (not pytest-benchmark, so it needs no fixtures):

    python benchmarks/net_speed.py [--slices 300] [--echoes 5000] [--repeat 3]

Prints medians of ``--repeat`` runs: C-ECHO/s in one association, associate +
C-ECHO + release per second, and C-STORE of N CT slices (512x512 int16,
explicit LE) in one association for every pair of SCU and SCP. DCMTK times
are the wall time of the tool's process; dcmfast SCU times are in-process
(associate .. release). The dcmfast SCP runs as `dcmfast serve` in its own
process, with fsync (the durable default) and with --no-fsync (storescp does
not fsync)."""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from dcmfast import net  # noqa: E402

ENV = dict(os.environ, TCP_NODELAY="1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"peer exited: {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(port)


class Peer:
    def __init__(self, kind: str, out: str, fsync: bool = True):
        self.port = free_port()
        os.makedirs(out, exist_ok=True)
        if kind == "storescp":
            cmd = ["/usr/bin/storescp", "-aet", "SCP", "-od", out, "-pdu", "16384", str(self.port)]
        else:
            cmd = [sys.executable, "-m", "dcmfast", "serve", "--port", str(self.port), "--aet", "SCP",
                   "--storage", out, "--host", "127.0.0.1"] + ([] if fsync else ["--no-fsync"])
        self.proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slices", type=int, default=300)
    ap.add_argument("--echoes", type=int, default=5000)
    ap.add_argument("--assocs", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="dcmfast-net-bench-")
    try:
        from tests.series_gen import write_big

        src = os.path.join(work, "ct")
        series = write_big(src, n=args.slices)
        files = [str(f) for f in series.files]
        size = sum(os.path.getsize(f) for f in files) / len(files)
        print(f"{len(files)} CT slices of {size / 1024:.0f} KB; {args.echoes} echoes; medians of {args.repeat}")
        ae = net.AE("BENCH")
        results = {}

        def med(name, values, unit, per):
            v = statistics.median(values)
            results[name] = per / v
            print(f"  {name:<44} {per / v:10.0f} {unit}   ({v:.3f} s)")

        print("C-ECHO in one association:")
        for scp in ("storescp", "dcmfast"):
            peer = Peer(scp, os.path.join(work, "echo-" + scp))
            try:
                med(f"echoscu --repeat -> {scp}", [timed(lambda: run(
                    ["/usr/bin/echoscu", "-aec", "SCP", "--repeat", str(args.echoes), "127.0.0.1",
                     str(peer.port)])) for _ in range(args.repeat)], "echo/s", args.echoes)

                def ours():
                    with ae.associate("127.0.0.1", peer.port, ae_title="SCP") as a:
                        for _ in range(args.echoes):
                            a.echo()
                med(f"dcmfast -> {scp}", [timed(ours) for _ in range(args.repeat)], "echo/s",
                    args.echoes)

                def assoc_echo():
                    for _ in range(args.assocs):
                        with ae.associate("127.0.0.1", peer.port, ae_title="SCP",
                                          contexts=[("1.2.840.10008.1.1", ["1.2.840.10008.1.2"])]) as a:
                            a.echo()
                med(f"dcmfast associate+echo+release -> {scp}",
                    [timed(assoc_echo) for _ in range(args.repeat)], "assoc/s", args.assocs)
            finally:
                peer.stop()

        print(f"C-STORE of {len(files)} CT slices in one association:")
        for scp, fsync in (("storescp", False), ("dcmfast", False), ("dcmfast", True)):
            label = scp + ("" if scp == "storescp" else (" (fsync)" if fsync else " (no fsync)"))
            for scu in ("storescu", "dcmfast"):
                times = []
                for r in range(args.repeat):
                    out = os.path.join(work, f"out-{scp}-{fsync}-{scu}-{r}")
                    peer = Peer(scp, out, fsync)
                    try:
                        if scu == "storescu":
                            times.append(timed(lambda: run(
                                ["/usr/bin/storescu", "-aec", "SCP", "127.0.0.1", str(peer.port)]
                                + files)))
                        else:
                            def ours():
                                with ae.associate("127.0.0.1", peer.port, ae_title="SCP",
                                                  for_files=files[:1]) as a:
                                    for f in files:
                                        if a.store(f) != 0:
                                            raise RuntimeError(f)
                            times.append(timed(ours))
                        n = len(os.listdir(out))
                        assert n == len(files), (label, scu, n)
                    finally:
                        peer.stop()
                    shutil.rmtree(out, ignore_errors=True)
                med(f"{scu} -> {label}", times, "img/s", len(files))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
