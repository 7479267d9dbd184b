"""OpenAPI links: what a client can do next with an object the API has just created.

A link tells a reader of ``/api/schema/`` (and tools that follow links, such as the
schemathesis state machine in ``tests/hitrecord/test_api_fuzz.py``) where a created
object's key goes: the ``slug`` of a new project into its page, its calls and a first
contribution; the ``id`` of a new contribution into its detail, its lineage, its comments
and a remix of it. drf-spectacular has no per-response links, so a postprocessing hook adds
them to the finished schema, by operation id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """From the ``status`` response of ``source``, ``target`` with these parameters (and,
    optionally, these body fields) taken from that response or its request."""

    source: str
    name: str
    target: str
    description: str
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    status: str = "201"


_SLUG = {"slug": "$response.body#/slug"}
_ID = {"id": "$response.body#/id"}

LINKS: tuple[Link, ...] = (
    Link("projects_create", "GetProject", "projects_retrieve", "The new project.", _SLUG),
    Link(
        "projects_create",
        "UpdateProject",
        "projects_partial_update",
        "Change the new project (its creator directs it).",
        _SLUG,
    ),
    Link("projects_create", "ListCalls", "projects_calls_list", "The new project's calls.", _SLUG),
    Link(
        "projects_create",
        "OpenCall",
        "projects_calls_create",
        "Open a call in the new project.",
        _SLUG,
    ),
    Link(
        "projects_create",
        "GetFinalCut",
        "final_cut_retrieve",
        "The new project's draft final cut.",
        _SLUG,
    ),
    Link(
        "projects_create",
        "Contribute",
        "contributions_create",
        "Contribute to it (its director is a member).",
        body={"project": "$response.body#/slug"},
    ),
    Link(
        "projects_calls_create",
        "UpdateCall",
        "projects_calls_partial_update",
        "Close or edit the new call.",
        {"slug": "$request.path.slug", "call_id": "$response.body#/id"},
    ),
    Link(
        "contributions_create",
        "GetContribution",
        "contributions_retrieve",
        "The new contribution.",
        _ID,
    ),
    Link(
        "contributions_create",
        "GetLineage",
        "contributions_lineage_retrieve",
        "What it was built from and what was built from it.",
        _ID,
    ),
    Link(
        "contributions_create",
        "ListComments",
        "contributions_comments_list",
        "Feedback on it.",
        _ID,
    ),
    Link(
        "contributions_create",
        "Comment",
        "contributions_comments_create",
        "Give feedback on it.",
        _ID,
    ),
    Link(
        "contributions_create",
        "Remix",
        "contributions_create",
        "Remix it: a new contribution in the same project, built from this one.",
        body={
            "project": "$response.body#/project",
            "sources": [{"contribution": "$response.body#/id"}],
        },
    ),
    Link(
        "revenue_create",
        "GetDistribution",
        "distribution_retrieve",
        "The distribution the revenue made.",
        {"id": "$response.body#/distribution/id"},
    ),
    Link(
        "revenue_create",
        "ProposeDistribution",
        "distribution_propose",
        "Propose it to the contributors.",
        {"id": "$response.body#/distribution/id"},
    ),
    Link("payment_batch_create", "GetBatch", "payment_batch_retrieve", "The new batch.", _ID),
    Link("payment_batch_create", "GetBatchCsv", "payment_batch_csv", "Its CSV file.", _ID),
    Link("payment_batch_create", "GetBatchPaypal", "payment_batch_paypal", "Its PayPal file.", _ID),
)


def add_links(result: dict[str, Any], generator: Any = None, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: put ``LINKS`` on their source responses.

    A link whose source or target operation is missing from the schema is left out (a
    link to nothing would make the schema invalid); ``tests/hitrecord/test_api_fuzz.py``
    checks that every link is there."""
    responses: dict[str, dict[str, Any]] = {}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if isinstance(operation, dict) and "operationId" in operation:
                responses[operation["operationId"]] = operation.get("responses", {})
    for link in LINKS:
        response = responses.get(link.source, {}).get(link.status)
        if response is None or link.target not in responses:
            continue
        definition: dict[str, Any] = {"operationId": link.target, "description": link.description}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.body is not None:
            definition["requestBody"] = link.body
        response.setdefault("links", {})[link.name] = definition
    return result
