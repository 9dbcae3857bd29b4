"""The generate stage: the template renders the known parts, the generator role writes the rules.

Owns rendering into the workspace (a FileArtifact per file) and turning each business rule
of the spec into code in the template's rules module (the manifest's ``rules.module``,
re-rendered by the template itself with the rules, so each stack gets its own imports and row
type). Model-written code is checked before it stays: it must
parse and be the kind of code its sentence asks for (a computed value sets a field, any other
rule can refuse a row), and the project must still compile, lint and pass its own tests with it (the gate's
``compile``/``imports``/``lint``/``pytest`` checks; the CRUD tests call every rule on valid
rows). A failing rule gets one repair attempt with the error; if the rules still fail, each is
checked alone and only the ones that fail are dropped, the module goes back to the template's no-op, and a warning and a trust-report note
say what was dropped and why. The final full gate is the verify stage's job.
"""

from __future__ import annotations

import ast
import re
import textwrap
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codebegen import names, templates
from codebegen.context import EntityView, RuleCode, build_context
from codebegen.events import Event, FileArtifact, StageFinished, StageStarted, Warning
from codebegen.gate.trust_report import TrustReport
from codebegen.gate.verify import verify
from codebegen.prompts import messages
from codebegen.spec import ProjectSpec, RuleSpec
from codebegen.stages.asking import ask

RULE_CHECKS = ("compile", "imports", "lint", "pytest")


