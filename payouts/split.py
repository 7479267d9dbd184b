"""The payout rule of DESIGN.md ("The payout rule"), as pure functions over plain data.

No Django, no database, no float: integers and exact rationals only. The service loads a
locked version and its upstream graph, calls :func:`credits` once per version (credits do
not depend on the revenue) and stores the result; a distribution then calls
:func:`pool_of` and :func:`allocate` and stores only amounts.

Interface
---------
- :class:`CutItem`: one item of a locked version, with its weight as an integer on a
  common scale (thousandths: ``Decimal("1.5")`` is passed as ``1500``) and an optional
  ``upstream_share`` override.
- A graph is a ``Mapping[int, node]`` from contribution id to any object with
  ``contribution_id``, ``author_id``, ``title`` and ``sources`` (``(source id, link
  weight)`` pairs, link weights as integers on one scale per contribution): the
  :class:`LineageNode` protocol. ``contributions.lineage.GraphNode`` fits it as is, and
  :class:`Node` is a plain implementation. Contributions not reachable from the cut are
  ignored; a source missing from the graph is a caller bug (``ValueError``).
- :func:`credits` returns :class:`Credits`: each person's exact credit
  (:class:`PersonCredit`, with ``share`` and ``share_exact``), the set of contributions and
  authors reached (artistic credit, money or not), and on demand the explanations
  (:meth:`Credits.explanations`, :meth:`Credits.contribution_flows`).
- :func:`pool_of`, :func:`allocate` (or :meth:`Credits.allocate`) and
  :func:`decimal_share` do the money.

Every function validates its input and raises ``ValueError`` with a message naming what is
wrong. Results never depend on the order of items, of the graph or of sources.

How the walk stays fast
-----------------------
Doing the walk with ``fractions.Fraction`` costs a gcd of big integers at every addition
(the exact values reach ~1,300 digits on a 100,000-contribution graph). Instead:

1. One breadth-first pass from the items collects the reachable contributions into dense
   indices, validates them, and counts each one's remixes (in-degree).
2. Kahn's algorithm (a stack, no recursion) orders them so that every contribution comes
   after every contribution that uses it. In the same loop it computes, per contribution,
   the exponents of a denominator that every amount reaching it divides: a contribution
   holding credit over ``D_m`` passes ``x * u * lw / S`` to each source, whose
   denominator divides ``D_m * den(u) * S``, so a source needs at least the exponents of
   ``D_m`` plus those of ``den(u) * S`` (``S`` the sum of its link weights), for every
   prime of those small numbers. The exponent vectors are packed into one integer (a
   field per prime) and maxed field-wise with a few integer operations ("SIMD within a
   register"), so no big number is touched in this pass.
3. ``D`` is the product of the largest exponent of each prime. Every amount is then an
   integer numerator over that one ``D``, and the second walk in the same order does only
   exact integer arithmetic: one exact division per contribution
   (``q = x * num(u) // (den(u) * S)``), one small multiplication and one addition per
   link (the source receives ``q * lw``, the author keeps ``x - q * S``).
4. No gcd is taken in the walk. A person's credit is kept as a numerator over ``D`` and
   reduced to lowest terms only when ``credit`` / ``share_exact`` is read (about 0.1 ms a
   person at this size: storing a version pays it once; a preview needs only ``share``
   and :meth:`Credits.allocate`, which work over ``D`` and never reduce). Explanations
   are built on demand too, from what each contribution kept: one division by ``D`` per
   contribution to a 64-bit fixed point, then small-integer work per link (exact
   division only next to a rounding tie).
5. The walk and the explanations run with Python's cycle collector paused
   (``hitrecord.gcpause``): they make hundreds of thousands of acyclic objects, and in a
   Django process each full collection walks everything the process holds.

Everything is exact: the sum of every person's numerator is checked to be ``D`` itself.
Measured by ``bench/split_walk.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby
from math import gcd
from typing import NotRequired, Protocol, TypedDict

from hitrecord.gcpause import pausing

SHARE_PLACES = 12
"""Decimal places of every share shown: a line's ``share`` and the explanations."""
WEIGHT_PLACES = 3
"""Default scale of :attr:`CutItem.weight`: thousandths, as the database stores them."""


