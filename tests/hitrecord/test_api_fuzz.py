"""Schemathesis over every operation of ``/api/schema/``: no 5xx, nothing off its schema.

The schema is loaded from the real Django WSGI application, in process, and every operation
is fuzzed (schemathesis' examples, coverage and fuzzing phases, valid and invalid input)
with a fixed seed, three times: as an anonymous client, as a signed-in artist
(``Authorization: Token <key>``; the director of a project with a call, a remix, a locked
cut and money) and as staff. Half of the generated path parameters, and of the ``project``
fields of bodies, are swapped for the keys of those real objects, so operations are reached
past their 404s (random bytes posted as a contribution's file reach the media checks, and
are refused with a 400). Then the state machine follows the schema's OpenAPI links
(``hitrecord.openapi_links``) from what it creates: a new project to its page and its
calls, a new contribution to its detail and its lineage, new revenue to its distribution.

Every response must not be a 5xx, must have a documented content type, and must match the
body schema documented for its status. (Undocumented status codes are not failures here:
drf-spectacular does not list the 400/401/404/415 of every operation.) The rows are
committed for real (``transactional_db``), as in production, so a request that fails
halfway cannot hide behind the test's transaction. NUL characters are left out of the
generated values: ``test_odd_input.py`` sends them everywhere.

The tests after the fuzzers are plain API tests of what the fuzzer found.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import jsonschema
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from hitrecord.openapi_links import LINKS
from payouts import distributions as money
from payouts.models import Distribution, DistributionLine, PayeeDetails
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

SEED = 20260311
MAX_EXAMPLES = 15  # per operation and role, in the fuzzing phase
STATEFUL_EXAMPLES = 120  # scenarios per role
STATEFUL_STEPS = 10  # calls per scenario, at most
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


# --- a world with one of everything, committed -------------------------------------------


@dataclass
class World:
    slug: str
    tokens: dict[str, tuple[Any, str]]  # role -> (user, token key)
    # path template prefix -> real path parameters, longest prefix first
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Token {self.tokens[role][1]}"}

    def restore_tokens(self) -> None:
        """``DELETE /api/auth/token/`` revokes the caller's token: give it back, same key."""
        for user, key in self.tokens.values():
            Token.objects.get_or_create(key=key, defaults={"user": user})

    def real_keys(self, path: str) -> list[dict[str, Any]]:
        for prefix, keys in self.keys.items():
            if path.startswith(prefix):
                return keys
        return []


def _money(project: Any, staff: Any) -> dict[str, list[dict[str, Any]]]:
    """A proposed distribution (claims open) and an approved one whose lines are in a
    payment batch; eager tasks compute them as their transactions commit."""
    first, _ = money.revenue_record(project=project, amount_minor=1000, currency="USD", by=staff)
    proposed = Distribution.objects.get(revenue=first)
    money.distribution_propose(distribution=proposed, by=staff)
    second, _ = money.revenue_record(project=project, amount_minor=2500, currency="USD", by=staff)
    approved = Distribution.objects.get(revenue=second)
    money.distribution_propose(distribution=approved, by=staff)
    Distribution.objects.filter(pk=approved.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    approved.refresh_from_db()
    money.distribution_approve(distribution=approved, by=staff)
    batch = money.payment_batch_export(currency="USD", by=staff)
    lines = DistributionLine.objects.filter(distribution__in=[proposed, approved])
    return {
        "/api/distributions/": [{"id": proposed.pk}, {"id": approved.pk}],
        "/api/distribution-lines/": [{"id": pk} for pk in lines.values_list("pk", flat=True)],
        "/api/payment-batches/": [{"id": batch.pk}],
    }


@pytest.fixture
def world(transactional_db, settings) -> World:
    # The throttles have their own tests; here they would only hide the views behind 429s.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            name: "100000/min" for name in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        },
    }
    artist = UserFactory(username="fuzz-artist")
    author = UserFactory(username="fuzz-author")
    staff = UserFactory(username="fuzz-staff", is_staff=True, is_superuser=True)
    project = ProjectFactory(title="Fuzz harbour", created_by=artist)
    MembershipFactory(project=project, user=author)
    call = CallFactory(project=project)
    poem = ContributionFactory(project=project, author=author, title="Poem")
    song = ContributionFactory(project=project, author=artist, title="Song", call=call)
    SourceFactory(contribution=song, source=poem)
    lock(project, artist, [(song, "1")])
    for person in (artist, author):
        PayeeDetails.objects.create(
            person=person,
            payout_email=f"{person.username}@example.com",
            payee_name=person.username,
            email_verified_at=timezone.now(),
        )
    tokens = {
        "artist": (artist, Token.objects.create(user=artist).key),
        "staff": (staff, Token.objects.create(user=staff).key),
    }
    keys: dict[str, list[dict[str, Any]]] = {
        "/api/contributions/{id}": [{"id": poem.pk}, {"id": song.pk}],
        "/api/projects/{slug}/calls/{call_id}": [{"slug": project.slug, "call_id": call.pk}],
        "/api/projects/{slug}": [{"slug": project.slug}],
        **_money(project, staff),
    }
    return World(slug=project.slug, tokens=tokens, keys=keys)


