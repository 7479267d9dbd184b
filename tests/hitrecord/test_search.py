"""Search: ``/search/`` and ``GET /api/search/`` over projects, contributions and people,
and project browsing's ``search``. On both databases unless a test says otherwise; the
index tests need PostgreSQL (its GIN indexes do not exist on SQLite)."""

from __future__ import annotations

import itertools
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.text import slugify
from rest_framework.test import APIClient

from accounts.services import user_anonymise
from contributions.models import Contribution
from hitrecord.markdown import render_markdown
from hitrecord.search import fulltext, selectors
from projects.models import Project
from projects.selectors import project_list
from tests.accounts.factories import UserFactory
from tests.contributions.factories import (
    ContributionFactory,
    SimpleProjectFactory,
    bulk_contributions,
)
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the GIN indexes and ts_rank exist there (set DATABASE_URL)",
)


def _person(**fields):
    # Factory people get random first names; searches here must only find what a test made.
    return UserFactory(**{"first_name": "", "bio": "", **fields})


_SLUGS = itertools.count()


def _project(title: str, brief: str = "Nothing to see.", **fields):
    slug = f"{slugify(title)[:40]}-{next(_SLUGS)}"
    return ProjectFactory(title=title, slug=slug, brief=brief, created_by=_person(), **fields)


def _contribution(title: str, *, text: str = "Words.", description: str = "", **fields):
    return ContributionFactory(
        title=title,
        description=description,
        text=text,
        text_html=render_markdown(text),
        author=fields.pop("author", None) or _person(),
        project=fields.pop("project", None) or SimpleProjectFactory(created_by=_person()),
        **fields,
    )


def _api(path: str, client: APIClient | None = None):
    return (client or APIClient()).get(path)


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["title"] for r in response.json()["results"]]


# --- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["rain", "RAIN", "rai", "Rain!"])
def test_words_match_whole_words_and_prefixes_never_the_middle_of_a_word(query):
    _project("Rain")
    _project("Raining in Paris")
    _project("Quiet", brief="And then the **rain** came.")
    _project("Trains at night")
    _project("Brainstorm")
    found = _titles(_api(f"/api/search/?type=projects&q={query}"))
    assert sorted(found) == ["Quiet", "Rain", "Raining in Paris"]


def test_every_word_must_match_and_a_dash_leaves_a_word_out():
    _project("Rain on the sea")
    _project("Rain in the storm")
    _project("Sea shanties")
    assert _titles(_api("/api/search/?type=projects&q=rain sea")) == ["Rain on the sea"]
    assert _titles(_api("/api/search/?type=projects&q=rain -storm")) == ["Rain on the sea"]


def test_a_title_match_ranks_above_a_brief_match_whatever_their_age():
    title = _project("Lighthouse")
    _project("Songs", brief="A lighthouse, a lighthouse, a lighthouse keeper.")  # newer
    _contribution("Lighthouse theme")
    _contribution("Untitled", description="Hummed near the lighthouse.")
    results = _api("/api/search/?q=lighthouse").json()["results"]
    by_type = {
        kind: [r["title"] for r in results if r["type"] == kind]
        for kind in ("project", "contribution")
    }
    assert by_type == {
        "project": ["Lighthouse", "Songs"],
        "contribution": ["Lighthouse theme", "Untitled"],
    }
    ranks = [r["rank"] for r in results]
    assert ranks == sorted(ranks, reverse=True)
    assert results[0]["id"] in {title.pk, Contribution.objects.get(title="Lighthouse theme").pk}


@on_postgresql
def test_an_exact_word_ranks_above_a_longer_word_it_begins():
    _project("Rain")
    _project("Raining")  # newer: would come first on age alone
    assert _titles(_api("/api/search/?type=projects&q=rain")) == ["Rain", "Raining"]


def test_people_are_found_by_username_name_and_bio_username_first():
    by_bio = _person(username="mo", bio="I play the theremin.")
    by_name = _person(username="lee", first_name="Theremina")
    by_username = _person(username="theremin_joe")
    found = _api("/api/search/?type=people&q=theremin").json()["results"]
    assert [r["username"] for r in found][0] == by_username.username
    assert {r["username"] for r in found} == {
        by_bio.username,
        by_name.username,
        by_username.username,
    }
    assert all(r["type"] == "person" and r["url"].endswith(f"/u/{r['username']}/") for r in found)


# --- visibility ---------------------------------------------------------------------------


def test_hidden_work_and_deleted_or_inactive_people_are_not_found():
    _contribution("Glacier song")
    _contribution("Glacier withdrawn", withdrawn=True)
    _contribution("Glacier processing", status=Contribution.Status.PROCESSING)
    _contribution("Glacier rejected", status=Contribution.Status.REJECTED)
    _contribution("Glacier removed", removed=True)
    gone = _person(username="glacierfan", first_name="Glacier", bio="Glacier lover")
    user_anonymise(user=gone, by=gone)
    _person(username="glacierold", is_active=False)
    _person(username="glacierkid")
    results = _api("/api/search/?q=glacier").json()["results"]
    assert sorted((r["type"], r["title"]) for r in results) == [
        ("contribution", "Glacier song"),
        ("person", "glacierkid"),
    ]
    # Nor under the name it has now.
    assert _api(f"/api/search/?type=people&q={gone.username}").json()["count"] == 0