# --- inputs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CutItem:
    """One item of a locked version of a final cut.

    ``weight`` is a positive integer on a scale common to all items (thousandths by
    default: ``Decimal("1.5")`` is ``1500``; see ``weight_places`` of :func:`credits`).
    ``upstream_share``, when set, replaces the version's ``u`` for this contribution, for
    all the credit it holds (also what it receives from other items upstream of which it
    is)."""

    contribution_id: int
    weight: int
    upstream_share: Fraction | None = None


class LineageNode(Protocol):
    """What :func:`credits` reads of a contribution of the upstream graph."""

    @property
    def contribution_id(self) -> int: ...

    @property
    def author_id(self) -> int: ...

    @property
    def title(self) -> str: ...

    @property
    def sources(self) -> Sequence[tuple[int, int]]:
        """``(source contribution id, link weight)``: positive integers on any scale
        common to this contribution's links (thousandths in the database)."""
        ...


@dataclass(frozen=True, slots=True)
class Node:
    """A plain :class:`LineageNode`: one contribution of the upstream graph."""

    contribution_id: int
    author_id: int
    title: str
    sources: tuple[tuple[int, int], ...] = ()


# --- outputs ---------------------------------------------------------------------------


class ContributionRef(TypedDict):
    id: int
    title: str


# ``from`` is a keyword, hence the functional form. ``from`` is ``"cut"`` (then ``weight``
# is the item's weight as a decimal string) or the id of the remix that passed ``share`` on.
Receipt = TypedDict("Receipt", {"from": int | str, "share": str, "weight": NotRequired[str]})


class ExplanationEntry(TypedDict):
    """One contribution of a person: ``kept`` is the share of the whole that stayed with
    its author, ``received`` what reached it, from the cut and from each remix using it."""

    contribution: ContributionRef
    kept: str
    received: list[Receipt]


class PersonCredit:
    """A person's exact credit: the sum of what their contributions kept.

    Held as an integer over the walk's common denominator and reduced to lowest terms
    only when :attr:`credit` or :attr:`share_exact` is first read (a gcd of two
    5,000-bit numbers costs ~0.1 ms: previews, which need only ``share`` and amounts,
    never pay it). Read-only."""

    __slots__ = ("_credit", "_denominator", "_numerator", "author_id")

    author_id: int

    def __init__(self, *, author_id: int, numerator: int, denominator: int) -> None:
        self.author_id = author_id
        self._numerator = numerator
        self._denominator = denominator
        self._credit: Fraction | None = None

    def __repr__(self) -> str:
        return f"PersonCredit(author_id={self.author_id}, share={self.share})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersonCredit):
            return NotImplemented
        return self.author_id == other.author_id and self.credit == other.credit

    def __hash__(self) -> int:
        return hash((self.author_id, self.credit))

    @property
    def credit(self) -> Fraction:
        """The exact credit, in lowest terms."""
        if self._credit is None:
            self._credit = Fraction(self._numerator, self._denominator)
        return self._credit

    @property
    def share(self) -> str:
        """The credit as a decimal string, rounded half-even to 12 places."""
        return _rounded(self._numerator * 10**SHARE_PLACES, self._denominator)

    @property
    def share_exact(self) -> str:
        """The credit in lowest terms, ``"p/q"`` (``"1/1"`` for a sole contributor)."""
        credit = self.credit
        return f"{credit.numerator}/{credit.denominator}"