# --- the schema, as each role ------------------------------------------------------------


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["too_slow"],  # CI machines vary; the data does not
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                # the token is the role's own, never a generated one
                "with-security-parameters": False,
                "allow-x00": False,
                "database": "none",
            },
            "phases": {
                "stateful": {
                    "max-steps": STATEFUL_STEPS,
                    # the stateless phases send invalid input; the scenarios valid input, so
                    # that what they create exists and the links have something to follow
                    "generation": {"mode": "positive"},
                    # the schema's own links, not guessed ones
                    "inference": {"algorithms": []},
                }
            },
        }
    )


def _is_middleware_refusal(response: Any) -> bool:
    """``RefuseNulMiddleware`` reads ``request.POST`` on every path, the API's too: a form it
    cannot parse (multipart without a boundary) gets Django's HTML 400, a NUL in a header or
    field its plain-text 400, before DRF can answer in JSON. Known, open (see
    ``test_an_unreadable_api_form_is_refused_in_json``); nothing else is forgiven."""
    content_type = (response.headers.get("content-type") or [""])[0]
    text = response.text[:300]
    return response.status_code == 400 and (
        (content_type.startswith("text/html") and "<title>Bad Request (400)</title>" in text)
        or (content_type.startswith("text/plain") and "NUL character" in text)
    )


def load_schema(world: World) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=_config())

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
        real = world.real_keys(context.operation.path) if context.operation else []
        if not real or not isinstance(path_parameters, dict):
            return st.just(path_parameters)
        return st.sampled_from([path_parameters, *({**path_parameters, **k} for k in real)])

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        if not isinstance(body, dict) or "project" not in body:
            return st.just(body)
        return st.sampled_from([body, {**body, "project": world.slug}])

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not _is_middleware_refusal(response)

    return schema


@dataclass
class Caller:
    role: str
    world: World

    def call_and_validate(self, case: Any) -> None:
        try:
            case.call_and_validate(headers=self.world.headers(self.role), checks=CHECKS)
        finally:
            self.world.restore_tokens()


@pytest.fixture(params=["anonymous", "artist", "staff"])
def caller(request, world) -> Caller:
    return Caller(role=request.param, world=world)


@pytest.fixture
def fuzz_schema(caller) -> Any:
    return load_schema(caller.world)


api = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.mark.fuzz
@api.parametrize()
def test_every_operation_answers_within_its_schema(case, caller):
    caller.call_and_validate(case)


# --- stateful: the links from created objects ----------------------------------------------

CREATED_BY = {
    "POST /api/projects/": ("/api/projects/{slug}", lambda body: body.get("slug")),
    "POST /api/contributions/": ("/api/contributions/{id}", lambda body: body.get("id")),
    "POST /api/revenues/": (
        "/api/distributions/{id}",
        lambda body: (body.get("distribution") or {}).get("id"),
    ),
}


@dataclass
class Trail:
    """What the scenarios created, and what they then reached through the created keys."""

    created: dict[str, set[Any]] = field(default_factory=dict)
    reached: set[tuple[str, int]] = field(default_factory=set)

    def note(self, case: Any, response: Any) -> None:
        label = f"{case.method.upper()} {case.path}"
        body = _json(response)
        if label in CREATED_BY and response.status_code == 201 and isinstance(body, dict):
            prefix, key = CREATED_BY[label]
            self.created.setdefault(prefix, set()).add(key(body))
        for prefix, keys in self.created.items():
            name = prefix.rsplit("{", 1)[1].rstrip("}")
            if case.path.startswith(prefix) and (case.path_parameters or {}).get(name) in keys:
                self.reached.add((label, response.status_code))

    def reached_ok(self, label: str) -> bool:
        return any(seen == label and status < 300 for seen, status in self.reached)


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _written(body: Any, operation: Any, slug: str) -> dict[str, Any] | None:
    """What a person sends, for the two creations random bodies nearly never get right: a
    text contribution with the terms accepted, and revenue for the world's locked cut."""
    label = f"{operation.method.upper()} {operation.path}"
    given = body if isinstance(body, dict) else {}
    if label == "POST /api/contributions/":
        return {
            "project": given.get("project", ""),
            "title": "A line to remix",
            "kind": "text",
            "text": "Waves on the *harbour* wall.",
            "terms_accepted": True,
        }
    if label == "POST /api/revenues/":
        return {"project": slug, "amount_minor": 1234, "currency": "USD"}
    return None


