"""Scoring the parse stage against a gold set (``codebegen eval``).

Owns the metrics of ``bench/score_specs.py`` — entity, field and relationship
precision/recall/F1, type accuracy, auth accuracy and the combined score — computed the same
way (the suite checks the two agree on the same predictions; the matching of names is the
reference scorer's rules in ``codebegen.parsing.matching``), running the parse stage over a
gold set, and measuring the prompt-coverage check (``codebegen.parsing.coverage``) against a
gold set (``agreement``). It does not train anything and never changes a gold file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codebegen.errors import EngineError
from codebegen.events import SpecArtifact, Warning
from codebegen.parsing.coverage import Item, check
from codebegen.parsing.matching import (
    entity_key,
    field_score,
    find_entity,
    has_link,
    norm,
    same_entity,
    scorer_entity_key,
    scorer_same_entity,
)
from codebegen.parsing.reading import read_prompt
from codebegen.stages.parse import parse_stage

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


def _f1(tp: float, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pred_parts(spec: dict[str, Any]) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, str]], bool]:
    ents = {}
    for e in spec.get("entities", []) or []:
        name = str(e.get("name", ""))
        if scorer_entity_key(name) in IMPLICIT_ENTITIES:
            continue
        fields = {}
        for f in e.get("fields", []) or []:
            fname = str(f.get("name", ""))
            if (
                norm(fname) in IMPLICIT_FIELDS
                or norm(fname).endswith("id")
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
    g_ents = {k: {f: t for f, t in v.items() if norm(f) not in IMPLICIT_FIELDS}
              for k, v in gold["entities"].items() if scorer_entity_key(k) not in IMPLICIT_ENTITIES}  # fmt: skip
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
            if gn not in mapping.values() and scorer_same_entity(pn, gn):
                mapping[pn] = gn
                break
    field_tp = 0.0
    type_ok = type_n = 0
    for pn, gn in mapping.items():
        gfields = dict(g_ents[gn])
        for pf, ptype in p_ents[pn].items():
            best, best_s = None, 0.0
            for gf in gfields:
                s = field_score(pf, gf)
                if s > best_s:
                    best, best_s = gf, s
            if best is not None:
                field_tp += 1
                type_n += 1
                type_ok += TYPE_CLASS.get(gfields[best], gfields[best]) == TYPE_CLASS.get(ptype, ptype)
                del gfields[best]
    g_rel_set = {_canon_rel(scorer_entity_key(s), scorer_entity_key(d), k) for s, d, k in g_rels}
    p_rel_set = set()
    for s, d, k in p_rels:
        s2, d2 = mapping.get(s), mapping.get(d)
        if s2 is None:
            s2 = next((g for p, g in mapping.items() if scorer_same_entity(p, s)), s)
        if d2 is None:
            d2 = next((g for p, g in mapping.items() if scorer_same_entity(p, d)), d)
        if scorer_entity_key(s2) in IMPLICIT_ENTITIES or scorer_entity_key(d2) in IMPLICIT_ENTITIES:
            continue
        p_rel_set.add(_canon_rel(scorer_entity_key(s2), scorer_entity_key(d2), k))
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


# --- the prompt-coverage check against a gold set -------------------------------------------------


def _gold_entity(gold_entities: dict[str, Any], name: str, aliases: tuple[str, ...] = ()) -> str | None:
    """The gold entity an item's entity is: the same key first, then a close one ("DoctorHospital"
    is the gold's DoctorHospital, not its Hospital), then one of the thing's other names (the
    check's own leniency: "harvest logs" may be a gold ``Harvest``)."""
    for candidate in (name, *aliases):
        found = next((g for g in gold_entities if entity_key(g) == entity_key(candidate)), None) or next(
            (g for g in gold_entities if same_entity(g, candidate)), None
        )
        if found is not None:
            return found
    return None


def agreement(
    gold: list[dict[str, Any]], specs: dict[str, dict[str, Any] | None], details: list[str] | None = None
) -> dict[str, Any]:
    """How well the check flags what the gold has and the spec lacks (entities, fields, links; and
    login, counted apart).

    ``gap``: gold items (entity, field of a matched entity, relationship) the spec lacks;
    ``flagged``: those the check lists as not in the spec; ``false_alarms``: the check's
    "not in the spec" items that the spec does have per the gold (or that the gold lacks). Whether
    a spec's field is the gold's is the reference scorer's matching (``field_score``: the same
    name, one name's words inside the other's, or close spelling: ``max_score`` is ``maximum_score``);
    entities are matched by the check's own rules.
    ``details`` (a list) gets one line per unflagged gap and per false alarm, named by case.
    """
    gap = flagged = alarms = n_missing = auth_gap = auth_flagged = 0
    for row in gold:
        spec = specs.get(row["id"]) or {"entities": [], "relationships": [], "auth": False}
        gaps, false = _case_agreement(row, spec)
        gap += len(gaps)
        flagged += sum(ok for _, ok in gaps)
        n_missing += sum(i.kind in ("thing", "attribute", "link") for i in check(row["prompt"], spec).missing)
        alarms += len(false)
        if row.get("auth") and not spec.get("auth"):
            auth_gap += 1
            auth_flagged += any(i.kind == "login" for i in check(row["prompt"], spec).missing)
        if details is not None:
            details += [f"{row['id']}: not flagged: {what}" for what, ok in gaps if not ok]
            details += [f"{row['id']}: false alarm: {i.line()}" for i in false]
    return {
        "coverage_gap": gap,
        "coverage_flagged": flagged,
        "coverage_flag_rate": round(flagged / gap, 3) if gap else 1.0,
        "coverage_flags": n_missing,
        "coverage_false_alarms": alarms,
        "coverage_false_alarm_rate": round(alarms / n_missing, 3) if n_missing else 0.0,
        "coverage_login_gap": auth_gap,
        "coverage_login_flagged": auth_flagged,
    }


def _case_agreement(row: dict[str, Any], spec: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[Item]]:
    """One gold case: each gap (what the gold has and the spec lacks) with whether the check flags
    it, and the check's false alarms."""
    reading = read_prompt(row["prompt"])
    miss = check(reading, spec).missing
    aliases = reading.other_names()

    def same(item_entity: str, gname: str) -> bool:
        return _gold_entity({gname: None}, item_entity, aliases.get(item_entity, ())) is not None

    gaps: list[tuple[str, bool]] = []
    for gname, gfields in row["entities"].items():
        if gname.lower() in ("user", "account"):
            continue
        entity = find_entity(spec, gname)
        if entity is None:
            gaps.append((f"entity {gname}", any(i.kind == "thing" and same(i.entity, gname) for i in miss)))
            continue
        for fname in gfields:
            if norm(fname) in ("id", "createdat", "updatedat", "ownerid", "userid"):
                continue  # every table has them; the scorer ignores them too
            if not any(field_score(str(f.get("name", "")), fname) for f in entity.get("fields") or []):
                ok = any(i.kind == "attribute" and same(i.entity, gname) and field_score(i.name, fname) for i in miss)
                gaps.append((f"{gname}.{fname}", ok))
    for s, t, k in row.get("relationships", []):
        if not has_link(spec, s, t, k):
            ok = any(
                i.kind == "link"
                and (
                    same(i.entity, s)
                    and same(i.name, t)
                    or k == "many_to_many"
                    and same(i.entity, t)
                    and same(i.name, s)
                )
                for i in miss
            )
            gaps.append((f"link {s} -> {t} ({k})", ok))
    false: list[Item] = []
    for i in miss:
        if i.kind not in ("thing", "attribute", "link"):
            continue
        gname = _gold_entity(row["entities"], i.entity, aliases.get(i.entity, ()))
        if gname is None:
            false.append(i)
        elif i.kind == "attribute" and not any(field_score(i.name, f) for f in row["entities"][gname]):
            false.append(i)
        elif i.kind == "link" and not any(
            same(i.entity, s) and same(i.name, t) or same(i.entity, t) and same(i.name, s)
            for s, t, _ in row.get("relationships", [])
        ):
            false.append(i)
    return gaps, false
