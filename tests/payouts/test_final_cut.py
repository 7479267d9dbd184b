"""The final cut: drafts with revisions, locked versions that never change, credits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEntry, Notification
from hitrecord.errors import ConflictError
from payouts import services
from payouts.models import CutVersion, CutVersionItem, FinalCut, PersonCredit, VersionCredits
from payouts.selectors import credits_of, latest_version, used_in_cuts, version_diff, version_list
from projects.models import Membership
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock, save_draft
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio():
    """A project with its director, a co-director, and work from three artists (one remix
    chain crossing into another project)."""
    project = ProjectFactory()
    director = project.created_by
    codirector = UserFactory()
    MembershipFactory(project=project, user=codirector, role=Membership.Role.DIRECTOR)
    ana, ben, cy = UserFactory(first_name="Ana"), UserFactory(), UserFactory()
    elsewhere = ProjectFactory()
    poem = ContributionFactory(project=elsewhere, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song", kind="audio")
    film = ContributionFactory(project=project, author=cy, title="Film", kind="video")
    SourceFactory(contribution=song, source=poem)
    SourceFactory(contribution=film, source=song, weight=Decimal(3))
    return {
        "project": project,
        "director": director,
        "codirector": codirector,
        "people": (ana, ben, cy),
        "work": (poem, song, film),
    }


def test_saving_bumps_the_revision_and_a_stale_revision_is_refused(studio):
    project, director, codirector = studio["project"], studio["director"], studio["codirector"]
    poem, song, film = studio["work"]

    cut = save_draft(project, director, [(film, "2"), (song, "1.5", "0.25")])
    assert cut.revision == 1
    with pytest.raises(ConflictError, match="revision 1"):
        services.final_cut_save(
            project=project,
            by=codirector,
            revision=0,
            items=[services.ItemSpec(contribution_id=poem.pk, weight=Decimal(1))],
        )
    assert [i.contribution_id for i in cut.items.order_by("position")] == [film.pk, song.pk]


def test_only_directors_write(studio):
    member = UserFactory()
    MembershipFactory(project=studio["project"], user=member)
    with pytest.raises(PermissionDenied):
        save_draft(studio["project"], member, [(studio["work"][0], "1")])
    with pytest.raises(PermissionDenied):
        services.final_cut_lock(project=studio["project"], by=member)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"contribution": 1, "weight": "0"}], "above 0"),
        ([{"contribution": 1, "weight": "-1"}], "above 0"),
        ([{"contribution": 1, "weight": "1.2345"}], "3 decimal places"),
        ([{"contribution": 1, "weight": 1.5}], "decimal string"),
        ([{"contribution": 1, "weight": "1", "upstream_share": "1.5"}], "between 0 and 1"),
        ([{"contribution": 1, "weight": "1", "upstream_share": "-0.1"}], "between 0 and 1"),
        ([{"contribution": 1}, {"contribution": 1}], "twice"),
        ([{"contribution": 2**70, "weight": "1"}], "not a contribution id"),
        ([{"contribution": "²", "weight": "1"}], "not a contribution id"),
        ([{"contribution": 1, "weight": "1e400"}], "at most"),
        ("nope", "list"),
    ],
)
def test_bad_items_say_what_to_fix(raw, message):
    with pytest.raises(ValidationError, match=message):
        services.parse_items(raw)


def test_unknown_unready_and_withdrawn_new_items_are_refused_and_nothing_changes(studio):
    project, director = studio["project"], studio["director"]
    poem = studio["work"][0]
    processing = ContributionFactory(status="processing", title="Draft song")
    withdrawn = ContributionFactory(withdrawn=True, title="Gone")
    save_draft(project, director, [(poem, "1")])
    for bad in (processing, withdrawn):
        with pytest.raises(ValidationError, match=bad.title):
            save_draft(project, director, [(poem, "1"), (bad, "1")])
    with pytest.raises(ValidationError, match="No contribution"):
        services.final_cut_save(
            project=project,
            by=director,
            revision=1,
            items=[services.ItemSpec(contribution_id=999_999, weight=Decimal(1))],
        )
    cut = FinalCut.objects.get(project=project)
    assert [i.contribution_id for i in cut.items.all()] == [poem.pk]
    assert cut.revision == 1


def test_locking_copies_the_draft_and_shares_and_an_unchanged_draft_returns_that_version(
    studio, django_capture_on_commit_callbacks
):
    project, director = studio["project"], studio["director"]
    poem, song, film = studio["work"]
    project.contributor_share = Decimal("0.6")
    project.save()
    with django_capture_on_commit_callbacks(execute=True):
        version = lock(project, director, [(film, "2"), (song, "1", "0")])
    assert version.number == 1
    assert version.locked_by == director
    assert version.contributor_share == Decimal("0.6000")
    assert [(i.contribution_id, i.weight, i.upstream_share) for i in version.items.all()] == [
        (film.pk, Decimal("2.000"), None),
        (song.pk, Decimal("1.000"), Decimal("0.0000")),
    ]
    again, created = services.final_cut_lock(project=project, by=director)
    assert (again.pk, created) == (version.pk, False)
    # Changing a share in force makes the same items a new version.
    project.remix_upstream_share = Decimal("0.25")
    project.save()
    second, created = services.final_cut_lock(project=project, by=director)
    assert created
    assert second.number == 2
    assert AuditEntry.objects.filter(action="final_cut.lock").count() == 2


def test_locking_an_empty_draft_is_refused(studio):
    with pytest.raises(ConflictError, match="empty"):
        services.final_cut_lock(project=studio["project"], by=studio["director"])
    assert not CutVersion.objects.exists()


def test_an_item_already_locked_stays_when_its_author_withdraws_it(studio):
    project, director = studio["project"], studio["director"]
    poem, song, film = studio["work"]
    lock(project, director, [(film, "1")])
    film.withdrawn = True
    film.save()
    save_draft(project, director, [(film, "2")])
    version, created = services.final_cut_lock(project=project, by=director)
    assert created
    assert version.number == 2
    # A new item that has since been withdrawn is refused at lock time.
    save_draft(project, director, [(film, "2"), (song, "1")])
    song.withdrawn = True
    song.save()
    with pytest.raises(ConflictError, match="Song"):
        services.final_cut_lock(project=project, by=director)


def test_locking_notifies_everyone_whose_work_reaches_the_cut_in_one_bulk_write(
    studio, django_capture_on_commit_callbacks
):
    project, director = studio["project"], studio["director"]
    ana, ben, cy = studio["people"]
    with django_capture_on_commit_callbacks(execute=True):
        lock(project, director, [(studio["work"][2], "1")])
    told = set(
        Notification.objects.filter(kind=Notification.Kind.IN_CUT).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {ana.pk, ben.pk, cy.pk}


def test_credits_are_computed_once_and_stored_with_the_version(
    studio, django_capture_on_commit_callbacks
):
    project, director = studio["project"], studio["director"]
    ana, ben, cy = studio["people"]
    with django_capture_on_commit_callbacks(execute=True):
        version = lock(project, director, [(studio["work"][2], "1")])
    stored = VersionCredits.objects.get(version=version)
    shares = dict(PersonCredit.objects.filter(credits=stored).values_list("person", "share_exact"))
    # film keeps 1/2; song gets 1/2 and keeps 1/4; poem gets the last 1/4.
    assert shares == {cy.pk: "1/2", ben.pk: "1/4", ana.pk: "1/4"}
    assert services.version_credits_compute(version_id=version.pk).pk == stored.pk
    assert VersionCredits.objects.count() == 1


def test_history_diff_used_in_cuts_and_credits(studio):
    project, director = studio["project"], studio["director"]
    poem, song, film = studio["work"]
    lock(project, director, [(film, "1"), (song, "1")])
    lock(project, director, [(film, "3"), (poem, "1")])
    newer, older = version_list(project=project)
    diff = version_diff(older, newer)
    assert [c.contribution_id for c in diff.added] == [poem.pk]
    assert [c.contribution_id for c in diff.removed] == [song.pk]
    assert [(c.before, c.after) for c in diff.reweighted] == [("1.000", "3.000")]
    assert used_in_cuts([poem.pk, song.pk, film.pk]) == {poem.pk: 1, song.pk: 1, film.pk: 1}

    credits = credits_of(project=project)
    assert credits.version == latest_version(project=project)
    names = [(e.person_id, e.medium) for e in credits.entries]
    ana, ben, cy = studio["people"]
    # the cut's order (film, then poem), then upstream by depth (song).
    assert names == [(cy.pk, "Video"), (ana.pk, "Writing"), (ben.pk, "Sound")]


# --- the database refuses changes to locked versions ---------------------------------------


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_sql_cannot_change_a_locked_version_or_its_items(studio):
    project, director = studio["project"], studio["director"]
    poem, song, film = studio["work"]
    version = lock(project, director, [(film, "1")])
    item = CutVersionItem.objects.get(version=version)
    attempts = [
        ("UPDATE payouts_cutversion SET contributor_share = 1 WHERE id = %s", [version.pk]),
        ("DELETE FROM payouts_cutversion WHERE id = %s", [version.pk]),
        ("UPDATE payouts_cutversionitem SET weight = 9 WHERE id = %s", [item.pk]),
        ("DELETE FROM payouts_cutversionitem WHERE id = %s", [item.pk]),
        (
            "INSERT INTO payouts_cutversionitem (version_id, contribution_id, weight, position) "
            "VALUES (%s, %s, 1, 5)",
            [version.pk, poem.pk],
        ),
    ]
    for sql, params in attempts:
        with pytest.raises(DatabaseError):
            _raw(sql, params)
    item.refresh_from_db()
    assert item.weight == Decimal("1.000")
    assert CutVersionItem.objects.filter(version=version).count() == 1


def test_raw_sql_cannot_change_stored_credits(studio, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = lock(studio["project"], studio["director"], [(studio["work"][2], "1")])
    credit = PersonCredit.objects.filter(credits__version=version).first()
    for sql in (
        "UPDATE payouts_personcredit SET share_exact = '1/1' WHERE id = %s",
        "DELETE FROM payouts_personcredit WHERE id = %s",
    ):
        with pytest.raises(DatabaseError):
            _raw(sql, [credit.pk])
    with pytest.raises(DatabaseError):
        _raw("UPDATE payouts_versioncredits SET node_count = 0 WHERE version_id = %s", [version.pk])


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_with_locked_versions_still_tears_down(studio):
    """The flush between transactional tests empties sealed tables (TRUNCATE on PostgreSQL;
    on SQLite the DELETE triggers stand down only for the test flush)."""
    lock(studio["project"], studio["director"], [(studio["work"][0], "1")])
    assert CutVersion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_previous_transactional_test_left_nothing_behind():
    assert not CutVersion.objects.exists()
    assert not CutVersionItem.objects.exists()


def test_a_source_added_to_settle_a_claim_makes_the_same_draft_lock_a_new_version(studio):
    """Staff may add a missing source (an accepted claim); the unchanged draft then reaches
    more people, so it locks into a new version whose credits include them."""
    project, director = studio["project"], studio["director"]
    poem, song, film = studio["work"]
    first = lock(project, director, [(film, "1")])
    assert services.final_cut_lock(project=project, by=director) == (first, False)
    forgotten = ContributionFactory(title="Forgotten sketch")
    forgotten.created_at = poem.created_at
    SourceFactory(contribution=poem, source=forgotten)
    second, created = services.final_cut_lock(project=project, by=director)
    assert created
    assert second.number == 2