class Credits:
    """The result of :func:`credits` for one locked version.

    - ``people``: author id -> :class:`PersonCredit`, in author-id order, only people
      whose credit is above 0. The credits sum to exactly 1.
    - ``reached`` / ``reached_authors``: every contribution (and author) of the cut's
      lineage the walk went through, with credit or not (behind an upstream share of 0):
      the artistic credits.
    - :meth:`explanations`: why, per person (built on demand, then kept: previews that
      only need shares never pay for it).

    Instances are read-only; the walk's per-contribution numerators are kept privately
    for the explanations."""

    __slots__ = (
        "_authors",
        "_denominator",
        "_explanations",
        "_flows",
        "_ids",
        "_item_weights",
        "_kept",
        "_overrides",
        "_share",
        "_sums",
        "_whole_units",
        "_sources",
        "_titles",
        "_weight_places",
        "_weight_total",
        "people",
        "reached",
        "reached_authors",
    )

    people: Mapping[int, PersonCredit]
    reached: frozenset[int]
    reached_authors: frozenset[int]

    def __init__(
        self,
        *,
        people: dict[int, PersonCredit],
        ids: list[int],
        authors: list[int],
        titles: list[str],
        sources: list[list[tuple[int, int]]],
        sums: list[int],
        kept: list[int],
        whole_units: dict[int, int],
        share: Fraction,
        overrides: dict[int, Fraction],
        denominator: int,
        item_weights: list[int],
        weight_total: int,
        weight_places: int,
    ) -> None:
        self.people = people
        self.reached = frozenset(ids)
        self.reached_authors = frozenset(authors)
        self._ids = ids
        self._authors = authors
        self._titles = titles
        self._sources = sources
        self._sums = sums
        self._kept = kept
        self._whole_units = whole_units
        self._share = share
        self._overrides = overrides
        self._denominator = denominator
        self._item_weights = item_weights
        self._weight_total = weight_total
        self._weight_places = weight_places
        self._flows: dict[int, ExplanationEntry] | None = None
        self._explanations: dict[int, list[ExplanationEntry]] | None = None

    def __repr__(self) -> str:
        return f"<Credits: {len(self.people)} people, {len(self._ids)} contributions>"

    def shares(self) -> dict[int, Fraction]:
        """Author id -> exact credit, the input of :func:`allocate`."""
        return {author_id: person.credit for author_id, person in self.people.items()}

    def allocate(self, pool: int) -> dict[int, int]:
        """``allocate(self.shares(), pool)``, without reducing any credit to lowest terms:
        over the walk's one denominator the remainders compare as integers."""
        _check_pool(pool)
        return _largest_remainders(
            pool,
            [(a, person._numerator, person._denominator) for a, person in self.people.items()],
        )

    def contribution_flows(self) -> dict[int, ExplanationEntry]:
        """Contribution id -> its explanation entry, for every contribution that received
        credit above 0, in id order, including those whose author kept nothing of it (an
        upstream share of 1 passes everything on; ``kept`` is then
        ``"0.000000000000"``). Following ``from`` steps here always leads back to the cut;
        in :meth:`explanations`, which lists only what people kept, it does whenever
        every remix on the way kept something."""
        if self._flows is None:
            self._flows = self._build_flows()
        return self._flows

    def explanations(self) -> dict[int, list[ExplanationEntry]]:
        """Author id -> one entry per contribution of theirs that kept credit (in
        contribution-id order), for every person of ``people``, in author-id order.
        JSON-ready; its size is linear in the lineage (one receipt per link that carried
        credit), never one entry per path."""
        if self._explanations is None:
            result: dict[int, list[ExplanationEntry]] = {a: [] for a in self.people}
            index = {cid: i for i, cid in enumerate(self._ids)}
            for cid, entry in self.contribution_flows().items():
                i = index[cid]
                if self._kept[i]:
                    result[self._authors[i]].append(entry)
            self._explanations = result
        return self._explanations

    def explanation(self, author_id: int) -> list[ExplanationEntry]:
        """One person's explanation (``[]`` for someone without credit)."""
        return self.explanations().get(author_id, [])

    def _unit(self, m: int) -> int:
        """What contribution ``m`` passed on per unit of link weight (over the common
        denominator), derived from what its author kept: ``kept = x * (1 - u)`` and
        ``unit = x * u / S``. Only a share of 1 keeps nothing to derive from, so those
        few units are stored."""
        whole = self._whole_units.get(m)
        if whole is not None:
            return whole
        kept = self._kept[m]
        total = self._sums[m]
        if not kept or not total:
            return 0
        share = self._overrides.get(m, self._share)
        return kept * share.numerator // ((share.denominator - share.numerator) * total)

    @pausing
    def _build_flows(self) -> dict[int, ExplanationEntry]:
        """Every receipt's share is ``unit * link weight / D`` rounded half-even to 12
        places. Instead of one division of numbers the size of ``D`` per link, each
        contribution divides once, to a fixed point with ``_GUARD`` bits below the 12th
        place (``t = floor(unit * 10**12 * 2**_GUARD / D)``); a link then needs only
        ``t * weight``, whose error is below ``weight`` units of the last bit. Only when
        that error could straddle the rounding boundary (a tie, or within ``weight`` units
        of one: about ``weight / 2**_GUARD`` of links) is the exact division made."""
        denominator = self._denominator
        scale = 10**SHARE_PLACES
        ids = self._ids
        sources = self._sources
        sums = self._sums
        kept_of = self._kept
        whole_units = self._whole_units
        overrides = self._overrides
        # unit = kept * u / ((1 - u) * S) (see _unit), with u's parts as plain ints
        share_num = self._share.numerator
        share_rest = self._share.denominator - share_num
        guard = _GUARD
        low_mask = (1 << guard) - 1
        half = 1 << (guard - 1)
        # Contributions in id order: every source's receipts then come out in remix-id
        # order, and the flows in contribution-id order, with no sort of either.
        by_id = sorted(range(len(ids)), key=ids.__getitem__)
        received: list[list[Receipt] | None] = [None] * len(ids)
        for m in by_id:
            out = sources[m]
            if not out:
                continue
            kept = kept_of[m]
            if m in whole_units:
                unit = whole_units[m]
            elif not kept:
                continue
            elif m in overrides:
                unit = self._unit(m)
            else:
                unit = kept * share_num // (share_rest * sums[m])
            if not unit:
                continue
            remix_id = ids[m]
            scaled = unit * scale
            fixed = (scaled << guard) // denominator
            for j, link_weight in out:
                value = fixed * link_weight
                whole = value >> guard
                below = value & low_mask
                if below > half:
                    whole += 1
                elif below + link_weight > half:  # near a tie: decide exactly
                    whole, remainder = divmod(scaled * link_weight, denominator)
                    twice = remainder + remainder
                    if twice > denominator or (twice == denominator and whole & 1):
                        whole += 1
                receipt: Receipt = {"from": remix_id, "share": _SHARE_TEXT % divmod(whole, scale)}
                bucket = received[j]
                if bucket is None:
                    received[j] = [receipt]
                else:
                    bucket.append(receipt)
        flows: dict[int, ExplanationEntry] = {}
        item_count = len(self._item_weights)
        titles = self._titles
        for i in by_id:
            receipts = received[i]
            if i < item_count:
                weight = self._item_weights[i]
                cut: Receipt = {
                    "from": "cut",
                    "weight": _fixed(weight, self._weight_places),
                    "share": _rounded(weight * scale, self._weight_total),
                }
                receipts = [cut, *receipts] if receipts else [cut]
            elif receipts is None:
                continue
            cid = ids[i]
            # kept / D, rounded half-even to 12 places (_rounded, inlined)
            whole, remainder = divmod(kept_of[i] * scale, denominator)
            twice = remainder + remainder
            if twice > denominator or (twice == denominator and whole & 1):
                whole += 1
            flows[cid] = {
                "contribution": {"id": cid, "title": titles[i]},
                "kept": _SHARE_TEXT % divmod(whole, scale),
                "received": receipts,
            }
        return flows


