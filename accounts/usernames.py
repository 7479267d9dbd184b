"""The one way usernames are written and compared.

A new username is ASCII letters, digits and ``._-`` only (3 to 30 characters, starting with
a letter or digit), so no two names can look alike across scripts (``admın`` with a dotless
i, ``tomaſ`` with a long s) and case folding means the same thing in Python, SQLite and
PostgreSQL. Names are compared case-insensitively through ``canonical()``: the throttle
keys, the sign-in lookup, sign-up's "taken" check, the retired names and the database's
unique index (``Lower("username")``) all use it.

Text that is not ASCII never matches an account: ``canonical()`` keeps it as typed, and
``lookup_key()`` returns None for it, so a look-alike cannot reach ``admin`` through a
database whose ``UPPER()`` folds ``ı`` to ``I``.

Names chosen before this policy: an ASCII name that does not fit it (``mira@example.com``,
``a+b``, two letters) is grandfathered: it keeps working, its profile address stays, and it
signs in case-insensitively like any other. A name with non-ASCII characters could no longer
sign in (``lookup_key`` refuses it), so migration ``accounts.0004_usernames_policy`` renamed
each to an ASCII form (``Tomás`` -> ``tomas``, or ``member-<id>`` when nothing usable or free
is left), told the person in a notification, and retired the old spelling.

The policy applies wherever a name is chosen: sign-up (page and API) and staff changing a
name in admin. A name that belonged to a deleted account is retired (``RetiredUsername``)
and never given out again.
"""

from __future__ import annotations

import re

USERNAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{2,29}"
USERNAME_RE = re.compile(USERNAME_PATTERN)
USERNAME_RULE = (
    "3 to 30 characters: ASCII letters, digits, dots, hyphens and underscores, "
    "starting with a letter or digit."
)
RESERVED_PREFIX = "former-member"

# What a person is told when a name cannot be theirs (the page, the API and admin alike).
USERNAME_NOT_IN_POLICY = f"Usernames are {USERNAME_RULE[0].lower()}{USERNAME_RULE[1:]}"
USERNAME_RESERVED = "Usernames starting with “former-member” are reserved; pick another."
USERNAME_RETIRED = (
    "That username belonged to a deleted account and is not given out again, so old "
    "credits and links never point at someone else; pick another."
)
USERNAME_TAKEN = "That username is taken (names ignore case); pick another."


def canonical(raw: str) -> str:
    """The form a username is compared in: stripped, and lower-cased when it is ASCII."""
    name = raw.strip()
    return name.lower() if name.isascii() else name


def fits_policy(raw: str) -> bool:
    """Whether ``raw`` may be chosen as a new username."""
    return USERNAME_RE.fullmatch(raw) is not None


def lookup_key(raw: str) -> str | None:
    """What to compare with ``Lower("username")`` to find the account ``raw`` names, or None
    when no account can have that name (not ASCII, or a character no name may hold)."""
    name = canonical(raw)
    if not name.isascii() or not name or len(name) > 150:
        return None
    return name


def policy_problem(raw: str) -> str | None:
    """Why ``raw`` cannot be chosen as a new username by its spelling alone (the policy or
    the reserved prefix), or None. Whether it is free is for the caller to check."""
    if not fits_policy(raw):
        return USERNAME_NOT_IN_POLICY
    if canonical(raw).startswith(RESERVED_PREFIX):
        return USERNAME_RESERVED
    return None
