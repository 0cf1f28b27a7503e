"""Uploaded files on disk, under random keys that never contain user input.

Layout: ``root/ab/ab12...`` (two-character fan-out, then a uuid4 hex) and ``root/tmp/`` for files
still being received or inspected. ``tmp`` is inside ``root`` so that committing is a rename on
one filesystem, which is atomic: a reader sees either no file or the complete file.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from pathlib import Path

from app.fsutil import fsync_path

_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{32})")
_DIR_MODE = 0o700
_FILE_MODE = 0o600


class FileStore:
    """Stores uploaded files by generated key; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.tmp_dir = self.root / "tmp"
        # Documents hold personal data: only the service account may list or read them.
        self.root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        self.tmp_dir.mkdir(mode=_DIR_MODE, exist_ok=True)

    def new_key(self) -> str:
        """A fresh random key such as ``"3f/3fa9...c1"``."""
        hex_id = uuid.uuid4().hex
        return f"{hex_id[:2]}/{hex_id}"

    def temp_path(self) -> Path:
        """Create an empty private temp file inside ``root/tmp`` and return its path."""
        path = self.tmp_dir / f"{uuid.uuid4().hex}.part"
        # Created here with 0600 and O_EXCL, so a later open(path, "wb") keeps the private mode.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        os.close(fd)
        return path

    def commit(self, temp: Path, key: str) -> None:
        """Move a finished temp file to ``key`` atomically and durably."""
        temp = self._checked_temp(temp)
        target = self.path(key)
        if target.exists():
            raise FileExistsError(f"file store key already in use: {key}")
        target.parent.mkdir(mode=_DIR_MODE, exist_ok=True)
        fsync_path(temp)
        os.replace(temp, target)
        # The rename itself is only durable once the directory entry is flushed.
        fsync_path(target.parent)

    def put_bytes(self, data: bytes, *, key: str | None = None) -> str:
        """Store ``data`` under ``key`` (a new one by default), atomically; returns the key."""
        temp = self.temp_path()
        try:
            temp.write_bytes(data)
            key = key or self.new_key()
            self.commit(temp, key)
        except BaseException:
            self.discard(temp)
            raise
        return key

    def path(self, key: str) -> Path:
        """The file's path for a valid key; ValueError for anything else."""
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None or not match.group(2).startswith(match.group(1)):
            raise ValueError("invalid file store key")
        return self.root / key

    def delete(self, key: str) -> None:
        """Remove a committed file; a missing file is not an error."""
        self.path(key).unlink(missing_ok=True)

    def sweep_temp(self, *, older_than_seconds: float) -> int:
        """Remove temp files a stopped process left half-received (an upload cut off by a
        crash); returns how many. A live upload's temp file is younger than any sensible age."""
        limit = time.time() - older_than_seconds
        removed = 0
        for temp in self.tmp_dir.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if temp.stat().st_mtime < limit:
                    temp.unlink()
                    removed += 1
        return removed

    def discard(self, temp: Path) -> None:
        """Remove a temp file; a missing file is not an error."""
        self._checked_temp(temp).unlink(missing_ok=True)

    def _checked_temp(self, temp: Path) -> Path:
        # Only files this store handed out may be moved or removed through it.
        temp = Path(temp)
        if temp.parent.resolve() != self.tmp_dir or not re.fullmatch(
            r"[0-9a-f]{32}\.part", temp.name
        ):
            raise ValueError("not a temp file of this file store")
        return self.tmp_dir / temp.name
