"""Generated training pairs for the generator, reviewer and docs roles, and their checks.

Owns three small generators, each filling the role's own prompt file exactly as its stage does
(``rules.yaml`` as in ``codebegen.stages.codegen``, ``review.yaml`` as in ``codebegen.stages.review``,
``docs.yaml`` as in ``codebegen.stages.docs``) from entities drawn out of the parser catalogue, and
the target a good answer looks like: a rule-function body that raises ``RuleViolation`` or sets
a computed field; a two-sentence review that names the score and what to fix first; a README
opening paragraph that names every entity. ``check`` says whether a reply is usable the way the
stage judges it, plus the role's measurable bar (the body compiles and behaves on a good and a
bad row; the summary names the first error; the paragraph names every entity).
"""

from __future__ import annotations

import ast
import random
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from codebegen.prompts import messages
from codebegen.training.specdata import plural, words
from codebegen.training.vocabulary import parse_domains

ROW_HINTS = {
    "attr": "`row` is the SQLAlchemy model object: read and set its attributes, e.g. `row.total = row.quantity * "
    "row.unit_price`. Optional fields may be None.",
    "dict": "`row` is a dict of the row's values: read and set its keys, e.g. `row[\"total\"] = row[\"quantity\"] * "
    "row[\"unit_price\"]`. Optional fields may be None or missing.",
}  # fmt: skip
NUMERIC = ("int", "float", "decimal")


# ---------------------------------------------------------------- generator (rule bodies)


def _rule_case(rng: random.Random, entity: Any, style: str) -> dict[str, Any] | None:
    """One rule sentence over the entity's fields, its reference body and a good and bad row."""
    nums = [f for f in entity.fields if f.type in NUMERIC]
    dates = [f for f in entity.fields if f.type in ("date", "datetime")]
    strs = [f for f in entity.fields if f.type in ("str", "text")]
    e = words(entity.name)
    kinds = [k for k, ok in (("nonneg", nums), ("max", nums), ("min", nums), ("order", len(dates) >= 2),
                             ("computed", len(nums) >= 3), ("nonblank", strs), ("maxlen", strs)) if ok]  # fmt: skip
    if not kinds:
        return None
    kind = rng.choice(kinds)

    def get(name: str) -> str:
        return f"row.{name}" if style == "attr" else f'row.get("{name}")'

    def put(name: str) -> str:
        return f"row.{name}" if style == "attr" else f'row["{name}"]'

    if kind in ("nonneg", "max", "min"):
        f = rng.choice(nums)
        fw = words(f.name)
        if kind == "nonneg":
            rule = rng.choice([f"The {fw} of a {e} cannot be negative.", f"{fw} must be zero or more",
                               f"A {e}'s {fw} must not be below 0."])  # fmt: skip
            cond, msg, good, bad = "< 0", f"{fw} cannot be negative", 1, -1
        else:
            n = rng.choice([5, 10, 50, 100, 1000])
            if kind == "max":
                rule = rng.choice([f"The {fw} cannot exceed {n}.", f"A {e} may have at most {n} {fw}.",
                                   f"{fw} must be no more than {n}"])  # fmt: skip
                cond, msg, good, bad = f"> {n}", f"{fw} cannot exceed {n}", n, n + 1
            else:
                rule = rng.choice([f"The {fw} must be at least {n}.", f"{fw} has to be {n} or more."])
                cond, msg, good, bad = f"< {n}", f"{fw} must be at least {n}", n, n - 1
        lit = {"decimal": lambda v: Decimal(v), "float": float, "int": int}[f.type]
        body = f'    value = {get(f.name)}\n    if value is not None and value {cond}:\n        raise RuleViolation("{f.name}", "{msg}")'
        return {"rule": rule, "body": body, "good": {f.name: lit(good)}, "bad": {f.name: lit(bad)}, "sets": None}
    if kind == "order":
        a, b = rng.sample(dates, 2)
        rule = rng.choice([f"The {words(b.name)} must be after the {words(a.name)}.",
                           f"A {e} cannot have a {words(b.name)} before its {words(a.name)}."])  # fmt: skip
        body = (f"    start, end = {get(a.name)}, {get(b.name)}\n    if start is not None and end is not None and end < start:\n"
                f"        raise RuleViolation(\"{b.name}\", \"{words(b.name)} must be after {words(a.name)}\")")  # fmt: skip
        t0 = datetime(2024, 5, 1, 12) if a.type == "datetime" else date(2024, 5, 1)
        t1 = t0 + timedelta(days=3)
        return {
            "rule": rule,
            "body": body,
            "good": {a.name: t0, b.name: t1},
            "bad": {a.name: t1, b.name: t0},
            "sets": None,
        }
    if kind == "computed":
        x, y, total = rng.sample(nums, 3)
        rule = rng.choice([f"The {words(total.name)} is computed as {words(x.name)} times {words(y.name)}.",
                           f"{words(total.name)} is calculated automatically from {words(x.name)} * {words(y.name)}."])  # fmt: skip
        body = (f"    if {get(x.name)} is not None and {get(y.name)} is not None:\n"
                f"        {put(total.name)} = {get(x.name)} * {get(y.name)}")  # fmt: skip
        return {"rule": rule, "body": body, "good": {x.name: 2, y.name: 3, total.name: 0}, "bad": None,
                "sets": (total.name, 6)}  # fmt: skip
    f = rng.choice(strs)
    fw = words(f.name)
    if kind == "nonblank":
        rule = rng.choice([f"The {fw} must not be blank.", f"A {e} cannot have an empty {fw}."])
        body = (f"    value = {get(f.name)}\n    if value is not None and not value.strip():\n"
                f"        raise RuleViolation(\"{f.name}\", \"{fw} must not be blank\")")  # fmt: skip
        return {"rule": rule, "body": body, "good": {f.name: "ok"}, "bad": {f.name: "  "}, "sets": None}
    n = rng.choice([20, 50, 80, 200])
    rule = rng.choice(
        [f"The {fw} can be at most {n} characters long.", f"{fw} must not be longer than {n} characters."]
    )
    body = (f"    value = {get(f.name)}\n    if value is not None and len(value) > {n}:\n"
            f"        raise RuleViolation(\"{f.name}\", \"{fw} is longer than {n} characters\")")  # fmt: skip
    return {"rule": rule, "body": body, "good": {f.name: "x" * n}, "bad": {f.name: "x" * (n + 1)}, "sets": None}


