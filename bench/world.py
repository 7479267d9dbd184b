"""A large, lived-in world for benchmarks, made in bulk (``manage.py seed_bench``).

Artists, projects with members and calls, text and image contributions with deep remix
lineages, comments, notifications, locked cuts with their stored credits, and
distributions with their lines: every user-visible page renders from it. The rows are
plain bulk inserts (no services, no audit entries, no per-row signals or tasks), but what
they hold is what the services would have left:

- contributions are ``ready`` as processing leaves them (text rendered to HTML; images
  point at a few real pictures and thumbnails written once to the media store);
- a locked version is written unsealed, its items added, then sealed, as
  ``payouts.services.final_cut_lock`` does (the database triggers of payouts migration
  0002 refuse anything else); its fingerprint is the service's own, over the lineage;
- credits are computed by the project's split rule over the real upstream graph
  (``contributions.lineage.upstream_graph`` + ``payouts.split.credits``), one query and
  one pure computation per version, and stored and sealed like
  ``version_credits_compute`` stores them;
- a distribution's lines come from the version's stored credits through
  ``split.pool_of`` and ``split.allocate``, as ``distribution_compute`` makes them; lines
  and kept payee details are written while the distribution is still ``proposed`` and only
  then is it moved on to ``approved``/``paid`` (migration 0004 refuses new lines after).

Shape (fixed per index, so a bigger size tops a smaller one up): contribution ``n``
belongs to project ``n // 10`` and to lineage family ``n // 100``; in its family it is
built from the one just before it and from others among the 8 before that, so position
``p`` has ancestors ``ceil(p / 8)`` or more generations up, and a cut's lineage stays
within its families (about 100 contributions), except the "largest cut" (project 3), which
holds the last contribution of up to 100 families. Sources cross project boundaries.

Deterministic: every row's values come from a ``random.Random`` seeded by its kind and
index. Times hang off an anchor (the first build's time minus a year, kept as the world
staff user's ``date_joined``), so a top-up a week later stays consistent. Idempotent: each
stage counts what the world already holds and makes only the missing indices.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Medium, Notification, User
from contributions.lineage import upstream_graph
from contributions.models import Comment, Contribution, Source
from hitrecord.markdown import render_markdown
from payouts import split
from payouts.models import (
    Claim,
    CutVersion,
    CutVersionItem,
    Distribution,
    DistributionLine,
    FinalCut,
    FinalCutItem,
    LinePayee,
    PayeeDetails,
    PaymentBatch,
    PersonCredit,
    Revenue,
    VersionCredits,
)
from payouts.money import format_minor
from payouts.selectors import cut_items_for_split
from payouts.services import _fingerprint
from projects.models import Call, Membership, Project

PREFIX = "world-"
ARTIST_PREFIX = "world-artist-"
STAFF_USERNAME = "world-staff"
REVENUE_PREFIX = "world-revenue-"
SEED = 12

PER_PROJECT = 10  # contributions per project: contribution n is in project n // 10
FAMILY = 100  # contributions per lineage family: n // 100
WINDOW = 8  # sources come from the 8 contributions before, in the family
LINKS_PER_CONTRIBUTION = 3  # on average, exactly, over a whole family
SAMPLE_POSITIONS = range(40, 91)  # family positions with >= 5 generations up and remixes
BIG_CUT_PROJECT = 3
BIG_CUT_FAMILIES = 100
STEP = timedelta(minutes=30)  # between two contributions of one family
SPAN = timedelta(days=363)  # families start within this span after the anchor
BATCH = 2_000


@dataclass(frozen=True)
class WorldSize:
    """How big a world is. ``contributions`` is 10 per project and a whole number of
    families of 100; ``remix_links`` is 3 per contribution (what one family holds)."""

    artists: int
    projects: int
    contributions: int
    remix_links: int
    locked_cuts: int
    distributions: int

    def __post_init__(self) -> None:
        if self.contributions != PER_PROJECT * self.projects:
            raise ValueError("a world has 10 contributions per project")
        if self.contributions % FAMILY:
            raise ValueError("a world has whole lineage families of 100 contributions")
        if self.remix_links != LINKS_PER_CONTRIBUTION * self.contributions:
            raise ValueError("a world has 3 remix links per contribution")
        if not (0 < self.locked_cuts <= self.projects) or self.distributions < 0:
            raise ValueError("locked cuts are between 1 and the number of projects")
        if not (0 < self.artists <= self.contributions) or self.artists % 7 == 0:
            raise ValueError("every artist authors work (and 7 must not divide artists)")


SIZES: dict[str, WorldSize] = {
    "tiny": WorldSize(20, 10, 100, 300, 4, 4),
    "small": WorldSize(100, 50, 500, 1_500, 20, 20),
    "medium": WorldSize(1_000, 1_000, 10_000, 30_000, 1_000, 1_000),
    "large": WorldSize(10_000, 10_000, 100_000, 300_000, 1_000, 10_000),
}


@dataclass(frozen=True)
class WorldSample:
    """Objects of the world to point benchmarks at, read from the database."""

    user_ids: list[int]
    usernames: list[str]
    project_slugs: list[str]
    contribution_ids: list[int]
    cut_slugs: list[str]
    director_slugs: list[tuple[int, str]]
    ledger_viewers: list[tuple[int, str]]
    earners: list[int]
    split_slugs: list[str]
    largest_cut_slug: str
    search_words: list[str]


# --- vocabulary -----------------------------------------------------------------------

ADJECTIVES = [
    "Quiet", "Electric", "Paper", "Northern", "Borrowed", "Slow", "Bright", "Lost",
    "Salt", "Velvet", "Hollow", "Golden", "Midnight", "Winter", "Glass", "Wild",
]  # fmt: skip
NOUNS = [
    "Harbor", "Letters", "Orchard", "Machines", "Summer", "Voices", "Rooms", "Tides",
    "Lanterns", "Rivers", "Bakery", "Gardens", "Radio", "Lighthouse", "Station", "Kitchen",
]  # fmt: skip
FIRST_NAMES = [
    "June", "Tomas", "Mira", "Ravi", "Lena", "Kofi", "Ines", "Yuki", "Omar", "Sade",
    "Pavel", "Ada", "Noor", "Felix", "Amara", "Jonas", "Lucia", "Kenji", "Zara", "Emil",
]  # fmt: skip
LAST_NAMES = [
    "Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Silva", "Novak", "Mensah",
    "Kowalski", "Rossi", "Nakamura", "Ferreira", "Byrne", "Castillo", "Weber", "Adeyemi",
]  # fmt: skip
BRIEFS = [
    "A **short film** about the sea, told by the people who left it.\n\n"
    "We need narration, field recordings and a few stills.",
    "An album of *songs written by strangers*: send a verse, a melody or a drum loop.",
    "A picture book for grown-ups. Illustrations first, then the words that fit them.\n\n"
    "- one spread each\n- any style\n- keep it kind",
    "A radio play in six parts. Scripts, voices, and the sounds of a small town at night.",
    "Postcards from a city that does not exist yet: a drawing on one side, a letter on the other.",
]
CALL_TITLES = [
    "We need a cello line", "Narrator wanted", "Cover art", "A verse for the bridge",
    "Storyboard the opening", "A letter from the future", "Field recordings of rain",
]  # fmt: skip
STANZAS = [
    "The tide came in with the radio still playing,\nand nobody turned it down.",
    "We kept the lanterns lit for the late boats,\ncounting the ones that came home.",
    "Flour in the air like weather. The bread listens.",
    "She hums before she boils,\na small god of patience.",
    "Dear city,\n\nwe planted the trees you now walk under.",
    "*Keep the river loud.* Keep the windows open.",
    "The station clock is wrong on purpose:\nit gives the last train a chance.",
    "In the orchard the machines sleep standing up.",
    "Write it down before the summer takes it.",
    "Every room in this house has a different winter.",
]
TEXT_TITLES = ["Verse for the {t}", "Letter from the {t}", "Notes on the {t}", "The {t}, a poem"]
IMAGE_TITLES = ["Sketch of the {t}", "The {t} at dusk", "Storyboard: the {t}", "Study for the {t}"]
COMMENTS = [
    "Your pause before the last line gave me the cello entry.",
    "Frame three is the shot. Can we hold it two beats longer?",
    "Love how this sits inside the harbour light.",
    "I'd remix this with a slower tempo, if you don't mind.",
    "The colours here carry the whole chapter.",
    "Could the second stanza come first? It opens the door.",
]
PICTURES = 12
WEIGHTS = ["1", "1", "1", "0.5", "1.5", "2", "3"]
CURRENCIES = ["USD"] * 7 + ["EUR"] * 2 + ["JPY"]


def _contribution_url(pk: int) -> str:
    """``Contribution.get_absolute_url`` without a ``reverse`` per row (checked by the
    tests against the real one)."""
    return f"/contributions/{pk}/"


def _rng(kind: str, index: int) -> random.Random:
    """The random stream of one row: the same row gets the same values in every build."""
    return random.Random(f"{SEED}:{kind}:{index}")


def _texts() -> list[tuple[str, str]]:
    """A pool of poems with their HTML, rendered once: rendering Markdown per row would
    be most of the build's time."""
    pool = []
    for i in range(40):
        rng = _rng("text", i)
        body = "\n\n".join(rng.sample(STANZAS, k=rng.randint(2, 4)))
        pool.append((body, render_markdown(body)))
    return pool


