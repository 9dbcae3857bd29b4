"""The generated API and its roles (docs/generated-project.md), black-box: apps served by uvicorn, over HTTP only.

Each case renders a project, starts it the way its template's manifest says (the same boot
command the gate uses, in the same runtime environment) and walks it with tests/helpers/contract.py.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from codebegen.gate.runtime import ensure_runtime
from codebegen.spec import ProjectSpec, load_spec
from codebegen.templates import load_template, render_project
from tests.helpers import ALL_FEATURES, ROLES, TEMPLATES, free_port
from tests.helpers.contract import admin_env, exercise
from tests.helpers.devset import gold_to_spec, load_gold


def _gold(case_id: str, owned: tuple[str, ...] = ()) -> ProjectSpec:
    return gold_to_spec(next(g for g in load_gold() if g["id"] == case_id), owned=owned)


CASES = {
    "tasks-auth-owned": lambda: _gold("d03-tasks", owned=("Task",)),
    "blog-many-to-many": lambda: _gold("d01-blog", owned=("Comment",)),
    "bookstore-no-auth": lambda: _gold("d02-bookstore"),
    "all-features": lambda: load_spec(ALL_FEATURES),
    # the login user's own fields, references to User, an Owner beside owned Pets, writable_by any_user
    "roles-user-owner": lambda: load_spec(ROLES),
}


@contextmanager
def served(project: Path, template_name: str, runtime_cache: Path, workdir: Path) -> Iterator[str]:
    """Start the project as its manifest says; yield its base URL; stop it."""
    settings = load_template(template_name).manifest.verify
    runtime = ensure_runtime(project / settings.requirements, cache_dir=runtime_cache)
    port = free_port()
    env = {k: v.replace("{workdir}", str(workdir)) for k, v in settings.env.items()}
    env = {**os.environ, **env, "SECRET_KEY": secrets.token_urlsafe(48), "PYTHONDONTWRITEBYTECODE": "1"}
    env |= admin_env()  # the walk's admin, made at startup (roles: docs/spec.md)
    argv = [str(runtime.python), *(a.replace("{port}", str(port)) for a in settings.boot)]
    if settings.migrations:  # the prestart step: the app itself never migrates at startup
        subprocess.run(
            [str(runtime.python), *settings.migrations], cwd=project, env=env, check=True, capture_output=True
        )
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(argv, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (workdir / "server.log").read_text()
            try:
                if httpx.get(f"{base}{settings.health_path}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the app did not answer /health within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("case", list(CASES))
def test_generated_app_honours_the_contract(case: str, template: str, tmp_path: Path, runtime_cache: Path) -> None:
    spec = CASES[case]()
    project = tmp_path / "project"
    render_project(spec, template, project)
    (tmp_path / "work").mkdir()
    with served(project, template, runtime_cache, tmp_path / "work") as base:
        exercise(base, spec)
