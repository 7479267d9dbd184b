"""Abuse limits for signing in, signing up and password-reset mail, kept in the Django cache.

One place for the site's sign-in page, the API token endpoint and Django admin's login, so
a limit cannot be dodged by switching between them. The counter, the client address rule
(``REMOTE_ADDR``, or the last ``X-Forwarded-For`` hop only from ``TRUSTED_PROXY_IPS``) and
IPv6-by-/64 are ``hitrecord.throttling``'s; ``client_address`` here is that same function.

**Sign-in** is limited per (account, client address) pair: each attempt is counted
*before* the password is checked, so a pair that has used its attempts cannot probe
passwords any more, even with many requests in parallel. After ``SIGNIN_FAILURE_LIMIT``
failures (5) within ``SIGNIN_FAILURE_WINDOW`` seconds (15 minutes, counted from the first
failure), that pair waits until the window ends. Another address can still sign in to the
same account, so nobody can lock an artist out from elsewhere; the same address can still
sign in to other accounts. A successful sign-in clears the pair's counter. The account is
named by ``accounts.usernames.canonical()``, the form the sign-in lookup compares, so a
look-alike spelling (``admın``, ``tomaſ``) never gets a fresh set of attempts for an account.

**Guessing spread over many addresses** is met by an account-wide count of failures: past
``SIGNIN_ACCOUNT_FAILURE_LIMIT`` (50) within ``SIGNIN_ACCOUNT_FAILURE_WINDOW`` (an hour),
only addresses that signed in to that account successfully within the last
``SIGNIN_KNOWN_ADDRESS_DAYS`` (30) may try; every other address is refused, without the
password being checked, until the window ends. So an attacker with many addresses gets
about 50 guesses an hour at one account, and cannot lock its owner out: the owner's usual
addresses are remembered (in the cache, so the page, the API and admin all share it) and
keep their own per-pair limit only.

**Sign-up** is limited per client address, by the DRF ``signup`` throttle rate in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (e.g. ``"20/hour"``); every sign-up attempt
counts, through the page or the API.

**Password-reset mail** is limited per target email (``THROTTLE_PASSWORD_RESET_EMAIL``,
whether or not an account has it, so the answer says nothing about who has an account) and
per client address (``THROTTLE_PASSWORD_RESET_ADDRESS``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework.settings import api_settings

from accounts.usernames import canonical
from hitrecord.throttling import (
    Verdict,
    address_key,
    client_address,
    digest,
    forget,
    hit,
    parse_rate,
    peek,
    take,
)

__all__ = [
    "Verdict",
    "client_address",
    "password_reset_attempt",
    "password_reset_refused_message",
    "signin_attempt",
    "signin_failed",
    "signin_refused_message",
    "signin_succeeded",
    "signup_attempt",
    "signup_rate",
    "signup_refused_message",
]

PAIR = "pair"
ACCOUNT = "account"
RESET_EMAIL = "reset-email"
RESET_ADDRESS = "reset-address"


def _pair(username: str, address: str) -> str:
    return digest(canonical(username), address_key(address))


def _pair_key(username: str, address: str) -> str:
    return "throttle:signin:" + _pair(username, address)


def _known_key(username: str, address: str) -> str:
    return "throttle:signin-known:" + _pair(username, address)


def _account_key(username: str) -> str:
    return "throttle:signin-account:" + digest(canonical(username))


def _is_known(username: str, address: str) -> bool:
    return bool(cache.get(_known_key(username, address)))


def signin_attempt(*, username: str, address: str) -> Verdict:
    """Count a sign-in attempt for this (account, address) pair before the password is
    checked. Refused once the pair has used its attempts, or while the account has had too
    many failures from everywhere and this address never signed in to it. Call
    ``signin_failed`` after a wrong password, ``signin_succeeded`` after a right one."""
    window = settings.SIGNIN_ACCOUNT_FAILURE_WINDOW
    failures, left = peek(_account_key(username), window=window)
    if failures >= settings.SIGNIN_ACCOUNT_FAILURE_LIMIT and not _is_known(username, address):
        return Verdict(allowed=False, retry_after=left, reason=ACCOUNT)
    return take(
        _pair_key(username, address),
        limit=settings.SIGNIN_FAILURE_LIMIT,
        window=settings.SIGNIN_FAILURE_WINDOW,
        reason=PAIR,
    )


def signin_failed(*, username: str, address: str) -> None:
    """A wrong password: it counts towards the account-wide limit (the pair's attempt was
    already counted by ``signin_attempt``)."""
    hit(_account_key(username), window=settings.SIGNIN_ACCOUNT_FAILURE_WINDOW)


def signin_succeeded(*, username: str, address: str) -> None:
    """The pair signed in: forget its failures, and remember the address as one the owner
    uses, exempt from the account-wide limit."""
    forget(_pair_key(username, address))
    cache.set(_known_key(username, address), 1, settings.SIGNIN_KNOWN_ADDRESS_DAYS * 24 * 3600)


def signin_refused_message(verdict: Verdict) -> str:
    if verdict.reason == ACCOUNT:
        return (
            "This account has had too many failed sign-ins from many places, so for now "
            "only addresses that signed in to it before may try. "
            f"Try again in {verdict.wait_phrase()}, or reset your password."
        )
    return (
        "Too many failed sign-ins for this account from your address. "
        f"Try again in {verdict.wait_phrase()}."
    )


def signup_rate() -> tuple[int, int]:
    """``(attempts, seconds)`` from the DRF ``signup`` throttle rate."""
    rate = str(api_settings.DEFAULT_THROTTLE_RATES["signup"])
    return parse_rate(rate, name="THROTTLE_SIGNUP")


def signup_attempt(*, address: str) -> Verdict:
    """Count a sign-up attempt from this address; refused past the ``signup`` rate."""
    limit, window = signup_rate()
    return take("throttle:signup:" + digest(address_key(address)), limit=limit, window=window)


def signup_refused_message(verdict: Verdict) -> str:
    return (
        "Too many sign-ups from your address in a short time. "
        f"Try again in {verdict.wait_phrase()}."
    )


def password_reset_attempt(*, email: str, address: str) -> Verdict:
    """Count a request for a password-reset mail, per client address and then per target
    email (any email, so the answer does not tell who has an account)."""
    limit, window = parse_rate(
        settings.THROTTLE_PASSWORD_RESET_ADDRESS, name="THROTTLE_PASSWORD_RESET_ADDRESS"
    )
    verdict = take(
        "throttle:reset-address:" + digest(address_key(address)),
        limit=limit,
        window=window,
        reason=RESET_ADDRESS,
    )
    if not verdict.allowed:
        return verdict
    limit, window = parse_rate(
        settings.THROTTLE_PASSWORD_RESET_EMAIL, name="THROTTLE_PASSWORD_RESET_EMAIL"
    )
    return take(
        "throttle:reset-email:" + digest(email.strip().lower()),
        limit=limit,
        window=window,
        reason=RESET_EMAIL,
    )


def password_reset_refused_message(verdict: Verdict) -> str:
    if verdict.reason == RESET_EMAIL:
        return (
            "We have just sent several reset links for that email. Look for them in your "
            f"inbox (and spam folder), or ask again in {verdict.wait_phrase()}."
        )
    return (
        "Too many password-reset requests from your address in a short time. "
        f"Try again in {verdict.wait_phrase()}."
    )
