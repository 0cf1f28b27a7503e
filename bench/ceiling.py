"""How fast can this stack answer at all? The ceilings bench/api.py holds Loket's figures to.

``bench/ceiling_app.py`` answers /healthz (a bare FastAPI route) and /rows (one async psycopg
query of 20 rows, no authentication, no ORM). Loket's /healthz is held to a share of the bare
/healthz (its middleware and routing are the difference) and its officer queue to a share of
/rows (the queue does strictly more work per request). bench/api.py loads both ceilings in
the same run as Loket, with the same worker count; on its own, this script loads them with
the same wrk settings and prints the figures and the rows/healthz ratio.

    .venv/bin/python bench/ceiling.py [--duration 10] [--connections 16] [--workers 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import benchlib
from benchlib import HOST, ManagedProcess, clean_env, free_port

BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PATHS = ("healthz", "rows")


def start(database_url: str, *, workers: int, workdir: Path) -> tuple[ManagedProcess, str]:
    """Start ceiling_app under uvicorn with ``workers`` workers (``database_url``: a psycopg
    ``postgresql://`` URL); returns the process and its base URL."""
    port = free_port()
    server = ManagedProcess(
        f"ceiling-w{workers}",
        [
            str(VENV_BIN / "uvicorn"),
            "ceiling_app:app",
            "--app-dir",
            str(BENCH),
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=clean_env(CEILING_DATABASE_URL=database_url),
        cwd=workdir,
        log_path=workdir / f"ceiling-w{workers}.log",
    )
    base = f"http://{HOST}:{port}"
    try:
        server.wait_healthy(f"{base}/healthz", workers=workers)
    except BaseException:
        server.stop()
        raise
    return server, base


def measure(args, workdir: Path) -> dict[str, dict]:
    server, base = start(args.database_url, workers=args.workers, workdir=workdir)
    results = {}
    with server:
        script = benchlib.lua_script(threads=2)
        for path in PATHS:
            results[path] = benchlib.run_wrk(
                f"{base}/{path}",
                script,
                duration=args.duration,
                connections=args.connections,
                threads=2,
                workdir=workdir,
                name=path,
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    benchlib.install_signal_handlers()
    with tempfile.TemporaryDirectory() as workdir:
        results = measure(args, Path(workdir))
    for path, numbers in results.items():
        print(
            f"{path:8} {numbers['rps']:>9.1f} req/s  p50 {numbers['p50_ms']:.1f} ms  "
            f"p99 {numbers['p99_ms']:.1f} ms  non-2xx {numbers['non_2xx']}"
        )
    ratio = results["rows"]["rps"] / results["healthz"]["rps"]
    print(f"best-case one-query read / bare healthz = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
