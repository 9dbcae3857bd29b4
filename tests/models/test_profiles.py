"""Profiles: built-in names, a user's file overriding roles, and the refusals."""

from __future__ import annotations

import json

import pytest

from codebegen.models import BACKENDS, BUILTIN, ROLES, ModelError, load_profile


@pytest.mark.parametrize("name", ["default", "gpu", "remote", "fake"])
def test_builtin_profiles_cover_all_roles(name):
    profile = load_profile(name)
    assert set(profile.roles) == set(ROLES)
    assert {cfg.backend for cfg in profile.roles.values()} <= set(BACKENDS)


def test_default_profile_is_the_embedded_model_with_optional_adapters_per_role():
    profile = load_profile("default")
    for role, cfg in profile.roles.items():
        assert cfg.model == "embedded" and cfg.backend == "llamacpp" and cfg.device == "cpu"
        assert cfg.adapter.endswith(f"adapters/{role}") and cfg.adapter_optional
    assert len({cfg.base_key() for cfg in profile.roles.values()}) == 1  # one shared base


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ModelError) as info:
        load_profile("huge")
    assert all(name in str(info.value) for name in BUILTIN)


def test_a_user_file_extends_a_builtin_and_overrides_one_role(tmp_path):
    (tmp_path / "lora").mkdir()
    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: remote\n"
        "defaults: {base_url: 'http://gpu-box:8000/v1', timeout_s: 30}\n"
        "roles:\n"
        "  parser: {backend: local, model: ./weights.gguf, adapter: lora, device: cpu}\n"
    )
    profile = load_profile(path)
    assert profile.name == "mine"
    parser, docs = profile.roles["parser"], profile.roles["docs"]
    assert parser.backend == "local" and parser.model == str(tmp_path / "weights.gguf")
    assert parser.adapter == str(tmp_path / "lora") and not parser.adapter_optional
    assert docs.backend == "remote" and docs.base_url == "http://gpu-box:8000/v1" and docs.timeout_s == 30
    assert docs.model == "codebegen-docs"


def test_json_profile_and_python_overrides_apply_last(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"extends": "default", "roles": {"docs": {"threads": 1}}}))
    profile = load_profile(path, {"*": {"threads": 2}, "parser": {"dtype": "bfloat16"}})
    assert profile.roles["docs"].threads == 2 and profile.roles["parser"].dtype == "bfloat16"


@pytest.mark.parametrize(
    "text, message",
    [
        ("roles: {critic: {backend: fake}}", "unknown role"),
        ("roles: {parser: {dtype: float8}}", "roles.parser|dtype"),
        ("roles: {parser: {colour: blue}}", "colour"),
        ("extends: nowhere", "cannot extend"),
        ("roles: [", "not valid YAML"),
        ("- a list", "expected a mapping"),
    ],
)
def test_broken_profile_files_are_refused_naming_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ModelError, match=message):
        load_profile(path)


def test_unknown_backend_lists_the_registry():
    profile = load_profile("fake", {"parser": {"backend": "carrier-pigeon"}})
    with pytest.raises(ModelError) as info:
        profile.backend("parser")
    assert "local" in str(info.value) and "remote" in str(info.value)


def test_unknown_role_is_refused():
    with pytest.raises(ModelError, match="unknown role"):
        load_profile("fake").backend("critic")


def test_importing_the_model_layer_imports_no_torch():
    import subprocess
    import sys

    code = "import sys, codebegen.models; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
