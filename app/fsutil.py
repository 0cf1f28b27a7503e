"""Durable files shared by several processes: advisory locks and fsync of renames."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

try:  # flock is POSIX; elsewhere the thread lock alone still serialises one process
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

_thread_lock = threading.RLock()  # re-entrant: one thread may take two different locks


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Serialise a critical section between threads and between processes (advisory flock)."""
    with _thread_lock:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock


def fsync_path(path: Path) -> None:
    """Flush a file or directory to disk; a directory that cannot be opened is harmless."""
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
