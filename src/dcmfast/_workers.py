"""Worker processes for the pylibjpeg plugins, which hold the GIL.

pylibjpeg-libjpeg and pylibjpeg-openjpeg decode with the GIL held, so two
threads decode no faster than one. Frames are instead sent to a small pool of
worker processes (kept for the life of the process) which decode straight
into one shared-memory array; the parent copies that array into the caller's
once. On Linux the workers are forked: forkserver and spawn would re-import
the caller's __main__ module in every worker (running an unguarded script
again, and failing outright for ``python -c`` or stdin); the pool is created
from the thread that first needs it and its workers only run pure decoding.
"""
from __future__ import annotations

import atexit
import sys
import multiprocessing as mp
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import shared_memory
from typing import Any

import numpy as np

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _get_pool(n: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < n:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            _pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx)
            _pool_size = n
        return _pool


@atexit.register
def _shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def _decode_chunk(info: Any, jobs: list[tuple[int, int, bytes]], shm_name: str,
                  shape: tuple[int, ...], dtype: str) -> list[tuple[int, str]]:
    """In a worker: decode each (slot, frame index, encoded bytes) into slot."""
    from dcmfast.pixels import _decode_plugin

    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        arr = np.ndarray(shape, dtype=np.dtype(dtype), buffer=shm.buf)
        out = []
        for slot, index, src in jobs:
            out.append((slot, _decode_plugin(info, src, arr[slot], index)))
        del arr
        return out
    finally:
        shm.close()


def decode_frames(plan: Any, indices: list[int], frames_out: np.ndarray, n: int) -> list[str]:
    """Decode ``indices`` of ``plan`` into ``frames_out`` on ``n`` processes."""
    pool = _get_pool(n)
    nbytes = max(frames_out.nbytes, 1)
    shm = shared_memory.SharedMemory(create=True, size=nbytes)
    try:
        shared = np.ndarray(frames_out.shape, dtype=frames_out.dtype, buffer=shm.buf)
        # two tasks per worker: balances frames of uneven cost, few round trips
        tasks = max(1, min(len(indices), 2 * n))
        chunks: list[list[tuple[int, int, bytes]]] = [[] for _ in range(tasks)]
        for slot, index in enumerate(indices):
            frags = plan.fragments[index]
            src = bytes(frags[0]) if len(frags) == 1 else b"".join(frags)
            chunks[slot * tasks // len(indices)].append((slot, index, src))
        futures = [pool.submit(_decode_chunk, plan.info, jobs, shm.name, frames_out.shape,
                               frames_out.dtype.str) for jobs in chunks if jobs]
        spaces = [""] * len(indices)
        for fut in futures:
            for slot, space in fut.result():
                spaces[slot] = space
        np.copyto(frames_out, shared)
        del shared
        return spaces
    finally:
        shm.close()
        shm.unlink()
