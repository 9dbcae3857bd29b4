"""Template machinery: manifests, feature checks, safe names, per-entity files, StrictUndefined; every
shipped template honours every spec feature and refuses, by name, one it is told it cannot."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from codebegen import names
from codebegen.errors import TemplateError
from codebegen.spec import ProjectSpec, load_spec, parse_spec
from codebegen.templates import (
    CLASS_MODULE_DIRS,
    Supports,
    Template,
    check_supported,
    list_templates,
    load_template,
    render,
    render_project,
    template_identifiers,
)
from tests.helpers import ALL_FEATURES, TEMPLATES


@pytest.fixture
def all_features() -> ProjectSpec:
    return load_spec(ALL_FEATURES)


def make_template(root: Path, manifest: str, files: dict[str, str]) -> None:
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "template.yaml").write_text(manifest)
    for rel, text in files.items():
        path = root / "tiny" / "files" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


TINY = "name: tiny\ndescription: a test template\nstack: [none]\ndatabase: none\n"


def test_the_flagship_is_listed() -> None:
    assert "fastapi_sqlalchemy" in list_templates()


def test_the_suite_s_template_list_names_every_template() -> None:
    assert sorted(TEMPLATES) == list_templates()  # what tests of "every template" are parametrized over


def test_unknown_template_names_the_valid_ones() -> None:
    with pytest.raises(TemplateError, match="unknown template 'django'") as info:
        load_template("django")
    assert "fastapi_sqlalchemy" in info.value.hint
    with pytest.raises(TemplateError, match="unknown template"):
        load_template("../fastapi_sqlalchemy")


def test_a_new_template_needs_no_python_change(tmp_path: Path, all_features: ProjectSpec) -> None:
    make_template(
        tmp_path / "t",
        TINY + "when:\n  auth_only.txt.jinja: project.auth\n  never.txt: 'false'\n",
        {
            "README.md.jinja": "# {{ project.title }}\n{% for e in entities %}- {{ e.name }} at /{{ e.url }}\n{% endfor %}",
            "models/__entity__.py.jinja": "NAME = {{ e.name | py }}\n",
            "auth_only.txt.jinja": "auth is on\n",
            "never.txt": "skipped\n",
            "static.bin": "copied as-is {{ not rendered }}",
            "_macros/m.jinja": "{% macro x() %}x{% endmacro %}",
        },
    )
    template = load_template("tiny", root=tmp_path / "t")
    out = tmp_path / "out"
    written = {p.as_posix() for p in render(all_features, template, out)}
    assert "models/book.py" in written and "models/person.py" in written
    assert "auth_only.txt" in written and "never.txt" not in written
    assert not (out / "_macros").exists()
    assert (out / "static.bin").read_text() == "copied as-is {{ not rendered }}"
    assert "- Book at /books" in (out / "README.md").read_text()


def test_a_shared_layer_renders_in_each_template_and_its_own_file_wins(
    tmp_path: Path, all_features: ProjectSpec
) -> None:
    root = tmp_path / "t"
    make_template(root, TINY + "layers: [common]\n", {"own.txt": "own", "both.txt": "the template's"})
    for rel, text in {
        "shared.txt.jinja": "{% from '_macros/m.jinja' import x %}{{ project.name }} {{ x() }}",
        "both.txt": "the layer's",
        "_macros/m.jinja": "{% macro x() %}from the layer{% endmacro %}",
    }.items():
        (root / "_layers" / "common" / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "_layers" / "common" / "files" / rel).write_text(text)
    assert list_templates(root) == ["tiny"]  # a layer is no template
    out = tmp_path / "out"
    written = {p.as_posix() for p in render(all_features, load_template("tiny", root=root), out)}
    assert written == {"own.txt", "both.txt", "shared.txt"}
    assert (out / "both.txt").read_text() == "the template's"
    assert (out / "shared.txt").read_text() == f"{all_features.name} from the layer"

    (root / "tiny" / "template.yaml").write_text(TINY + "layers: [nonesuch]\n")
    with pytest.raises(TemplateError, match="unknown layer 'nonesuch'") as info:
        load_template("tiny", root=root)
    assert "common" in info.value.hint


@pytest.mark.parametrize("template", ["fastapi_sqlalchemy", "fastapi_basic"])
def test_a_layers_base_class_attributes_are_kept_from_field_names(template: str) -> None:
    """The entity schemas are the template's, their base classes the ``sql`` layer's: a field named
    like a base class attribute (``UpdateModel.not_nullable``, ``ListQuery.filters``) still gets a
    safe attribute name, because the template and its layers are read as one tree."""
    unsafe = template_identifiers(load_template(template), CLASS_MODULE_DIRS)
    assert {"not_nullable", "filters", "searchable", "orderable", "skip", "limit", "model_config"} <= unsafe


def test_no_payload_file_is_copied_between_templates() -> None:
    """What the shipped templates share lives once, in a layer: no file is byte-identical in two payloads."""
    seen: dict[bytes, str] = {}
    copies = []
    for name in list_templates():
        template = load_template(name)
        for rel, src in template.payload().items():
            if src.is_relative_to(template.files_dir) and src.stat().st_size > 40:
                data = src.read_bytes()
                if data in seen:
                    copies.append(f"{name}/{rel} = {seen[data]}")
                seen.setdefault(data, f"{name}/{rel}")
    assert not copies, f"move these into templates/_layers/: {copies}"


def test_a_misspelt_variable_fails_naming_the_file(tmp_path: Path, all_features: ProjectSpec) -> None:
    make_template(tmp_path / "t", TINY, {"x.txt.jinja": "{{ projekt.name }}"})
    with pytest.raises(TemplateError, match=r"x\.txt\.jinja.*projekt"):
        render(all_features, load_template("tiny", root=tmp_path / "t"), tmp_path / "out")


def test_a_broken_manifest_is_refused(tmp_path: Path) -> None:
    make_template(tmp_path / "t", "name: tiny\nsupports: {auth: maybe}\n", {})
    with pytest.raises(TemplateError, match="broken manifest"):
        load_template("tiny", root=tmp_path / "t")


def test_unsupported_features_are_refused_naming_template_and_feature(
    tmp_path: Path, all_features: ProjectSpec
) -> None:
    make_template(
        tmp_path / "t",
        TINY + "supports:\n  auth: false\n  owned: false\n  field_types: [str, int]\n  relationships: [many_to_one]\n",
        {},
    )
    template = load_template("tiny", root=tmp_path / "t")
    with pytest.raises(TemplateError) as info:
        check_supported(all_features, template)
    message = str(info.value)
    assert "template 'tiny' cannot honour" in message
    for feature in ("auth", "owned entity Loan", "enum field Book.status", "many_to_many relationship Book -> Tag"):
        assert feature in message


def test_derived_names() -> None:
    assert names.url_path("FuelPurchase") == "fuel-purchases"
    assert names.table_name("Category") == "categories"
    assert names.table_name("Address") == "addresses"
    assert names.table_name("Person") == "people"
    assert names.enum_member("in progress") == "in_progress"
    assert names.enum_member("1st") == "v_1st"
    assert names.enum_member("class") == "class_"
    for bad in ("..", "a/b", ".ssh", "", "x\x00"):
        with pytest.raises(ValueError):
            names.safe_path_part(bad)


def test_text_from_a_prompt_cannot_inject_code(tmp_path: Path) -> None:
    evil = '"""\nimport os; os.system("rm -rf /")\n"""'
    spec = parse_spec(
        {
            "name": "evil",
            "description": evil,
            "entities": [
                {
                    "name": "Thing",
                    "description": evil,
                    "fields": [
                        {"name": "kind", "type": "enum", "values": ['a"b', "c'd", "e\\f", "} {{ x }}"]},
                        {"name": "note", "type": "str", "description": evil + "\\N{"},
                    ],
                }
            ],
        }
    )
    out = tmp_path / "p"
    render_project(spec, "fastapi_sqlalchemy", out)
    for path in out.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "system"]
        assert not calls, path
    model = (out / "app/models/thing.py").read_text()
    assert "'a\"b'" in model or '"a\\"b"' in model


def test_the_flagship_renders_ruff_clean_and_formatted(tmp_path: Path, all_features: ProjectSpec) -> None:
    out = tmp_path / "p"
    files = render_project(all_features, "fastapi_sqlalchemy", out)
    assert Path("codebegen.json") in files and Path("alembic/versions/0001_initial.py") in files
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "."], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run([*ruff, "format", "--check", "."], cwd=out, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout
    assert parse_spec(__import__("json").loads((out / "codebegen.json").read_text())) == all_features
    assert 'template = "fastapi_sqlalchemy"' in (out / "pyproject.toml").read_text()


def test_rendering_is_deterministic(tmp_path: Path, all_features: ProjectSpec) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    render_project(all_features, "fastapi_sqlalchemy", a)
    render_project(all_features, "fastapi_sqlalchemy", b)
    for path in a.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (b / path.relative_to(a)).read_bytes(), path


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_spec_feature_is_honoured(template: str) -> None:
    assert load_template(template).manifest.supports == Supports()


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_feature_the_template_cannot_honour_is_refused_by_name(template: str, tmp_path: Path) -> None:
    real = load_template(template)
    narrowed = real.manifest.model_copy(
        update={"supports": Supports(field_types=["str", "int", "bool"], relationships=["many_to_one"])}
    )
    with pytest.raises(TemplateError) as caught:
        render(load_spec(ALL_FEATURES), Template(real.name, real.root, narrowed), tmp_path / "out")
    message = str(caught.value)
    assert template in message
    assert "decimal field Book.price" in message and "many_to_many relationship Book -> Tag" in message
    assert not (tmp_path / "out").exists()