def test_author_and_staff_do_not_find_unfinished_work_either():
    """Search shows what browsing shows: unfinished work is reached from its author's own
    pages, never through search."""
    author = _person()
    _contribution("Tundra draft", status=Contribution.Status.PROCESSING, author=author)
    client = APIClient()
    client.force_authenticate(author)
    assert _titles(_api("/api/search/?q=tundra", client)) == []


# --- the page -----------------------------------------------------------------------------


def test_empty_search_shows_the_form_and_nothing_else(client: Client):
    _project("Anything at all")
    page = client.get("/search/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="search"' in html
    assert 'name="q"' in html
    assert "search-tabs" not in html
    assert "card" not in html
    assert client.get("/search/?q=+++").content.decode().count("card") == 0


def test_all_shows_a_section_per_type_with_their_cards(client: Client):
    _project("Harbour lights", brief="Lamps by the old harbour wall.")
    _contribution("Harbour at dawn", text="The boats come in.")
    _person(username="harbourmaster")
    html = client.get("/search/?q=harb").content.decode()
    for heading in ("Projects", "Contributions", "People"):
        assert re.search(rf'<h2 id="search-[a-z]+">{heading}</h2>', html)
    for card in ("project-card", "contribution-card", "person-card"):
        assert html.count(f'class="card {card}"') == 1
    assert "Harbour lights" in html
    assert "Harbour at dawn" in html
    assert "harbourmaster" in html
    assert "Lamps by the old <mark>harbour</mark> wall." in html  # where it matched
    # A type's own listing: only that type.
    projects_only = client.get("/search/?q=harb&type=projects").content.decode()
    assert "project-card" in projects_only
    assert "contribution-card" not in projects_only


def test_the_page_says_see_all_when_a_type_has_more(client: Client):
    for n in range(selectors.ALL_LIMITS["projects"] + 1):
        _project(f"Orchard {n}")
    html = client.get("/search/?q=orchard").content.decode()
    assert html.count('class="card project-card"') == selectors.ALL_LIMITS["projects"]
    assert 'href="?q=orchard&amp;type=projects">See all projects' in html


def test_the_page_pages_one_type(client: Client):
    for n in range(selectors.PAGE_SIZE + 3):
        _contribution(f"Meadow {n}")
    first = client.get("/search/?q=meadow&type=contributions").content.decode()
    assert first.count('class="card contribution-card"') == selectors.PAGE_SIZE
    assert "27 results" in first
    assert 'href="?q=meadow&amp;type=contributions&amp;page=2"' in first
    second = client.get("/search/?q=meadow&type=contributions&page=2").content.decode()
    assert second.count('class="card contribution-card"') == 3


# --- the API ------------------------------------------------------------------------------


def test_the_api_pages_like_every_list():
    for n in range(selectors.PAGE_SIZE + 2):
        _contribution(f"Canyon {n}")
    _project("Canyon project")
    first = _api("/api/search/?q=canyon").json()
    assert first["count"] == selectors.PAGE_SIZE + 3
    assert len(first["results"]) == selectors.PAGE_SIZE
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = _api("/api/search/?q=canyon&page=2").json()
    assert len(second["results"]) == 3
    assert second["next"] is None
    seen = [(r["type"], r["id"]) for r in first["results"] + second["results"]]
    assert len(set(seen)) == len(seen) == selectors.PAGE_SIZE + 3
    assert _api("/api/search/?q=canyon&page=3").status_code == 404
    only = _api("/api/search/?q=canyon&type=contributions").json()
    assert only["count"] == selectors.PAGE_SIZE + 2


def test_an_api_result_has_what_a_client_needs():
    project = _project("Volcano opera", brief="Sung under the volcano.")
    result = _api("/api/search/?q=volcano").json()["results"][0]
    assert result == {
        "type": "project",
        "id": project.pk,
        "slug": project.slug,
        "username": None,
        "title": "Volcano opera",
        "url": f"http://testserver/projects/{project.slug}/",
        "thumbnail": None,
        "snippet": "Sung under the volcano.",
        "rank": result["rank"],
    }
    assert result["rank"] > 0


def test_empty_q_gives_an_empty_page_and_bad_parameters_say_what_to_fix():
    _project("Anything")
    assert _api("/api/search/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    wrong = _api("/api/search/?q=x&type=songs")
    assert wrong.status_code == 400
    assert "type=all" in str(wrong.json()["type"])
    long = _api("/api/search/?q=" + "a" * 201)
    assert long.status_code == 400
    assert "at most 200" in str(long.json()["q"])


def test_the_schema_documents_the_search():
    schema = APIClient().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "type", "page"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    result = schema["components"]["schemas"]["SearchResult"]["properties"]
    assert {"type", "id", "slug", "username", "title", "url", "snippet", "rank"} <= set(result)


# --- odd and hostile input ----------------------------------------------------------------

HOSTILE = [
    "'",
    '"',
    "\\",
    "\\'; DROP TABLE projects_project; --",
    "&|!():*<->",
    "rain & | ! ( ) : * <-> <2>",
    "'rain':*",
    "!!rain",
    "rain:*B",
    '"unclosed phrase',
    "-",
    "-rain",
    "- - -",
    "🌧️ rain ☔",
    "🌧️☔",
    "?!.,;…",
    "ｒａｉｎ",
    "x²",
    "a" * 200,
    " ".join(["rain"] * 40),
    "rain " + "a" * 150,
    "٣٤٥ 中文 עברית",
]


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize("listing", ["all", "projects"])
def test_hostile_input_is_a_search_like_any_other(raw, listing, client: Client):
    _project("Rain")
    _contribution("Rain song")
    api = APIClient().get("/api/search/", {"q": raw, "type": listing})
    assert api.status_code == 200, api.content
    assert client.get("/search/", {"q": raw, "type": listing}).status_code == 200
    assert client.get("/projects/", {"search": raw}).status_code == 200


@pytest.mark.parametrize("raw", ["a" * 10_000, "rain\x00", "\x00"])
def test_too_long_or_nul_is_a_400_that_says_why(raw, client: Client):
    api = APIClient().get("/api/search/", {"q": raw})
    assert api.status_code == 400
    page = client.get("/search/", {"q": raw})
    assert page.status_code == 400
    if "\x00" not in raw:
        assert "at most 200 characters" in page.content.decode()


@pytest.mark.parametrize("raw", [*HOSTILE, "a" * 10_000, "rain\x00storm", "\x00" * 50])
def test_the_selectors_take_any_text(raw):
    """Code calling the selectors directly (not through a form) is safe too."""
    _project("Rain")
    terms = fulltext.parse(raw)
    list(selectors.ranked_all(terms)[:5])
    list(project_list(search=raw))
    assert all(re.fullmatch(r"[^\W_]{1,64}", w) for w in terms.words + terms.excluded)


# --- cost -----------------------------------------------------------------------------------


def _make(n: int, word: str) -> None:
    for _ in range(n):
        i = next(_SLUGS)
        _project(f"{word} project {i}")
        _contribution(f"{word} piece {i}")
        _person(username=f"{word}{i}")


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path",
    [
        "/search/?q=delta",
        "/search/?q=delta&type=projects",
        "/search/?q=delta&type=contributions",
        "/search/?q=delta&type=people",
        "/api/search/?q=delta",
        "/api/search/?q=delta&type=contributions",
    ],
)
def test_query_count_does_not_grow_with_the_results(path):
    client = APIClient() if path.startswith("/api/") else Client()
    _make(1, "delta")
    one = _queries(client, path)
    _make(30, "delta")
    many = _queries(client, path)
    if path == "/api/search/?q=delta":
        # The merged listing loads cards per type on its page: fewer when fewer types are.
        assert many <= one <= 7
    else:
        assert one == many <= 8


# --- browsing -------------------------------------------------------------------------------


def test_project_browsing_searches_the_same_way_and_keeps_its_orderings():
    old = _project("Rain dance")
    _project("Trains")
    new = _project("Quiet", brief="Raindrops.")
    assert [p.pk for p in project_list(search="rain")] == [new.pk, old.pk]  # newest first
    assert [p.pk for p in project_list(search="rai", ordering="active")] == [new.pk, old.pk]
    slugs = [p["slug"] for p in APIClient().get("/api/projects/?search=rain").json()["results"]]
    assert slugs == [new.slug, old.slug]


# --- the indexes (PostgreSQL) ---------------------------------------------------------------


def _fill() -> None:
    """Tables of a few thousand rows, most of which match nothing searched here."""
    project = _project("Bulk")
    bulk_contributions(3000, project=project, author=project.created_by)
    Project.objects.bulk_create(
        Project(title=f"Other {i}", slug=f"other-{i}", created_by=project.created_by)
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _plan(queryset) -> str:
    """The plan with sequential scans off (as the planner chooses on a big table)."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


@on_postgresql
@pytest.mark.parametrize(
    ("ranked", "index"),
    [
        (selectors.ranked_projects, "project_search_idx"),
        (selectors.ranked_contributions, "contribution_search_idx"),
        (selectors.ranked_people, "user_search_idx"),
    ],
)
def test_each_search_is_served_by_its_gin_index(ranked, index):
    _make(3, "echo")
    _fill()
    plan = _plan(ranked(fulltext.parse("echo pro"))[:24])
    assert f"Bitmap Index Scan on {index}" in plan, plan


@on_postgresql
def test_project_browsing_and_the_merged_listing_use_the_indexes():
    _make(3, "echo")
    _fill()
    browse = _plan(project_list(search="echo", lean=True))
    assert "Bitmap Index Scan on project_search_idx" in browse, browse
    merged = _plan(selectors.ranked_all(fulltext.parse("echo"))[:24])
    for index in ("project_search_idx", "contribution_search_idx", "user_search_idx"):
        assert f"Bitmap Index Scan on {index}" in merged, merged
