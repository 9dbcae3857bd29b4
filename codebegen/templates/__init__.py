"""Project templates: a validated ``template.yaml`` manifest plus a ``files/`` payload.

Owns discovery (``list_templates``), manifest validation (``Manifest``), the feature check
(a spec feature a template cannot honour is refused, naming both) and rendering with Jinja2
(``StrictUndefined``: a misspelt variable fails instead of shipping an empty string).

Payload conventions, so a new template needs no Python change:
- files ending in ``.jinja`` are rendered and lose the suffix; other files are copied as-is;
- a path segment ``__entity__`` makes the file render once per entity, with ``e`` bound to
  that entity's view and the segment replaced by its module name (``fuel_purchase``);
- ``manifest.when`` maps a payload path to a Jinja expression; the file is skipped when false;
- a rendered file that is empty (only whitespace) is not written;
- files under ``files/_macros/`` are importable helpers, never written;
- ``manifest.layers`` names shared payloads under ``templates/_layers/<layer>/files/`` that the
  template renders too, as if they were its own (its own file of the same path wins): what
  several templates have in common lives once, so a fix lands once.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codebegen import names
from codebegen.context import RuleCode, build_context
from codebegen.errors import TemplateError
from codebegen.spec import FIELD_TYPES, ProjectSpec

TEMPLATES_ROOT = Path(__file__).resolve().parent  # the payloads are package data beside this module
DEFAULT_TEMPLATE = "fastapi_sqlalchemy"
JINJA_CACHE_DIR = Path.home() / ".cache" / "codebegen" / "jinja"
_KINDS = ("many_to_one", "one_to_one", "many_to_many")


class Supports(BaseModel):
    """The spec features a template honours. Anything else is refused before rendering."""

    model_config = ConfigDict(extra="forbid")

    auth: bool = True
    owned: bool = True
    field_types: list[Literal[FIELD_TYPES]] = Field(default_factory=lambda: list(FIELD_TYPES))  # type: ignore[valid-type]
    relationships: list[Literal[_KINDS]] = Field(default_factory=lambda: list(_KINDS))  # type: ignore[valid-type]


class VerifySettings(BaseModel):
    """What the verification gate runs for projects of this template."""

    model_config = ConfigDict(extra="forbid")

    requirements: str = Field(
        "requirements.txt", description="rendered file listing the runtime environment's packages"
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="environment for the project's processes; '{workdir}' is a scratch dir",
    )
    migrations: list[str] | None = Field(
        None, description="command (argv) that builds the schema on an empty database, if any"
    )
    migrations_check: list[str] | None = Field(
        None, description="command that proves the migrations match the models, if any"
    )
    postgres: bool = Field(False, description="pytest and migrations also run on PostgreSQL")
    database_env: str = Field("DATABASE_URL", description="variable that points at the database")
    postgres_scheme: str = Field(
        "postgresql+psycopg", description="URL scheme the project expects in database_env for PostgreSQL"
    )
    boot: list[str] = Field(
        default_factory=lambda: ["-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"],
        description="python arguments that serve the app",
    )
    health_path: str = "/health"
    python: str = Field(
        "3.11", description="the Python version the gate verifies on; the Dockerfile's runtime image uses it"
    )
    boot_note: str = Field("", description="what the boot check does and does not prove")
    real_server_note: str = Field("", description="checks that ran against a stand-in instead of a real server, if any")


class RulesSettings(BaseModel):
    """The extension module the generator role fills with business rules."""

    model_config = ConfigDict(extra="forbid")

    module: str = Field(
        description="per-entity payload file re-rendered with ``rules`` (a list of RuleCode) in its context"
    )
    row_hint: str = Field(description="how a rule body reads and changes the row, for the generator's prompt")


class Manifest(BaseModel):
    """``templates/<name>/template.yaml``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    stack: list[str] = Field(description="the main libraries of a generated project")
    database: str = Field(description="the database the generated project uses")
    supports: Supports = Field(default_factory=Supports)
    when: dict[str, str] = Field(default_factory=dict)
    layers: list[str] = Field(
        default_factory=list,
        description="shared payloads (templates/_layers/<name>/files) rendered too; the template's own files win",
    )
    rules: RulesSettings | None = Field(None, description="where model-written business rules go, if anywhere")
    verify: VerifySettings = Field(default_factory=VerifySettings)


