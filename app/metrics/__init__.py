"""Prometheus metrics: where each process keeps its values (this module), the instruments
(``app.metrics.instruments``) and the exposition of /metrics (``app.http.metrics``).

`loket serve` runs several worker processes, and a scrape reaches one of them: in
prometheus-client's multiprocess mode every process writes its values to files in one
directory, and whichever worker answers adds them all up. The mode is chosen when
prometheus_client is first imported, from ``PROMETHEUS_MULTIPROC_DIR``; so this module imports
nothing of it, and `loket serve` calls ``use_multiprocess_dir`` before anything else.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(data_dir: Path) -> Path:
    """Make the processes started from here share one metrics directory, emptied of an
    earlier run's values: ``PROMETHEUS_MULTIPROC_DIR`` if set, else ``<data dir>/metrics``."""
    directory = Path(os.environ.get(MULTIPROC_VARIABLE) or data_dir / "metrics")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_VARIABLE] = str(directory.resolve())
    return directory


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_VARIABLE)
    return Path(value) if value else None
