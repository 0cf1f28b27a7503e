"""No workflow state is named outside the workflow definitions: code and templates ask the
workflow what a state means (``State.clock``, ``.editable``, ``.final``, ...), so a new state or
a renamed one is one change in app/workflow/definitions.py.

Some words are also the names of other things: what statistics count a decision as (a state's
``outcome``), a certificate's own status, an e-mail template. Those uses are listed below, each
with the vocabulary it belongs to; any other literal equal to a state name fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.workflow.definitions import KNOWN_STATES

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = "app/workflow/definitions.py"

OUTCOMES = {"approved", "rejected", "withdrawn"}  # State.outcome values: statistics' columns
OTHER_VOCABULARIES: dict[str, set[str]] = {
    "app/stats/counts.py": OUTCOMES,
    "app/stats/facts.py": OUTCOMES,
    "app/stats/figures.py": OUTCOMES,
    "app/stats/opendata.py": OUTCOMES,
    "app/stats/repository.py": OUTCOMES,
    "app/portal/public/stats.py": OUTCOMES,
    "app/certificates/service.py": {"revoked"},  # a certificate's status: valid/expired/revoked
    "app/workflow/engine.py": {"closed"},  # an Open311 status (open/closed)
    # Open311 statuses, and mySociety's extended ones (servicerequestupdates).
    "app/complaints/open311/requests.py": {"closed", "duplicate", "in_progress"},
    # E-mail templates (templates/email/<name>.<lang>.txt), named after what they announce.
    "app/applications/kind.py": {"submitted", "revision_requested", "rejected", "approved"},
    # A complaint's outcome (State.outcome "resolved") names the statistics' figures.
    "app/stats/complaints/service.py": {"resolved"},
    "app/stats/complaints/repository.py": {"resolved"},
    # Portal notification texts, keyed by the event they announce (its action after the case
    # type: "application.rejected" -> "rejected"), as the e-mail templates are.
    "app/notifications/inbox.py": {
        "revision_requested",
        "approved",
        "rejected",
        "accepted",
        "declined",
        "verified",
    },
}
# A template comparing a state with a literal ({% if app.state == "draft" %}).
TEMPLATE_STATE_TEST = re.compile(r"state\s*(==|!=|in)\s*[(\[]?\s*[\"']")


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if node.value in KNOWN_STATES
    ]


def test_no_state_name_outside_the_workflow_definitions():
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name == DEFINITIONS:
            continue
        allowed = OTHER_VOCABULARIES.get(name, set())
        found += [f"{name}:{line}: {value!r}" for line, value in _literals(path)]
        found = [f for f in found if not (f.startswith(f"{name}:") and _value(f) in allowed)]
    assert not found, "ask the workflow instead of naming a state:\n" + "\n".join(found)


def _value(finding: str) -> str:
    return finding.rsplit(": ", 1)[1].strip("'")


def test_no_template_compares_a_state_with_a_name():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TEMPLATE_STATE_TEST.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_check_sees_a_state_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('if case.state == "draft":\n    pass\nLABEL = "Draft"\n', encoding="utf-8")
    assert _literals(sample) == [(1, "draft")]
    assert TEMPLATE_STATE_TEST.search('{% if app.state == "draft" %}')
    assert not TEMPLATE_STATE_TEST.search("{% if view.editable %}")
