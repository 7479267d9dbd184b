"""requirements.lock is what `make install` and CI install: exact, hashed, and current.

Fails when someone adds a dependency to pyproject.toml without `make lock`, when a range in
pyproject.toml no longer admits the locked version, or when the running environment drifted
from the lock (e.g. a tool upgraded by hand), which is how ruff 0.17 ended up under `~=0.9`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
DEPLOY_LOCK = ROOT / "requirements-deploy.lock"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int
    line: str

    def applies(self) -> bool:
        """Whether pip installs this pin in the running environment (its marker holds)."""
        return self.marker is None or self.marker.evaluate()


def parse_lock(text: str) -> dict[str, Pin]:
    """The lock's requirements by canonical name, each a logical line with its hashes."""
    pins: dict[str, Pin] = {}
    logical = re.sub(r"\\\n", " ", text)
    for raw in logical.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, _, options = line.partition(" --")
        requirement = Requirement(spec.strip())
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1, f"not one exact pin: {line[:80]}"
        assert specifiers[0].operator == "==", f"not an exact pin: {line[:80]}"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{name} pinned twice in the lock"
        pins[name] = Pin(
            name=name,
            version=Version(specifiers[0].version),
            marker=requirement.marker,
            hashes=len(HASH.findall("--" + options)),
            line=line[:80],
        )
    return pins


def declared_requirements(*, test: bool = True) -> list[Requirement]:
    """Every requirement a lock must cover: the project's, its test extra, build tools."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    lines = [
        *project["dependencies"],
        *(project["optional-dependencies"]["test"] if test else []),
        *pyproject["build-system"]["requires"],
    ]
    for raw in (ROOT / "requirements-build.in").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return [Requirement(line) for line in lines]


def out_of_range(requirements: list[Requirement], pins: dict[str, Pin]) -> list[str]:
    """The requirements that the pins leave out or pin outside the requirement's range."""
    problems = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement} but the lock has {name}=={pin.version}")
    return problems


@pytest.fixture(scope="module")
def pins() -> dict[str, Pin]:
    return parse_lock(LOCK.read_text())


@pytest.fixture(scope="module")
def deploy_pins() -> dict[str, Pin]:
    return parse_lock(DEPLOY_LOCK.read_text())


def test_parse_lock_reads_continuations_markers_and_hashes() -> None:
    text = (
        "# header\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n"
        f"    --hash=sha256:{'a' * 64} \\\n"
        f"    --hash=sha256:{'b' * 64}\n"
        "    # via click\n"
        "Django==5.2.19\n"
    )
    pins = parse_lock(text)
    assert set(pins) == {"colorama", "django"}
    assert pins["colorama"].hashes == 2
    assert str(pins["colorama"].marker) == 'sys_platform == "win32"'
    assert pins["django"].hashes == 0


def test_every_locked_requirement_is_exact_and_hashed(pins: dict[str, Pin]) -> None:
    assert len(pins) > 50
    unhashed = [pin.line for pin in pins.values() if pin.hashes == 0]
    assert unhashed == [], f"pins without --hash=sha256 (run `make lock`): {unhashed}"
    assert "hitrecord" not in pins, "the project is installed editable, not from the lock"


def test_every_declared_requirement_is_locked_within_its_range(pins: dict[str, Pin]) -> None:
    problems = out_of_range(declared_requirements(), pins)
    assert problems == [], "run `make lock`: " + "; ".join(problems)


def test_deploy_lock_is_the_runtime_part_of_the_lock(
    pins: dict[str, Pin], deploy_pins: dict[str, Pin]
) -> None:
    problems = out_of_range(declared_requirements(test=False), deploy_pins)
    assert problems == [], "run `make lock`: " + "; ".join(problems)
    unhashed = [pin.line for pin in deploy_pins.values() if pin.hashes == 0]
    assert unhashed == [], f"pins without --hash=sha256 (run `make lock`): {unhashed}"
    differ = [
        f"{name}: deploy {pin.version}, lock {pins[name].version if name in pins else None}"
        for name, pin in deploy_pins.items()
        if name not in pins or pins[name].version != pin.version
    ]
    assert differ == [], "run `make lock`: " + "; ".join(differ)
    assert not {"pytest", "playwright", "moto", "mypy", "ruff"} & set(deploy_pins)


def test_install_and_image_install_only_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "install --progress-bar off --require-hashes -r $(LOCK)" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert "--require-hashes -r requirements-deploy.lock" in dockerfile
    assert "--no-deps --no-build-isolation ." in dockerfile


def test_linters_are_pinned_to_a_minor_in_pyproject() -> None:
    """ruff and mypy change their findings between minors: a range may not span several."""
    for requirement in declared_requirements():
        if canonicalize_name(requirement.name) in {"ruff", "mypy"}:
            (specifier,) = requirement.specifier
            assert specifier.operator == "~=", str(requirement)
            assert specifier.version.count(".") == 2, f"{requirement} spans minors"


def test_installed_environment_is_the_lock(pins: dict[str, Pin]) -> None:
    drift = []
    for pin in pins.values():
        if not pin.applies():
            continue
        try:
            installed = Version(metadata.version(pin.name))
        except metadata.PackageNotFoundError:
            drift.append(f"{pin.name}=={pin.version} is not installed")
            continue
        if installed != pin.version:
            drift.append(f"{pin.name} {installed} is installed, the lock says {pin.version}")
    assert drift == [], "run `make install` (or `make lock` if pyproject changed): " + "; ".join(
        drift
    )