# --- build ----------------------------------------------------------------------------

Progress = Callable[[str], None]
M = TypeVar("M", bound=models.Model)

_TIMED: list[tuple[type[models.Model], tuple[str, ...]]] = [
    (Project, ("created_at", "updated_at")),
    (Membership, ("joined_at",)),
    (Call, ("created_at", "updated_at")),
    (Contribution, ("created_at", "updated_at")),
    (Source, ("created_at",)),
    (Comment, ("created_at",)),
    (Notification, ("created_at",)),
    (FinalCut, ("updated_at",)),
    (Revenue, ("recorded_at",)),
    (Distribution, ("created_at",)),
    (PaymentBatch, ("created_at",)),
    (LinePayee, ("recorded_at",)),
    (Claim, ("created_at",)),
]


@contextmanager
def _given_times() -> Iterator[None]:
    """While building, ``auto_now``/``auto_now_add`` fields keep the times the world gives
    them: bulk_create would stamp every row with "now", and fixing them afterwards with
    bulk_update would cost as much as the inserts. Every row made here sets them."""
    fields = [model._meta.get_field(name) for model, names in _TIMED for name in names]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[union-attr]
    try:
        for field in fields:
            field.auto_now = field.auto_now_add = False  # type: ignore[union-attr]
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add  # type: ignore[union-attr]


def _insert(model: type[M], rows: list[M]) -> list[M]:
    """bulk_create, for the few kinds whose ids the next stage needs straight back."""
    made: list[M] = model._default_manager.bulk_create(rows, batch_size=BATCH)
    return made


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value)
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(model: type[M], rows: Sequence[M]) -> int:
    """Insert ``rows`` without building an INSERT per batch or reading ids back: ``COPY``
    on PostgreSQL, ``executemany`` on SQLite. Several times faster than bulk_create for
    the world's big tables (links, notifications, lines), whose ids no later stage needs
    or which it reads back in one query. No signals, like bulk_create."""
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(rows), 50_000):
                buffer = io.StringIO()
                for row in rows[start : start + 50_000]:
                    buffer.write("\t".join(_copy_text(_raw(f, row)) for f in fields) + "\n")
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - names are the model's
                [[_sqlite_value(_raw(f, row)) for f in fields] for row in rows],
            )
    return len(rows)


