"""Scoring the parse stage against a gold set (``codebegen eval``).

Owns the metrics of ``bench/score_specs.py`` — entity, field and relationship
precision/recall/F1, type accuracy, auth accuracy and the combined score — computed the same
way (the suite checks the two agree on the same predictions), and running the parse stage
over a gold set. It does not train anything and never changes a gold file.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codebegen import names
from codebegen.errors import EngineError

TYPE_CLASS = {
    "str": "string", "string": "string", "text": "string", "varchar": "string",
    "int": "int", "integer": "int", "bigint": "int",
    "float": "number", "decimal": "number", "number": "number", "money": "number",
    "bool": "bool", "boolean": "bool",
    "date": "date", "datetime": "datetime", "timestamp": "datetime",
    "email": "email", "url": "url", "uuid": "uuid", "enum": "enum", "json": "json",
}  # fmt: skip
IMPLICIT_ENTITIES = {"user", "account"}
IMPLICIT_FIELDS = {"id", "createdat", "updatedat", "ownerid", "userid"}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _ent_key(name: str) -> str:
    return names.singular(_norm(name))


def _field_tokens(name: str) -> set[str]:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return {t for t in re.split(r"[^a-z0-9]+", snake) if t} - {"is", "has", "the", "of", "a"}


def _same_entity(a: str, b: str) -> bool:
    ka, kb = _ent_key(a), _ent_key(b)
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 4 and long_.endswith(short)


def _same_field(a: str, b: str) -> float:
    if _norm(a) == _norm(b):
        return 1.0
    ta, tb = _field_tokens(a), _field_tokens(b)
    if ta and tb and (ta <= tb or tb <= ta):
        return 0.9
    r = difflib.SequenceMatcher(None, _norm(a), _norm(b)).ratio()
    return r if r >= 0.8 else 0.0


def _f1(tp: float, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pred_parts(spec: dict[str, Any]) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, str]], bool]:
    ents = {}
    for e in spec.get("entities", []) or []:
        name = str(e.get("name", ""))
        if _ent_key(name) in IMPLICIT_ENTITIES:
            continue
        fields = {}
        for f in e.get("fields", []) or []:
            fname = str(f.get("name", ""))
            if (
                _norm(fname) in IMPLICIT_FIELDS
                or _norm(fname).endswith("id")
                and f.get("type") in ("int", "uuid", "fk", None)
            ):
                continue
            fields[fname] = str(f.get("type", "")).lower()
        ents[name] = fields
    rels = [
        (str(r.get("source", "")), str(r.get("target", "")), str(r.get("kind", "")))
        for r in spec.get("relationships", []) or []
    ]
    return ents, rels, bool(spec.get("auth", False))


def _canon_rel(src: str, dst: str, kind: str) -> tuple[str, str, str]:
    kind = kind.lower()
    if kind == "one_to_many":
        src, dst, kind = dst, src, "many_to_one"
    if kind in ("many_to_many", "one_to_one"):
        src, dst = sorted((src, dst))
    return src, dst, kind


def score_case(gold: dict[str, Any], spec: dict[str, Any] | None) -> dict[str, Any]:
    """Counts for one case; ``spec`` None (an error) scores zero."""
    g_ents = {k: {f: t for f, t in v.items() if _norm(f) not in IMPLICIT_FIELDS}
              for k, v in gold["entities"].items() if _ent_key(k) not in IMPLICIT_ENTITIES}  # fmt: skip
    g_rels = gold.get("relationships", [])
    if spec is None:
        n_gf = sum(len(v) for v in g_ents.values())
        return {
            "ent": (0, 0, len(g_ents)),
            "field": (0, 0, n_gf),
            "type": (0, 0),
            "rel": (0, 0, len(g_rels)),
            "auth": 0,
        }
    p_ents, p_rels, p_auth = _pred_parts(spec)
    mapping: dict[str, str] = {}
    for pn in p_ents:
        for gn in g_ents:
            if gn not in mapping.values() and _same_entity(pn, gn):
                mapping[pn] = gn
                break
    field_tp = 0.0
    type_ok = type_n = 0
    for pn, gn in mapping.items():
        gfields = dict(g_ents[gn])
        for pf, ptype in p_ents[pn].items():
            best, best_s = None, 0.0
            for gf in gfields:
                s = _same_field(pf, gf)
                if s > best_s:
                    best, best_s = gf, s
            if best is not None:
                field_tp += 1
                type_n += 1
                type_ok += TYPE_CLASS.get(gfields[best], gfields[best]) == TYPE_CLASS.get(ptype, ptype)
                del gfields[best]
    g_rel_set = {_canon_rel(_ent_key(s), _ent_key(d), k) for s, d, k in g_rels}
    p_rel_set = set()
    for s, d, k in p_rels:
        s2, d2 = mapping.get(s), mapping.get(d)
        if s2 is None:
            s2 = next((g for p, g in mapping.items() if _same_entity(p, s)), s)
        if d2 is None:
            d2 = next((g for p, g in mapping.items() if _same_entity(p, d)), d)
        if _ent_key(s2) in IMPLICIT_ENTITIES or _ent_key(d2) in IMPLICIT_ENTITIES:
            continue
        p_rel_set.add(_canon_rel(_ent_key(s2), _ent_key(d2), k))
    return {
        "ent": (len(mapping), len(p_ents), len(g_ents)),
        "field": (field_tp, sum(len(p_ents[p]) for p in mapping), sum(len(v) for v in g_ents.values())),
        "type": (type_ok, type_n),
        "rel": (len(g_rel_set & p_rel_set), len(p_rel_set), len(g_rel_set)),
        "auth": int(bool(gold.get("auth")) == p_auth),
    }


def metrics(gold: list[dict[str, Any]], predictions: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The metrics score_specs.py prints, for specs keyed by gold id (missing or None scores 0)."""
    tot: dict[str, Any] = {"ent": [0, 0, 0], "field": [0, 0, 0], "type": [0, 0], "rel": [0, 0, 0], "auth": 0}
    for g in gold:
        s = score_case(g, predictions.get(g["id"]))
        for k in ("ent", "field", "rel"):
            for i in range(3):
                tot[k][i] += s[k][i]
        tot["type"][0] += s["type"][0]
        tot["type"][1] += s["type"][1]
        tot["auth"] += s["auth"]
    n = len(gold)
    out: dict[str, Any] = {}
    for k in ("ent", "field", "rel"):
        tp, npred, ngold = tot[k]
        out[k + "_p"], out[k + "_r"], out[k + "_f1"] = (round(x, 3) for x in _f1(tp, npred, ngold))
    out["type_acc"] = round(tot["type"][0] / tot["type"][1], 3) if tot["type"][1] else 0.0
    out["auth_acc"] = round(tot["auth"] / n, 3) if n else 0.0
    out["missing"] = sum(1 for g in gold if predictions.get(g["id"]) is None)
    out["score"] = round((out["ent_f1"] + out["field_f1"] * out["type_acc"] + out["rel_f1"] + out["auth_acc"]) / 4, 3)
    out["cases"] = n
    return out


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EngineError(f"cannot read the gold set {path}: {exc.strerror}", hint="pass --set FILE.jsonl") from None
    gold = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EngineError(f"{path}, line {number}: not JSON ({exc.msg})") from None
        if not {"id", "prompt", "entities"} <= set(row):
            raise EngineError(f"{path}, line {number}: a gold row needs id, prompt and entities")
        gold.append(row)
    return gold