def _run_scenarios(world: World, role: str, trail: Trail) -> None:
    schema = load_schema(world)

    @schema.hook("flatmap_body")
    def written_half_the_time(context: Any, body: Any) -> Any:
        written = _written(body, context.operation, world.slug) if context.operation else None
        return st.just(body) if written is None else st.sampled_from([body, written])

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": world.headers(role)}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            world.restore_tokens()
            trail.note(case, response)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            kwargs.pop("additional_checks", None)
            case.validate_response(
                response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder
            )

    hypothesis.seed(SEED)(Workflow)
    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[hypothesis.HealthCheck.too_slow],
        )
    )


@pytest.mark.fuzz
def test_links_follow_created_objects(world):
    """The scenarios as the artist, then as staff; between them they must have followed
    each kind of link from something they created."""
    trail = Trail()
    for role in ("artist", "staff"):
        _run_scenarios(world, role, trail)
    for label in (
        "GET /api/projects/{slug}/",  # a project to its page
        "GET /api/projects/{slug}/calls/",  # and its calls
        "GET /api/contributions/{id}/",  # a contribution to itself
        "GET /api/contributions/{id}/lineage/",  # and its lineage
        "GET /api/distributions/{id}/",  # revenue to its distribution
    ):
        assert trail.reached_ok(label), (label, trail.created, sorted(trail.reached))


# --- what the fuzzer found, as plain API tests ---------------------------------------------


def _spec() -> dict[str, Any]:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return _as_dict(json.loads(response.content))


