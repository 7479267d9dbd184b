"""Find the benchmark modules, run them against one gunicorn, print one table.

Exit status: 0 when every row ran (missed targets included: the table says FAIL),
1 when a benchmark crashed (an ERROR row), 2 when the bench could not start at all.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from bench import load
from bench.core import Config, Context, Row, Status
from bench.report import RESULTS_DIR, load_average, machine, render, write_json
from bench.server import WORKERS, Server, bench_env, migrate

BENCH_DIR = Path(__file__).resolve().parent


def discover(only: tuple[str, ...] = ()) -> list[ModuleType]:
    """``bench/bench_*.py`` in file-name order; ``only`` keeps names containing a word.

    A module with ``ALWAYS = True`` (the baseline) runs whatever ``only`` says.
    """
    modules = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        module = importlib.import_module(f"bench.{path.stem}")
        if not callable(getattr(module, "run", None)):
            raise SystemExit(f"{path.name} has no run(ctx) function")
        if getattr(module, "ALWAYS", False) or not only or any(w in path.stem for w in only):
            modules.append(module)
    return modules


def run_module(module: ModuleType, ctx: Context) -> list[Row]:
    """The module's rows, or one ERROR row (and the traceback on stderr) if it crashed."""
    title = getattr(module, "TITLE", module.__name__.rsplit(".", 1)[-1])
    _say(f"running {title} ...")
    try:
        rows: list[Row] = module.run(ctx)
    except Exception as exc:  # noqa: BLE001 - one broken row must not hide the others
        traceback.print_exc()
        rows = [Row(title, None, "", Status.ERROR, note=f"{type(exc).__name__}: {exc}"[:200])]
    finally:
        ctx.close_db()
    return rows


def describe_database(env: dict[str, str], data_dir: Path) -> str:
    """Where the data lives, without any password."""
    url = env.get("DATABASE_URL")
    if not url:
        return f"SQLite, throw-away ({data_dir})"
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path} (DATABASE_URL)"


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _header(config: Config, loadgen: load.LoadGenerator) -> str:
    shape = (
        f"-t{config.threads} -c{config.connections}"
        if loadgen.name == "wrk"
        else f"{config.connections} threads"
    )
    return (
        f"hitrecord bench: gunicorn, {WORKERS} sync workers, DEBUG off; {loadgen.name} {shape}; "
        f"{config.seconds} s per row after a {config.warmup_seconds} s warm-up"
    )


def _run_all(config: Config, modules: list[ModuleType]) -> tuple[list[Row], dict[str, str], str]:
    load_before = load_average()
    loadgen, loadgen_desc = load.choose(
        loadgen=config.loadgen, threads=config.threads, connections=config.connections
    )
    with tempfile.TemporaryDirectory(prefix="hitrecord-bench-") as tmp:
        data_dir = Path(tmp)
        env = bench_env(data_dir)
        os.environ.update(env)  # rows that seed through the ORM use the server's settings
        _say(f"migrating {describe_database(env, data_dir)} ...")
        migrate(env)
        server = Server(env=env, log_path=RESULTS_DIR / "server.log")
        _say(f"starting gunicorn on {server.base_url} (log: {server.log_path}) ...")
        with server:
            ctx = Context(config=config, server=server, loadgen=loadgen, data_dir=data_dir)
            rows = [row for module in modules for row in run_module(module, ctx)]
        database = describe_database(env, data_dir)
        facts = machine(loadgen=loadgen_desc, database=database, load_before=load_before)
    return rows, facts, _header(config, loadgen)


def main() -> int:
    config = Config.from_env()
    modules = discover(config.only)
    try:
        rows, facts, header = _run_all(config, modules)
    except (RuntimeError, OSError) as exc:
        _say(f"could not run: {exc}")
        return 2
    print(render(rows, facts, header))
    path = write_json(rows, facts, config=config.__dict__)
    print(f"\nResults: {path.relative_to(BENCH_DIR.parent)}")
    return 1 if any(row.status is Status.ERROR for row in rows) else 0