@dataclass
class CodegenResult:
    files: list[Path]
    kept_rules: list[RuleSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rule_body(text: str) -> str:
    """The model's reply as an indented function body (code fences and a def line removed)."""
    lines = [ln for ln in text.replace("\t", "    ").splitlines() if not ln.strip().startswith("```")]
    if lines and lines[0].lstrip().startswith("def "):
        lines = lines[1:]
    body = textwrap.dedent("\n".join(lines)).strip("\n")
    return textwrap.indent(body, "    ") if body.strip() else ""


def _code_view(spec: ProjectSpec, entity: str) -> EntityView | None:
    """The entity as the templates render it (its module, its fields' Python attributes)."""
    return next((v for v in build_context(spec, **templates.code_names())["entities"] if v.spec_name == entity), None)


def _attributes(spec: ProjectSpec, entity: str) -> str:
    e = _code_view(spec, entity)
    keys = [
        f"{f.name} ({f.type}{', optional' if not f.required else ''}"
        f"{f'; as an object attribute {f.attr}' if f.aliased else ''})"
        for f in e.fields
    ] if e else []  # fmt: skip
    keys += [f"{r.key} (int)" for r in spec.relationships if r.source == entity and r.kind != "many_to_many"]
    return ", ".join(keys) or "id"


def _write_rules(
    spec: ProjectSpec, template: templates.Template, project: Path, entity: str, rules: list[tuple[RuleSpec, str]]
) -> None:
    """Re-render the entity's rules module with these rules (none: the template's no-op module)."""
    assert template.manifest.rules is not None
    codes = [RuleCode(r.description, body, tuple(sorted(_assigned(body)))) for r, body in rules]
    templates.render(spec, template, project, only=template.manifest.rules.module, rules={entity: codes})


def _verify_rules(
    spec: ProjectSpec,
    template: templates.Template,
    project: Path,
    rules: dict[str, list[tuple[RuleSpec, str]]],
    cache_dir: Path,
) -> TrustReport:
    """Each entity's rules module written with these rules, then the gate's checks for rule code."""
    for entity, entity_rules in rules.items():
        _write_rules(spec, template, project, entity, entity_rules)
    templates.format_python(project)
    return verify(project, cache_dir=cache_dir, select=RULE_CHECKS)


def codegen_stage(
    spec: ProjectSpec,
    template: templates.Template,
    project: Path,
    generator: Any,
    *,
    cache_dir: Path,
) -> Generator[Event, None, CodegenResult]:
    start = time.perf_counter()
    yield StageStarted("generate", detail=f"template {template.name}")
    files = templates.render(spec, template, project)
    templates.format_python(project)
    for rel in files:
        yield FileArtifact("generate", rel.as_posix(), (project / rel).stat().st_size)
    result = CodegenResult(files=files)
    tokens_in = tokens_out = 0
    model = adapter = None
    if not spec.rules:
        yield StageFinished("generate", time.perf_counter() - start)
        return result
    if template.manifest.rules is None:
        for rule in spec.rules:
            note = f"rule not implemented ({template.name} has no rules module): {rule.description}"
            result.notes.append(note)
            yield Warning("generate", note)
        yield StageFinished("generate", time.perf_counter() - start)
        return result

    by_entity: dict[str, list[tuple[RuleSpec, str]]] = {}
    for rule in spec.rules:
        ask_msgs = _rule_prompt(spec, template, rule.entity, rule.description)
        answer = yield from ask(generator, "generate", ask_msgs, max_tokens=300)
        tokens_in, tokens_out = tokens_in + answer.tokens_in, tokens_out + answer.tokens_out
        model, adapter = answer.model, answer.adapter
        body = _rule_body(answer.text)
        problem = _syntax_problem(body, rule.description)
        if problem:
            repair = ask_msgs + [
                {"role": "assistant", "content": answer.text},
                {"role": "user", "content": f"That does not work: {problem}. Write the function body again."},
            ]
            answer = yield from ask(generator, "generate", repair, max_tokens=300)
            body = _rule_body(answer.text)
            problem = _syntax_problem(body, rule.description)
        if problem:
            note = f"dropped rule for {rule.entity} ({rule.description!r}): the generated code {problem}"
            result.notes.append(note)
            yield Warning("generate", note)
            continue
        by_entity.setdefault(rule.entity, []).append((rule, body))

    if by_entity:
        report = _verify_rules(spec, template, project, by_entity, cache_dir)
        tries: dict[str, list[tuple[RuleSpec, list[str]]]] = {}  # each rule's repaired body, then its first
        if not report.passed:  # one repair attempt per rule, with what the gate said
            failure = _failure_text(report)
            yield Warning("generate", f"the generated rules failed the checks; asking for a repair: {failure[:200]}")
            for entity, rules in by_entity.items():
                repaired = []
                for rule, body in rules:
                    ask_msgs = _rule_prompt(spec, template, entity, rule.description) + [
                        {"role": "assistant", "content": body},
                        {"role": "user", "content": f"With that body the project fails: {failure[:600]}. Fix it."},
                    ]
                    answer = yield from ask(generator, "generate", ask_msgs, max_tokens=300)
                    new_body = _rule_body(answer.text)
                    chosen = body if _syntax_problem(new_body, rule.description) else new_body
                    repaired.append((rule, chosen))
                    tries.setdefault(entity, []).append((rule, [chosen, body]))
                by_entity[entity] = repaired
            report = _verify_rules(spec, template, project, by_entity, cache_dir)
        if not report.passed and sum(len(r) for r in by_entity.values()) > 1:
            # keep what passes on its own: one bad rule should not cost the others
            by_entity = yield from _keep_passing_rules(spec, template, project, tries, result, cache_dir)
            report = _verify_rules(spec, template, project, by_entity, cache_dir)
        if not report.passed:
            failure = _failure_text(report)
            for entity, rules in by_entity.items():
                note = (
                    f"dropped {len(rules)} rule(s) for {entity}: with them the project failed {failure}"
                    " (the template's no-op rules module is kept)"
                )
                result.notes.append(note)
                yield Warning("generate", note)
                _write_rules(spec, template, project, entity, [])
            by_entity = {}
        for entity, rules in by_entity.items():
            result.kept_rules += [r for r, _ in rules]
            view = _code_view(spec, entity)
            rel = Path("app") / "rules" / f"{view.module if view else names.snake(entity)}_rules.py"
            yield FileArtifact("generate", rel.as_posix(), (project / rel).stat().st_size)
    yield StageFinished("generate", time.perf_counter() - start, tokens_in, tokens_out, model, adapter)
    return result


def _keep_passing_rules(
    spec: ProjectSpec,
    template: templates.Template,
    project: Path,
    tries: dict[str, list[tuple[RuleSpec, list[str]]]],
    result: CodegenResult,
    cache_dir: Path,
) -> Generator[Event, None, dict[str, list[tuple[RuleSpec, str]]]]:
    """Each rule checked alone (the others back to the no-op), its repaired body first, then its
    first one (a repair asked for because of another rule can spoil a good body); a rule with
    neither passing is dropped with a note."""
    kept: dict[str, list[tuple[RuleSpec, str]]] = {}
    for entity in tries:
        _write_rules(spec, template, project, entity, [])
    for entity, rules in tries.items():
        failure = ""
        for rule, bodies in rules:
            for body in dict.fromkeys(bodies):
                alone = _verify_rules(spec, template, project, {entity: [(rule, body)]}, cache_dir)
                _write_rules(spec, template, project, entity, [])
                if alone.passed:
                    kept.setdefault(entity, []).append((rule, body))
                    break
                failure = _failure_text(alone)
            else:
                note = f"dropped rule for {entity} ({rule.description!r}): with it the project failed {failure}"
                result.notes.append(note)
                yield Warning("generate", note)
    return kept


def _assigned(body: str) -> set[str]:
    """Fields of ``row`` a rule body sets (``row.total = ...`` or ``row["total"] = ...``)."""
    try:
        tree = ast.parse("def f(row):\n" + body)
    except SyntaxError:
        return set()
    targets = [t for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in ast.walk(tree) if isinstance(n, ast.AugAssign | ast.AnnAssign)]
    out = set()
    for t in targets:
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "row":
            out.add(t.attr)
        elif (
            isinstance(t, ast.Subscript)
            and isinstance(t.value, ast.Name)
            and t.value.id == "row"
            and isinstance(t.slice, ast.Constant)
            and isinstance(t.slice.value, str)
        ):
            out.add(t.slice.value)
    return out


def _rule_prompt(spec: ProjectSpec, template: templates.Template, entity: str, rule: str) -> list[dict[str, str]]:
    assert template.manifest.rules is not None
    return messages(
        "rules",
        entity=entity,
        attributes=_attributes(spec, entity),
        rule=rule,
        row_hint=template.manifest.rules.row_hint,
    )


def _failure_text(report: Any) -> str:
    return "; ".join(f"{c.name}: {c.detail} {c.output[-300:]}".strip() for c in report.failed)[:800]


_COMPUTES = re.compile(r"\b(computed|calculated|sum of|automatically|is the product|equals)\b", re.IGNORECASE)


def _syntax_problem(body: str, rule: str = "") -> str | None:
    """Why ``body`` cannot be the rule's code: empty, unparsable, or not the kind of thing ``rule`` asks.

    A rule that computes a value must set a field of the row; any other rule (a bound, a date
    order, a required value) must be able to refuse the row. A body that does neither passes
    every test while doing nothing the sentence said, so it is refused like broken code.
    """
    if not body.strip():
        return "is empty"
    try:
        tree = ast.parse("def rule(row):\n" + body)
    except SyntaxError as exc:
        return f"does not parse: {exc.msg} (line {max(1, (exc.lineno or 2) - 1)})"
    if not rule:
        return None
    if _COMPUTES.search(rule):
        return None if _assigned(body) else "sets no field of the row, though the rule computes one"
    if not any(isinstance(n, ast.Raise) for n in ast.walk(tree)):
        return "never raises RuleViolation, though the rule refuses some rows"
    return None