def _as_dict(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema (``anyOf`` the type or null)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def schema_errors(
    spec: dict[str, Any], path: str, method: str, status: int, body: Any
) -> list[str]:
    """Where ``body`` breaks the JSON schema ``/api/schema/`` documents for that response."""
    response = spec["paths"][path][method]["responses"][str(status)]
    documented = response["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator(
        _json_schema({**documented, "components": spec["components"]})
    )
    return sorted(
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    )


def _client(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_a_lineage_answers_as_the_schema_documents_it():
    """The fuzzer's find: each node's author was documented as a map of strings, but its
    ``id`` is a number."""
    poet = UserFactory(username="poet")
    poem = ContributionFactory(author=poet, title="Poem")
    song = ContributionFactory(project=poem.project, title="Song")
    SourceFactory(contribution=song, source=poem)
    response = _client().get(f"/api/contributions/{song.pk}/lineage/")
    assert response.status_code == 200
    body = response.json()
    assert body["ancestors"][0]["author"] == {"id": poet.pk, "username": "poet"}
    assert schema_errors(_spec(), "/api/contributions/{id}/lineage/", "get", 200, body) == []


@pytest.mark.django_db
def test_a_distribution_explains_each_share_as_the_schema_documents_it(
    django_capture_on_commit_callbacks,
):
    """The fuzzer's find: an explanation's ``from`` ("cut" or the id of the remix that
    passed the share on) was documented as text, and the remix id is a number."""
    project = ProjectFactory(title="Harbour")
    director, staff = project.created_by, UserFactory(is_staff=True)
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    SourceFactory(contribution=song, source=poem)
    with django_capture_on_commit_callbacks(execute=True):
        lock(project, director, [(song, "1")])
        revenue, _ = money.revenue_record(
            project=project, amount_minor=1000, currency="USD", by=staff
        )
    distribution = Distribution.objects.get(revenue=revenue)
    money.distribution_propose(distribution=distribution, by=staff)

    response = _client().get(f"/api/distributions/{distribution.pk}/")
    assert response.status_code == 200
    body = response.json()
    sources = {
        received["from"]
        for line in body["lines"]
        for entry in line["explanation"]
        for received in entry["received"]
    }
    assert sources == {"cut", song.pk}  # ben's song was in the cut; ana's poem via the song
    assert schema_errors(_spec(), "/api/distributions/{id}/", "get", 200, body) == []


@pytest.mark.django_db
def test_a_json_submission_is_documented_without_a_file():
    """The fuzzer's find: the JSON body of ``POST /api/contributions/`` was documented with a
    binary ``file``, which JSON cannot carry; a file comes as multipart."""
    spec = _spec()
    content = spec["paths"]["/api/contributions/"]["post"]["requestBody"]["content"]

    def fields(media_type: str) -> dict[str, Any]:
        name = content[media_type]["schema"]["$ref"].rsplit("/", 1)[1]
        return _as_dict(spec["components"]["schemas"][name]["properties"])

    assert "file" not in fields("application/json")
    assert fields("multipart/form-data")["file"]["format"] == "binary"
    assert {"project", "title", "kind", "text", "sources", "terms_accepted"} <= set(
        fields("application/json")
    )

    member = UserFactory()
    project = ProjectFactory(created_by=member)
    response = _client(member).post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "T",
            "kind": "image",
            "file": "aGk=",
            "terms_accepted": True,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "file" in response.json()


def _resolve(expression: Any, body: dict[str, Any]) -> Any:
    """A link's ``$response.body#/pointer`` (or a structure of them) read from ``body``."""
    if isinstance(expression, dict):
        return {key: _resolve(value, body) for key, value in expression.items()}
    if isinstance(expression, list):
        return [_resolve(value, body) for value in expression]
    if isinstance(expression, str) and expression.startswith("$response.body#/"):
        value: Any = body
        for part in expression.removeprefix("$response.body#/").split("/"):
            value = value[part]
        return value
    return expression


@pytest.mark.django_db
def test_the_schema_links_created_objects_to_what_comes_next():
    """Every link in ``hitrecord.openapi_links`` is in the schema, names parameters its
    target has, and, followed by hand, leads from a new project to its page, its calls and
    a contribution, and from that contribution to its lineage and a remix of it."""
    spec = _spec()
    operations = {
        operation["operationId"]: operation
        for methods in spec["paths"].values()
        for operation in methods.values()
    }
    for link in LINKS:
        definition = operations[link.source]["responses"][link.status]["links"][link.name]
        target = operations[definition["operationId"]]
        assert set(definition.get("parameters", {})) <= {
            p["name"] for p in target.get("parameters", [])
        }, link
    project_links = operations["projects_create"]["responses"]["201"]["links"]
    contribution_links = operations["contributions_create"]["responses"]["201"]["links"]

    client = _client(UserFactory())
    project = client.post("/api/projects/", {"title": "Tide pools"}, format="json").json()
    slug = _resolve(project_links["GetProject"]["parameters"]["slug"], project)
    assert client.get(f"/api/projects/{slug}/").json()["title"] == "Tide pools"
    assert client.get(f"/api/projects/{slug}/calls/").status_code == 200

    written = {"title": "Low tide", "kind": "text", "text": "Salt.", "terms_accepted": True}
    body = {**written, **_resolve(project_links["Contribute"]["requestBody"], project)}
    original = client.post("/api/contributions/", body, format="json")
    assert original.status_code == 201, original.json()
    original_body = original.json()
    remix_body = {
        **written,
        "title": "High tide",
        **_resolve(contribution_links["Remix"]["requestBody"], original_body),
    }
    remix = client.post("/api/contributions/", remix_body, format="json")
    assert remix.status_code == 201, remix.json()

    pk = _resolve(contribution_links["GetLineage"]["parameters"]["id"], original_body)
    lineage = client.get(f"/api/contributions/{pk}/lineage/").json()
    assert [node["title"] for node in lineage["descendants"]] == ["High tide"]


@pytest.mark.django_db
@pytest.mark.xfail(
    strict=True,
    reason="Open: hitrecord.middleware.RefuseNulMiddleware reads request.POST on /api/ "
    "paths too and answers HTML or plain text before DRF can answer JSON; when it leaves "
    "API bodies to DRF's parsers (hitrecord.parsers refuses NUL already), drop this mark "
    "and _is_middleware_refusal above.",
)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"title=Tide", "multipart/form-data"),  # no boundary
        (b"title=Ti%00de", "application/x-www-form-urlencoded"),
    ],
    ids=["multipart-without-boundary", "nul-in-a-form-field"],
)
def test_an_unreadable_api_form_is_refused_in_json(user, body, content_type):
    client = Client()
    client.force_login(user)
    response = client.generic("POST", "/api/projects/", body, content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()
