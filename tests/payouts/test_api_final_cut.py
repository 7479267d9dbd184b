"""The final-cut rows of the API: who may do what, bad input, and the previews."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from payouts.models import CutVersion, FinalCut
from projects.models import Membership
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = ProjectFactory(slug="harbour")
    director = project.created_by
    member = UserFactory()
    MembershipFactory(project=project, user=member)
    artist = UserFactory()
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    SourceFactory(contribution=song, source=poem)
    return {
        "project": project,
        "director": director,
        "member": member,
        "artist": artist,
        "staff": UserFactory(is_staff=True),
        "poem": poem,
        "song": song,
    }


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


URL = "/api/projects/harbour/final-cut/"


def put(client, items, revision=0):
    return client.put(URL, {"revision": revision, "items": items}, format="json")


def test_anyone_reads_the_draft_and_only_directors_write_it(world):
    items = [{"contribution": world["song"].pk, "weight": "2"}]
    assert put(client_for(), items).status_code == 401
    assert put(client_for(world["artist"]), items).status_code == 403
    assert put(client_for(world["member"]), items).status_code == 403
    response = put(client_for(world["director"]), items)
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 1
    body = client_for().get(URL).json()
    assert body == {
        "revision": 1,
        "locked_version": None,
        "items": [
            {
                "contribution": world["song"].pk,
                "title": "Song",
                "author": {"id": world["song"].author_id, "username": "ben"},
                "weight": "2.000",
                "upstream_share": None,
            }
        ],
    }
    assert put(client_for(world["staff"]), items, revision=1).status_code == 200


def test_a_stale_revision_gets_409_and_changes_nothing(world):
    director = client_for(world["director"])
    put(director, [{"contribution": world["song"].pk, "weight": "1"}])
    response = put(director, [{"contribution": world["poem"].pk, "weight": "1"}], revision=0)
    assert response.status_code == 409
    assert "reload" in response.json()["detail"]
    assert [i["contribution"] for i in director.get(URL).json()["items"]] == [world["song"].pk]


@pytest.mark.parametrize(
    ("items", "needle"),
    [
        ([{"contribution": 999_999, "weight": "1"}], "No contribution"),
        ([{"contribution": "SONG", "weight": "0"}], "above 0"),
        ([{"contribution": "SONG", "weight": "-2"}], "above 0"),
        ([{"contribution": "SONG", "weight": "1.0001"}], "3 decimal places"),
        ([{"contribution": "SONG", "weight": "1", "upstream_share": "2"}], "between 0 and 1"),
        ([{"contribution": "SONG", "weight": "1", "upstream_share": "-1"}], "between 0 and 1"),
        (
            [{"contribution": "SONG", "weight": "1"}, {"contribution": "SONG", "weight": "2"}],
            "twice",
        ),
        ([{"contribution": 2**63, "weight": "1"}], "less than or equal"),
        ([{"contribution": "SONG", "weight": "99999999999"}], "at most"),
        ([{"contribution": "PROCESSING", "weight": "1"}], "processing"),
        ([{"contribution": "WITHDRAWN", "weight": "1"}], "withdrawn"),
    ],
)
def test_bad_items_get_400_saying_what_to_fix_and_change_nothing(world, items, needle):
    processing = ContributionFactory(status="processing")
    withdrawn = ContributionFactory(withdrawn=True)
    names = {"SONG": world["song"].pk, "PROCESSING": processing.pk, "WITHDRAWN": withdrawn.pk}
    for item in items:
        item["contribution"] = names.get(item["contribution"], item["contribution"])
    response = put(client_for(world["director"]), items)
    assert response.status_code == 400
    assert needle in str(response.json())
    assert not FinalCut.objects.filter(project=world["project"], revision__gt=0).exists()


def test_a_revision_too_large_for_the_database_is_a_400(world):
    response = put(client_for(world["director"]), [], revision=2**64)
    assert response.status_code == 400


def test_locking_201_then_200_when_unchanged_and_409_when_empty(world):
    director = client_for(world["director"])
    lock_url = URL + "lock/"
    assert client_for().post(lock_url).status_code == 401
    assert client_for(world["member"]).post(lock_url).status_code == 403
    assert director.post(lock_url).status_code == 409
    put(director, [{"contribution": world["song"].pk, "weight": "1"}])
    first = director.post(lock_url)
    assert (first.status_code, first.json()) == (201, {"version": 1})
    again = director.post(lock_url)
    assert (again.status_code, again.json()) == (200, {"version": 1})
    assert director.get(URL).json()["locked_version"] == 1
    assert CutVersion.objects.count() == 1


def test_the_preview_of_the_saved_draft_is_for_members(world):
    director = client_for(world["director"])
    put(director, [{"contribution": world["song"].pk, "weight": "1"}])
    split = URL + "split/?amount_minor=1001"
    assert client_for().get(split).status_code == 401
    assert client_for(world["artist"]).get(split).status_code == 403
    response = client_for(world["member"]).get(split)
    assert response.status_code == 200
    body = response.json()
    # pool = floor(1001 * 0.5) = 500; song keeps 1/2 (250), the poem gets 1/2 (250).
    assert (body["amount_minor"], body["pool_minor"], body["house_minor"]) == (1001, 500, 501)
    assert sorted(
        (line["user"]["username"], line["share_exact"], line["amount_minor"])
        for line in body["lines"]
    ) == [("ana", "1/2", 250), ("ben", "1/2", 250)]
    assert all(line["share"] == "0.500000000000" for line in body["lines"])
    for bad in ("", "-1", "²", "1.5", str(10**30)):
        assert (
            client_for(world["member"]).get(URL + f"split/?amount_minor={bad}").status_code == 400
        )


def test_the_preview_of_edited_items_writes_nothing(world):
    director = client_for(world["director"])
    body = {
        "amount_minor": 100,
        "items": [
            {"contribution": world["song"].pk, "weight": "3", "upstream_share": "0"},
            {"contribution": world["poem"].pk, "weight": "1"},
        ],
    }
    assert client_for(world["member"]).post(URL + "split/", body, format="json").status_code == 403
    response = director.post(URL + "split/", body, format="json")
    assert response.status_code == 200, response.json()
    lines = {line["user"]["username"]: line for line in response.json()["lines"]}
    # song holds 3/4 and passes nothing on (override 0); the poem holds 1/4. Of the pool of
    # 50, ideals are 37.5 and 12.5: the leftover unit breaks the tie to the lower user id.
    assert world["poem"].author_id < world["song"].author_id
    assert (lines["ben"]["share_exact"], lines["ben"]["amount_minor"]) == ("3/4", 37)
    assert (lines["ana"]["share_exact"], lines["ana"]["amount_minor"]) == ("1/4", 13)
    assert not FinalCut.objects.filter(revision__gt=0).exists()


def test_credits_list_everyone_upstream_without_shares(world):
    lock(world["project"], world["director"], [(world["song"], "1")])
    response = client_for().get(URL + "credits/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert [
        (c["user"]["username"], [w["title"] for w in c["contributions"]]) for c in body["credits"]
    ] == [("ben", ["Song"]), ("ana", ["Poem"])]
    assert "share" not in str(body).replace("upstream_share", "")
    assert "amount" not in str(body)


def test_the_preview_is_throttled(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "split": "2/min",
        },
    }
    member = client_for(world["member"])
    codes = [member.get(URL + "split/?amount_minor=10").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_schema_lists_every_final_cut_row(world):
    schema = client_for().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/projects/{slug}/final-cut/"]) >= {"get", "put"}
    assert "post" in paths["/api/projects/{slug}/final-cut/lock/"]
    assert {"get", "post"} <= set(paths["/api/projects/{slug}/final-cut/split/"])
    assert "get" in paths["/api/projects/{slug}/final-cut/credits/"]


def test_a_member_who_is_director_elsewhere_cannot_write_here(world):
    other = ProjectFactory()
    Membership.objects.create(project=world["project"], user=other.created_by)
    response = put(
        client_for(other.created_by), [{"contribution": world["song"].pk, "weight": "1"}]
    )
    assert response.status_code == 403
    assert not FinalCut.objects.filter(revision__gt=0).exists()
