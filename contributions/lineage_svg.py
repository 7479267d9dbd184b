"""The lineage picture: a server-rendered SVG, inlined in the contribution page.

Layout: one level per signed depth, ancestors first (negative depth), the focus in the
middle ("you are here"), descendants after it. It is drawn two ways from the same layout:
``"horizontal"`` (levels are columns, sources on the left: wide screens) and
``"vertical"`` (levels are rows, sources on top: phones, where a column of 200 px boxes
would show one node at a time). The page carries both and CSS shows one
(``static/css/lineage.css``). Arrows go from a source to the remix built from it, with the
link's weight written on them; the caption says what that number means. Each node is an
SVG link to its contribution page. Every colour comes from CSS classes, so the design
tokens and dark mode apply; there is no script and no event handler (CSP).

Titles wrap over two lines (about 30 characters) by an estimate of their width in the
widest common font, and each node's text is clipped to its box, so nothing spills out
whatever font the reader has. The full title is always in the node's ``<title>``.

Every string that comes from a person (titles, names) is cleaned of characters that XML
forbids and escaped before it is written; only then is the markup marked safe. The same
lineage always gives the same bytes: node order in a level is computed, never left to
dict or database order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from html import escape
from typing import Literal

from django.utils.safestring import SafeString, mark_safe

from contributions.lineage import Lineage, LineageEdge, LineageNode

Orientation = Literal["horizontal", "vertical"]

PAD = 16  # also the width of the faded edge of the scroll box: it never covers a node
TOP = 28  # horizontal: room for "you are here" above the focus box
TEXT_X = 10
THUMB = 48
TITLE_SIZE = 13
AUTHOR_SIZE = 12
FLAG_SIZE = 11
TITLE_LINES = 2
TITLE_MAX_ALT = 120  # longest title read out in a node's <title>
# The smallest scroll box each drawing is shown in (site.css and lineage.css): a wider
# picture says that it scrolls.
MIN_VIEW = {"horizontal": 608, "vertical": 343}

LEGEND = "Numbers on the arrows are weights: how much of the source the remix used."
DESCRIPTION = (
    "Each box is a contribution and links to its page. Arrows run from a source to the "
    "remix built from it; the number on an arrow is its weight, how much of the source "
    "the remix used."
)


@dataclass(frozen=True)
class _Geometry:
    box_w: int
    box_h: int
    depth_gap: int  # between two levels: room for an arrow and its weight
    cross_gap: int  # between two neighbours in one level
    more: int  # room for "and N more" at either end of the depth axis
    thumbnails: bool
    here_inside: bool  # "you are here" as a line in the focus box, not above it


_GEOMETRY: dict[str, _Geometry] = {
    "horizontal": _Geometry(
        box_w=200,
        box_h=84,
        depth_gap=72,
        cross_gap=16,
        more=112,
        thumbnails=True,
        here_inside=False,
    ),
    # two boxes side by side fit a 375 px phone: 16 + 148 + 12 + 148 + 16 = 340
    "vertical": _Geometry(
        box_w=148,
        box_h=84,
        depth_gap=56,
        cross_gap=12,
        more=32,
        thumbnails=False,
        here_inside=True,
    ),
}
_HERE_LINE = 16  # the extra line of a vertical focus box

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


# --- text width ---------------------------------------------------------------------------

# Advance widths in em of DejaVu Sans Bold, the widest of the usual system fonts (what a
# Linux browser falls back to); Roboto and San Francisco are narrower, so an estimate from
# these fits everywhere.
_NARROW = set(" ijlI.,:;'!|()[]{}`\"")
_THIN = set("frt-/")
_WIDE = set("mwMW@%&")


def _char_em(char: str) -> float:
    if char in _NARROW:
        return 0.36
    if char in _THIN:
        return 0.5
    if char in _WIDE:
        return 1.08
    if char.isdigit():
        return 0.7
    if char.isascii():
        return 0.8 if char.isupper() else 0.69
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if unicodedata.combining(char):
        return 0.0
    return 0.8


def text_width(text: str, size: int, *, bold: bool = True) -> float:
    """An upper estimate of the width in px of ``text`` at font size ``size``."""
    width = sum(_char_em(c) for c in text) * size
    return width if bold else width * 0.92


def _fit(text: str, width: float, size: int, *, bold: bool) -> str:
    """``text`` cut with "…" so that it fits ``width``."""
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap_title(text: str, width: float, *, lines: int = TITLE_LINES) -> list[str]:
    """``text`` on at most ``lines`` lines of ``width`` px at the title size, broken between
    words (inside a word only when it alone is too long); the last line ends in "…" when
    the title does not fit."""
    words = " ".join(_clean(text).split()).split(" ")
    out: list[str] = []
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, TITLE_SIZE) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
        # a word longer than a line: break it where the line is full
        while text_width(current, TITLE_SIZE) > width and len(out) < lines - 1:
            cut = len(current)
            while cut > 1 and text_width(current[:cut], TITLE_SIZE) > width:
                cut -= 1
            out.append(current[:cut])
            current = current[cut:]
        if len(out) == lines - 1:
            rest = " ".join([current, *words[index + 1 :]])
            out.append(_fit(rest, width, TITLE_SIZE, bold=True))
            return out
    out.append(current)
    return [line for line in out[:lines] if line]


# --- counts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineageCounts:
    """What the caption and the accessible name say: direct sources and remixes (the same
    numbers as the page's "Built from" and "Remixed N times") and everything further."""

    sources_direct: int
    sources_all: int
    remixes_direct: int
    remixes_all: int


def lineage_counts(
    lineage: Lineage, *, direct_sources: int | None = None, direct_remixes: int | None = None
) -> LineageCounts:
    """The counts of ``lineage``. Direct ones are the nodes one step away, unless the caller
    passes the numbers its page already shows (exact even past the lineage's limit)."""
    if direct_sources is None:
        direct_sources = sum(1 for n in lineage.ancestors if n.depth == 1)
    if direct_remixes is None:
        direct_remixes = sum(1 for n in lineage.descendants if n.depth == 1)
    return LineageCounts(
        sources_direct=direct_sources,
        sources_all=max(lineage.ancestor_count, direct_sources),
        remixes_direct=direct_remixes,
        remixes_all=max(lineage.descendant_count, direct_remixes),
    )


def lineage_caption(counts: LineageCounts) -> str:
    """E.g. "Built directly from 1 (3 in all, further back) · remixed directly into 2"."""
    if counts.sources_all == 0:
        up = "Original work"
    else:
        up = f"Built directly from {counts.sources_direct}"
        if counts.sources_all > counts.sources_direct:
            up += f" ({counts.sources_all} in all, further back)"
    if counts.remixes_all == 0:
        down = "not remixed yet"
    else:
        down = f"remixed directly into {counts.remixes_direct}"
        if counts.remixes_all > counts.remixes_direct:
            down += f" ({counts.remixes_all} in all, further down)"
    return f"{up} · {down}"


def _summary(focus: LineageNode, counts: LineageCounts) -> str:
    caption = lineage_caption(counts).replace(" · ", "; ")
    return f"Lineage of “{_shorten(focus.title, TITLE_MAX_ALT)}”: {caption[0].lower()}{caption[1:]}"


# --- layout -------------------------------------------------------------------------------


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


def _author(node: LineageNode) -> str:
    return node.author_name or node.author_username


class _Layout:
    """Levels by signed depth, the order inside each level chosen to keep arrows short,
    and every box's place. Positions are (along the depth axis, across it); ``xy`` turns
    them into SVG coordinates for the orientation."""

    def __init__(self, lineage: Lineage, focus: LineageNode, orientation: Orientation) -> None:
        self.vertical = orientation == "vertical"
        self.g = g = _GEOMETRY[orientation]
        self.focus_id = focus.id
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
        self.more_before = lineage.more_ancestors
        self.more_after = lineage.more_descendants
        self.columns = self._order_columns()
        # a box's size along the depth axis and across it
        self.depth_size = g.box_h if self.vertical else g.box_w
        self.cross_size = g.box_w if self.vertical else g.box_h
        rows = max(len(column) for column in self.columns.values())
        self.body = rows * self.cross_size + (rows - 1) * g.cross_gap
        self.cross_start = PAD if self.vertical else TOP
        self.cross_total = self.cross_start + self.body + PAD
        self.level_at: dict[int, int] = {}
        at = PAD + (g.more if self.more_before else 0)
        for depth in range(self.min_depth, self.max_depth + 1):
            self.level_at[depth] = at
            at += self._extent(depth) + g.depth_gap
        self.depth_total = at - g.depth_gap + (g.more if self.more_after else 0) + PAD
        self.pos: dict[int, tuple[int, Fraction]] = {}
        for depth, column in self.columns.items():
            column_size = len(column) * self.cross_size + (len(column) - 1) * g.cross_gap
            start = self.cross_start + Fraction(self.body - column_size, 2)
            for row, node_id in enumerate(column):
                self.pos[node_id] = (
                    self.level_at[depth],
                    start + row * (self.cross_size + g.cross_gap),
                )
        if self.vertical:
            self.width, self.height = self.cross_total, Fraction(self.depth_total)
        else:
            self.width, self.height = self.depth_total, Fraction(self.cross_total)

    def _extent(self, depth: int) -> int:
        """The depth-axis size of a level: a vertical focus box has a line for "you are
        here" (the focus is alone in its level)."""
        if self.vertical and depth == 0:
            return self.g.box_h + _HERE_LINE
        return self.depth_size

    def box(self, node_id: int) -> tuple[Fraction, Fraction, int, int]:
        """x, y, width, height of a node's box."""
        along, across = self.pos[node_id]
        extent = self._extent(self.signed[node_id])
        if self.vertical:
            return across, Fraction(along), self.cross_size, extent
        return Fraction(along), across, extent, self.cross_size

    def xy(self, point: _Point) -> _Point:
        along, across = point
        return (across, along) if self.vertical else (along, across)

    def _order_columns(self) -> dict[int, list[int]]:
        """Walk outwards from the focus; in each level, sort nodes by the mean place of
        their neighbours in the level one step nearer the focus (fewer crossings), then by
        id."""
        by_depth: dict[int, list[int]] = {}
        for node_id, depth in self.signed.items():
            by_depth.setdefault(depth, []).append(node_id)
        nearer: dict[int, list[int]] = {}
        for edge in self.edges:
            s, r = edge.source_id, edge.remix_id
            ds, dr = self.signed[s], self.signed[r]
            # an ancestor's remix one level nearer, a descendant's source one level nearer
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
                # centre each level's ranks like its boxes, so levels of different sizes
                # compare by position, not by index
                centre = Fraction(len(column) - 1, 2)
                for row, node_id in enumerate(column):
                    rank[node_id] = row - centre
                columns[depth] = column
                depth += step
        return columns


def _edge_path(layout: _Layout, edge: LineageEdge) -> tuple[str, Fraction, Fraction]:
    """A cubic curve from the source box to the remix box, and where to write its weight.
    Forward links leave the far side of the source and enter the near side of the remix; a
    link back towards the focus (possible with shortcuts) runs the other way; one within a
    level bends out past it. Computed along and across the depth axis, then turned."""
    s_along, s_across = layout.pos[edge.source_id]
    r_along, r_across = layout.pos[edge.remix_id]
    s_end = s_along + layout._extent(layout.signed[edge.source_id])
    r_end = r_along + layout._extent(layout.signed[edge.remix_id])
    half = Fraction(layout.cross_size, 2)
    gap = layout.g.depth_gap
    if s_along < r_along:  # forward
        p0 = (Fraction(s_end), s_across + half)
        p3 = (Fraction(r_along), r_across + half)
        bend = (p3[0] - p0[0]) / 2
        p1 = (p0[0] + bend, p0[1])
        p2 = (p3[0] - bend, p3[1])
    elif s_along > r_along:  # backward
        p0 = (Fraction(s_along), s_across + half)
        p3 = (Fraction(r_end), r_across + half)
        bend = (p0[0] - p3[0]) / 2
        p1 = (p0[0] - bend, p0[1])
        p2 = (p3[0] + bend, p3[1])
    else:  # same level: out of the far side and back in
        p0 = (Fraction(s_end), s_across + half)
        p3 = (Fraction(r_end), r_across + half)
        bend = Fraction(gap * 2, 3)
        p1 = (p0[0] + bend, p0[1])
        p2 = (p3[0] + bend, p3[1])
    points = (p0, p1, p2, p3)
    t = Fraction(1, 2)
    if abs(p3[0] - p0[0]) > gap:
        # A link that skips levels runs behind boxes: write its weight in the last gap
        # before the remix, where nothing covers it.
        toward = 1 if p3[0] > p0[0] else -1
        target = p3[0] - toward * Fraction(gap, 2)
        low, high = Fraction(0), Fraction(1)
        for _ in range(20):
            t = (low + high) / 2
            if (_bezier(points, t)[0] - target) * toward < 0:
                low = t
            else:
                high = t
    q0, q1, q2, q3 = (layout.xy(p) for p in points)
    d = (
        f"M{_num(q0[0])} {_num(q0[1])} C{_num(q1[0])} {_num(q1[1])} "
        f"{_num(q2[0])} {_num(q2[1])} {_num(q3[0])} {_num(q3[1])}"
    )
    mid_x, mid_y = layout.xy(_bezier(points, t))
    return d, mid_x, mid_y


def _bezier(points: tuple[_Point, _Point, _Point, _Point], t: Fraction) -> _Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    a, b, c, e = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3


def _node_markup(layout: _Layout, node: LineageNode, *, ids: str) -> list[str]:
    signed_depth = layout.signed[node.id]
    g = layout.g
    x, y, w, h = layout.box(node.id)
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
    thumbnail = node.thumbnail_url if g.thumbnails and not node.removed else ""
    if thumbnail:
        classes.append("lineage__node--thumb")

    here = signed_depth == 0
    where = "you are here" if here else _plural(node.depth, "step", "steps")
    label = f"{_shorten(node.title, TITLE_MAX_ALT)}, by {_author(node)}"
    label += f" ({', '.join([where, *flags])})"
    current = ' aria-current="page"' if here else ""
    clip = f"{ids}-clip-{node.id}"
    out = [
        f'<a href="{_attr(contribution_path(node.id))}" class="{" ".join(classes)}" '
        f'data-id="{node.id}" data-depth="{signed_depth}"{current}>',
        f"<title>{_text(label)}</title>",
    ]
    if here and not g.here_inside:
        out.append(
            f'<text class="lineage__here" x="{_num(x)}" y="{_num(y - 8)}">you are here</text>'
        )
    out.append(
        f'<rect class="lineage__box" x="{_num(x)}" y="{_num(y)}" width="{w}" height="{h}" '
        'rx="8" ry="8"/>'
    )
    # Nothing is drawn outside the box, whatever the reader's font.
    out.append(
        f'<clipPath id="{clip}"><rect x="{_num(x)}" y="{_num(y)}" width="{w}" '
        f'height="{h}" rx="8" ry="8"/></clipPath>'
    )
    text_x = x + TEXT_X
    if thumbnail:
        out.append(
            f'<image class="lineage__thumb" href="{_attr(thumbnail)}" x="{_num(x + 8)}" '
            f'y="{_num(y + 10)}" width="{THUMB}" height="{THUMB}" '
            'preserveAspectRatio="xMidYMid slice"/>'
        )
        text_x = x + 8 + THUMB + 8
    out.append(f'<g class="lineage__text" clip-path="url(#{clip})">')
    text_w = float(x + w - TEXT_X - text_x)
    lines = wrap_title(node.title, text_w)
    for line, words in enumerate(lines):
        out.append(
            f'<text class="lineage__title" x="{_num(text_x)}" y="{_num(y + 22 + 16 * line)}">'
            f"{_text(words)}</text>"
        )
    author_y = y + 26 + 16 * max(len(lines), 1)  # right under the title, one line or two
    author = _fit("by " + " ".join(_clean(_author(node)).split()), text_w, AUTHOR_SIZE, bold=False)
    out.append(
        f'<text class="lineage__author" x="{_num(text_x)}" y="{_num(author_y)}">'
        f"{_text(author)}</text>"
    )
    flag_y = author_y + 16
    if here and g.here_inside:
        out.append(
            f'<text class="lineage__here" x="{_num(text_x)}" y="{_num(flag_y)}">you are here</text>'
        )
        flag_y += _HERE_LINE
    if flags:
        # uppercase with letter spacing: measured as capitals, with room for the spacing
        shown = _fit(" · ".join(flags).upper(), text_w * 0.9, FLAG_SIZE, bold=True).lower()
        out.append(
            f'<text class="lineage__flag" x="{_num(text_x)}" y="{_num(flag_y)}">'
            f"{_text(shown)}</text>"
        )
    out.append("</g>")
    out.append("</a>")
    return out


def lineage_svg(
    lineage: Lineage,
    *,
    focus_id: int,
    orientation: Orientation = "horizontal",
    counts: LineageCounts | None = None,
) -> SafeString:
    """The lineage picture as inline SVG markup, safe to put in a template as it is.

    ``orientation`` "horizontal" puts sources on the left (wide screens), "vertical" puts
    them on top (phones). ``counts`` (``lineage_counts``) words the accessible name; by
    default they come from ``lineage``. Returns an empty string when the focus is unknown
    (``lineage.focus`` is None or is not ``focus_id``). Shows at most what ``lineage`` holds
    (its ``limit``) and writes "and N more" on the side that was cut. Deterministic: the
    same lineage gives the same bytes."""
    focus = lineage.focus
    if focus is None or focus.id != focus_id:
        return mark_safe("")  # noqa: S308 - a constant
    return _draw(_Layout(lineage, focus, orientation), focus, counts or lineage_counts(lineage))


def _draw(layout: _Layout, focus: LineageNode, counts: LineageCounts) -> SafeString:
    orientation = "vertical" if layout.vertical else "horizontal"
    ids = f"lineage-{focus.id}-{orientation[0]}"  # unique per drawing: both are in the page
    marker = f"{ids}-arrow"
    summary = _summary(focus, counts)
    fx, _fy, fw, _fh = layout.box(focus.id)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage__svg lineage__svg--{orientation}" '
        f'viewBox="0 0 {layout.width} {_num(layout.height)}" '
        f'width="{layout.width}" height="{_num(layout.height)}" '
        # a group, not an img: an img's children are hidden, and these are links to follow
        f'role="group" aria-label="{_attr(summary)}" '
        f'data-focus-x="{_num(fx + Fraction(fw, 2))}">',
        f"<title>{_text(summary)}</title>",
        f"<desc>{_text(DESCRIPTION)}</desc>",
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
        # across: above the line; down: centred on it, the halo (CSS) keeps it readable
        label_y = my + 4 if layout.vertical else my - 4
        out += [
            f'<g class="lineage__edge" data-source="{edge.source_id}" '
            f'data-remix="{edge.remix_id}">',
            f"<title>{_text(_shorten(remix.title, TITLE_MAX_ALT))} is built from "
            f"{_text(_shorten(source.title, TITLE_MAX_ALT))}, weight {weight}: how much of "
            "the source it used</title>",
            f'<path class="lineage__link" d="{d}" marker-end="url(#{marker})"/>',
            f'<text class="lineage__weight" x="{_num(mx)}" y="{_num(label_y)}" '
            f'text-anchor="middle">{weight}</text>',
            "</g>",
        ]
    out.append("</g>")
    out.append('<g class="lineage__nodes">')
    for depth in sorted(layout.columns):
        for node_id in layout.columns[depth]:
            out += _node_markup(layout, layout.nodes[node_id], ids=ids)
    out.append("</g>")
    out += _more_markup(layout)
    out.append("</svg>")
    # Every person-provided string above went through _text or _attr; the rest are numbers
    # and constants.
    return mark_safe("\n".join(out))  # noqa: S308


def _more_markup(layout: _Layout) -> list[str]:
    out = []
    g = layout.g
    if layout.vertical:
        middle = _num(Fraction(layout.width, 2))
        if layout.more_before:
            out.append(
                f'<text class="lineage__more lineage__more--ancestors" x="{middle}" '
                f'y="{PAD + 18}" text-anchor="middle">and {layout.more_before} more</text>'
            )
        if layout.more_after:
            y = layout.height - PAD - g.more + 18
            out.append(
                f'<text class="lineage__more lineage__more--descendants" x="{middle}" '
                f'y="{_num(y)}" text-anchor="middle">and {layout.more_after} more</text>'
            )
        return out
    middle = _num(layout.cross_start + Fraction(layout.body, 2) + 5)
    if layout.more_before:
        out.append(
            f'<text class="lineage__more lineage__more--ancestors" x="{PAD + g.more - 16}" '
            f'y="{middle}" text-anchor="end">and {layout.more_before} more</text>'
        )
    if layout.more_after:
        x = layout.width - PAD - g.more + 16
        out.append(
            f'<text class="lineage__more lineage__more--descendants" x="{x}" y="{middle}" '
            f'text-anchor="start">and {layout.more_after} more</text>'
        )
    return out


@dataclass(frozen=True)
class LineagePicture:
    """Everything ``templates/contributions/_lineage.html`` shows: the two drawings, the
    caption, the legend and whether each drawing may be wider than its box."""

    lineage: Lineage
    horizontal: SafeString
    vertical: SafeString
    counts: LineageCounts
    caption: str
    legend: str
    horizontal_scrolls: bool
    vertical_scrolls: bool

    @property
    def is_empty(self) -> bool:
        return self.lineage.is_empty


def lineage_picture(
    lineage: Lineage,
    *,
    focus_id: int,
    direct_sources: int | None = None,
    direct_remixes: int | None = None,
) -> LineagePicture | None:
    """Both drawings of the lineage with their caption; None when the focus is unknown.
    Pass ``direct_sources`` and ``direct_remixes`` when the page shows those numbers
    itself (its "Built from" list and "Remixed N times"), so the caption says the same."""
    focus = lineage.focus
    if focus is None or focus.id != focus_id:
        return None
    counts = lineage_counts(lineage, direct_sources=direct_sources, direct_remixes=direct_remixes)
    across = _Layout(lineage, focus, "horizontal")
    down = _Layout(lineage, focus, "vertical")
    return LineagePicture(
        lineage=lineage,
        horizontal=_draw(across, focus, counts),
        vertical=_draw(down, focus, counts),
        counts=counts,
        caption=lineage_caption(counts),
        legend=LEGEND,
        horizontal_scrolls=across.width > MIN_VIEW["horizontal"],
        vertical_scrolls=down.width > MIN_VIEW["vertical"],
    )