def generator_cases(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    entities = [e for d in parse_domains() for e in d.entities]
    out: list[dict[str, Any]] = []
    while len(out) < n:
        entity = rng.choice(entities)
        style = rng.choice(["attr", "attr", "dict"])
        case = _rule_case(rng, entity, style)
        if case is None:
            continue
        attributes = ", ".join(f"{f.name} ({f.type})" for f in entity.fields)
        case["messages"] = messages("rules", entity=entity.name, attributes=attributes, rule=case["rule"],
                                    row_hint=ROW_HINTS[style])  # fmt: skip
        case["style"] = style
        out.append(case)
    return out


class RuleViolation(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class _Row(dict):
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def check_rule_body(case: dict[str, Any], reply: str) -> bool:
    """The body compiles and behaves: a good row passes, a bad row raises, a computed field is set."""
    from codebegen.stages.codegen import _rule_body

    body = _rule_body(reply)
    try:
        tree = ast.parse("def rule(row):\n" + body)
    except SyntaxError:
        return False
    env: dict[str, Any] = {"RuleViolation": RuleViolation, "Decimal": Decimal, "date": date, "datetime": datetime,
                           "timedelta": timedelta}  # fmt: skip
    try:
        exec(compile(tree, "<rule>", "exec"), env)  # noqa: S102 - the point is to run what the model wrote
        row = _Row(case["good"])
        env["rule"](row)
        if case["sets"] and row.get(case["sets"][0]) != case["sets"][1]:
            return False
        if case["bad"] is not None:
            try:
                env["rule"](_Row(case["bad"]))
            except RuleViolation:
                return True
            return False
        return True
    except Exception:
        return False


# ---------------------------------------------------------------- reviewer


def reviewer_cases(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    domains = parse_domains()
    errors = ["F821 undefined name 'total' (app/rules/order_rules.py)", "tests failed: 2 of 31 (tests)",
              "B105 possible hardcoded password (app/core/config.py)", "boot: the app did not answer /health (gate)",
              "migrations: alembic upgrade head failed (gate)", "F401 'os' imported but unused (app/main.py)"]  # fmt: skip
    warnings = ["E501 line too long (app/api/routes/items.py)", "B311 standard pseudo-random generator (app/core/security.py)",
                "dropped rule for Order: the generated code is empty (app/rules)", "C901 function is too complex (app/crud.py)"]  # fmt: skip
    out = []
    for _ in range(n):
        d = rng.choice(domains)
        found = ([("error", m) for m in rng.sample(errors, rng.choice([0, 0, 1, 2]))]
                 + [("warning", m) for m in rng.sample(warnings, rng.choice([0, 1, 2]))])  # fmt: skip
        points = max(0, 100 - 20 * sum(s == "error" for s, _ in found) - 5 * sum(s == "warning" for s, _ in found))
        listing = "\n".join(f"- {s}: {m}" for s, m in found) or "- none"
        template = rng.choice(["fastapi_sqlalchemy", "fastapi_basic", "fastapi_mongo"])
        k = rng.randint(1, len(d.entities))
        msgs = messages("review", project=d.key, entities=k, template=template, score=points, findings=listing)
        first = next((m for s, m in found if s == "error"), None) or next((m for s, m in found), None)
        good = rng.choice([f"{d.key} scores {points}/100 and its {k} resources are generated from tested templates.",
                           f"The {d.title.lower()} project passes with {points}/100."])  # fmt: skip
        if first:
            what = first.split(" (")[0]
            fix = rng.choice([f" Fix first: {what}.", f" The first thing to fix is {what}."])
            rest = " The remaining findings are minor." if len(found) > 1 else ""
        else:
            fix, rest = " Nothing needs fixing before you build on it.", ""
        out.append({"messages": msgs, "target": good + fix + rest, "first": first, "score": points})
    return out


def check_review(case: dict[str, Any], reply: str) -> bool:
    text = " ".join(reply.split())
    if len(text) < 20 or not any(ch.isalpha() for ch in text):
        return False  # the stage would fall back to its built-in summary
    if str(case["score"]) not in text:
        return False
    if case["first"]:
        key = re.findall(r"[A-Za-z]{4,}", case["first"].split(" (")[0])[:3]
        return all(k.lower() in text.lower() for k in key)
    return True


# ---------------------------------------------------------------- docs


def docs_cases(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    domains = parse_domains()
    out = []
    for _ in range(n):
        d = rng.choice(domains)
        ents = rng.sample(list(d.entities), rng.randint(1, min(4, len(d.entities))))
        names = [e.name for e in ents]
        auth = rng.random() < 0.5
        owned = [e.name for e in ents if auth and rng.random() < 0.3]
        msgs = messages("docs", title=d.key.replace("_", " "), description=f"{d.title} API", entities=", ".join(names),
                        auth=auth, owned=f"each user sees only their own {', '.join(owned)}." if owned else "")  # fmt: skip
        things = ", ".join(plural(words(x)) for x in names[:-1])
        things = f"{things} and {plural(words(names[-1]))}" if things else plural(words(names[-1]))
        who = rng.choice(["teams", "small businesses", "developers building a front end", "staff", "clients"])
        text = f"The {d.title} API manages {things}. It gives {who} a simple REST interface to create, list, update and delete them."
        if auth:
            text += " Users register and log in" + (f", and each user only sees their own {', '.join(plural(words(o)) for o in owned)}." if owned else " before using it.")  # fmt: skip
        out.append({"messages": msgs, "target": text, "entities": names})
    return out


def check_docs(case: dict[str, Any], reply: str) -> bool:
    text = " ".join(reply.split())
    if len(text) < 30 or "```" in text or not any(ch.isalpha() for ch in text):
        return False
    low = text.lower().replace(" ", "")
    # the stem, so "categories" counts for Category and "boxes" for Box
    return all(words(e).replace(" ", "")[:-1] in low for e in case["entities"])


CASES = {"generator": generator_cases, "reviewer": reviewer_cases, "docs": docs_cases}
CHECKS = {"generator": check_rule_body, "reviewer": check_review, "docs": check_docs}


def pairs(role: str, seed: int, n: int) -> list[tuple[list[dict[str, str]], str]]:
    return [(c["messages"], c.get("target") or c["body"]) for c in CASES[role](seed, n)]
