from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEntry
from accounts.services import audit_record


@pytest.mark.django_db
def test_audit_record_keeps_who_what_target_and_details(user):
    entry = audit_record(actor=user, action="user.test", target=user, details={"why": "a test"})
    entry.refresh_from_db()
    assert entry.actor == user
    assert entry.action == "user.test"
    assert entry.target_type == "accounts.user"
    assert entry.target_id == str(user.pk)
    assert entry.target_repr == f"user #{user.pk}"  # never a person's name: see audit_record
    assert entry.details == {"why": "a test"}
    assert entry.created_at is not None


@pytest.mark.django_db
def test_audit_entries_cannot_be_changed_or_deleted_through_the_model(user):
    entry = audit_record(actor=user, action="user.test", target=user)
    entry.action = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "user.test"


@pytest.mark.django_db
def test_the_database_refuses_updates_to_the_audit_log(user):
    entry = audit_record(actor=user, action="user.test", target=user)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "user.test"


@pytest.mark.django_db
def test_the_audit_log_is_read_only_in_admin(staff_client, user):
    entry = audit_record(actor=user, action="user.test", target=user)
    listing = staff_client.get("/admin/accounts/auditentry/")
    assert listing.status_code == 200
    assert b"user.test" in listing.content
    page = staff_client.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert staff_client.get(f"/admin/accounts/auditentry/{entry.pk}/delete/").status_code == 403