@dataclass(frozen=True)
class Template:
    name: str
    root: Path
    manifest: Manifest
    layer_dirs: tuple[Path, ...] = ()  # the ``files/`` of each shared layer, in the manifest's order

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    @property
    def payload_dirs(self) -> tuple[Path, ...]:
        """Where payload files are looked up, first match wins: the template's own, then its layers."""
        return (self.files_dir, *self.layer_dirs)

    def payload(self) -> dict[str, Path]:
        """Every payload file by its relative POSIX path, the template's own over its layers'."""
        return _merged_payload(self.payload_dirs)


def _merged_payload(payload_dirs: tuple[Path, ...]) -> dict[str, Path]:
    """The files of ``payload_dirs`` as one tree, by relative POSIX path; the first directory wins."""
    found: dict[str, Path] = {}
    for directory in reversed(payload_dirs):
        for src in directory.rglob("*"):
            if src.is_file() and "__pycache__" not in src.parts:
                found[src.relative_to(directory).as_posix()] = src
    return dict(sorted(found.items()))


def codebegen_version() -> str:
    try:
        return importlib.metadata.version("codebegen")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


LAYERS_DIR = "_layers"  # shared payloads under the templates root; never a template of its own


def list_templates(root: Path = TEMPLATES_ROOT) -> list[str]:
    return sorted(p.name for p in root.iterdir() if (p / "template.yaml").is_file())


def load_template(name: str, root: Path = TEMPLATES_ROOT) -> Template:
    """Load and validate a template by name, or raise TemplateError listing the valid names."""
    if not names.is_identifier(name) or not (root / name / "template.yaml").is_file():
        known = ", ".join(list_templates(root)) or "none"
        raise TemplateError(f"unknown template {name!r}", hint=f"choose one of: {known}")
    path = root / name / "template.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        manifest = Manifest.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise TemplateError(f"template {name!r} has a broken manifest {path}: {exc}") from None
    if manifest.name != name:
        raise TemplateError(f"template {name!r}: manifest says name {manifest.name!r}")
    layer_dirs = []
    for layer in manifest.layers:
        files = root / LAYERS_DIR / layer / "files"
        if not names.is_identifier(layer) or not files.is_dir():
            known = sorted(p.parent.name for p in (root / LAYERS_DIR).glob("*/files"))
            raise TemplateError(
                f"template {name!r}: unknown layer {layer!r}", hint=f"layers in {root / LAYERS_DIR}: {known or 'none'}"
            )
        layer_dirs.append(files)
    return Template(name=name, root=root / name, manifest=manifest, layer_dirs=tuple(layer_dirs))


def unsupported_features(spec: ProjectSpec, template: Template) -> list[str]:
    s = template.manifest.supports
    out = []
    if spec.auth and not s.auth:
        out.append("auth")
    if not s.owned:
        out += [f"owned entity {e.name}" for e in spec.entities if e.owned]
    for e in spec.entities:
        out += [f"{f.type} field {e.name}.{f.name}" for f in e.fields if f.type not in s.field_types]
    out += [
        f"{r.kind} relationship {r.source} -> {r.target}" for r in spec.relationships if r.kind not in s.relationships
    ]
    return out


def check_supported(spec: ProjectSpec, template: Template) -> None:
    missing = unsupported_features(spec, template)
    if missing:
        raise TemplateError(
            f"template {template.name!r} cannot honour: {', '.join(missing)}",
            hint="choose another template (codebegen generate --template NAME) or change the spec",
        )


_IMPORT_FROM = re.compile(r"^\s*from\s+[\w.{} ]+?\s+import\s+(\([^)]*\)|[^\n#]+)", re.M)
_IMPORT = re.compile(r"^\s*import\s+([^\n#]+)", re.M)
_TOP_LEVEL = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=", re.M)