def _sqlite_value(value: Any) -> Any:
    """What Django's SQLite backend stores for a value (aware times as naive UTC text,
    JSON as text), without its per-value lookups, which cost more than the insert."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _raw(field: models.Field[Any, Any], row: models.Model) -> Any:
    value = getattr(row, field.attname)
    if value is None and field.is_relation and field.is_cached(row):  # type: ignore[attr-defined]
        # built from an object saved since: its id now (as bulk_create fills it in)
        related = field.get_cached_value(row)  # type: ignore[attr-defined]
        value = None if related is None else related.pk
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _chunks(values: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def build(size: str, *, progress: Progress | None = None) -> dict[str, int]:
    """Top the database up to the world of ``size`` in bulk (idempotent: a second call adds
    nothing); returns the counts the database then holds. One transaction: a build that
    fails leaves the world as it was."""
    target = SIZES[size]
    say = progress or (lambda _message: None)
    with transaction.atomic(), _given_times():
        world = _World(target, say)
        world.run()
    return counts()


class _World:
    """One build: the stages in dependency order, sharing the index -> id maps."""

    def __init__(self, size: WorldSize, say: Progress) -> None:
        self.size = size
        self.say = say
        self.now = timezone.now()
        self.texts = _texts()
        self.family_starts: dict[int, datetime] = {}

    def run(self) -> None:
        self.staff, self.anchor = self._staff()
        self._artists()
        self._pictures()
        self._projects()
        self._contributions()
        self._cuts()
        self._distributions()

    # --- time -------------------------------------------------------------------------

    def family_start(self, family: int) -> datetime:
        start = self.family_starts.get(family)
        if start is None:
            room = int((SPAN - FAMILY * STEP).total_seconds())
            start = self.anchor + timedelta(seconds=_rng("family", family).randrange(room))
            self.family_starts[family] = start
        return start

    def made_at(self, n: int) -> datetime:
        """When contribution ``n`` was made: in its family, after every contribution
        before it (its sources are always older)."""
        return self.family_start(n // FAMILY) + (n % FAMILY) * STEP

    def capped(self, moment: datetime) -> datetime:
        return min(moment, self.now - timedelta(minutes=5))

    # --- people -----------------------------------------------------------------------

    def _staff(self) -> tuple[User, datetime]:
        staff = User.objects.filter(username=STAFF_USERNAME).first()
        if staff is None:
            anchor = (self.now - timedelta(days=365)).replace(minute=0, second=0, microsecond=0)
            staff = User.objects.create(
                username=STAFF_USERNAME,
                email=f"{STAFF_USERNAME}@world.invalid",
                password=make_password(None),
                first_name="World",
                last_name="Staff",
                is_staff=True,
                date_joined=anchor,
                email_verified_at=anchor,
            )
        return staff, staff.date_joined

    def _artists(self) -> None:
        have = User.objects.filter(username__startswith=ARTIST_PREFIX).count()
        rows = []
        for i in range(have, self.size.artists):
            rng = _rng("artist", i)
            joined = self.anchor - timedelta(days=rng.randint(1, 300), minutes=rng.randint(0, 1439))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            rows.append(
                User(
                    username=f"{ARTIST_PREFIX}{i:05d}",
                    email=f"{ARTIST_PREFIX}{i:05d}@world.invalid",
                    password=make_password(None),
                    first_name=first if rng.random() < 0.8 else "",
                    last_name=last,
                    bio=f"{first} makes {rng.choice(NOUNS).lower()} out of whatever is at hand."
                    if rng.random() < 0.6
                    else "",
                    mediums=rng.sample(list(Medium.values), k=rng.randint(1, 2)),
                    date_joined=joined,
                    email_verified_at=joined + timedelta(hours=1) if rng.random() < 0.9 else None,
                )
            )
        made = _insert(User, rows)
        self.artist_ids = list(
            User.objects.filter(username__startswith=ARTIST_PREFIX)
            .order_by("username")
            .values_list("pk", flat=True)
        )
        # Two in three have confirmed where they are paid.
        _copy(
            PayeeDetails,
            [
                PayeeDetails(
                    person=person,
                    payout_email=person.email,
                    payee_name=person.get_full_name() or person.username,
                    email_verified_at=person.date_joined + timedelta(days=1),
                    changed_at=person.date_joined + timedelta(days=1),
                )
                for index, person in enumerate(made, start=have)
                if index % 3
            ],
        )
        _copy(
            Notification,
            [
                Notification(
                    recipient=person,
                    kind=Notification.Kind.WELCOME,
                    message="Welcome to hitrecord. Join a project and answer an open call.",
                    url="/projects/",
                    created_at=person.date_joined,
                    read_at=person.date_joined + timedelta(hours=2),
                )
                for person in made
            ],
        )
        self.say(f"artists: {len(self.artist_ids)} ({len(made)} new)")

    def author_of(self, n: int) -> int:
        """Contribution ``n``'s author: 7 apart from its neighbours', so no one remixes
        their own work inside a family's window, and every artist authors work."""
        return self.artist_ids[(7 * n) % self.size.artists]

    # --- media ------------------------------------------------------------------------

    def _pictures(self) -> None:
        """A few real pictures and thumbnails, written once, that image contributions
        share (the media view serves a name any ready contribution holds)."""
        from contributions.demo import drawing
        from hitrecord.media import image_thumbnail

        self.pictures: list[dict[str, Any]] = []
        for k in range(PICTURES):
            name = f"contributions/world/picture-{k:02d}.png"
            thumb = f"contributions/thumbs/world-picture-{k:02d}.jpg"
            if default_storage.exists(name):
                with default_storage.open(name) as stored:
                    data = stored.read()
            else:
                data = drawing(f"world-{k}")
                default_storage.save(name, ContentFile(data))
            if not default_storage.exists(thumb):
                default_storage.save(thumb, ContentFile(image_thumbnail(ContentFile(data)).read()))
            self.pictures.append(
                {
                    "file": name,
                    "thumbnail": thumb,
                    "size_bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "width": 960,
                    "height": 640,
                    "detected_type": "image/png",
                }
            )

    # --- projects ---------------------------------------------------------------------

    def _projects(self) -> None:
        have = Project.objects.filter(slug__startswith=PREFIX).count()
        briefs = [(brief, render_markdown(brief)) for brief in BRIEFS]
        statuses = [
            Project.Status.OPEN,
            Project.Status.OPEN,
            Project.Status.OPEN,
            Project.Status.IN_PRODUCTION,
            Project.Status.RELEASED,
        ]
        rows = []
        for j in range(have, self.size.projects):
            rng = _rng("project", j)
            title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            if rng.random() < 0.4:
                title += f" and the {rng.choice(NOUNS)}"
            brief, brief_html = rng.choice(briefs)
            made = self.made_at(j * PER_PROJECT) - timedelta(hours=rng.randint(2, 48))
            rows.append(
                Project(
                    title=title,
                    slug=f"{PREFIX}{j:05d}-{slugify(title)}",
                    brief=brief,
                    brief_html=brief_html,
                    mediums=rng.sample([Medium.TEXT.value, Medium.IMAGE.value], k=rng.randint(1, 2))
                    + (
                        [rng.choice([Medium.AUDIO.value, Medium.VIDEO.value])]
                        if rng.random() < 0.3
                        else []
                    ),
                    status=rng.choice(statuses),
                    remix_upstream_share=Decimal(rng.choice(["0.5", "0.5", "0.25", "0.75"])),
                    created_by_id=self.author_of(j * PER_PROJECT),
                    created_at=made,
                    updated_at=made,
                )
            )
        made_projects = _insert(Project, rows)
        self.project_ids = self._project_ids()
        self._memberships(made_projects, have)
        self._calls(made_projects, have)
        self.say(f"projects: {len(self.project_ids)} ({len(made_projects)} new)")

    def _project_ids(self) -> list[int]:
        slugs = Project.objects.filter(slug__startswith=PREFIX).values_list("slug", "pk")
        ids = dict((int(slug[len(PREFIX) : len(PREFIX) + 5]), pk) for slug, pk in slugs)
        return [ids[j] for j in range(len(ids))]

    def _memberships(self, projects: list[Project], first: int) -> None:
        """The director (author of the project's first work), a co-director in one
        project of five, everyone who contributes, and a few who only joined."""
        rows: list[Membership] = []
        notes: list[Notification] = []
        for j, project in enumerate(projects, start=first):
            rng = _rng("members", j)
            director = self.author_of(j * PER_PROJECT)
            people = {director: Membership.Role.DIRECTOR}
            if j % 5 == 0:
                people[self.author_of(j * PER_PROJECT + 1)] = Membership.Role.DIRECTOR
            for n in range(j * PER_PROJECT, (j + 1) * PER_PROJECT):
                people.setdefault(self.author_of(n), Membership.Role.MEMBER)
            for _ in range(rng.randint(0, 3)):
                people.setdefault(rng.choice(self.artist_ids), Membership.Role.MEMBER)
            for offset, (person, role) in enumerate(people.items()):
                joined = project.created_at + timedelta(hours=offset)
                rows.append(
                    Membership(project=project, user_id=person, role=role, joined_at=joined)
                )
                if person != director:
                    notes.append(
                        Notification(
                            recipient_id=director,
                            actor_id=person,
                            kind=Notification.Kind.JOINED,
                            message=f"{Notification.ACTOR_PLACEHOLDER} joined “{project.title}”.",
                            url=f"/projects/{project.slug}/",
                            created_at=joined,
                        )
                    )
        _copy(Membership, rows)
        _copy(Notification, notes)

    def _calls(self, projects: list[Project], first: int) -> None:
        rows = []
        for j, project in enumerate(projects, start=first):
            rng = _rng("calls", j)
            for _ in range(rng.randint(0, 3)):
                rows.append(
                    Call(
                        project=project,
                        title=rng.choice(CALL_TITLES),
                        description="Anything goes; ask in the comments.",
                        medium=rng.choice([Medium.TEXT.value, Medium.IMAGE.value]),
                        good_first=rng.random() < 0.25,
                        is_open=rng.random() < 0.7,
                        created_at=project.created_at,
                        updated_at=project.created_at,
                    )
                )
        _copy(Call, rows)

    # --- contributions ----------------------------------------------------------------

    def _contributions(self) -> None:
        world = Contribution.objects.filter(project__slug__startswith=PREFIX)
        self.contribution_ids = list(world.order_by("pk").values_list("pk", flat=True))
        have = len(self.contribution_ids)
        wanted = range(have, self.size.contributions)
        projects = {pk: j for j, pk in enumerate(self.project_ids)}
        calls: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for call_id, project_id, title in Call.objects.filter(
            project_id__in=[self.project_ids[n // PER_PROJECT] for n in wanted[::PER_PROJECT]]
        ).values_list("pk", "project_id", "title"):
            calls[projects[project_id]].append((call_id, title))
        titles = {}
        rows = []
        for n in wanted:
            rng = _rng("contribution", n)
            j = n // PER_PROJECT
            kind = Contribution.Kind.TEXT if rng.random() < 0.55 else Contribution.Kind.IMAGE
            subject = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            pattern = rng.choice(TEXT_TITLES if kind == Contribution.Kind.TEXT else IMAGE_TITLES)
            title = pattern.format(t=subject)
            made = self.made_at(n)
            call = rng.choice(calls[j]) if calls[j] and rng.random() < 0.3 else None
            row = Contribution(
                project_id=self.project_ids[j],
                author_id=self.author_of(n),
                call_id=call[0] if call else None,
                title=title,
                description=f"Made for the {subject.lower()}." if rng.random() < 0.5 else "",
                kind=kind,
                status=Contribution.Status.READY,
                terms_version=settings.CONTRIBUTOR_TERMS_VERSION,
                terms_accepted_at=made,
                created_at=made,
                updated_at=made,
            )
            if kind == Contribution.Kind.TEXT:
                row.text, row.text_html = rng.choice(self.texts)
            else:
                picture = rng.choice(self.pictures)
                row.file.name = picture["file"]
                row.thumbnail.name = picture["thumbnail"]
                for key in ("size_bytes", "sha256", "width", "height", "detected_type"):
                    setattr(row, key, picture[key])
                row.processing_step = Contribution.Step.DONE
            if n % 53 == 7:  # about 2% withdrawn by their authors: kept in lineages
                row.withdrawn = True
                row.withdrawn_at = made + timedelta(days=3)
            titles[n] = title
            rows.append(row)
        _copy(Contribution, rows)
        self.contribution_ids = list(world.order_by("pk").values_list("pk", flat=True))
        made_rows = rows
        for row, pk in zip(made_rows, self.contribution_ids[have:], strict=True):
            row.pk = pk
        self.say(f"contributions: {len(self.contribution_ids)} ({len(made_rows)} new)")
        self._sources(made_rows, have, titles)
        self._answered_calls(made_rows, calls, have)
        self._comments(made_rows, have)
        if connection.vendor == "postgresql":
            # Rows inserted in this still-open transaction have no statistics yet, so the
            # planner takes the tables for empty and the lineage CTE of each cut below
            # would scan them whole; ANALYZE sees this transaction's rows.
            with connection.cursor() as cursor:
                for model in (Contribution, Source, User, Project, Membership):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def _sources(self, made: list[Contribution], first: int, titles: dict[int, str]) -> None:
        """Each contribution's sources, in its family: the one just before (so chains run
        the family's length) and others among the 8 before that; 3 per contribution over
        a family (positions 1-3 have fewer, 4-9 one more). Each source's author is told."""
        # A build starts on a family boundary (sizes are whole families), so every source
        # is new; titles of older ones are read in case a family was left unfinished.
        older = range(first - first % FAMILY, first)
        known = dict(
            Contribution.objects.filter(
                pk__in=[self.contribution_ids[n] for n in older]
            ).values_list("pk", "title")
        )
        links: list[Source] = []
        notes: list[Notification] = []
        for offset, row in enumerate(made):
            n = first + offset
            p = n % FAMILY
            if p == 0:
                continue
            rng = _rng("sources", n)
            count = p if p <= 3 else 4 if p <= 9 else LINKS_PER_CONTRIBUTION
            window = list(range(max(0, p - WINDOW), p - 1))
            chosen = [p - 1, *rng.sample(window, k=count - 1)]
            told: set[int] = set()
            for q in chosen:
                source_n = n - p + q
                links.append(
                    Source(
                        contribution=row,
                        source_id=self.contribution_ids[source_n],
                        weight=Decimal(rng.choice(WEIGHTS)),
                        created_at=row.created_at,
                    )
                )
                source_author = self.author_of(source_n)
                if source_author in told or source_author == row.author_id:
                    continue
                told.add(source_author)
                title = titles.get(source_n) or known.get(self.contribution_ids[source_n], "")
                notes.append(
                    Notification(
                        recipient_id=source_author,
                        actor_id=row.author_id,
                        kind=Notification.Kind.REMIXED,
                        message=f"{Notification.ACTOR_PLACEHOLDER} remixed your “{title}” "
                        f"into “{row.title}”."[:500],
                        url=_contribution_url(row.pk),
                        created_at=row.created_at,
                        read_at=row.created_at + timedelta(hours=5) if rng.random() < 0.5 else None,
                    )
                )
        _copy(Source, links)
        _copy(Notification, notes)
        self.say(f"remix links: {len(links)} new, {len(notes)} notifications")

    def _answered_calls(
        self, made: list[Contribution], calls: dict[int, list[tuple[int, str]]], first: int
    ) -> None:
        """Directors hear of work answering their calls."""
        directors: dict[int, list[int]] = defaultdict(list)
        for project_id, user_id in Membership.objects.filter(
            project_id__in={row.project_id for row in made if row.call_id},
            role=Membership.Role.DIRECTOR,
        ).values_list("project_id", "user_id"):
            directors[project_id].append(user_id)
        notes = []
        for offset, row in enumerate(made):
            if row.call_id is None:
                continue
            j = (first + offset) // PER_PROJECT
            call_title = dict(calls[j])[row.call_id]
            for director in directors[row.project_id]:
                if director == row.author_id:
                    continue
                notes.append(
                    Notification(
                        recipient_id=director,
                        actor_id=row.author_id,
                        kind=Notification.Kind.CALL_ANSWERED,
                        message=f"{Notification.ACTOR_PLACEHOLDER} answered your call "
                        f"“{call_title}” with “{row.title}”.",
                        url=_contribution_url(row.pk),
                        created_at=row.created_at,
                    )
                )
        _copy(Notification, notes)

    def _comments(self, made: list[Contribution], first: int) -> None:
        rows = []
        notes = []
        for offset, row in enumerate(made):
            n = first + offset
            rng = _rng("comments", n)
            if rng.random() >= 0.35:
                continue
            for i in range(rng.randint(1, 3)):
                author = self.artist_ids[(7 * n + 3 + 11 * i) % self.size.artists]
                at = row.created_at + timedelta(hours=1 + 3 * i)
                rows.append(
                    Comment(
                        contribution=row,
                        author_id=author,
                        body=rng.choice(COMMENTS),
                        created_at=at,
                    )
                )
                if author != row.author_id:
                    notes.append(
                        Notification(
                            recipient_id=row.author_id,
                            actor_id=author,
                            kind=Notification.Kind.COMMENTED,
                            message=f"{Notification.ACTOR_PLACEHOLDER} left feedback on your "
                            f"“{row.title}”.",
                            url=f"{_contribution_url(row.pk)}#comments",
                            created_at=at,
                        )
                    )
        _copy(Comment, rows)
        _copy(Notification, notes)
        self.say(f"comments: {len(rows)} new")

    # --- final cuts -------------------------------------------------------------------

    def _cut_items(self, j: int, rng: random.Random) -> list[tuple[int, Decimal, Decimal | None]]:
        """A cut of project ``j``: 3 to 6 of its own works (never withdrawn ones), the
        first sometimes with an upstream-share override; the largest cut adds the last
        work of up to 100 families."""
        own = [
            n
            for n in range(j * PER_PROJECT, (j + 1) * PER_PROJECT)
            if n % 53 != 7 and n < len(self.contribution_ids)
        ]
        picked = sorted(rng.sample(own, k=min(len(own), rng.randint(3, 6))))
        if j == BIG_CUT_PROJECT:
            families = len(self.contribution_ids) // FAMILY
            tails = [f * FAMILY + FAMILY - 1 for f in range(min(families, BIG_CUT_FAMILIES))]
            picked += [n for n in tails if n % 53 != 7 and n not in picked]
        rows: list[tuple[int, Decimal, Decimal | None]] = []
        for position, n in enumerate(picked):
            share = None
            if position == 0 and rng.random() < 0.15:
                share = Decimal(rng.choice(["0.0000", "0.2500", "1.0000"]))
            rows.append((self.contribution_ids[n], Decimal(rng.choice(WEIGHTS)), share))
        return rows

    def _cuts(self) -> None:
        """Projects 0 .. locked_cuts - 1 get a locked cut (one in four a second version,
        reweighted), their draft equal to the latest version, and the credits stored."""
        locked = set(
            CutVersion.objects.filter(
                sealed=True, project_id__in=self.project_ids[: self.size.locked_cuts]
            ).values_list("project_id", flat=True)
        )
        todo = [j for j in range(self.size.locked_cuts) if self.project_ids[j] not in locked]
        if not todo:
            self.say(f"locked cuts: {len(locked)} (0 new)")
            return
        projects = Project.objects.in_bulk([self.project_ids[j] for j in todo])
        plans: list[tuple[int, list[list[tuple[int, Decimal, Decimal | None]]]]] = []
        for j in todo:
            rng = _rng("cut", j)
            first = self._cut_items(j, rng)
            versions = [first]
            if j % 4 == 1:
                versions.append([(cid, Decimal(rng.choice(WEIGHTS)), s) for cid, _w, s in first])
            plans.append((j, versions))
        times = dict(
            Contribution.objects.filter(
                pk__in={cid for _j, vs in plans for v in vs for cid, _w, _s in v}
            ).values_list("pk", "created_at")
        )
        versions_made: list[CutVersion] = []
        items: list[CutVersionItem] = []
        credits_of: list[tuple[CutVersion, split.Credits]] = []
        notes: list[Notification] = []
        drafts: list[tuple[FinalCut, list[tuple[int, Decimal, Decimal | None]]]] = []
        for j, versions in plans:
            project = projects[self.project_ids[j]]
            director = self.author_of(j * PER_PROJECT)
            at = max(times[cid] for cid, _w, _s in versions[0]) + timedelta(days=2)
            for number, rows in enumerate(versions, start=1):
                graph = upstream_graph([cid for cid, _w, _s in rows])
                u = project.remix_upstream_share
                version = CutVersion(
                    project=project,
                    number=number,
                    contributor_share=project.contributor_share,
                    remix_upstream_share=u,
                    locked_by_id=director,
                    locked_at=self.capped(at + timedelta(days=3 * (number - 1))),
                    fingerprint=_fingerprint(rows, project.contributor_share, u, graph),
                )
                versions_made.append(version)
                items += [
                    CutVersionItem(
                        version=version,
                        contribution_id=cid,
                        weight=weight,
                        upstream_share=share,
                        position=position,
                    )
                    for position, (cid, weight, share) in enumerate(rows)
                ]
                result = split.credits(
                    cut_items_for_split(rows), graph.nodes, upstream_share=Fraction(u)
                )
                credits_of.append((version, result))
                notes += [
                    Notification(
                        recipient_id=author_id,
                        actor_id=director,
                        kind=Notification.Kind.IN_CUT,
                        message=f"Your work reaches version {number} of the final cut of "
                        f"“{project.title}”.",
                        url=f"/projects/{project.slug}/credits/",
                        created_at=version.locked_at,
                    )
                    for author_id in sorted({node.author_id for node in graph.nodes.values()})
                    if author_id != director
                ]
            draft = FinalCut(
                project=project,
                revision=len(versions),
                updated_by_id=director,
                updated_at=versions_made[-1].locked_at,
            )
            drafts.append((draft, versions[-1]))
        _insert(CutVersion, versions_made)
        _copy(CutVersionItem, items)
        for chunk in _chunks([v.pk for v in versions_made]):
            CutVersion.objects.filter(pk__in=chunk).update(sealed=True)
        self._store_credits(credits_of)
        _insert(FinalCut, [draft for draft, _rows in drafts])
        _copy(
            FinalCutItem,
            [
                FinalCutItem(
                    cut=draft, contribution_id=cid, weight=w, upstream_share=s, position=position
                )
                for draft, rows in drafts
                for position, (cid, w, s) in enumerate(rows)
            ],
        )
        _copy(Notification, notes)
        self.say(f"locked cuts: {len(locked) + len(todo)} ({len(versions_made)} versions new)")

    def _store_credits(self, credits_of: list[tuple[CutVersion, split.Credits]]) -> None:
        """What ``version_credits_compute`` stores: one sealed set per version."""
        headers = _insert(
            VersionCredits,
            [
                VersionCredits(
                    version=version, computed_at=version.locked_at, node_count=len(result.reached)
                )
                for version, result in credits_of
            ],
        )
        people = [
            PersonCredit(
                credits=header,
                person_id=author_id,
                share=person.share,
                share_exact=person.share_exact,
                explanation=result.explanation(author_id),
            )
            for header, (_version, result) in zip(headers, credits_of, strict=True)
            for author_id, person in result.people.items()
        ]
        _copy(PersonCredit, people)
        for chunk in _chunks([h.pk for h in headers]):
            VersionCredits.objects.filter(pk__in=chunk).update(sealed=True)
        self.say(f"credits: {len(people)} person credits over {len(headers)} versions")

    # --- money ------------------------------------------------------------------------

    def _distributions(self) -> None:
        """Revenue ``k`` goes to the latest version of cut project ``k % locked_cuts``;
        its distribution is computed, proposed, approved or paid (never approved within
        its claim window), with lines from the stored credits."""
        have = Revenue.objects.filter(reference__startswith=REVENUE_PREFIX).count()
        wanted = range(have, self.size.distributions)
        if not wanted:
            self.say(f"distributions: {have} (0 new)")
            return
        cut_projects = self.project_ids[: self.size.locked_cuts]
        latest: dict[int, CutVersion] = {}
        for version in (
            CutVersion.objects.filter(project_id__in=cut_projects, sealed=True)
            .select_related("project")
            .order_by("project_id", "number")
        ):
            latest[version.project_id] = version
        people: dict[int, list[tuple[int, int, Fraction]]] = defaultdict(list)
        for pk, version_id, person_id, exact in (
            PersonCredit.objects.filter(credits__version__in=list(latest.values()))
            .order_by("person_id")
            .values_list("pk", "credits__version_id", "person_id", "share_exact")
        ):
            people[version_id].append((pk, person_id, Fraction(exact)))
        payees = {
            d.person_id: d for d in PayeeDetails.objects.filter(person_id__in=self.artist_ids)
        }
        revenues: list[Revenue] = []
        distributions: list[Distribution] = []
        plans: list[tuple[int, str, Distribution, int]] = []
        for k in wanted:
            rng = _rng("revenue", k)
            version = latest[cut_projects[k % self.size.locked_cuts]]
            currency = rng.choice(CURRENCIES)
            amount = (
                rng.randint(5_000, 2_000_000) if currency != "JPY" else rng.randint(500, 300_000)
            )
            at = self.capped(
                version.locked_at + timedelta(days=7 * (1 + k // self.size.locked_cuts))
            )
            status = rng.choice(
                [Distribution.Status.PAID] * 3
                + [Distribution.Status.APPROVED] * 3
                + [Distribution.Status.PROPOSED] * 3
                + [Distribution.Status.COMPUTED]
            )
            if status in (Distribution.Status.PAID, Distribution.Status.APPROVED) and (
                at + timedelta(days=17) > self.now
            ):
                status = Distribution.Status.PROPOSED  # still inside its claim window
            revenue = Revenue(
                project_id=version.project_id,
                version=version,
                amount_minor=amount,
                currency=currency,
                reference=f"{REVENUE_PREFIX}{k:06d}",
                note=rng.choice(["Streaming", "Festival screening licence", "Print run", ""]),
                received_on=at.date(),
                recorded_by=self.staff,
                recorded_at=at,
            )
            pool, house = split.pool_of(amount, Fraction(version.contributor_share))
            proposed = at + timedelta(hours=2)
            distribution = Distribution(
                revenue=revenue,
                version=version,
                status=Distribution.Status.COMPUTED
                if status == Distribution.Status.COMPUTED
                else Distribution.Status.PROPOSED,
                currency=currency,
                amount_minor=amount,
                pool_minor=pool,
                house_minor=house,
                created_at=at,
                computed_at=at + timedelta(hours=1),
                proposed_at=None if status == Distribution.Status.COMPUTED else proposed,
                claim_deadline=None
                if status == Distribution.Status.COMPUTED
                else proposed + timedelta(days=14),
            )
            revenues.append(revenue)
            distributions.append(distribution)
            plans.append((k, status, distribution, pool))
        _insert(Revenue, revenues)
        for distribution in distributions:
            distribution.revenue_id = distribution.revenue.pk
        _insert(Distribution, distributions)
        lines, final = self._lines(plans, people, payees)
        self._settle(final)
        self.say(f"distributions: {have + len(plans)} ({len(plans)} new, {lines} lines)")

    def _lines(
        self,
        plans: list[tuple[int, str, Distribution, int]],
        people: dict[int, list[tuple[int, int, Fraction]]],
        payees: dict[int, PayeeDetails],
    ) -> tuple[int, dict[str, list[Distribution]]]:
        """Every line, as ``distribution_compute`` makes them, then the kept payee details
        for the distributions that are to be approved, all while they are still proposed."""
        final: dict[str, list[Distribution]] = defaultdict(list)
        batches: dict[int, PaymentBatch] = {}
        for k, status, distribution, _pool in plans:
            final[status].append(distribution)
            if status == Distribution.Status.PAID:
                batches[k] = PaymentBatch(
                    currency=distribution.currency,
                    created_by=self.staff,
                    created_at=distribution.created_at + timedelta(days=16),
                )
        _insert(PaymentBatch, list(batches.values()))
        total = 0
        lines: list[DistributionLine] = []
        kept: list[LinePayee] = []
        notes: list[Notification] = []
        for k, status, distribution, pool in plans:
            credits = people[distribution.version.pk]
            amounts = split.allocate({person: share for _pk, person, share in credits}, pool)
            title = distribution.version.project.title
            money = format_minor(distribution.amount_minor, distribution.currency)
            paid_at = distribution.created_at + timedelta(days=17)
            for credit_id, person, _share in credits:
                amount = amounts[person]
                details = payees.get(person)
                payable = amount > 0
                line = DistributionLine(
                    distribution=distribution,
                    person_id=person,
                    credit_id=credit_id,
                    amount_minor=amount,
                    payment_status=DistributionLine.Payment.UNPAID
                    if payable
                    else DistributionLine.Payment.NOT_PAYABLE,
                )
                if status == Distribution.Status.PAID and payable:
                    line.payment_status = DistributionLine.Payment.PAID
                    line.batch = batches[k]
                    line.payment_reference = f"world-payment-{k:06d}-{person}"
                    line.paid_at = paid_at
                    notes.append(
                        Notification(
                            recipient_id=person,
                            kind=Notification.Kind.PAID,
                            message=f"You were paid {format_minor(amount, distribution.currency)} "
                            f"for “{title}”.",
                            url="/me/earnings/",
                            created_at=paid_at,
                        )
                    )
                if status in (Distribution.Status.PAID, Distribution.Status.APPROVED):
                    kept.append(
                        LinePayee(
                            line=line,
                            payout_email=details.payout_email if details else "",
                            payee_name=details.payee_name if details else "",
                            recorded_at=distribution.created_at + timedelta(days=15),
                        )
                    )
                if status == Distribution.Status.PROPOSED:
                    assert distribution.claim_deadline is not None
                    notes.append(
                        Notification(
                            recipient_id=person,
                            kind=Notification.Kind.PROPOSED,
                            message=f"A distribution of {money} for “{title}” was proposed; "
                            f"claims are open until {distribution.claim_deadline:%Y-%m-%d}.",
                            url="/me/earnings/",
                            created_at=distribution.proposed_at or distribution.created_at,
                        )
                    )
                lines.append(line)
            if len(lines) >= 20_000:
                total += self._flush_lines(lines, kept)
                lines, kept = [], []
        total += self._flush_lines(lines, kept)
        _copy(Notification, notes)
        self._claims(final[Distribution.Status.PROPOSED], people)
        return total, final

    def _flush_lines(self, lines: list[DistributionLine], kept: list[LinePayee]) -> int:
        _copy(DistributionLine, lines)
        ids = {
            (distribution_id, person_id): pk
            for distribution_id, person_id, pk in DistributionLine.objects.filter(
                distribution_id__in={line.distribution_id for line in lines}
            ).values_list("distribution_id", "person_id", "pk")
        }
        for payee in kept:
            payee.line_id = ids[(payee.line.distribution_id, payee.line.person_id)]
        _copy(LinePayee, kept)
        return len(lines)

    def _claims(
        self, proposed: list[Distribution], people: dict[int, list[tuple[int, int, Fraction]]]
    ) -> None:
        """One proposed distribution in seven has an open claim from someone in it."""
        rows = []
        for distribution in proposed:
            if distribution.pk % 7:
                continue
            credits = people[distribution.version.pk]
            claimant = credits[distribution.pk % len(credits)][1]
            rows.append(
                Claim(
                    distribution=distribution,
                    claimant_id=claimant,
                    text="My sketch for the second scene is missing from the lineage.",
                    created_at=distribution.created_at + timedelta(days=1),
                )
            )
        _copy(Claim, rows)

    def _settle(self, final: dict[str, list[Distribution]]) -> None:
        """Move distributions on from ``proposed``: approved (after the claim window), and
        paid once every payable line is."""
        for status in (Distribution.Status.APPROVED, Distribution.Status.PAID):
            chosen = final.get(status, [])
            for distribution in chosen:
                assert distribution.claim_deadline is not None
                distribution.status = status
                distribution.approved_at = distribution.claim_deadline + timedelta(hours=3)
                distribution.approved_by = self.staff
                if status == Distribution.Status.PAID:
                    distribution.paid_at = distribution.created_at + timedelta(days=17)
            Distribution.objects.bulk_update(
                chosen, ["status", "approved_at", "approved_by", "paid_at"], batch_size=500
            )


# --- what the world holds ---------------------------------------------------------------


def counts() -> dict[str, int]:
    """The world's rows, by kind (only world rows: ``world-`` users and projects)."""
    projects = Project.objects.filter(slug__startswith=PREFIX)
    contributions = Contribution.objects.filter(project__in=projects)
    versions = CutVersion.objects.filter(project__in=projects, sealed=True)
    distributions = Distribution.objects.filter(revenue__reference__startswith=REVENUE_PREFIX)
    return {
        "artists": User.objects.filter(username__startswith=ARTIST_PREFIX).count(),
        "projects": projects.count(),
        "memberships": Membership.objects.filter(project__in=projects).count(),
        "calls": Call.objects.filter(project__in=projects).count(),
        "contributions": contributions.count(),
        "remix_links": Source.objects.filter(contribution__in=contributions).count(),
        "comments": Comment.objects.filter(contribution__in=contributions).count(),
        "notifications": Notification.objects.filter(
            recipient__username__startswith=PREFIX
        ).count(),
        "locked_cuts": versions.values("project_id").distinct().count(),
        "cut_versions": versions.count(),
        "person_credits": PersonCredit.objects.filter(credits__version__in=versions).count(),
        "distributions": distributions.count(),
        "distribution_lines": DistributionLine.objects.filter(
            distribution__in=distributions
        ).count(),
        "claims": Claim.objects.filter(distribution__in=distributions).count(),
    }


def _spread(values: Sequence[Any], limit: int) -> list[Any]:
    """At most ``limit`` values picked evenly across ``values`` (in their order), so a
    sample of a large world covers all of it, not only its first rows."""
    if len(values) <= limit:
        return list(values)
    return [values[i * len(values) // limit] for i in range(limit)]


def sample(limit: int = 1_000) -> WorldSample:
    """Up to ``limit`` of each, read from the database (deterministic order)."""
    projects = Project.objects.filter(slug__startswith=PREFIX)
    artists = User.objects.filter(username__startswith=ARTIST_PREFIX)
    visible = Contribution.objects.filter(
        status=Contribution.Status.READY, withdrawn=False, removed=False
    )
    user_ids = list(
        artists.filter(
            models.Exists(Notification.objects.filter(recipient=models.OuterRef("pk"))),
            models.Exists(Membership.objects.filter(user=models.OuterRef("pk"))),
        )
        .order_by("username")
        .values_list("pk", flat=True)
    )
    usernames = list(
        artists.filter(
            models.Exists(visible.filter(author=models.OuterRef("pk"), project__in=projects))
        )
        .order_by("username")
        .values_list("username", flat=True)
    )
    rows = list(
        Contribution.objects.filter(project__in=projects)
        .order_by("pk")
        .values_list("pk", "status", "withdrawn", "removed")
    )
    deep = [
        pk
        for n, (pk, status, withdrawn, removed) in enumerate(rows)
        if n % FAMILY in SAMPLE_POSITIONS
        and status == Contribution.Status.READY
        and not withdrawn
        and not removed
    ]
    versions = CutVersion.objects.filter(project__in=projects, sealed=True, credits__sealed=True)
    cut_slugs = sorted(set(versions.values_list("project__slug", flat=True)))
    director_rows = (
        Membership.objects.filter(project__in=projects, role=Membership.Role.DIRECTOR)
        .order_by("project__slug", "pk")
        .values_list("project__slug", "user_id")
    )
    directors: dict[str, int] = {}
    for slug, user_id in director_rows:
        directors.setdefault(slug, user_id)
    with_cut = set(cut_slugs)
    director_slugs = [
        (directors[s], s) for s in sorted(directors, key=lambda s: (s not in with_cut, s))
    ]
    public = DistributionLine.objects.filter(
        distribution__revenue__project__in=projects,
        distribution__status__in=[
            Distribution.Status.PROPOSED,
            Distribution.Status.APPROVED,
            Distribution.Status.PAID,
        ],
    )
    viewers: dict[str, int] = {}
    for slug, person_id in public.order_by(
        "distribution__revenue__project__slug", "pk"
    ).values_list("distribution__revenue__project__slug", "person_id"):
        viewers.setdefault(slug, person_id)
    earners = sorted(set(public.values_list("person_id", flat=True)))
    split_slugs = sorted(
        set(
            FinalCutItem.objects.filter(cut__project__in=projects).values_list(
                "cut__project__slug", flat=True
            )
        )
    )
    largest = (
        VersionCredits.objects.filter(version__in=versions)
        .order_by("-node_count", "version__project__slug", "-version__number")
        .values_list("version__project__slug", flat=True)
        .first()
    )
    titles = " ".join(projects.values_list("title", flat=True)).split()
    present = set(titles)
    words = [w for w in [*ADJECTIVES, *NOUNS] if w in present]
    return WorldSample(
        user_ids=_spread(user_ids, limit),
        usernames=_spread(usernames, limit),
        project_slugs=_spread(
            list(projects.order_by("slug").values_list("slug", flat=True)), limit
        ),
        contribution_ids=_spread(deep, limit),
        cut_slugs=_spread(cut_slugs, limit),
        director_slugs=_spread(director_slugs, limit),
        ledger_viewers=_spread([(viewers[s], s) for s in sorted(viewers)], limit),
        earners=_spread(earners, limit),
        split_slugs=_spread(split_slugs, limit),
        largest_cut_slug=largest or "",
        search_words=words,
    )
