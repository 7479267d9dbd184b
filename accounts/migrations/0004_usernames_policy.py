"""Usernames with non-ASCII characters get an ASCII name they can sign in with.

The policy (``accounts.usernames``) compares names as ASCII only, so ``lookup_key`` finds no
account for ``Tomás`` any more. Each such account is renamed once: its name folded to ASCII
(``Tomás`` -> ``tomas``), kept to the policy's characters, or ``member-<id>`` when nothing
usable or free is left. The person is told in a notification, the change is audited (by id,
no names), and the old spelling is retired so nobody else can take it. ASCII names that do
not fit the policy (``a+b``, ``mira@example.com``) are grandfathered and left alone.

Running it again changes nothing: every name is ASCII afterwards. It cannot be reversed
(the old names are retired, not forgotten by the people who had them).
"""

import re
import unicodedata

from django.db import migrations
from django.db.models.functions import Lower

POLICY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,29}")


def _candidate(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = re.sub(r"[^A-Za-z0-9._-]+", "-", folded)
    folded = re.sub(r"^[^A-Za-z0-9]+", "", folded)[:30].rstrip("-.")
    return folded.lower()


def rename_non_ascii(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    RetiredUsername = apps.get_model("accounts", "RetiredUsername")
    Notification = apps.get_model("accounts", "Notification")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    people = [
        u for u in User.objects.order_by("pk").only("pk", "username") if not u.username.isascii()
    ]
    for person in people:
        old = person.username
        new = _candidate(old)

        def free(name):
            return (
                POLICY.fullmatch(name) is not None
                and not name.startswith("former-member")
                and not User.objects.annotate(l=Lower("username")).filter(l=name).exists()
                and not RetiredUsername.objects.filter(username=name).exists()
            )

        if not free(new):
            new = f"member-{person.pk}"
        person.username = new
        person.save(update_fields=["username"])
        RetiredUsername.objects.get_or_create(username=old.strip())
        AuditEntry.objects.create(
            action="user.rename",
            target_type="accounts.user",
            target_id=str(person.pk),
            target_repr=f"user #{person.pk}",
            details={"reason": "username policy: ASCII letters, digits and ._- only"},
        )
        Notification.objects.create(
            recipient_id=person.pk,
            kind="moderation",
            message=(
                f"Your username is now “{new}”: usernames are ASCII letters, digits, dots, "
                "hyphens and underscores, so no two can look alike. Sign in with it (any case)."
            ),
            url=f"/u/{new}/",
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_identity")]

    operations = [migrations.RunPython(rename_non_ascii, migrations.RunPython.noop)]