@dataclass
class CaseResult:
    id: str
    spec: dict[str, Any] | None
    error: str | None
    seconds: float
    warnings: list[str] = field(default_factory=list)


def run_parse(gold: list[dict[str, Any]], parser: Any) -> Iterator[CaseResult]:
    """The parse stage over every gold prompt, one result per case (errors score zero)."""
    from codebegen.events import SpecArtifact, Warning
    from codebegen.stages.parse import parse_stage

    for row in gold:
        start = time.perf_counter()
        spec, warnings = None, []
        try:
            for event in parse_stage(row["prompt"], parser):
                if isinstance(event, SpecArtifact):
                    spec = event.spec.model_dump(mode="json")
                elif isinstance(event, Warning):
                    warnings.append(event.message)
            yield CaseResult(row["id"], spec, None, time.perf_counter() - start, warnings)
        except EngineError as exc:
            yield CaseResult(row["id"], None, str(exc), time.perf_counter() - start, warnings)


def evaluate(
    gold_path: str | Path, parser: Any, on_case: Callable[[CaseResult], None] | None = None
) -> tuple[dict[str, Any], list[CaseResult]]:
    gold = load_gold(gold_path)
    results = []
    for result in run_parse(gold, parser):
        results.append(result)
        if on_case:
            on_case(result)
    return metrics(gold, {r.id: r.spec for r in results}), results
