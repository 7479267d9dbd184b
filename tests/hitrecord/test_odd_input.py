"""Odd input at every page and endpoint: never a 5xx.

The routes come from the URL resolver, so a new page is covered the day it is added. Each
path parameter gets odd values (with the others set to a real object's key); each query
parameter a page or endpoint knows (its filters, what its own links and GET forms use, and
what ``/api/schema/`` declares) gets odd values; every route is posted deeply nested JSON,
JSON strings holding NUL, and form fields holding NUL, as an anonymous visitor, a signed-in
artist and staff. The API schema types ids as integers, which is why a schema fuzzer never
tries ``²`` or ``99999999999999999999999``: this hand-made list does.

Every failure is collected and reported in one assertion message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.test.client import encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts.models import Notification
from hitrecord.parsers import HAS_NUL, TOO_DEEP, UnsafeJSON, nesting_exceeds
from hitrecord.parsers import loads as safe_loads
from projects.models import Membership
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DEEP = 5000
MULTIPART = {"content_type": "multipart/form-data; boundary=BoUnDaRy"}
ODD_VALUES = [
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # int() says 3: not an ASCII digit all the same
    "１２",  # full-width digits
    "1e3",
    "-1",
    "0",
    " 12",
    "99999999999999999999999",  # more than any id column holds
    "a\x00b",  # PostgreSQL refuses NUL in text
    "' OR 1=1 --",
    "x" * 3000,
    "[" * 300,
]
# Path parameters also get a value with a slash and dots, for routes that take a path.
ODD_PATH_VALUES = [*ODD_VALUES, "../../etc/passwd", "a%00b"]

# Query parameters each page or endpoint is known to read (the schema and the pages' own
# forms and links add to these).
KNOWN_GET_PARAMS: dict[str, list[str]] = {
    "projects:list": ["page"],
    "projects:detail": ["page", "kind", "needs_remix"],
    "accounts:profile": ["page", "kind", "needs_remix"],
    "accounts:notifications": ["page"],
    "contributions:new": ["project", "remix", "call"],
    "contributions:detail": ["page", "comments"],
    "payouts:cut": ["q"],
    "payouts:credits": ["format"],
    "login": ["next"],
    "api-contributions": ["page", "project", "author", "kind", "needs_remix"],
    "api-projects": ["page"],
    "api-notifications": ["page"],
    "api-contribution-comments": ["page"],
    "api-schema": ["format", "lang"],
}
ADMIN_GET_PARAMS = ["q", "p", "o", "e", "_changelist_filters", "_popup", "_to_field"]

# Fields sent with NUL in their values, to every route, as JSON and as a form.
BODY_FIELDS = [
    "title",
    "description",
    "brief",
    "text",
    "body",
    "kind",
    "status",
    "project",
    "call",
    "user",
    "username",
    "password",
    "email",
    "reason",
    "next",
    "open",
    "mediums",
    "medium",
    "upload_key",
    "content_type",
    "filename",
    "terms_accepted",
    "contributor_share",
]

# Requests that sign the client out or tear the test's objects down run last, so they do
# not hide the routes after them.
DESTRUCTIVE = ("logout", "delete", "withdraw", "leave", "password_change")


# --- the routes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    parts: tuple[tuple[str, str], ...]  # ("text", literal) or ("param", name)

    @property
    def params(self) -> list[str]:
        return [value for kind, value in self.parts if kind == "param"]

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api-")

    def url(self, values: dict[str, str]) -> str:
        out = ["/"]
        for kind, value in self.parts:
            out.append(quote(values[value], safe="") if kind == "param" else value)
        return "".join(out)


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _split(pattern: RoutePattern | RegexPattern) -> list[tuple[str, str]]:
    if isinstance(pattern, RoutePattern):
        text, finder = str(pattern), _ROUTE_PARAM
    else:
        text, finder = str(pattern).lstrip("^").rstrip("$"), _REGEX_PARAM
    parts: list[tuple[str, str]] = []
    position = 0
    for match in finder.finditer(text):
        parts.append(("text", text[position : match.start()].replace("^", "")))
        parts.append(("param", match["name"]))
        position = match.end()
    parts.append(("text", text[position:].replace("^", "").replace("$", "")))
    return [part for part in parts if part != ("text", "")]


def _routes(
    patterns: list[Any], prefix: tuple[tuple[str, str], ...] = (), namespace: str = ""
) -> Iterator[Route]:
    for entry in patterns:
        parts = prefix + tuple(_split(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, parts, inner)
        elif isinstance(entry, URLPattern):
            yield Route(name=f"{namespace}{entry.name or ''}", parts=parts)


def all_routes() -> list[Route]:
    routes = list(dict.fromkeys(_routes(get_resolver().url_patterns)))
    return sorted(routes, key=lambda r: (any(w in r.name for w in DESTRUCTIVE), r.name))


# --- a world with one of everything -------------------------------------------------------


@dataclass
class World:
    artist: Any
    staff: Any
    keys: dict[str, str]
    admin_keys: dict[str, str] = field(default_factory=dict)

    def real(self, route: Route) -> dict[str, str]:
        values = dict(self.keys)
        if route.is_admin:
            values.update(self.admin_keys.get(_admin_model(route), {}))  # type: ignore[arg-type]
        return {name: values.get(name, "1") for name in route.params}


def _admin_model(route: Route) -> str:
    literal = "".join(value for kind, value in route.parts if kind == "text")
    bits = [bit for bit in literal.split("/") if bit]
    return ".".join(bits[1:3]) if len(bits) >= 3 else ""


@pytest.fixture
def world(db) -> World:
    artist = UserFactory(username="odd-artist")
    staff = UserFactory(username="odd-staff", is_staff=True, is_superuser=True)
    author = UserFactory(username="odd-author")
    project = ProjectFactory(title="Odd input", created_by=author)
    # a director, so the signed-in artist reaches the director's pages and their forms
    MembershipFactory(project=project, user=artist, role=Membership.Role.DIRECTOR)
    call = CallFactory(project=project)
    original = ContributionFactory(project=project, author=author)
    remix = ContributionFactory(project=project, author=author, title="A remix")
    SourceFactory(contribution=remix, source=original)
    Notification.objects.create(recipient=artist, kind=Notification.Kind.PROJECT)
    media_file = Path(settings.MEDIA_ROOT) / "odd" / "real.txt"
    media_file.parent.mkdir(parents=True, exist_ok=True)
    media_file.write_text("plain")
    keys = {
        "slug": project.slug,
        "pk": str(remix.pk),
        "call_id": str(call.pk),
        "username": author.username,
        "path": "odd/real.txt",
        "uidb64": "MQ",
        "token": "set-password",
        "app_label": "contributions",
        "url": "nowhere/",
        "content_type_id": str(ContentType.objects.get_for_model(type(remix)).pk),
        "object_id": str(remix.pk),
        "id": str(artist.pk),
    }
    admin_keys: dict[str, dict[str, str]] = {}
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            admin_keys[label] = {"object_id": str(first.pk), "id": str(first.pk)}
    return World(artist=artist, staff=staff, keys=keys, admin_keys=admin_keys)


# --- sending and collecting ---------------------------------------------------------------


class Probe:
    """Sends requests as anonymous, artist and staff, and remembers every 5xx."""

    def __init__(self, world: World) -> None:
        self.clients: dict[str, Client] = {}
        for role, person in (("anonymous", None), ("artist", world.artist), ("staff", world.staff)):
            client = Client(raise_request_exception=False)
            if person is not None:
                client.force_login(person)
            self.clients[role] = client
        self.world = world
        self.failures: list[str] = []
        self.sent = 0

    def send(self, role: str, method: str, url: str, **kwargs: Any) -> Any:
        client = self.clients[role]
        self.sent += 1
        try:
            response = getattr(client, method)(url, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the test client raising is a failure too
            self.failures.append(f"{role} {method.upper()} {url[:160]!r}: raised {exc!r}"[:400])
            return None
        if response.streaming:
            # Read to the end: the test client then closes the file (a FileResponse), without
            # firing request_finished, which would close the test's database connection.
            b"".join(response.streaming_content)
        if response.status_code >= 500:
            exc_info = getattr(response, "exc_info", None)
            cause = repr(exc_info[1])[:200] if exc_info else ""
            body = kwargs.get("data")
            shown = repr(body)[:80] if body is not None else ""
            self.failures.append(
                f"{role} {method.upper()} {url[:160]!r} {shown} -> {response.status_code} {cause}"
            )
        return response

    @staticmethod
    def multipart(fields: dict[str, str]) -> bytes:
        return encode_multipart("BoUnDaRy", fields)

    def report(self) -> str:
        unique = list(dict.fromkeys(self.failures))
        return f"{len(unique)} of {self.sent} requests answered 5xx:\n" + "\n".join(unique[:80])


class _Names(HTMLParser):
    """Parameter names a page itself uses: its GET forms' fields and its links' queries
    (``names``), and the fields of its POST forms, by where they post (``posted``)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.names: set[str] = set()
        self.posted: dict[str, set[str]] = {}
        self._form: set[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            if (attributes.get("method") or "get").lower() == "get":
                self._form = self.names
            else:
                action = urlsplit(str(attributes.get("action") or "")).path or self.path
                self._form = self.posted.setdefault(action, set())
        elif tag in {"input", "select", "textarea", "button"} and self._form is not None:
            if attributes.get("name"):
                self._form.add(str(attributes["name"]))
        elif tag == "a" and attributes.get("href"):
            link = urlsplit(str(attributes["href"]))
            if link.query and link.path in {"", self.path}:
                self.names.update(name for name, _ in parse_qsl(link.query))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _read_page(response: Any, path: str) -> _Names:
    names = _Names(path)
    if response is not None and "html" in response.get("Content-Type", ""):
        names.feed(response.content.decode(errors="replace"))
    return names


def _page_params(response: Any, path: str) -> set[str]:
    return _read_page(response, path).names


def _schema_operations(probe: Probe) -> dict[str, dict[str, Any]]:
    response = probe.send("anonymous", "get", "/api/schema/?format=json")
    assert response is not None
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)["paths"]


