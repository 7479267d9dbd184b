"""Every page carries a CSP without inline script; the layout works without JavaScript."""

from __future__ import annotations

import re

import pytest

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _script_src(response) -> str:
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    return directives["script-src"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/", "/api/docs/"],
)
def test_pages_carry_a_csp_that_allows_no_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    script_src = _script_src(response)
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src
    assert "unsafe-eval" not in script_src
    assert not INLINE_SCRIPT.search(response.content.decode()), "a page has an inline script"


@pytest.mark.django_db
def test_api_docs_load_their_assets_from_this_site(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert sources
    for src in sources:
        assert src.startswith("/"), f"{src} would need the internet"
        asset = client.get(src)
        assert asset.status_code == 200
        assert b"".join(asset.streaming_content if asset.streaming else [asset.content])
        asset.close()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content


@pytest.mark.django_db
def test_admin_works_under_the_csp(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert "unsafe-inline" not in _script_src(response)
    assert not INLINE_SCRIPT.search(response.content.decode())


@pytest.mark.django_db
def test_header_offers_sign_in_and_sign_up_to_visitors(client):
    html = client.get("/").content.decode()
    assert 'href="/accounts/login/' in html
    assert 'href="/accounts/signup/"' in html
    assert "Sign out" not in html
    assert '<nav class="site-nav"' in html
    assert "<footer" in html


@pytest.mark.django_db
def test_header_shows_the_signed_in_person_and_sign_out(user_client, user):
    html = user_client.get("/").content.decode()
    assert f'href="/u/{user.username}/"' in html
    assert "Sign out" in html
    assert 'action="/accounts/logout/"' in html
    assert "Sign up" not in html


@pytest.mark.django_db
def test_sign_out_is_a_post(user_client):
    response = user_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "Sign out" not in user_client.get("/").content.decode()


@pytest.mark.django_db
def test_the_policy_built_once_is_django_csps_and_follows_the_settings(client, settings):
    from csp.utils import build_policy

    first = client.get("/accounts/login/")
    assert first["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in first

    # A changed policy (and a report-only one) shows on the next response.
    directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], **{"img-src": ["'self'"]})
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    second = client.get("/accounts/login/")
    assert "img-src 'self';" in second["Content-Security-Policy"] + ";"
    assert "data:" not in second["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    assert second["Content-Security-Policy-Report-Only"] == "default-src 'none'"


def test_a_response_with_its_own_policy_goes_through_django_csp():
    from csp.decorators import csp_update
    from django.http import HttpResponse
    from django.test import RequestFactory

    from hitrecord.security_headers import CSPMiddleware

    @csp_update({"img-src": ["https://images.example"]})
    def view(request):
        return HttpResponse("ok")

    middleware = CSPMiddleware(view)
    response = middleware(RequestFactory().get("/"))
    assert "https://images.example" in response["Content-Security-Policy"]
