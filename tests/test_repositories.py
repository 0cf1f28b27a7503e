"""Every query lives in a repository: no other module runs statements or builds them.

Outside the ``repository.py`` modules (and ``app/db.py``, ``app/migrate.py``, ``app/models``),
no module may call ``.execute(``, ``.exec(``, ``.scalar(`` or ``.scalars(`` on anything, nor
import SQLAlchemy's or SQLModel's statement builders. The modules that still do are listed
below; the list may only shrink: a listed module that has become clean fails the test until
it is taken off.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
EXEMPT = ("app/db.py", "app/migrate.py")
RUNNING = frozenset({"execute", "exec", "scalar", "scalars"})
BUILDERS = frozenset({"select", "insert", "update", "delete", "func", "text"})

# Reading or writing rows through the session is a query too.
SESSION_CALLS = frozenset(
    {"get", "add", "add_all", "delete", "merge", "flush", "connection", "query"}
)

# Modules that still query outside a repository, each with its reason (none today).
STILL_QUERYING: set[str] = set()


def _checked_modules() -> list[tuple[str, Path]]:
    root = APP.parent
    modules = []
    for path in sorted(APP.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if path.name == "repository.py" or name in EXEMPT or name.startswith("app/models/"):
            continue
        modules.append((name, path))
    return modules


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in RUNNING or _on_session(node.func):
                found.append(f"line {node.lineno}: .{node.func.attr}(")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "sqlalchemy",
            "sqlmodel",
        ):
            builders = sorted({alias.name for alias in node.names} & BUILDERS)
            if builders:
                found.append(f"line {node.lineno}: imports {', '.join(builders)}")
    return found


def _on_session(attribute: ast.Attribute) -> bool:
    target = attribute.value
    return (
        isinstance(target, ast.Name) and target.id == "session" and attribute.attr in SESSION_CALLS
    )


def test_queries_live_in_repositories():
    offences = {name: found for name, path in _checked_modules() if (found := _offences(path))}
    new = {name: found for name, found in offences.items() if name not in STILL_QUERYING}
    cleaned = sorted(STILL_QUERYING - offences.keys())
    remaining = sum(len(found) for found in offences.values())
    lines = [f"{remaining} statements still outside a repository.py, in {len(offences)} modules"]
    lines += [f"{name}: {'; '.join(found)}" for name, found in sorted(new.items())]
    if new:
        lines.insert(1, "Move these into their package's repository.py:")
    if cleaned:
        lines.append(f"No longer querying, take off STILL_QUERYING: {', '.join(cleaned)}")
    assert not new and not cleaned, "\n".join(lines)


def test_the_check_sees_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import func, Integer\n"
        "from sqlmodel import select as build\n"
        "rows = session.execute(query)\n"
        "first = result.scalars()\n"
        "row = session.get(User, key)\n"
        "session.add(row)\n"
        "value = settings.get('x')\n",
        encoding="utf-8",
    )
    assert _offences(sample) == [
        "line 1: imports func",
        "line 2: imports select",
        "line 3: .execute(",
        "line 4: .scalars(",
        "line 5: .get(",
        "line 6: .add(",
    ]