_GUARD = 64
"""Bits of the fixed point below a receipt's 12th decimal place (see ``_build_flows``)."""
_SHARE_TEXT = f"%d.%0{SHARE_PLACES}d"
"""A share scaled by ``10**SHARE_PLACES``, from ``divmod(scaled, 10**SHARE_PLACES)``: printf
style, the fastest of Python's formattings, for the hundreds of thousands of receipts."""


# --- the credit walk -------------------------------------------------------------------


@pausing
def credits(
    items: Sequence[CutItem],
    graph: Mapping[int, LineageNode],
    *,
    upstream_share: Fraction,
    weight_places: int = WEIGHT_PLACES,
) -> Credits:
    """Each person's exact credit for a locked version of a cut (rule 1 of DESIGN.md).

    ``items`` are the version's items (any order; their order is not used), ``graph``
    holds at least every contribution reachable from them through sources,
    ``upstream_share`` is the version's ``u`` in [0, 1], used by every contribution but
    items that override it. ``weight_places`` is only how item weights are shown in
    explanations (``1500`` -> ``"1.500"``).

    Guarantees: exact (integers and rationals only); the credits of ``people`` sum to
    exactly 1; the same result whatever the order of items, graph entries and sources;
    iterative (any depth); O(contributions + links) integer operations on numbers the
    size of the common denominator. Raises ``ValueError`` on invalid input: no items, a
    weight that is not a positive int, a share outside [0, 1] or not a Fraction, a
    contribution twice in the cut, an item or source missing from the graph, a link weight
    that is not a positive int, a source listed twice, a cycle."""
    u = _checked_share(upstream_share, "upstream_share")
    if type(weight_places) is not int or weight_places < 0:
        raise ValueError(f"weight_places must be an int >= 0, got {weight_places!r}")
    if not items:
        raise ValueError("the cut has no items: an empty cut has no credits")

    # Items take the first dense indices, in the order given.
    index: dict[int, int] = {}
    ids: list[int] = []
    item_weights: list[int] = []
    overrides: dict[int, Fraction] = {}
    for item in items:
        cid = item.contribution_id
        weight = item.weight
        if type(cid) is not int:
            raise ValueError(f"an item's contribution_id must be an int, got {cid!r}")
        if type(weight) is not int or weight <= 0:
            raise ValueError(
                f"item {cid}: weight must be a positive int (thousandths), got {weight!r}"
            )
        if cid in index:
            raise ValueError(f"contribution {cid} is in the cut twice")
        if item.upstream_share is not None:
            overrides[len(ids)] = _checked_share(item.upstream_share, f"item {cid}: upstream_share")
        index[cid] = len(ids)
        ids.append(cid)
        item_weights.append(weight)
    item_count = len(ids)
    weight_total = sum(item_weights)

    # 1. Breadth-first collection of the reachable graph, with validation and in-degrees.
    authors: list[int] = []
    titles: list[str] = []
    sources: list[list[tuple[int, int]]] = []
    sums: list[int] = []
    indegree = [0] * item_count
    for cid in ids:
        if cid not in graph:
            raise ValueError(f"item {cid} is not in the graph")
    index_get = index.get
    new_id = ids.append
    new_indegree = indegree.append
    # last_user[j]: the latest contribution seen using j, so that a source listed twice
    # by one contribution is caught with one list read per link.
    last_user = [-1] * item_count
    new_user = last_user.append
    add_author = authors.append
    add_title = titles.append
    add_sources = sources.append
    add_sum = sums.append
    integer = int
    i = 0
    while i < len(ids):
        cid = ids[i]
        node = graph[cid]
        if node.contribution_id != cid:
            raise ValueError(f"graph[{cid}] holds contribution {node.contribution_id!r}")
        add_author(node.author_id)
        add_title(node.title)
        out: list[tuple[int, int]] = []
        link = out.append
        total = 0
        for source_id, link_weight in node.sources:
            if link_weight.__class__ is not integer or link_weight <= 0:
                raise ValueError(
                    f"contribution {cid}: the link weight of source {source_id!r} must be "
                    f"a positive int, got {link_weight!r}"
                )
            j = index_get(source_id)
            if j is None:
                if source_id not in graph:
                    raise ValueError(
                        f"contribution {cid}: source {source_id!r} is not in the graph"
                    )
                j = index[source_id] = len(ids)
                new_id(source_id)
                new_indegree(1)
                new_user(i)
            else:
                if last_user[j] == i:
                    raise ValueError(f"contribution {cid} lists a source twice")
                last_user[j] = i
                indegree[j] += 1
            link((j, link_weight))
            total += link_weight
        add_sources(out)
        add_sum(total)
        i += 1
    count = len(ids)

    # The small numbers whose primes make up the denominators.
    share_den = u.denominator
    factors = _Factors()
    factors.add(weight_total, 1)
    links_per_sum: dict[int, int] = {}
    for total in sums:
        if total:
            links_per_sum[total] = links_per_sum.get(total, 0) + 1
    with_sources = sum(links_per_sum.values())
    for total, times in links_per_sum.items():
        factors.add(total, times)
    factors.add(share_den, with_sources - sum(1 for m in overrides if sums[m]))
    for m, share in overrides.items():
        factors.add(share.denominator, 1 if sums[m] else 0)
    packing = factors.packing()
    step_of_sum = {total: packing.pack(total) for total in links_per_sum}
    share_step = packing.pack(share_den)
    override_step = {m: packing.pack(share.denominator) for m, share in overrides.items()}

    # 2. Kahn's order (remixes before their sources), with the denominators' exponents.
    guard = packing.guard
    shift = packing.width - 1
    low = (1 << shift) - 1
    exponents = [0] * count
    start = packing.pack(weight_total)
    for m in range(item_count):
        exponents[m] = start
    order: list[int] = []
    visit = order.append
    stack = [m for m in range(item_count) if not indegree[m]]
    push = stack.append
    pop = stack.pop
    while stack:
        m = pop()
        visit(m)
        out = sources[m]
        if not out:
            continue
        target = (
            exponents[m]
            + step_of_sum[sums[m]]
            + (override_step[m] if m in override_step else share_step)
        )
        for j, _ in out:
            held = exponents[j]
            if held != target:
                # field-wise max(held, target): a field's guard bit survives the
                # subtraction exactly where held >= target.
                mask = ((((held | guard) - target) & guard) >> shift) * low
                exponents[j] = target ^ ((held ^ target) & mask)
            left = indegree[j] - 1
            indegree[j] = left
            if not left:
                push(j)
    if len(order) != count:
        stuck = sorted(ids[m] for m in range(count) if indegree[m])[:10]
        raise ValueError(f"the lineage has a cycle through contributions {stuck}")

    # 3. One common denominator, then the exact walk in integers over it.
    widest = 0
    for m in range(count):
        if not sources[m]:
            held = exponents[m]
            mask = ((((held | guard) - widest) & guard) >> shift) * low
            widest = widest ^ ((held ^ widest) & mask)
    del exponents
    denominator = packing.unpack(widest)
    held_amounts = [0] * count
    per_weight = denominator // weight_total
    for m in range(item_count):
        held_amounts[m] = item_weights[m] * per_weight
    kept = [0] * count
    whole_units: dict[int, int] = {}
    share_num = u.numerator
    divisor_of_sum = {total: share_den * total for total in links_per_sum}
    for m in order:
        x = held_amounts[m]
        if not x:
            continue
        held_amounts[m] = 0
        out = sources[m]
        if not out:
            kept[m] = x
            continue
        total = sums[m]
        if m in overrides:
            share = overrides[m]
            unit = x * share.numerator // (share.denominator * total)
            if share == 1:
                whole_units[m] = unit
        else:
            unit = x * share_num // divisor_of_sum[total]
            if share_num == share_den:
                whole_units[m] = unit
        if not unit:
            kept[m] = x
            continue
        kept[m] = x - unit * total
        for j, link_weight in out:
            held_amounts[j] += unit * link_weight
    del held_amounts

    totals: dict[int, int] = {}
    for m in range(count):
        amount = kept[m]
        if amount:
            author = authors[m]
            totals[author] = totals.get(author, 0) + amount
    if sum(totals.values()) != denominator:  # pragma: no cover - a bug, never input
        raise AssertionError("the credits do not sum to 1")
    people = {
        author: PersonCredit(author_id=author, numerator=totals[author], denominator=denominator)
        for author in sorted(totals)
    }
    return Credits(
        people=people,
        ids=ids,
        authors=authors,
        titles=titles,
        sources=sources,
        sums=sums,
        kept=kept,
        whole_units=whole_units,
        share=u,
        overrides=overrides,
        denominator=denominator,
        item_weights=item_weights,
        weight_total=weight_total,
        weight_places=weight_places,
    )


