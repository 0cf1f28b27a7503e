"""Shared plumbing for the benchmarks: databases, server subprocesses, wrk, CPU accounting.

Everything listens on and talks to 127.0.0.1 only. Every subprocess is started in its own
process group and stopped (SIGTERM, then SIGKILL) from ``finally`` blocks and at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def database_url(server_url: str, name: str) -> str:
    """``postgresql://postgres@127.0.0.1:5432`` + ``name`` -> a database URL."""
    return f"{server_url.rstrip('/')}/{name}"


def recreate_database(server_url: str, name: str) -> str:
    """Drop (forcefully) and create ``name``; returns its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"unsafe database name {name!r}")
    with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def postgres_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------

_LIVE: list[ManagedProcess] = []


def _stop_all() -> None:
    for process in list(_LIVE):
        process.stop()


atexit.register(_stop_all)


def install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so ``finally`` blocks and atexit run."""

    def _exit(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ManagedProcess:
    """A server subprocess in its own process group, output to a log file."""

    def __init__(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log_path: Path
    ) -> None:
        self.name, self.argv, self.log_path = name, argv, log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pgid = self.process.pid  # start_new_session: the child leads its own group
        _LIVE.append(self)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_healthy(self, url: str, *, workers: int = 1, timeout: float = 60.0) -> None:
        """Until ``url`` answers 200 and ``workers`` uvicorn workers logged their start-up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                ok = httpx.get(url, timeout=2.0).status_code == 200
            except httpx.HTTPError:
                ok = False
            started = self.log_path.read_text(errors="replace").count(
                "Application startup complete"
            )
            if ok and started >= workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def pids(self) -> set[int]:
        return {pid for pid, _, pgrp, _ in _proc_table(with_pid=True) if pgrp == self.pgid}

    def cpu_seconds(self) -> float:
        """user+system CPU of every live process in the group (the workers included)."""
        return sum(cpu for _, pgrp, cpu in _proc_table() if pgrp == self.pgid)

    def stop(self, timeout: float = 15.0) -> None:
        if self in _LIVE:
            _LIVE.remove(self)
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.pgid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Stray workers of the group (if the supervisor died first).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGKILL)
        self._log.close()

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _proc_table(with_pid: bool = False):
    """(comm, pgrp, cpu seconds) of every process, with the pid first if asked."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        row = (comm, int(fields[2]), (int(fields[11]) + int(fields[12])) / CLK_TCK)
        yield (int(entry.name), *row) if with_pid else row


def postgres_cpu_seconds(database: str | None = None) -> float:
    """CPU of the live PostgreSQL backends connected to ``database`` (all postgres processes
    without one). Other engineers' test databases on the same server are not counted."""
    total = 0.0
    for pid, comm, _, cpu in _proc_table(with_pid=True):
        if not comm.startswith("postgres"):
            continue
        if database is not None:
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            backend = "(" in title or "[local]" in title
            if backend and f" {database} " not in title:
                continue  # someone else's connection; background processes (WAL...) count
        total += cpu
    return total


def cpu_snapshot() -> dict[int, tuple[str, float]]:
    """pid -> (command line, cpu seconds) of every process."""
    out = {}
    for pid, _comm, _, cpu in _proc_table(with_pid=True):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        out[pid] = (title.strip()[:120], cpu)
    return out


def top_cpu_users(
    before: dict, after: dict, seconds: float, *, exclude: set[int], n: int = 3
) -> list[tuple[str, float]]:
    """The processes that used the most CPU between two snapshots (cores), minus ``exclude``."""
    used = []
    for pid, (title, cpu) in after.items():
        if pid in exclude:
            continue
        delta = cpu - before.get(pid, (title, 0.0))[1]
        if title and delta > 0.01 * seconds:
            used.append((title, round(delta / seconds, 2)))
    return sorted(used, key=lambda item: -item[1])[:n]


def wait_for_quiet(max_wait: float, *, threshold: float = 0.25, window: float = 1.0) -> float:
    """Wait (up to ``max_wait`` s) for a window in which the machine is < ``threshold`` busy.

    Other people's processes (test suites) on a shared machine distort a benchmark; this waits
    them out when it can. Returns the last measured busy fraction (0..1).
    """
    deadline = time.monotonic() + max_wait
    while True:
        busy0, total0 = machine_busy()
        time.sleep(window)
        busy1, total1 = machine_busy()
        busy = (busy1 - busy0) / max(1, total1 - total0)
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def machine_busy() -> tuple[float, float]:
    """(busy jiffies, total jiffies) from /proc/stat, for a whole-machine utilisation figure."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without LOKET_* (so nothing leaks in), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOKET_") and not k.startswith("NAIVE_")
    }
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env.update(extra)
    return env


# --------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk binary; installs the Debian package when missing (CI machines are fresh)."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found: apt-get install -y wrk")
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "update", "-qq"], check=True, env=env, timeout=300)
    subprocess.run([*apt, "install", "-y", "-qq", "wrk"], check=True, env=env, timeout=300)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is still missing after apt-get install")
    return found


_LUA_COMMON = r"""
local threads = {}
exhausted = 0
non2xx = 0
first_error = ""

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local used_up, bad, sample = 0, 0, ""
  for _, t in ipairs(threads) do
    used_up = used_up + (t:get("exhausted") or 0)
    bad = bad + (t:get("non2xx") or 0)
    if sample == "" then sample = t:get("first_error") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"exhausted":%d,' ..
    '"non2xx":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, used_up, bad))
  if sample ~= "" then io.write("BENCHERROR " .. string.gsub(sample, "\n", " ") .. "\n") end
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here (ASCII)


def lua_script(
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    ids_file: Path | None = None,
    path_template: str | None = None,
    threads: int = 2,
) -> str:
    """A wrk script: fixed request, or (with ``ids_file``) one distinct id per request.

    With ids, thread ``tid`` takes every ``threads``-th line; ``path_template`` has ``{id}``.
    When a thread runs out of ids it starts over (the repeats then fail and are counted in
    ``exhausted``).
    """
    lines = [_LUA_COMMON, f"wrk.method = {_lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if ids_file is not None:
        prefix, _, suffix = (path_template or "/{id}").partition("{id}")
        lines.append(f"""
local ids = {{}}
local pos = 0
function init(args)
  local n = 0
  for line in io.lines({_lua_string(str(ids_file))}) do
    if line ~= "" then
      if n % {threads} == tid then ids[#ids + 1] = line end
      n = n + 1
    end
  end
end

function request()
  pos = pos + 1
  if pos > #ids then
    exhausted = exhausted + 1
    pos = 1
  end
  return wrk.format(nil, {_lua_string(prefix)} .. ids[pos] .. {_lua_string(suffix)})
end
""")
    return "\n".join(lines) + "\n"


def run_wrk(
    url: str,
    script: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    workdir: Path,
    name: str,
    timeout_s: float = 5.0,
) -> dict:
    """Run wrk once; returns its numbers (requests/s, latency percentiles in ms, errors)."""
    script_path = workdir / f"{name}.lua"
    script_path.write_text(script)
    argv = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        "-s",
        str(script_path),
        url,
    ]
    completed = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    match = re.search(r"^BENCHJSON (\{.*\})$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or not match:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "non_2xx": raw["non2xx"],  # counted by the script's response() callback
        "http_errors": raw["status_errors"],  # wrk's own count: responses with status >= 400
        "first_error": (
            re.search(r"^BENCHERROR (.*)$", completed.stdout, re.MULTILINE) or [None, None]
        )[1],
        "socket_errors": errors,
        "ids_exhausted": raw["exhausted"],
        "wrk_output": completed.stdout.split("BENCHJSON")[0].strip(),
    }


# --------------------------------------------------------------------------------------------
# Loket API helpers
# --------------------------------------------------------------------------------------------


def password_token(base_url: str, email: str, password: str) -> str:
    """An access token through the real ``POST /oauth/token`` password grant."""
    response = httpx.post(
        f"{base_url}/oauth/token",
        timeout=30.0,
        data={"grant_type": "password", "username": email, "password": password},
    )
    if response.status_code != 200:
        raise RuntimeError(f"token request failed: {response.status_code} {response.text}")
    return response.json()["access_token"]


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in (
        "fastapi",
        "starlette",
        "sqlmodel",
        "sqlalchemy",
        "psycopg",
        "uvicorn",
        "uvloop",
        "httptools",
        "pydantic",
        "python-jose",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
