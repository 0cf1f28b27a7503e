"""How close to /healthz can any read endpoint with one database query get on this machine?

Issue 2 asks the officer queue to reach half of /healthz. This measures the best case of the
stack in the same run: ``bench/ceiling_app.py`` answers /healthz and /rows (one async psycopg
query of 20 rows, no authentication, no ORM) under the same wrk load as bench/api.py, and
prints the ratio. Loket's queue does strictly more work per request than /rows.

    .venv/bin/python bench/ceiling.py [--duration 10] [--connections 16]
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


def measure(args, workdir: Path) -> dict[str, dict]:
    port = free_port()
    server = ManagedProcess(
        "ceiling",
        [
            str(VENV_BIN / "uvicorn"),
            "ceiling_app:app",
            "--app-dir",
            str(BENCH),
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        env=clean_env(CEILING_DATABASE_URL=args.database_url),
        cwd=workdir,
        log_path=workdir / "ceiling.log",
    )
    results = {}
    with server:
        base = f"http://{HOST}:{port}"
        server.wait_healthy(f"{base}/healthz")
        script = benchlib.lua_script(threads=2)
        for path in ("healthz", "rows"):
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
    print(f"best-case one-query read / healthz = {ratio:.2f} (issue 2 asks 0.5 of the queue)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
