"""The distribution as a user gets it: a wheel installed into a fresh virtual environment, used
from a directory outside the checkout.

Builds the sdist and the wheel (``python -m build``), installs only the wheel and its declared
dependencies into a new venv (from the package index, as ``pipx``/``pip`` would), then from an
empty directory: ``codebegen --version``, ``generate --spec ... --no-models`` to a verified
project (templates, prompts and the gate all come from the installed package) and ``doctor``.
``import engine`` and ``import studio`` must fail there: the distribution installs one top-level
package, ``codebegen``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPEC = {
    "name": "shelf",
    "description": "books on a shelf",
    "auth": False,
    "entities": [
        {
            "name": "Book",
            "fields": [
                {"name": "title", "type": "str"},
                {"name": "status", "type": "enum", "values": ["on_shelf", "lent"]},
            ],
        }
    ],
    "relationships": [],
}


def _run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900):
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (setuptools, wheel) comes from the dev extra already installed
    done = _run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", out, REPO, cwd=out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("codebegen-*.whl")
    return wheel


def test_the_wheel_holds_one_package_with_its_data(dist: Path) -> None:
    names = zipfile.ZipFile(_wheel(dist)).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"codebegen"}, tops
    for needed in (
        "codebegen/templates/fastapi_sqlalchemy/template.yaml",
        "codebegen/templates/fastapi_basic/files/app/main.py.jinja",
        "codebegen/templates/fastapi_mongo/files/.github/workflows/ci.yml.jinja",
        "codebegen/prompts/parse.yaml",
        "codebegen/adapters/parser/adapter_model.safetensors",
        "codebegen/studio/server.py",
    ):
        assert needed in names, needed
    tracked = subprocess.run(["git", "ls-files", "codebegen"], cwd=REPO, capture_output=True, text=True).stdout.split()
    if tracked:  # a checkout: every file of the package is in the wheel
        assert set(tracked) <= set(names), sorted(set(tracked) - set(names))[:10]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    meta = zipfile.ZipFile(_wheel(dist)).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for field in ("Classifier: Framework :: FastAPI", "Project-URL: Documentation", "Requires-Python: >=3.11"):
        assert field in meta, field
    for extra in ("models", "studio", "train", "dev"):
        assert f"Provides-Extra: {extra}" in meta, extra
    (sdist,) = dist.glob("codebegen-*.tar.gz")
    with tarfile.open(sdist) as tar:
        assert any(n.endswith("codebegen/templates/fastapi_sqlalchemy/template.yaml") for n in tar.getnames())


@pytest.mark.slow
def test_a_fresh_venv_with_the_wheel_generates_a_verified_project(
    dist: Path, tmp_path: Path, runtime_cache: Path
) -> None:
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", venv, cwd=tmp_path).returncode == 0
    py = venv / "bin" / "python"
    done = _run(py, "-m", "pip", "install", "--quiet", _wheel(dist), cwd=tmp_path, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # nothing of the checkout on the path: not PYTHONPATH, not the current directory
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", CODEBEGEN_HOME=str(tmp_path / "home"))
    codebegen = venv / "bin" / "codebegen"

    version = _run(codebegen, "--version", cwd=elsewhere, env=env)
    assert version.returncode == 0 and version.stdout.startswith("codebegen 0."), version.stdout + version.stderr
    where = _run(py, "-c", "import codebegen; print(codebegen.__file__)", cwd=elsewhere, env=env)
    assert where.returncode == 0 and str(venv) in where.stdout and str(REPO) not in where.stdout, where.stdout
    for gone in ("engine", "studio"):
        refused = _run(py, "-c", f"import {gone}", cwd=elsewhere, env=env)
        assert refused.returncode != 0 and "ModuleNotFoundError" in refused.stderr, gone

    # the gate's runtime environments: reused from the suite's cache (the same requirements)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "runtimes").symlink_to(runtime_cache)
    (elsewhere / "shelf.json").write_text(json.dumps(SPEC))
    made = _run(codebegen, "generate", "--spec", "shelf.json", "-o", "shelf", "--no-models", cwd=elsewhere, env=env)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    report = json.loads((elsewhere / "shelf" / "trust_report.json").read_text())
    assert report["passed"] is True
    assert (elsewhere / "shelf" / "app" / "main.py").is_file()

    doctor = _run(codebegen, "doctor", "--no-decode", cwd=elsewhere, env=env)
    out = doctor.stdout + doctor.stderr
    assert "✓ templates: fastapi_basic, fastapi_mongo, fastapi_sqlalchemy" in out, out
    # without the models extra, the llama.cpp check says how to get it, and doctor exits non-zero
    assert "✗ llama.cpp build" in out and "codebegen[models]" in out, out
    assert doctor.returncode != 0

    # the scripted models need no extra; the embedded model names the extra that brings it
    prompt = "A blog API with posts and comments; users log in"
    faked = _run(codebegen, "spec", prompt, "--profile", "fake", "--json", cwd=elsewhere, env=env)
    assert faked.returncode == 0 and json.loads(faked.stdout)["entities"], faked.stderr
    embedded = _run(codebegen, "spec", prompt, cwd=elsewhere, env=env)
    assert embedded.returncode != 0 and "codebegen[models]" in embedded.stderr, embedded.stderr

    studio = _run(codebegen, "studio", cwd=elsewhere, env=env, timeout=60)
    assert studio.returncode != 0 and "codebegen[studio]" in studio.stderr, studio.stderr