class _Factors:
    """Counts, per prime (or cofactor without a prime factor below 1,000), how many times
    it can appear along one path, to size the packed exponent fields."""

    def __init__(self) -> None:
        self.bound: dict[int, int] = {}
        self._cache: dict[int, dict[int, int]] = {}

    def of(self, n: int) -> dict[int, int]:
        found = self._cache.get(n)
        if found is None:
            found = self._cache[n] = _factorize(n)
        return found

    def add(self, n: int, times: int) -> None:
        # times may be 0: the primes still get a field, so that packing ``n`` works
        for prime, exponent in self.of(n).items():
            self.bound[prime] = self.bound.get(prime, 0) + exponent * times

    def packing(self) -> _Packing:
        primes = sorted(self.bound)
        width = max((self.bound[p].bit_length() for p in primes), default=0) + 1
        return _Packing(primes=primes, width=width, factors=self)


class _Packing:
    """Exponent vectors over ``primes`` packed into one int: ``width - 1`` value bits and a
    guard bit per field. A field's bound is the sum of its exponents over every
    contribution, so no path can overflow it."""

    def __init__(self, *, primes: list[int], width: int, factors: _Factors) -> None:
        self.primes = primes
        self.width = width
        self._field = {p: k for k, p in enumerate(primes)}
        self._factors = factors
        self.guard = sum(1 << (k * width + width - 1) for k in range(len(primes)))

    def pack(self, n: int) -> int:
        return sum(
            exponent << (self._field[p] * self.width) for p, exponent in self._factors.of(n).items()
        )

    def exponents(self, packed: int) -> list[tuple[int, int]]:
        field_mask = (1 << (self.width - 1)) - 1
        found = []
        for k, p in enumerate(self.primes):
            exponent = (packed >> (k * self.width)) & field_mask
            if exponent:
                found.append((p, exponent))
        return found

    def unpack(self, packed: int) -> int:
        value = 1
        for p, exponent in self.exponents(packed):
            value *= p**exponent
        return value