def _imported_names(text: str) -> set[str]:
    out: set[str] = set()
    for m in _IMPORT_FROM.finditer(text):
        for part in m.group(1).strip("() \n").replace("\n", " ").split(","):
            words = part.split()
            if words:
                out.add(words[-1])  # "x as y" binds y
    for m in _IMPORT.finditer(text):
        for part in m.group(1).split(","):
            words = part.split()
            if words:
                out.add(words[-1] if "as" in words else words[0].split(".")[0])
    return {n for n in out if names.is_identifier(n)}


def _class_attributes(node: ast.ClassDef) -> set[str]:
    out: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            out.add(item.target.id)
        elif isinstance(item, ast.Assign):
            out |= {t.id for t in item.targets if isinstance(t, ast.Name)}
        elif isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(item.name)
    return out


# The payload folders whose modules define the entity classes (model, schema, table modules):
# a field's attribute must not shadow what these modules bind.
CLASS_MODULE_DIRS = ("app/models", "app/schemas", "app/db")


def template_identifiers(template: Template, under: tuple[str, ...] = ()) -> frozenset[str]:
    """Every name the template's Python imports or defines at module level, and its file names.

    Read from the payload itself, so a new import in a template is covered without a list to
    keep: the render context gives a spec name that meets one of these a code-side suffix.
    ``under`` limits the scan to payload folders (``CLASS_MODULE_DIRS`` for field attributes).
    """
    return _template_identifiers(template.payload_dirs, under)


@functools.lru_cache(maxsize=32)
def _template_identifiers(payload_dirs: tuple[Path, ...], under: tuple[str, ...]) -> frozenset[str]:
    # One tree, the template's files and its layers' together: an entity class of the template may
    # derive from a base class a layer defines, whose attributes a field must not shadow.
    payload = _merged_payload(payload_dirs)
    folders = {"/".join(Path(rel).parts[:i]) for rel in payload for i in range(1, len(Path(rel).parts))}
    found: set[str] = set()
    for rel in sorted(folders | set(payload)):
        if under and not rel.startswith(under):
            continue
        stem = Path(rel).name.split(".")[0]
        for name in (stem, stem.removeprefix("test_"), stem.removesuffix("_rules")):
            if names.is_identifier(name) and "__entity__" not in name:
                found.add(name)
        if rel in payload and rel.endswith((".py", ".jinja")) and not rel.endswith((".md.jinja", ".toml.jinja")):
            text = payload[rel].read_text(encoding="utf-8", errors="replace")
            found |= _imported_names(text)
            found |= {a or b for a, b in _TOP_LEVEL.findall(text)}

    found |= _base_class_attributes(payload, under)
    return frozenset(n for n in found if names.is_identifier(n))


_ENTITY_CLASS = re.compile(r"^class \{\{[^}]*\}\}\w*\(([^)]*)\):", re.M)


