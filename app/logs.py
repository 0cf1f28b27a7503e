"""Loket's log lines: one JSON object per line in production, readable text on a terminal.

``LOKET_LOG_FORMAT``: ``json``, ``text`` or ``auto`` (the default: text when standard error is
a terminal, JSON otherwise, so a container's collector gets JSON and a developer text).

Every request (app/http/front.py) and every background job run (app/jobs.py, the outbox
dispatcher) logs one line with its fields as attributes of the record (``extra=``); the
formatter writes them as JSON members or ``key=value`` pairs. The request's id is in a context
variable, so any line logged while the request runs carries it (threads started by anyio for
the request copy the context).

Personal data and secrets never reach the output: ``redact`` is applied to the whole formatted
line, whatever logged it (a library's message, an exception's text), and replaces NIKs, e-mail
addresses, bearer tokens and JWTs, and ``password=``-like values.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["json", "text", "auto"]

# A NIK: 16 digits on their own. Written to start with ``\d`` (then the lookbehind checks the
# character before it), so that the scan skips non-digits in C: 3x faster than ``\b\d{16}\b``.
_NIK_PATTERN = r"\d(?<!\w\d)\d{15}(?!\w)"

# The one redaction rule. Order matters: a JWT or bearer token is replaced whole before any
# digits in it could look like a NIK. Every line passes through it, so ``redact`` runs the
# whole rule only on a line that holds an "@" or one of the keywords (a C-speed ``in``), and
# else only its NIK part: the whole rule costs ~5x more per character.
_SECRET = re.compile(
    r"(?i:bearer)\s++[A-Za-z0-9._~+/=-]++"  # Authorization: Bearer <token>
    r"|eyJ[A-Za-z0-9_-]++\.[A-Za-z0-9_-]++\.[A-Za-z0-9_-]*+"  # a JWT anywhere
    r"|(?i:password|passwd|secret|token|nik)[\"']?\s*[:=]\s*[\"']?[^\s\"'&,;}]++"
    r"|(?<![\w.+-])[\w.+-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++"  # an e-mail address
    r"|" + _NIK_PATTERN
)
_NIK = re.compile(_NIK_PATTERN)
_KEYWORDS = ("bearer", "eyj", "password", "passwd", "secret", "token", "nik")
REDACTED = "[redacted]"

# An incoming X-Request-ID is kept when it looks like an id (a proxy's or a client's), so
# that one request can be followed across systems; anything else is replaced by our own.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

# Attributes every LogRecord has; anything else on a record came from ``extra=``
# (but uvicorn's ``color_message``, its message with terminal colours).
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def redact(text: str) -> str:
    """``text`` with NIKs, e-mail addresses, tokens and passwords replaced by ``[redacted]``."""
    if "@" in text:
        return _SECRET.sub(REDACTED, text)
    lowered = text.lower()
    if any(keyword in lowered for keyword in _KEYWORDS):
        return _SECRET.sub(REDACTED, text)
    return _NIK.sub(REDACTED, text)


@dataclass
class RequestContext:
    """What a request's log line needs that only the code inside the request learns."""

    request_id: str
    actor_id: str | None = None


_CURRENT: ContextVar[RequestContext | None] = ContextVar("loket_request", default=None)


def begin_request(incoming: str | None) -> RequestContext:
    """Start a request's context: its id is ``incoming`` if sane, else a new one."""
    if incoming is None or not _SANE_REQUEST_ID.fullmatch(incoming):
        incoming = uuid.uuid4().hex
    context = RequestContext(incoming)
    _CURRENT.set(context)
    return context


@contextmanager
def job_context() -> Iterator[RequestContext]:
    """A background job run's own id while the block runs (a thread outlives its jobs)."""
    context = RequestContext(uuid.uuid4().hex)
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def current() -> RequestContext | None:
    return _CURRENT.get()


def current_request_id() -> str | None:
    context = _CURRENT.get()
    return context.request_id if context else None


def note_actor(actor_id: object) -> None:
    """Record who the request acts for (a user's or a client's id; never a NIK or e-mail)."""
    context = _CURRENT.get()
    if context is not None:
        context.actor_id = str(actor_id)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    request_id = getattr(record, "request_id", None) or current_request_id()
    if request_id:
        fields["request_id"] = request_id
    for key, value in vars(record).items():
        if key not in _RECORD_FIELDS and key != "request_id":
            fields[key] = value
    return fields


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        pairs = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        text = f"{_timestamp(record)} {record.levelname:<7} {record.name} {record.getMessage()}"
        if pairs:
            text += f" {pairs}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return redact(text)


def resolve_format(value: LogFormat, stream: Any = None) -> Literal["json", "text"]:
    if value != "auto":
        return value
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def logging_config(log_format: LogFormat, *, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for Loket and uvicorn (``uvicorn.run(log_config=)``,
    which applies it in every worker process too)."""
    formatter = JsonFormatter if resolve_format(log_format) == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"loket": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "loket",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # Our request lines replace uvicorn's access log; its own loggers go to the root.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure(log_format: LogFormat) -> None:
    """Configure this process's logging (`loket worker` and the other commands)."""
    logging.config.dictConfig(logging_config(log_format))
