"""Where the files that ship beside the code are: the Jinja2 templates (pages, e-mail,
certificates) and the Alembic migrations.

A wheel carries them inside the package, as ``app/templates`` and ``app/migrations`` (the build
maps the top-level folders there, see pyproject.toml); a checkout, and the editable install that
``make`` does, keeps them at the top of the repository beside ``app/``. Real directories, not
``importlib.resources`` traversables: Jinja2's loader and Alembic read paths, and pip installs a
wheel unpacked.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """The templates: pages, ``email/`` and ``certificates/``."""
    return _shipped("templates")


def migrations_dir() -> Path:
    """The Alembic script directory (``env.py``, ``versions/``)."""
    return _shipped("migrations")


def _shipped(name: str) -> Path:
    for folder in (_PACKAGE / name, _PACKAGE.parent / name):
        if folder.is_dir():
            return folder
    raise RuntimeError(f"{name}/ is neither in the installed package nor beside it in a checkout")
