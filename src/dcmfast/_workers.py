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


def decode_file_frame(info: Any, job: tuple, out: np.ndarray) -> str:
    """Decode frame ``job[3]`` of the encapsulated Pixel Data value at
    (``job[1]``, length ``job[2]``) of file ``job[0]`` into ``out``. The file
    is read here, so a worker process receives a path, not the bytes."""
    import os

    from dcmfast.errors import PixelDataError
    from dcmfast.pixels import _decode_plugin, get_frame_fragments

    path, offset, length, frame, nframes = job
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.pread(fd, length, offset)
    finally:
        os.close(fd)
    try:
        frags = get_frame_fragments(data, nframes)[frame]
    except IndexError:
        raise PixelDataError(f"{path}: frame {frame} not found in the pixel data",
                             frame=frame) from None
    except PixelDataError as exc:
        raise PixelDataError(f"{path}: {exc}", frame=frame) from None
    src = bytes(frags[0]) if len(frags) == 1 else b"".join(frags)
    try:
        return _decode_plugin(info, src, out, frame)
    except PixelDataError as exc:
        raise PixelDataError(f"{path}: {exc}", frame=frame) from None


def _decode_file_chunk(info: Any, jobs: list[tuple], shm_name: str, shape: tuple[int, ...],
                       dtype: str) -> list[int]:
    """In a worker: decode each job (slot, path, offset, length, frame, frames)
    into the next frame of the chunk's shared memory."""
    import warnings

    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        arr = np.ndarray(shape, dtype=np.dtype(dtype), buffer=shm.buf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, job in enumerate(jobs):
                decode_file_frame(info, job[1:], arr[i])
        del arr
        return [job[0] for job in jobs]
    finally:
        shm.close()


def decode_file_frames(info: Any, jobs: list[tuple], n: int, done: Any) -> None:
    """Decode frames of many files on ``n`` worker processes. Each task
    decodes a few frames into its own small shared-memory block, and
    ``done(slots, frames)`` receives them in the parent as tasks finish, so
    at most a few blocks exist at a time (no second copy of the volume)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pool = _get_pool(n)
    shape = tuple(info.frame_shape())
    dtype = np.dtype(info.dtype)
    frame_bytes = max(int(np.prod(shape)) * dtype.itemsize, 1)
    per_task = max(1, min(8, len(jobs) // (4 * n) or 1))
    chunks = [jobs[i:i + per_task] for i in range(0, len(jobs), per_task)]
    pending: dict = {}
    it = iter(chunks)

    def submit() -> bool:
        chunk = next(it, None)
        if chunk is None:
            return False
        shm = shared_memory.SharedMemory(create=True, size=frame_bytes * len(chunk))
        fut = pool.submit(_decode_file_chunk, info, chunk, shm.name,
                          (len(chunk),) + shape, dtype.str)
        pending[fut] = (shm, len(chunk))
        return True

    try:
        for _ in range(2 * n):
            if not submit():
                break
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                shm, count = pending.pop(fut)
                try:
                    slots = fut.result()
                    frames = np.ndarray((count,) + shape, dtype=dtype, buffer=shm.buf)
                    done(slots, frames)
                    del frames
                finally:
                    shm.close()
                    shm.unlink()
                submit()
    finally:
        for fut, (shm, _count) in pending.items():
            fut.cancel()
            try:
                fut.result()
            except BaseException:  # noqa: BLE001 - already failing
                pass
            shm.close()
            shm.unlink()