def _base_class_attributes(payload: dict[str, Path], under: tuple[str, ...]) -> set[str]:
    """What the classes the per-entity classes derive from define (``UpdateModel.not_nullable``)."""
    bases: set[str] = set()
    for rel, src in payload.items():
        if "__entity__" in Path(rel).name and rel.endswith(".jinja"):
            for m in _ENTITY_CLASS.finditer(src.read_text(encoding="utf-8")):
                bases |= {b.strip() for b in m.group(1).split(",")}
    out: set[str] = set()
    for rel, src in payload.items():
        if not rel.endswith(".py") or (under and not rel.startswith(under)):
            continue
        for node in ast.parse(src.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.name in bases:
                out |= _class_attributes(node)
    return out


@functools.lru_cache(maxsize=4)
def all_template_identifiers(under: tuple[str, ...] = ()) -> frozenset[str]:
    """The union over every installed template, so a spec gets the same code names on each."""
    out: frozenset[str] = frozenset()
    for name in list_templates():
        out |= template_identifiers(load_template(name), under)
    return out


def code_names() -> dict[str, frozenset[str]]:
    """What ``build_context`` keeps spec names away from: every template name, class-module names."""
    return {"unsafe": all_template_identifiers(), "unsafe_attributes": all_template_identifiers(CLASS_MODULE_DIRS)}


def _environment(template: Template) -> jinja2.Environment:
    return _environment_for(tuple(str(d) for d in template.payload_dirs))


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates shared between processes (keyed by source checksum, so never stale)."""
    directory = JINJA_CACHE_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # an unwritable home only costs compile time
    return jinja2.FileSystemBytecodeCache(str(directory))


@functools.lru_cache(maxsize=16)
def _environment_for(payload_dirs: tuple[str, ...]) -> jinja2.Environment:
    """One Environment per template per process, so each file is compiled once, not per render."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(payload_dirs)),  # the template's own files, then its layers
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,  # templates are package data; skip a stat per file per render
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(
        py=names.py_literal,
        doc=names.doc_text,
        json=json.dumps, snake=names.snake, pascal=names.pascal, kebab=names.kebab,
        plural=names.plural,
    )  # fmt: skip
    env.tests.update(secret_like=names.looks_like_a_secret)
    return env


def render(
    spec: ProjectSpec,
    template: Template,
    out_dir: Path,
    *,
    only: str | None = None,
    rules: Mapping[str, list[RuleCode]] | None = None,
) -> list[Path]:
    """Render the template for ``spec`` into ``out_dir``; returns the written paths (relative).

    ``only`` renders a single payload file (e.g. the rules module); ``rules`` maps an entity
    name to the model-written rules its per-entity files see as ``rules``.
    """
    check_supported(spec, template)
    rules = rules or {}
    env = _environment(template)
    ctx = build_context(spec, **code_names())
    ctx["template"] = template.manifest
    ctx["codebegen_version"] = codebegen_version()
    ctx["python_version"] = template.manifest.verify.python
    out_dir = out_dir.resolve()
    written: list[Path] = []
    for rel_posix, src in template.payload().items():
        rel = Path(rel_posix)
        if rel.parts[0] == "_macros":
            continue
        if only is not None and rel_posix != only:
            continue
        cond = template.manifest.when.get(rel_posix)
        if cond is not None and not env.compile_expression(cond, undefined_to_none=False)(**ctx):
            continue
        targets = ctx["entities"] if "__entity__" in rel_posix else [None]
        for e in targets:
            parts = [p.replace("__entity__", e.module) if e else p for p in rel.parts]
            if parts[-1].endswith(".jinja"):
                parts[-1] = parts[-1][: -len(".jinja")]
            dest = out_dir.joinpath(*(names.safe_path_part(p) for p in parts))
            if ".." in parts or not dest.is_relative_to(out_dir):
                raise TemplateError(f"template {template.name!r}: {rel_posix} renders outside the project")
            if src.suffix == ".jinja":
                try:
                    text = env.get_template(rel_posix).render(**ctx, e=e, rules=rules.get(e.spec_name, []) if e else [])
                except Exception as exc:  # a template bug of any kind names the file
                    raise TemplateError(f"template {template.name!r}, {rel_posix}: {exc}") from exc
                if not text.strip():
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(src.read_bytes())
            written.append(dest.relative_to(out_dir))
    return written


def format_python(project_dir: Path) -> float:
    """Run ``ruff check --fix`` (imports) and ``ruff format`` over the project; returns seconds.

    Templates aim to emit formatted code already; this makes the last mile exact.
    """
    start = time.perf_counter()
    ruff = [sys.executable, "-m", "ruff"]
    env = {**os.environ, "RUFF_NO_CACHE": "true"}
    for args in (["check", "--fix-only", "--quiet", "--select", "I,F401"], ["format", "--quiet"]):
        proc = subprocess.run([*ruff, *args, "."], cwd=project_dir, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise TemplateError(f"ruff {args[0]} failed on the rendered project: {proc.stderr.strip()[:500]}")
    return time.perf_counter() - start


def render_project(spec: ProjectSpec, template_name: str, out_dir: Path) -> list[Path]:
    """Load, render and format in one call: what ``generate`` uses."""
    template = load_template(template_name)
    files = render(spec, template, out_dir)
    format_python(out_dir)
    return files


__all__ = [
    "DEFAULT_TEMPLATE",
    "Manifest",
    "Template",
    "check_supported",
    "list_templates",
    "load_template",
    "render",
    "render_project",
    "format_python",
    "unsupported_features",
]
