from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.test import Client

from projects.models import Membership, Project
from tests.accounts.factories import UserFactory

_slugs = itertools.count(1)


def make_project(*, director=None, **fields) -> Project:
    director = director or UserFactory()
    n = next(_slugs)
    project = Project.objects.create(
        title=fields.pop("title", f"Project {n}"),
        slug=fields.pop("slug", f"project-{n}"),
        created_by=director,
        **fields,
    )
    Membership.objects.create(project=project, user=director, role=Membership.Role.DIRECTOR)
    return project


def join(project: Project, user) -> None:
    Membership.objects.get_or_create(project=project, user=user)


@pytest.fixture
def project(db) -> Project:
    return make_project()


@pytest.fixture
def member(project):
    person = UserFactory()
    join(project, person)
    return person


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def stored_files() -> list[Path]:
    """Every file under the local media root's contributions folder."""
    root = Path(settings.MEDIA_ROOT) / "contributions"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- an S3-compatible store: moto's standalone server, through django-storages ----------

BUCKET = "hitrecord-test-media"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("moto_server did not start")
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3(moto_endpoint, settings, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_IN_S3 = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
                "signature_version": "s3v4",
                "addressing_style": "path",
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def s3_keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))