def _schema_query_params(operations: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Query parameter names per schema path template (``/api/projects/{slug}/``)."""
    found: dict[str, set[str]] = {}
    for template, methods in operations.items():
        names = found.setdefault(template, set())
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    names.add(parameter["name"])
    return found


def _schema_body_fields(probe: Probe) -> set[str]:
    """Every property name of every schema component (request bodies among them)."""
    response = probe.send("anonymous", "get", "/api/schema/?format=json")
    schemas = json.loads(response.content)["components"]["schemas"]
    return {name for schema in schemas.values() for name in schema.get("properties", {})}


def _schema_template(route: Route) -> str:
    return "/" + "".join(f"{{{v}}}" if kind == "param" else v for kind, v in route.parts)


def _deep_bodies() -> list[str]:
    return ["[" * DEEP, '{"a":' * DEEP, "[" * DEEP + "]" * DEEP, '{"a": ' * 70 + "1" + "}" * 70]


def _nul_body(fields: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {name: "a\x00b" for name in fields}
    body["sources"] = [{"contribution": "\x00", "weight": "1\x00"}]
    body["mediums"] = ["text\x00"]
    body["a\x00b"] = "key with NUL"
    return body


# --- the sweeps ---------------------------------------------------------------------------

# The default suite sends each odd value once where it can matter (as the signed-in artist;
# staff on admin, through one model's pages; every role where the API parses a body). The
# `fuzz` run sends every value as everyone, each parameter alone, on every admin page.
CORE_VALUES = [v for v in ODD_VALUES if v not in {" 12", "１２"}]
CORE_ADMIN_MODEL = "contributions.contribution"


@dataclass(frozen=True)
class Plan:
    exhaustive: bool

    def values(self, route: Route) -> list[str]:
        if self.exhaustive:
            return ODD_VALUES
        return CORE_VALUES[:8] if route.is_admin else CORE_VALUES

    def roles(self, route: Route) -> tuple[str, ...]:
        if route.is_admin:
            return ("staff",)
        return ("anonymous", "artist", "staff") if self.exhaustive else ("artist",)

    def body_roles(self, route: Route) -> tuple[str, ...]:
        if route.is_admin:
            return ("staff",)
        everyone = self.exhaustive or route.is_api
        return ("anonymous", "artist", "staff") if everyone else ("artist",)

    def routes(self) -> list[Route]:
        routes = all_routes()
        if self.exhaustive:
            return routes
        return [r for r in routes if not r.is_admin or _admin_model(r) in {"", CORE_ADMIN_MODEL}]


def _run_path_params(probe: Probe, plan: Plan) -> None:
    extra = ODD_PATH_VALUES[len(ODD_VALUES) :]
    for route in plan.routes():
        real = probe.world.real(route)
        for name in route.params:
            for value in [*plan.values(route), *extra]:
                url = route.url({**real, name: value})
                for role in plan.roles(route):
                    probe.send(role, "get", url)


def _run_query_params(probe: Probe, plan: Plan, schema: dict[str, set[str]]) -> None:
    for route in plan.routes():
        if "logout" in route.name:
            continue
        url = route.url(probe.world.real(route))
        read = set(KNOWN_GET_PARAMS.get(route.name, ["page"]))
        read |= schema.get(_schema_template(route), set())
        if route.is_admin:
            read |= set(ADMIN_GET_PARAMS)
        names = set(read)
        for role in plan.roles(route):
            names |= _page_params(probe.send(role, "get", url), url)
        values = plan.values(route)
        for value in values:
            for role in plan.roles(route):
                # every parameter at once, then each alone (the first refusal can hide the rest)
                probe.send(role, "get", f"{url}?{urlencode(dict.fromkeys(names, value))}")
        alone = names if plan.exhaustive else read | {n for n in names if "__" in n}
        if route.is_admin and not plan.exhaustive and not route.name.endswith("_changelist"):
            alone = set()  # the change list reads them; other admin pages get them all at once
        for name in sorted(alone):
            for value in values:
                probe.send(plan.roles(route)[-1], "get", url, data={name: value})


def _run_bodies(probe: Probe, plan: Plan, operations: dict[str, dict[str, Any]]) -> None:
    fields = sorted(set(BODY_FIELDS) | _schema_body_fields(probe))
    json_nul = json.dumps(_nul_body(fields))
    form_nul = {name: "a\x00b" for name in fields}
    seen: set[tuple[str, str]] = set()
    for route in plan.routes():
        if "logout" in route.name:
            continue
        url = route.url(probe.world.real(route))
        methods = ["post"]
        if route.is_api:
            declared = operations.get(_schema_template(route), {})
            methods = [m for m in ("post", "put", "patch") if m in declared] or ["post"]
        for role in plan.body_roles(route):
            for method in methods:
                for body in [*_deep_bodies(), json_nul]:
                    probe.send(role, method, url, data=body, content_type="application/json")
                probe.send(
                    role,
                    method,
                    url,
                    data=urlencode(form_nul),
                    content_type="application/x-www-form-urlencoded",
                )
                if method != "post":  # Django's request.POST never reads these: DRF's parsers do
                    probe.send(role, method, url, data=probe.multipart(form_nul), **MULTIPART)
            probe.send(role, "post", url, data=form_nul)  # multipart, as a form with a file
            if not route.is_api:
                # the page's own POST forms, every field odd at once (CSRF is not checked here)
                forms = _read_page(probe.send(role, "get", url), url).posted
                for action, names in forms.items():
                    if any(word in action for word in DESTRUCTIVE) or (role, action) in seen:
                        continue  # signing out or deleting would hide the routes after it
                    seen.add((role, action))
                    for value in plan.values(route) if names - {"csrfmiddlewaretoken"} else []:
                        probe.send(role, "post", action, data=dict.fromkeys(names, value))
            if not route.is_admin and (plan.exhaustive or "contribution" in route.name):
                for sources in ("[" * DEEP, "²", '[{"contribution": "²"}]', "9" * 23):
                    probe.send(role, "post", url, data={"sources": sources, "title": "t"})


def _sweep(world: World, plan: Plan, part: str) -> None:
    probe = Probe(world)
    operations = _schema_operations(probe)
    if part == "params":
        _run_path_params(probe, plan)
        _run_query_params(probe, plan, _schema_query_params(operations))
    else:
        _run_bodies(probe, plan, operations)
    assert probe.sent > 300, "the sweep sent too little to mean anything"
    assert not probe.failures, probe.report()


def test_odd_path_and_query_values_never_answer_5xx(world):
    _sweep(world, Plan(exhaustive=False), "params")


def test_odd_bodies_never_answer_5xx(world):
    _sweep(world, Plan(exhaustive=False), "bodies")


@pytest.mark.fuzz
@pytest.mark.parametrize("part", ["params", "bodies"])
def test_every_odd_value_as_everyone_everywhere(world, part):
    _sweep(world, Plan(exhaustive=True), part)


def test_the_route_list_covers_the_site(world):
    """The sweep reaches every page: a new route is covered without editing this file."""
    names = {route.name for route in all_routes()}
    assert {"projects:list", "api-contributions", "media", "accounts:profile"} <= names
    assert any(route.is_admin for route in Plan(exhaustive=False).routes())
    media = next(route for route in all_routes() if route.name == "media")
    assert media.url({"path": "a\x00b"}) == "/media/a%00b"
    assert _schema_template(next(r for r in all_routes() if r.name == "api-project-call")) == (
        "/api/projects/{slug}/calls/{call_id}/"
    )


# --- the probes of issue 7, one by one, with what a person sees ---------------------------


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_unicode_digits_as_an_author_id_are_a_400_saying_what_to_send(world):
    for value in ("²", "٣", "0", "99999999999999999999999", "12abc"):
        response = _client().get("/api/contributions/", {"author": value})
        assert response.status_code == 400, value
        assert response.json() == {"author": ["author must be a user id, e.g. 12."]}
    response = _client().get("/api/contributions/", {"author": str(world.artist.pk)})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999", "-1", "abc"])
def test_odd_page_numbers_show_the_first_page(world, value):
    for url in ("/projects/", f"/projects/{world.keys['slug']}/", f"/u/{world.keys['username']}/"):
        response = _client().get(url, {"page": value})
        assert response.status_code == 200, url
    response = _client(world.artist).get("/me/notifications/", {"page": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "1e3", "99999999999999999999999", "12,²"])
def test_odd_remix_ids_are_a_400_saying_what_to_send(world, value):
    client = _client(world.artist)
    response = client.get("/contributions/new/", {"remix": value})
    assert response.status_code == 400
    assert "remix and sources must be contribution ids" in response.content.decode()
    response = client.post(
        "/contributions/new/", {"sources": value, "project": world.keys["slug"], "title": "t"}
    )
    assert response.status_code == 400
    assert "remix and sources must be contribution ids" in response.content.decode()


def test_a_real_remix_id_still_fills_the_form(world):
    response = _client(world.artist).get("/contributions/new/", {"remix": world.keys["pk"]})
    assert response.status_code == 200
    assert "Remix of A remix" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/media/a%00b",
        "/u/a%00b/",
        "/api/contributions/?project=%00",
        "/projects/?search=%00",
        "/api/projects/x%00y/",
    ],
)
def test_nul_in_the_address_is_a_400_saying_so(world, url):
    response = _client().get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_nul_in_a_form_field_cookie_or_header_is_a_400(world):
    response = _client().post("/accounts/login/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 400
    assert "a form field contains a NUL character" in response.content.decode()
    client = _client()
    client.cookies["sessionid"] = "a\x00b"
    assert client.get("/projects/").status_code == 400
    response = _client().get("/api/contributions/", headers={"Authorization": "Token a\x00b"})
    assert response.status_code == 400


def test_a_file_may_hold_nul_bytes(world):
    """Only form fields are checked: an upload's own bytes may be anything."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("notes.txt", b"binary\x00data", content_type="text/plain")
    response = _client(world.artist).post(
        "/api/contributions/",
        {"project": world.keys["slug"], "title": "t", "kind": "text", "file": upload},
    )
    assert response.status_code < 500
    assert b"NUL character" not in response.content


@pytest.mark.parametrize("body", ["[" * DEEP, '{"a":' * DEEP, '[{"a": ' * 40 + "1" + "}]" * 40])
@pytest.mark.parametrize("url", ["/api/projects/", "/api/contributions/", "/api/auth/token/"])
def test_deeply_nested_json_is_a_400_saying_so(world, body, url):
    response = _client(world.artist).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_json_nested_within_the_limit_is_read(world):
    body = '{"title": "Ok", "brief": "b", "mediums": ["text"], "x": ' + "[" * 60 + "]" * 60 + "}"
    response = _client(world.artist).post("/api/projects/", body, content_type="application/json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "body",
    [
        {"title": "a\x00b", "brief": "b", "mediums": ["text"]},
        {"title": "ok", "brief": "b", "mediums": ["text\x00"]},
        {"title\x00": "ok"},
    ],
)
def test_nul_in_a_json_string_is_a_400_saying_so(world, body):
    response = _client(world.artist).post("/api/projects/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": HAS_NUL}


def test_nul_in_a_patch_form_body_is_a_400(world):
    client = _client(world.staff)
    url = f"/api/projects/{world.keys['slug']}/"
    body = urlencode({"title": "a\x00b"})
    response = client.patch(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json() == {"detail": HAS_NUL}


@pytest.mark.parametrize("sources", ["[" * DEEP, '[{"contribution": "²"}]', "²"])
def test_odd_sources_in_a_multipart_submission_are_a_400(world, sources):
    response = _client(world.artist).post(
        "/api/contributions/",
        {
            "project": world.keys["slug"],
            "title": "t",
            "kind": "text",
            "text": "words",
            "terms_accepted": "true",
            "sources": sources,
        },
    )
    assert response.status_code == 400
    assert "sources" in response.json()


@pytest.mark.parametrize("year", ["99999999999999999999999", "9999", "²"])
def test_an_odd_admin_date_filter_is_the_admins_bad_filter_page(world, year):
    for url in (
        "/admin/contributions/contribution/",
        "/admin/projects/project/",
        "/admin/accounts/auditentry/",
    ):
        response = _client(world.staff).get(url, {"created_at__year": year})
        assert response.status_code == 302, url
        assert response["Location"].endswith("?e=1")


def test_a_media_name_too_long_for_the_file_system_is_a_404(world):
    assert _client().get("/media/" + "x" * 3000).status_code == 404


# --- the JSON parser's own rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
        ('{"a":' * 65, True),
        ('["' + "[" * 500 + '"]', False),  # brackets inside a string do not count
        ('["\\"' + "[" * 500 + '"]', False),  # nor after an escaped quote
        ("[" * 10 + "]" * 10 + "[" * 60 + "]" * 60, False),  # siblings, not nesting
        ("[]" * 10_000, False),
    ],
)
def test_nesting_is_measured_without_recursing(text, deep):
    assert nesting_exceeds(text) is deep


def test_loads_refuses_what_json_loads_would_crash_on():
    with pytest.raises(RecursionError):
        json.loads("[" * 100_000)
    with pytest.raises(UnsafeJSON, match="nested too deeply"):
        safe_loads("[" * 100_000)
    with pytest.raises(UnsafeJSON, match="NUL"):
        safe_loads('{"a": ["b\\u0000"]}')
    with pytest.raises(ValueError, match="Out of range"):
        safe_loads("[NaN]")
    assert safe_loads('{"a": [1, "\\u00b2"]}') == {"a": [1, "²"]}
