"""The director's curation page: who may open it, editing without JavaScript (add, move,
remove, preview, save with its revision), locking after a confirmation, and the history."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributions.models import Contribution
from payouts.models import CutVersion, FinalCut
from payouts.selectors import draft_items, draft_of
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock, save_draft
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

URL = "/projects/harbour/cut/"
LOCK_URL = "/projects/harbour/cut/lock/"


@pytest.fixture
def world():
    project = ProjectFactory(slug="harbour", title="Harbour")
    director = project.created_by
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    SourceFactory(contribution=song, source=poem)
    return {"project": project, "director": director, "poem": poem, "song": song}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(revision=0, items=(), amount="1000.00", **extra):
    """The page's form as a browser posts it: ``items`` are (contribution, weight, share)."""
    data: dict[str, object] = {"revision": str(revision), "amount": amount, "q": ""}
    data["item"] = [str(c.pk) for c, *_ in items]
    for c, weight, *share in items:
        data[f"weight-{c.pk}"] = weight
        data[f"share-{c.pk}"] = share[0] if share else ""
    data.update(extra)
    return data


def item_titles(response) -> list[str]:
    html = response.content.decode()
    cut = html.split("data-cut-list>", 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<a href="/contributions/\d+/">([^<]+)</a>', cut)


# --- who may open it ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("role", ["artist", "member"])
def test_artists_and_members_get_a_403_page_saying_why(world, role):
    person = UserFactory()
    if role == "member":
        MembershipFactory(project=world["project"], user=person)
    for path in (URL, LOCK_URL):
        response = client_for(person).get(path)
        assert response.status_code == 403
        assert "Only this project&#x27;s directors" in response.content.decode()
    response = client_for(person).post(LOCK_URL)
    assert response.status_code == 403
    assert not CutVersion.objects.exists()


def test_directors_and_staff_open_it(world):
    for person in (world["director"], UserFactory(is_staff=True)):
        response = client_for(person).get(URL)
        assert response.status_code == 200
        assert "The final cut" in response.content.decode()


def test_the_project_page_links_directors_to_the_cut(world):
    html = client_for(world["director"]).get("/projects/harbour/").content.decode()
    assert 'href="/projects/harbour/cut/"' in html
    assert "Curate the final cut" in html
    member = UserFactory()
    MembershipFactory(project=world["project"], user=member)
    assert (
        "Curate the final cut" not in client_for(member).get("/projects/harbour/").content.decode()
    )


def test_unknown_project_is_404(world):
    assert client_for(world["director"]).get("/projects/nowhere/cut/").status_code == 404


# --- editing without JavaScript -------------------------------------------------------


def test_the_page_shows_the_saved_draft_and_its_split(world):
    save_draft(world["project"], world["director"], [(world["song"], "2"), (world["poem"], "1")])
    response = client_for(world["director"]).get(URL)
    html = response.content.decode()
    assert item_titles(response) == ["Song", "Poem"]
    assert 'name="revision" value="1"' in html
    assert f'name="weight-{world["song"].pk}" value="2"' in html
    # 1000.00 revenue, half to contributors: song 2/3 (half kept by ben, half to poem),
    # poem 1/3: ben 1/3, ana 2/3 of 500.00.
    assert "333.33" in html
    assert "166.67" in html
    assert "66.67%" in html
    assert "33.33%" in html


def test_saving_uses_the_revision_and_redirects(world):
    client = client_for(world["director"])
    response = client.post(URL, form_data(0, [(world["song"], "2.5", "0.25")], save="1"))
    assert response.status_code == 302
    cut = draft_of(project=world["project"])
    assert cut.revision == 1
    [item] = draft_items(cut=cut)
    assert (item.contribution_id, item.weight, item.upstream_share) == (
        world["song"].pk,
        Decimal("2.5"),
        Decimal("0.25"),
    )
    page = client.get(response["Location"]).content.decode()
    assert "Draft saved (revision 1)." in page


def test_a_stale_revision_shows_the_409_message_and_the_current_draft(world):
    save_draft(world["project"], world["director"], [(world["poem"], "1")])
    response = client_for(world["director"]).post(
        URL, form_data(0, [(world["song"], "3")], save="1")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The draft changed since you loaded it" in html
    assert item_titles(response) == ["Poem"]
    assert 'name="revision" value="1"' in html
    assert [i.contribution_id for i in draft_items(cut=draft_of(project=world["project"]))] == [
        world["poem"].pk
    ]


def test_the_preview_button_shows_amounts_and_saves_nothing(world):
    response = client_for(world["director"]).post(
        URL, form_data(0, [(world["song"], "1")], amount="90.00", preview="1")
    )
    assert response.status_code == 200
    html = response.content.decode()
    # 90.00 revenue, 45.00 pool: ben keeps half of the song, ana gets the other half.
    assert html.count(">22.50<") == 2
    assert "50.00%" in html
    assert "the house keeps 45.00" in html
    assert not FinalCut.objects.filter(items__isnull=False).exists()
    assert (
        draft_of(project=world["project"]) is None
        or draft_of(project=world["project"]).revision == 0
    )


def test_adding_a_candidate_appends_it_to_the_unsaved_form(world):
    response = client_for(world["director"]).post(
        URL, form_data(0, [(world["song"], "2")], add=str(world["poem"].pk))
    )
    assert response.status_code == 200
    assert item_titles(response) == ["Song", "Poem"]
    html = response.content.decode()
    assert f'name="weight-{world["poem"].pk}" value="1"' in html
    assert "In the cut" in html  # its add buttons say so now
    assert draft_of(project=world["project"]) is None


def test_move_up_move_down_and_remove(world):
    client = client_for(world["director"])
    items = [(world["song"], "2"), (world["poem"], "1")]
    up = client.post(URL, form_data(0, items, up=str(world["poem"].pk)))
    assert item_titles(up) == ["Poem", "Song"]
    down = client.post(URL, form_data(0, items, down=str(world["song"].pk)))
    assert item_titles(down) == ["Poem", "Song"]
    top = client.post(URL, form_data(0, items, up=str(world["song"].pk)))
    assert item_titles(top) == ["Song", "Poem"]  # already first: unchanged
    removed = client.post(URL, form_data(0, items, remove=str(world["song"].pk)))
    assert item_titles(removed) == ["Poem"]
    assert draft_of(project=world["project"]) is None


@pytest.mark.parametrize(
    ("weight", "share", "message"),
    [
        ("0", "", "the weight must be above 0"),
        ("1.2345", "", "at most 3 decimal places"),
        ("lots", "", "the weight must be a number"),
        ("1", "1.5", "the upstream share must be between 0 and 1"),
    ],
)
def test_bad_numbers_show_the_error_next_to_the_field_and_save_nothing(
    world, weight, share, message
):
    response = client_for(world["director"]).post(
        URL, form_data(0, [(world["poem"], "1"), (world["song"], weight, share)], save="1")
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = "weight" if not share else "share"
    error = re.search(rf'id="{field}-{world["song"].pk}-error"[^>]*>([^<]*)</p>', html)
    assert error
    assert message in error.group(1)
    assert error.group(1).startswith("Item 2:")
    assert draft_of(project=world["project"]) is None


def test_an_unready_addition_is_refused_with_its_name(world):
    pending = ContributionFactory(title="Half done", status=Contribution.Status.PROCESSING)
    response = client_for(world["director"]).post(URL, form_data(0, [(pending, "1")], save="1"))
    assert response.status_code == 400
    assert "“Half done”" in response.content.decode()
    assert "still processing" in response.content.decode()
    assert draft_of(project=world["project"]) is None or not draft_items(
        cut=draft_of(project=world["project"])
    )


def test_odd_ids_are_a_400_never_a_500(world):
    client = client_for(world["director"])
    data = form_data(0, [(world["poem"], "1")])
    data["item"] = [str(world["poem"].pk), "99999999999999999999", "²", "123456789"]
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "No contribution has the id 123456789" in response.content.decode()
    bad = client.post(URL, {**form_data(0, []), "add": "not-an-id", "revision": "x"})
    assert bad.status_code == 400


# --- candidates -----------------------------------------------------------------------


def test_inboxes_per_open_call_newest_first_with_players(world):
    project = world["project"]
    older_call = CallFactory(project=project, title="We need a cello line")
    newer_call = CallFactory(project=project, title="We need a poster")
    closed = CallFactory(project=project, title="Closed call", is_open=False)
    now = timezone.now()
    first = ContributionFactory(project=project, call=older_call, title="Cello take one")
    second = ContributionFactory(
        project=project,
        call=older_call,
        title="Cello take two",
        kind=Contribution.Kind.AUDIO,
        file="contributions/cello.m4a",
    )
    Contribution.objects.filter(pk=first.pk).update(created_at=now - timedelta(hours=2))
    Contribution.objects.filter(pk=second.pk).update(created_at=now - timedelta(hours=1))
    ContributionFactory(project=project, call=newer_call, title="Poster sketch")
    ContributionFactory(project=project, call=older_call, title="Withdrawn take", withdrawn=True)
    ContributionFactory(project=project, call=closed, title="Closed answer")

    html = client_for(world["director"]).get(URL).content.decode()
    inbox = html.split(f'id="inbox-{older_call.pk}"', 1)[1].split("</section>", 1)[0]
    assert inbox.index("Cello take two") < inbox.index("Cello take one")
    assert "Withdrawn take" not in inbox
    assert "2 answers" in inbox
    assert '<audio class="candidate__player" controls preload="none"' in inbox
    assert "Poster sketch" in html.split(f'id="inbox-{newer_call.pk}"', 1)[1]
    assert f'id="inbox-{closed.pk}"' not in html
    # The newer call comes first.
    assert html.index(f'id="inbox-{newer_call.pk}"') < html.index(f'id="inbox-{older_call.pk}"')


def test_lineage_and_search_offer_work_from_anywhere(world):
    elsewhere = ContributionFactory(title="Harbour lights sketch")
    SourceFactory(contribution=world["poem"], source=elsewhere)
    save_draft(world["project"], world["director"], [(world["song"], "1")])
    client = client_for(world["director"])
    html = client.get(URL).content.decode()
    lineage = html.split('id="lineage-title"', 1)[1].split("</section>", 1)[0]
    assert "Poem" in lineage
    assert "Harbour lights sketch" in lineage
    assert lineage.index("Poem") < lineage.index("Harbour lights sketch")  # nearest first
    found = client.get(URL + "?q=lights").content.decode()
    results = found.split('id="results-title"', 1)[1].split("</section>", 1)[0]
    assert "Harbour lights sketch" in results
    assert f'name="add" value="{elsewhere.pk}"' in results
    assert "Nothing ready has a title" in client.get(URL + "?q=zzzz").content.decode()


def _count(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL + "?q=take")
    assert response.status_code == 200
    return len(queries)


def _grow(world, n: int) -> None:
    project = world["project"]
    for i in range(n):
        call = CallFactory(project=project)
        for j in range(3):
            ContributionFactory(
                project=project,
                call=call,
                title=f"Take {i}-{j}",
                kind=Contribution.Kind.AUDIO,
                file=f"contributions/t{i}{j}.m4a",
                thumbnail=f"contributions/thumbs/t{i}{j}.png",
            )
        source = ContributionFactory(title=f"Source {i}")
        remix = ContributionFactory(project=project, title=f"Remix {i}")
        SourceFactory(contribution=remix, source=source)


def test_the_page_makes_as_many_queries_with_many_candidates_as_with_few(world):
    director = world["director"]
    client = client_for(director)
    _grow(world, 1)
    lock(world["project"], director, [(world["song"], "1")])
    few = _count(client)
    _grow(world, 6)
    remixes = list(Contribution.objects.filter(title__startswith="Remix"))
    lock(world["project"], director, [(world["song"], "2"), *[(r, "1") for r in remixes]])
    save_draft(world["project"], director, [(world["poem"], "1"), *[(r, "3") for r in remixes]])
    many = _count(client)
    assert few == many
    assert many <= 25, many


# --- locking and history --------------------------------------------------------------


def test_lock_asks_for_confirmation_then_locks_version_1(world):
    save_draft(world["project"], world["director"], [(world["song"], "2"), (world["poem"], "1")])
    client = client_for(world["director"])
    confirm = client.get(LOCK_URL)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "Version 1 will be locked with 2 items" in text
    assert "contributors 50.00% of revenue, remix upstream 50.00%" in text
    assert "(2 people)" in text
    assert "Locked versions never change" in text
    assert not CutVersion.objects.exists()  # looking writes nothing

    done = client.post(LOCK_URL)
    assert done.status_code == 302
    version = CutVersion.objects.get()
    assert version.number == 1
    page = client.get(done["Location"]).content.decode()
    assert "Version 1 locked." in page
    history = page.split('id="history-title"', 1)[1]
    assert "Version 1" in history
    assert "The first version." in history

    again = client.get(LOCK_URL).content.decode()
    assert "The draft is identical to version 1" in again
    same = client.post(LOCK_URL)
    assert CutVersion.objects.count() == 1
    assert "The draft is identical to version 1" in client.get(same["Location"]).content.decode()


def test_an_empty_draft_cannot_be_locked(world):
    client = client_for(world["director"])
    assert "The saved draft is empty" in client.get(LOCK_URL).content.decode()
    response = client.post(LOCK_URL)
    assert response.status_code == 409
    assert "The draft is empty" in response.content.decode()
    assert not CutVersion.objects.exists()


def test_history_shows_the_diff_between_versions(world):
    third = ContributionFactory(project=world["project"], title="Drums")
    director = world["director"]
    lock(world["project"], director, [(world["song"], "2"), (world["poem"], "1")])
    lock(world["project"], director, [(world["song"], "3"), (third, "1")])
    html = client_for(director).get(URL).content.decode()
    history = html.split('id="history-title"', 1)[1]
    v2 = history.split('id="version-2"', 1)[1].split('id="version-1"', 1)[0]
    assert "+ Drums" in v2
    assert "− Poem" in v2
    assert "× 2.000 → × 3.000" in v2 or "× 2 → × 3" in v2
    assert history.index('id="version-2"') < history.index('id="version-1"')
