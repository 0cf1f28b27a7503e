"""Check slots: how many uploads one process decodes at the same time.

Decoding an image or inflating a PDF's streams costs up to a second of CPU and tens of MB per
file. Queueing every upload behind the others would let a burst of large files hold memory and
request threads for as long as the burst lasts, so a check waits briefly for a slot and otherwise
refuses with 503 and Retry-After: the client tries again when the server is less busy.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.errors import DomainError, Msg


class UploadChecksBusy(DomainError):
    status = 503
    slug = "upload-checks-busy"
    title = Msg(
        "Server sedang sibuk memeriksa unggahan lain; coba lagi sebentar lagi",
        "The server is busy checking other uploads; try again shortly",
    )


class CheckSlots:
    """A bounded number of concurrent checks; a check waits at most ``wait_seconds`` for one."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._semaphore = threading.BoundedSemaphore(count)

    @contextmanager
    def held(self, *, wait_seconds: float) -> Iterator[None]:
        """Hold one slot for the block; UploadChecksBusy if none frees up within the wait."""
        if not self._semaphore.acquire(timeout=wait_seconds):
            retry = max(1, math.ceil(wait_seconds))
            raise UploadChecksBusy(
                detail=Msg(
                    f"Semua {self.count} slot pemeriksaan berkas sedang dipakai; "
                    f"unggah ulang dalam {retry} detik.",
                    f"All {self.count} file check slots are in use; "
                    f"upload again in {retry} seconds.",
                ),
                headers={"Retry-After": str(retry)},
            )
        try:
            yield
        finally:
            self._semaphore.release()


@functools.cache
def process_slots(count: int) -> CheckSlots:
    """The process's slots: the CPU and memory they guard belong to the process, not to one
    app instance (tests build several apps in one process and share them)."""
    return CheckSlots(count)