def _small_primes(limit: int) -> tuple[int, ...]:
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\x00\x00"
    for p in range(2, int(limit**0.5) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytearray(len(sieve[p * p :: p]))
    return tuple(p for p in range(limit + 1) if sieve[p])


_PRIMES = _small_primes(1000)


def _factorize(n: int) -> dict[int, int]:
    """Primes below 1,000 by trial division; what remains (if above 1) counts as one
    factor of its own. That keeps any denominator (a caller's ``Fraction(1, 10**40 + 7)``)
    cheap, and stays exact: a product of powers of those factors is still a common
    multiple of every path's denominator, merely not always the least one."""
    found: dict[int, int] = {}
    for p in _PRIMES:
        if p * p > n:
            break
        if n % p == 0:
            exponent = 0
            while n % p == 0:
                n //= p
                exponent += 1
            found[p] = exponent
    if n > 1:
        found[n] = found.get(n, 0) + 1
    return found


# --- the money -------------------------------------------------------------------------


def pool_of(revenue_minor: int, contributor_share: Fraction) -> tuple[int, int]:
    """``(pool, house)`` of a revenue in minor units (rule 2): ``pool = floor(R * k)``,
    the house keeps ``R - pool``. Works the same for a currency without minor units (JPY:
    ``R`` is then in yen)."""
    if type(revenue_minor) is not int or revenue_minor < 0:
        raise ValueError(f"revenue must be an int >= 0 of minor units, got {revenue_minor!r}")
    k = _checked_share(contributor_share, "contributor_share")
    pool = revenue_minor * k.numerator // k.denominator
    return pool, revenue_minor - pool


def allocate(credits: Mapping[int, Fraction], pool: int) -> dict[int, int]:
    """Split ``pool`` minor units by exact credits (rule 3), author id -> amount, in
    author-id order.

    Each person gets the floor of ``pool * credit``; the units left over (fewer than the
    number of people) go one each to the largest fractional parts, ties to the lower
    author id. Guarantees: the amounts sum to exactly ``pool``; each is within one unit
    of its ideal (strictly less than one away); people with credit 0 get no entry, people
    with credit but an amount of 0 do (a line of 0); independent of the mapping's order.
    Raises ``ValueError`` if ``pool`` is not an int >= 0, a credit is not a Fraction in
    [0, 1], or the credits do not sum to exactly 1. (:meth:`Credits.allocate` gives the
    same amounts straight from a walk, faster.)"""
    _check_pool(pool)
    entries: list[tuple[int, int, int]] = []
    for author_id, credit in credits.items():
        if type(author_id) is not int:
            raise ValueError(f"author ids must be ints, got {author_id!r}")
        value = _checked_share(credit, f"the credit of author {author_id}")
        if value:
            entries.append((author_id, value.numerator, value.denominator))
    if not entries:
        raise ValueError("no credit to allocate: the credits must sum to 1")
    _check_sum_is_one(entries)
    return _largest_remainders(pool, entries)


def _check_pool(pool: object) -> None:
    if type(pool) is not int or pool < 0:
        raise ValueError(f"pool must be an int >= 0 of minor units, got {pool!r}")


def _largest_remainders(pool: int, entries: list[tuple[int, int, int]]) -> dict[int, int]:
    """``entries`` are ``(author id, numerator, denominator)`` of positive credits summing
    to 1."""
    amounts: dict[int, int] = {}
    same_denominator = len({den for _, _, den in entries}) == 1
    # (sort key of the fractional part, author, remainder, denominator)
    remainders: list[tuple[int, int, int, int]] = []
    floors = 0
    for author_id, num, den in entries:
        whole, remainder = divmod(pool * num, den)
        amounts[author_id] = whole
        floors += whole
        if remainder:
            # Over one denominator the remainders order the fractional parts exactly;
            # otherwise floor(frac * 2**64) does, except inside a run of equal keys,
            # which is then ordered exactly.
            key = remainder if same_denominator else (remainder << 64) // den
            remainders.append((-key, author_id, remainder, den))
    left = pool - floors
    if left:
        remainders.sort()
        winners: list[int] = []
        for _, group in groupby(remainders, key=_approx):
            members = list(group)
            if len(members) > 1 and not same_denominator:
                members.sort(key=_exact_key)
            for member in members[: left - len(winners)]:
                winners.append(member[1])
            if len(winners) == left:
                break
        for author_id in winners:
            amounts[author_id] += 1
    return {author_id: amounts[author_id] for author_id in sorted(amounts)}


def _approx(member: tuple[int, int, int, int]) -> int:
    return member[0]


def _exact_key(member: tuple[int, int, int, int]) -> tuple[Fraction, int]:
    return (-Fraction(member[2], member[3]), member[1])


def _check_sum_is_one(entries: list[tuple[int, int, int]]) -> None:
    # Sum over the least common multiple of the denominators: a gcd only when a
    # denominator does not divide the multiple so far (rare: they all divide the walk's).
    common = 1
    for _, _, den in entries:
        if common % den:
            common = common // gcd(common, den) * den
    total = sum(num * (common // den) for _, num, den in entries)
    if total != common:
        raise ValueError(
            f"the credits must sum to exactly 1, they sum to {Fraction(total, common)}"
        )


# --- decimals --------------------------------------------------------------------------


def decimal_share(value: Fraction, places: int = SHARE_PLACES) -> str:
    """``value`` as a decimal string with exactly ``places`` places, rounded half-even:
    ``decimal_share(Fraction(1, 3))`` is ``"0.333333333333"``."""
    if not isinstance(value, Fraction | int) or isinstance(value, bool):
        raise ValueError(f"value must be a Fraction, got {value!r}")
    if type(places) is not int or places < 0:
        raise ValueError(f"places must be an int >= 0, got {places!r}")
    value = Fraction(value)
    sign = "-" if value < 0 else ""
    text = _rounded(abs(value.numerator) * 10**places, value.denominator, places)
    return f"{sign}{text}" if text.strip("0.") else text


def _rounded(numerator: int, denominator: int, places: int = SHARE_PLACES) -> str:
    """``numerator / denominator / 10**places`` as a string with ``places`` places, the
    last rounded half-even; ``numerator`` is already scaled by ``10**places``."""
    whole, remainder = divmod(numerator, denominator)
    twice = remainder * 2
    if twice > denominator or (twice == denominator and whole & 1):
        whole += 1
    return _fixed(whole, places)


def _fixed(scaled: int, places: int) -> str:
    if not places:
        return str(scaled)
    digits = str(scaled).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"


def _checked_share(value: object, what: str) -> Fraction:
    """A share in [0, 1] as an exact Fraction (an int 0 or 1 is accepted; a float or
    Decimal is refused: a share is always exact)."""
    if isinstance(value, bool) or not isinstance(value, Fraction | int):
        raise ValueError(f"{what} must be a fractions.Fraction in [0, 1], got {value!r}")
    share = Fraction(value)
    if not 0 <= share <= 1:
        raise ValueError(f"{what} must be in [0, 1], got {share}")
    return share
