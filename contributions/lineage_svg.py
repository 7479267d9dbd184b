"""The lineage picture: a server-rendered SVG, inlined in the contribution page.

Layout: one column per signed depth, ancestors to the left (negative depth), the focus in
the middle column ("you are here"), descendants to the right. Arrows go from a source to the
remix built from it, with the link's weight written on them. Each node is an SVG link to
its contribution page. Every colour comes from CSS classes (``static/css/lineage.css``), so
the design tokens and dark mode apply; there is no script and no event handler (CSP).

Every string that comes from a person (titles, usernames) is cleaned of characters that XML
forbids and escaped before it is written; only then is the markup marked safe. The same
lineage always gives the same bytes: node order in a column is computed, never left to
dict or database order.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from html import escape

from django.utils.safestring import SafeString, mark_safe

from contributions.lineage import Lineage, LineageEdge, LineageNode

BOX_W = 184
BOX_H = 64
COL_GAP = 88  # room for an arrow and its weight between two columns
ROW_GAP = 16
PAD = 16
TOP = 28  # room for "you are here" above the focus box
THUMB = BOX_H - 12
MORE_W = 112  # the "and N more" column at either end
TEXT_X = 10
TITLE_CHARS = 22
TITLE_CHARS_WITH_THUMB = 15
AUTHOR_CHARS = 24
AUTHOR_CHARS_WITH_THUMB = 16
TITLE_MAX_ALT = 120  # longest title read out in a node's <title>

_Point = tuple[Fraction, Fraction]

# XML 1.0 refuses these characters even escaped; a title may contain them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def contribution_path(contribution_id: int) -> str:
    return f"/contributions/{contribution_id}/"


def _clean(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text)


def _text(text: str) -> str:
    return escape(_clean(text), quote=False)


def _attr(text: str) -> str:
    return escape(_clean(text), quote=True)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(_clean(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: Fraction | int) -> str:
    """A coordinate as the shortest exact-enough string (one decimal at most)."""
    if isinstance(value, int) or value.denominator == 1:
        return str(int(value))
    return f"{round(value * 10) / 10:.1f}".rstrip("0").rstrip(".")


def format_weight(weight: Decimal) -> str:
    """``Decimal("1.500")`` -> ``"1.5"``, ``Decimal("10.000")`` -> ``"10"``."""
    return format(weight.normalize(), "f")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _summary(lineage: Lineage, focus: LineageNode) -> str:
    return (
        f"Lineage of “{_shorten(focus.title, TITLE_MAX_ALT)}”: built from "
        f"{_plural(lineage.ancestor_count, 'contribution', 'contributions')}, remixed into "
        f"{_plural(lineage.descendant_count, 'contribution', 'contributions')}"
    )


class _Layout:
    """Columns by signed depth, rows ordered to keep arrows short, and the canvas size."""

    def __init__(self, lineage: Lineage, focus: LineageNode) -> None:
        self.signed: dict[int, int] = {focus.id: 0}
        self.nodes: dict[int, LineageNode] = {focus.id: focus}
        for node in lineage.ancestors:
            self.signed[node.id] = -node.depth
            self.nodes[node.id] = node
        for node in lineage.descendants:
            self.signed.setdefault(node.id, node.depth)
            self.nodes.setdefault(node.id, node)
        self.edges: list[LineageEdge] = sorted(
            (e for e in lineage.edges if e.source_id in self.nodes and e.remix_id in self.nodes),
            key=lambda e: (e.source_id, e.remix_id),
        )
        self.min_depth = min(self.signed.values())
        self.max_depth = max(self.signed.values())
        self.more_left = lineage.more_ancestors
        self.more_right = lineage.more_descendants
        self.columns = self._order_columns()
        rows = max(len(column) for column in self.columns.values())
        self.body_h = rows * BOX_H + (rows - 1) * ROW_GAP
        self.height = TOP + self.body_h + PAD
        self.x0 = PAD + (MORE_W if self.more_left else 0)
        span = self.max_depth - self.min_depth + 1
        self.width = (
            self.x0 + span * BOX_W + (span - 1) * COL_GAP + (MORE_W if self.more_right else 0) + PAD
        )
        self.pos: dict[int, tuple[int, Fraction]] = {}
        for depth, column in self.columns.items():
            x = self.x0 + (depth - self.min_depth) * (BOX_W + COL_GAP)
            column_h = len(column) * BOX_H + (len(column) - 1) * ROW_GAP
            y0 = TOP + Fraction(self.body_h - column_h, 2)
            for row, node_id in enumerate(column):
                self.pos[node_id] = (x, y0 + row * (BOX_H + ROW_GAP))

    def _order_columns(self) -> dict[int, list[int]]:
        """Walk outwards from the focus; in each column, sort nodes by the mean row of their
        neighbours in the column one step nearer the focus (fewer crossings), then by id."""
        by_depth: dict[int, list[int]] = {}
        for node_id, depth in self.signed.items():
            by_depth.setdefault(depth, []).append(node_id)
        nearer: dict[int, list[int]] = {}
        for edge in self.edges:
            s, r = edge.source_id, edge.remix_id
            ds, dr = self.signed[s], self.signed[r]
            # an ancestor's remix one column to its right, a descendant's source to its left
            if ds < 0 and dr == ds + 1:
                nearer.setdefault(s, []).append(r)
            if dr > 0 and ds == dr - 1:
                nearer.setdefault(r, []).append(s)
        columns: dict[int, list[int]] = {0: by_depth[0]}
        rank: dict[int, Fraction] = {by_depth[0][0]: Fraction(0)}
        for step in (-1, 1):
            depth = step
            while depth in by_depth:
                previous = columns[depth - step]
                offset = Fraction(len(previous) - 1, 2)

                def key(node_id: int, offset: Fraction = offset) -> tuple[Fraction, int]:
                    around = [rank[n] for n in nearer.get(node_id, ()) if n in rank]
                    mean = sum(around, Fraction(0)) / len(around) if around else offset
                    return mean, node_id

                column = sorted(by_depth[depth], key=key)
                # centre each column's ranks like its boxes, so columns of different
                # heights compare by position, not by index
                centre = Fraction(len(column) - 1, 2)
                for row, node_id in enumerate(column):
                    rank[node_id] = row - centre
                columns[depth] = column
                depth += step
        return columns


def _edge_path(layout: _Layout, edge: LineageEdge) -> tuple[str, Fraction, Fraction]:
    """A cubic curve from the source box to the remix box, and where to write its weight.
    Forward links leave the right side and enter the left side; a link back towards the
    focus (possible with shortcuts) runs the other way; one within a column bends out to the
    right."""
    sx, sy = layout.pos[edge.source_id]
    rx, ry = layout.pos[edge.remix_id]
    half = Fraction(BOX_H, 2)
    if sx < rx:  # forward: right side to left side
        p0 = (Fraction(sx + BOX_W), sy + half)
        p3 = (Fraction(rx), ry + half)
        bend = (p3[0] - p0[0]) / 2
        p1 = (p0[0] + bend, p0[1])
        p2 = (p3[0] - bend, p3[1])
    elif sx > rx:  # backward: left side to right side
        p0 = (Fraction(sx), sy + half)
        p3 = (Fraction(rx + BOX_W), ry + half)
        bend = (p0[0] - p3[0]) / 2
        p1 = (p0[0] - bend, p0[1])
        p2 = (p3[0] + bend, p3[1])
    else:  # same column: out of the right side and back in
        p0 = (Fraction(sx + BOX_W), sy + half)
        p3 = (Fraction(rx + BOX_W), ry + half)
        bend = Fraction(COL_GAP * 2, 3)
        p1 = (p0[0] + bend, p0[1])
        p2 = (p3[0] + bend, p3[1])
    d = (
        f"M{_num(p0[0])} {_num(p0[1])} C{_num(p1[0])} {_num(p1[1])} "
        f"{_num(p2[0])} {_num(p2[1])} {_num(p3[0])} {_num(p3[1])}"
    )
    points = (p0, p1, p2, p3)
    t = Fraction(1, 2)
    if abs(p3[0] - p0[0]) > COL_GAP:
        # A link that skips columns runs behind boxes: write its weight in the last gap
        # before the remix, where nothing covers it.
        toward = 1 if p3[0] > p0[0] else -1
        target = p3[0] - toward * Fraction(COL_GAP, 2)
        low, high = Fraction(0), Fraction(1)
        for _ in range(20):
            t = (low + high) / 2
            if (_bezier(points, t)[0] - target) * toward < 0:
                low = t
            else:
                high = t
    mid_x, mid_y = _bezier(points, t)
    return d, mid_x, mid_y


def _bezier(points: tuple[_Point, _Point, _Point, _Point], t: Fraction) -> _Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    a, b, c, e = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3


def _node_markup(node: LineageNode, x: int, y: Fraction, *, signed_depth: int) -> list[str]:
    classes = ["lineage__node"]
    if signed_depth == 0:
        classes.append("lineage__node--focus")
    elif signed_depth < 0:
        classes.append("lineage__node--ancestor")
    else:
        classes.append("lineage__node--descendant")
    flags = []
    if node.removed:
        classes.append("lineage__node--removed")
        flags.append("removed")
    if node.withdrawn:
        classes.append("lineage__node--withdrawn")
        flags.append("withdrawn")
    thumbnail = node.thumbnail_url if not node.removed else ""
    if thumbnail:
        classes.append("lineage__node--thumb")

    where = "you are here" if signed_depth == 0 else _plural(node.depth, "step", "steps")
    label = f"{_shorten(node.title, TITLE_MAX_ALT)}, by {node.author_username}"
    label += f" ({', '.join([where, *flags])})"
    current = ' aria-current="page"' if signed_depth == 0 else ""
    out = [
        f'<a href="{_attr(contribution_path(node.id))}" class="{" ".join(classes)}" '
        f'data-id="{node.id}" data-depth="{signed_depth}"{current}>',
        f"<title>{_text(label)}</title>",
    ]
    if signed_depth == 0:
        out.append(f'<text class="lineage__here" x="{x}" y="{_num(y - 8)}">you are here</text>')
    out.append(
        f'<rect class="lineage__box" x="{x}" y="{_num(y)}" width="{BOX_W}" height="{BOX_H}" '
        'rx="8" ry="8"/>'
    )
    text_x = x + TEXT_X
    title_chars, author_chars = TITLE_CHARS, AUTHOR_CHARS
    if thumbnail:
        out.append(
            f'<image class="lineage__thumb" href="{_attr(thumbnail)}" x="{x + 6}" '
            f'y="{_num(y + 6)}" width="{THUMB}" height="{THUMB}" '
            'preserveAspectRatio="xMidYMid slice"/>'
        )
        text_x = x + 6 + THUMB + 8
        title_chars, author_chars = TITLE_CHARS_WITH_THUMB, AUTHOR_CHARS_WITH_THUMB
    out.append(
        f'<text class="lineage__title" x="{text_x}" y="{_num(y + 22)}">'
        f"{_text(_shorten(node.title, title_chars))}</text>"
    )
    out.append(
        f'<text class="lineage__author" x="{text_x}" y="{_num(y + 40)}">'
        f"{_text(_shorten('by ' + node.author_username, author_chars))}</text>"
    )
    if flags:
        out.append(
            f'<text class="lineage__flag" x="{text_x}" y="{_num(y + 56)}">'
            f"{_text(' · '.join(flags))}</text>"
        )
    out.append("</a>")
    return out


def lineage_svg(lineage: Lineage, *, focus_id: int) -> SafeString:
    """The lineage picture as inline SVG markup, safe to put in a template as it is.

    Returns an empty string when the focus is unknown (``lineage.focus`` is None or is not
    ``focus_id``). Shows at most what ``lineage`` holds (its ``limit``) and writes "and N
    more" on the side that was cut. Deterministic: the same lineage gives the same bytes."""
    focus = lineage.focus
    if focus is None or focus.id != focus_id:
        return mark_safe("")  # noqa: S308 - a constant
    layout = _Layout(lineage, focus)
    marker = f"lineage-arrow-{focus.id}"
    summary = _summary(lineage, focus)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage__svg" '
        f'viewBox="0 0 {layout.width} {_num(Fraction(layout.height))}" '
        f'width="{layout.width}" height="{_num(Fraction(layout.height))}" '
        f'role="img" aria-label="{_attr(summary)}" '
        f'data-focus-x="{layout.pos[focus.id][0] + BOX_W // 2}">',
        f"<title>{_text(summary)}</title>",
        "<defs>",
        f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">',
        '<path class="lineage__arrowhead" d="M0 0 L10 5 L0 10 Z"/>',
        "</marker>",
        "</defs>",
        '<g class="lineage__edges">',
    ]
    for edge in layout.edges:
        d, mx, my = _edge_path(layout, edge)
        source, remix = layout.nodes[edge.source_id], layout.nodes[edge.remix_id]
        weight = format_weight(edge.weight)
        out += [
            f'<g class="lineage__edge" data-source="{edge.source_id}" '
            f'data-remix="{edge.remix_id}">',
            f"<title>{_text(_shorten(remix.title, TITLE_MAX_ALT))} is built from "
            f"{_text(_shorten(source.title, TITLE_MAX_ALT))}, weight {weight}</title>",
            f'<path class="lineage__link" d="{d}" marker-end="url(#{marker})"/>',
            f'<text class="lineage__weight" x="{_num(mx)}" y="{_num(my - 4)}" '
            f'text-anchor="middle">{weight}</text>',
            "</g>",
        ]
    out.append("</g>")
    out.append('<g class="lineage__nodes">')
    for depth in sorted(layout.columns):
        for node_id in layout.columns[depth]:
            x, y = layout.pos[node_id]
            out += _node_markup(layout.nodes[node_id], x, y, signed_depth=depth)
    out.append("</g>")
    middle = _num(TOP + Fraction(layout.body_h, 2) + 5)
    if layout.more_left:
        out.append(
            f'<text class="lineage__more lineage__more--ancestors" x="{PAD + MORE_W - 16}" '
            f'y="{middle}" text-anchor="end">and {layout.more_left} more</text>'
        )
    if layout.more_right:
        x = layout.width - PAD - MORE_W + 16
        out.append(
            f'<text class="lineage__more lineage__more--descendants" x="{x}" y="{middle}" '
            f'text-anchor="start">and {layout.more_right} more</text>'
        )
    out.append("</svg>")
    # Every person-provided string above went through _text or _attr; the rest are numbers
    # and constants.
    return mark_safe("\n".join(out))  # noqa: S308
