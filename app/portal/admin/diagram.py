"""A workflow drawn as a server-side SVG state diagram: states as boxes, transitions as arrows.

Layered layout, top to bottom: edges that lead back (a resubmission) or skip layers are found
first, every state then sits one layer below the deepest state that leads to it, and a state's
place in its layer follows the states above it. Arrows between neighbouring layers are straight;
the others are curves around the side. No script, no inline style: classes are in loket.css.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from app.workflow.engine import Workflow

BOX_W, BOX_H, LOOP_H = 176, 44, 16
H_GAP, V_GAP, MARGIN = 40, 84, 16
LANE_GAP = 22  # between the lanes of arrows that run around the side
LABEL_FONT = 12


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass
class Box:
    x: float
    y: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2


def edges_of(workflow: Workflow, lang: str) -> tuple[list[Edge], dict[str, list[str]]]:
    """Arrows between states (one per pair, labels joined) and actions that keep the state."""
    pairs: dict[tuple[str, str], list[str]] = {}
    loops: dict[str, list[str]] = {}
    for transition in workflow.transitions:
        label = transition.label.in_lang(lang)
        for source in sorted(transition.sources, key=workflow.state_names.index):
            bucket = (
                loops.setdefault(source, [])
                if transition.target is None
                else (pairs.setdefault((source, transition.target), []))
            )
            if label not in bucket:
                bucket.append(label)
    edges = [Edge(s, t, " / ".join(labels)) for (s, t), labels in pairs.items()]
    return edges, loops


def back_edges(workflow: Workflow, edges: list[Edge]) -> set[Edge]:
    """Edges that close a cycle, found by a depth-first walk from the initial state."""
    outgoing: dict[str, list[Edge]] = {}
    for edge in edges:
        outgoing.setdefault(edge.source, []).append(edge)
    found: set[Edge] = set()
    done: set[str] = set()

    def walk(state: str, path: set[str]) -> None:
        path.add(state)
        for edge in outgoing.get(state, []):
            if edge.target in path:
                found.add(edge)
            elif edge.target not in done:
                walk(edge.target, path)
        path.discard(state)
        done.add(state)

    for start in (workflow.initial, *workflow.state_names):
        if start not in done:
            walk(start, set())
    return found


def layers_of(workflow: Workflow, edges: list[Edge], back: set[Edge]) -> list[list[str]]:
    """Longest-path layers over the forward edges, each ordered under its predecessors."""
    depth = {state: 0 for state in workflow.state_names}
    forward = [edge for edge in edges if edge not in back]
    for _ in workflow.state_names:  # relax until stable; the forward edges have no cycle
        for edge in forward:
            depth[edge.target] = max(depth[edge.target], depth[edge.source] + 1)
    layers: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for state in workflow.state_names:
        layers[depth[state]].append(state)
    place: dict[str, float] = {}
    for layer in layers:

        def centre(state: str) -> float:
            above = [place[e.source] for e in forward if e.target == state and e.source in place]
            return sum(above) / len(above) if above else workflow.state_names.index(state) / 100

        layer.sort(key=centre)
        place.update({state: (i + 0.5) / len(layer) for i, state in enumerate(layer)})
    return layers


def place_boxes(layers: list[list[str]], loops: dict[str, list[str]]) -> tuple[dict, float]:
    widest = max(len(layer) for layer in layers)
    inner = widest * BOX_W + (widest - 1) * H_GAP
    boxes: dict[str, Box] = {}
    y = MARGIN + 8
    for layer in layers:
        height = BOX_H + (LOOP_H if any(s in loops for s in layer) else 0)
        span = len(layer) * BOX_W + (len(layer) - 1) * H_GAP
        x = (inner - span) / 2
        for state in layer:
            boxes[state] = Box(x, y, height)
            x += BOX_W + H_GAP
        y += height + V_GAP
    return boxes, inner


def workflow_svg(workflow: Workflow, *, lang: str, svg_id: str, title: str) -> Markup:
    """The whole diagram; a table of the same transitions belongs next to it for screen readers."""
    edges, loops = edges_of(workflow, lang)
    back = back_edges(workflow, edges)
    layers = layers_of(workflow, edges, back)
    boxes, inner = place_boxes(layers, loops)
    depth = {state: i for i, layer in enumerate(layers) for state in layer}
    curves, (left, right) = _curved_edges(edges, boxes, depth, inner, svg_id)
    body = [_arrow_marker(svg_id), f'<g transform="translate({left:.0f},0)">']
    body += _straight_edges(edges, boxes, depth, svg_id) + curves
    body += [
        _state_box(state, boxes[state], loops.get(state, []), workflow, lang)
        for state in workflow.state_names
    ]
    body.append("</g>")
    width = left + right
    height = max(box.y + box.h for box in boxes.values()) + MARGIN
    safe_id = escape(svg_id)
    head = (
        f'<svg class="workflow-diagram" id="{safe_id}" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" aria-labelledby="{safe_id}-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{safe_id}-title">{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _arrow_marker(svg_id: str) -> str:
    return (
        f'<defs><marker id="{escape(svg_id)}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="wf-arrowhead"/></marker></defs>'
    )


def _straight_edges(
    edges: list[Edge], boxes: dict[str, Box], depth: dict[str, int], svg_id: str
) -> list[str]:
    """Arrows to the next layer, spread along the boxes' edges so that they do not overlap."""
    adjacent = [e for e in edges if depth[e.target] == depth[e.source] + 1]
    out: list[str] = []
    for edge in adjacent:
        leaving = [e for e in adjacent if e.source == edge.source]
        leaving.sort(key=lambda e: boxes[e.target].cx)
        arriving = [e for e in adjacent if e.target == edge.target]
        arriving.sort(key=lambda e: boxes[e.source].cx)
        x1 = _spread(boxes[edge.source], leaving.index(edge), len(leaving))
        x2 = _spread(boxes[edge.target], arriving.index(edge), len(arriving))
        y1 = boxes[edge.source].y + boxes[edge.source].h
        y2 = boxes[edge.target].y
        out.append(_path(f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}", edge, svg_id))
        # The label sits at a different height per arrow of the same source, so labels of
        # arrows fanning out from one box do not sit on top of each other.
        share = (leaving.index(edge) + 1) / (len(leaving) + 1)
        t = 0.3 + 0.4 * share
        out.append(_label(x1 + (x2 - x1) * t + 4, y1 + (y2 - y1) * t + 4, edge, "start"))
    return out


def _spread(box: Box, index: int, count: int) -> float:
    return box.x + BOX_W * (index + 1) / (count + 1)


def _curved_edges(
    edges: list[Edge], boxes: dict[str, Box], depth: dict[str, int], inner: float, svg_id: str
) -> tuple[list[str], tuple[float, float]]:
    """Arrows that go back up or skip layers: curves in lanes outside every box, on the side
    of the state they lead to. Also returns the room they need left of 0 and right of it."""
    out: list[str] = []
    lanes = {"left": 0, "right": 0}
    taken: dict[str, list[float]] = {"left": [], "right": []}
    # Labels of straight arrows near the right edge stick out a little too.
    reach: dict[str, float] = {"left": MARGIN, "right": MARGIN + 80}
    for edge in edges:
        if depth[edge.target] == depth[edge.source] + 1:
            continue
        source, target = boxes[edge.source], boxes[edge.target]
        towards = target if depth[edge.target] > depth[edge.source] else source
        side = "left" if towards.cx < inner / 2 else "right"
        lanes[side] += 1
        step = LANE_GAP * lanes[side]
        bend: float
        if side == "left":
            x1, x2, bend = source.x, target.x, -step
        else:
            x1, x2, bend = source.x + BOX_W, target.x + BOX_W, inner + step
        y1, y2 = source.y + source.h / 2, target.y + target.h / 2
        shape = f"M{x1:.1f},{y1:.1f} C{bend:.1f},{y1:.1f} {bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        out.append(_path(shape, edge, svg_id))
        mid_x = (x1 + 6 * bend + x2) / 8  # the Bezier curve at t = 0.5
        offset, anchor = (-4, "end") if side == "left" else (4, "start")
        out.append(_label(mid_x + offset, _free_y(taken[side], (y1 + y2) / 2 + 4), edge, anchor))
        room = abs(mid_x + offset - (0 if side == "left" else inner)) + _text_width(edge.label)
        reach[side] = max(reach[side], room + MARGIN)
    return out, (reach["left"], inner + reach["right"])


def _free_y(taken: list[float], y: float) -> float:
    """``y``, moved down past the labels already on this side so that none overlap."""
    while any(abs(y - other) < LABEL_FONT + 2 for other in taken):
        y += LABEL_FONT + 2
    taken.append(y)
    return y


def _text_width(text: str) -> float:
    return len(text) * LABEL_FONT * 0.6


def _path(shape: str, edge: Edge, svg_id: str) -> str:
    return (
        f'<path class="wf-edge" d="{shape}" fill="none" stroke="#57606a" '
        f'marker-end="url(#{escape(svg_id)}-arrow)" data-from="{escape(edge.source)}" '
        f'data-to="{escape(edge.target)}"/>'
    )


def _label(x: float, y: float, edge: Edge, anchor: str) -> str:
    return (
        f'<text class="wf-edge-label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
        f'font-size="{LABEL_FONT}">'
        f"{escape(edge.label)}</text>"
    )


def _state_box(state: str, box: Box, loops: list[str], workflow: Workflow, lang: str) -> str:
    kind = (
        "initial"
        if state == workflow.initial
        else ("final" if not any(state in t.sources for t in workflow.transitions) else "step")
    )
    label = escape(_words(workflow, state, lang))
    parts = [
        f'<g class="wf-state wf-{kind}" data-state="{escape(state)}">',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{BOX_W}" height="{box.h:.0f}" rx="8" '
        'fill="#f6f8fa" stroke="#1f2328"/>',
        f'<text class="wf-state-label" x="{box.cx:.1f}" y="{box.y + 19:.1f}" '
        f'text-anchor="middle" font-size="14">{label}</text>',
        f'<text class="wf-state-id" x="{box.cx:.1f}" y="{box.y + 35:.1f}" '
        f'text-anchor="middle" font-size="11">{escape(state)}</text>',
    ]
    if loops:  # actions that keep the state (claiming a file), written in the box
        parts.append(
            f'<text class="wf-loop" x="{box.cx:.1f}" y="{box.y + BOX_H + 8:.1f}" '
            f'text-anchor="middle" font-size="11">↻ {escape(" / ".join(loops))}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class TransitionRow:
    """One line of the text version of the diagram."""

    action: str
    sources: list[str]
    target: str | None
    roles: list[str]


def transition_rows(workflow: Workflow, lang: str) -> list[TransitionRow]:
    return [
        TransitionRow(
            action=t.label.in_lang(lang),
            sources=[_words(workflow, s, lang) for s in workflow.state_names if s in t.sources],
            target=_words(workflow, t.target, lang) if t.target else None,
            roles=sorted(t.roles),
        )
        for t in workflow.transitions
    ]


def _words(workflow: Workflow, state: str, lang: str) -> str:
    """A state in the few words a box of the diagram has room for."""
    return workflow.state(state).words(lang, officer=True, short=True)
