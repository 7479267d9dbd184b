"""``make screenshots`` (tests/screenshots.py): it names every page of the site, and the
pages come out as full-page PNGs at the desktop and the phone size."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from PIL import Image

from tests import screenshots


def _seeded_world() -> screenshots.World:
    call_command("seed_demo", stdout=StringIO())
    return screenshots.demo_world()


@pytest.mark.django_db
def test_every_named_route_is_shot_or_skipped_for_a_reason():
    world = _seeded_world()
    found = screenshots.pages(world)
    assert screenshots.uncovered(world, found) == []
    names = [(page.role, page.name) for page in found]
    assert len(names) == len(set(names)), "two pages would write the same PNG"
    paths = {(page.role, page.path) for page in found}
    slug = world.main_project
    assert ("anon", f"/projects/{slug}/") in paths
    assert ("director", f"/projects/{slug}/cut/") in paths
    assert ("staff", "/admin/") in paths
    assert ("anon", "/api/docs/") in paths
    for kind in ("text", "image", "audio", "video"):
        assert ("anon", f"/contributions/{world.contributions[kind]}/") in paths
    assert not any(path.startswith("/api/") and path != "/api/docs/" for _, path in paths)


@pytest.mark.browser
def test_a_few_pages_come_out_as_full_page_pngs_at_both_sizes(live_server, browser, tmp_path):
    world = _seeded_world()
    wanted = {
        ("anon", "home"),
        ("anon", "contribution-audio"),
        ("director", "cut"),
        ("staff", "admin-payouts-distribution-list"),
    }
    chosen = [page for page in screenshots.pages(world) if (page.role, page.name) in wanted]
    assert {(page.role, page.name) for page in chosen} == wanted

    results = screenshots.shoot(
        browser, live_server.url, chosen, tmp_path, password=world.password, log=lambda _: None
    )

    assert len(results) == len(wanted)
    for result in results:
        page = result.page
        for size, (width, height) in screenshots.SIZES.items():
            shot = result.shots[size]
            assert shot.status == 200, (page, shot)
            assert shot.console == [], (page, size)
            assert shot.csp == [], (page, size)
            assert shot.failed == [], (page, size)
            with Image.open(tmp_path / page.filename(size)) as png:
                # the whole page (at least a screen high), exactly as wide as the screen,
                # or wider by the overflow the summary reports
                assert png.height >= height
                assert png.width == width + shot.overflow, (page, size)
            if page.role in ("anon", "staff") or size == "desktop":
                assert shot.overflow == 0, (page, size)
    index = screenshots.contact_sheet(results, tmp_path).read_text()
    for result in results:
        assert f'src="{result.page.filename("phone")}"' in index
    assert "director" in screenshots.summary(results)
