"""The parse stage's fidelity on a gold set: the scorer's metrics, parse time, and the coverage check.

    .venv/bin/python -m benchmarks.fidelity --set bench/people_specs.jsonl [--out specs.jsonl] [--json]
    .venv/bin/python -m benchmarks.fidelity --set bench/people_specs.jsonl --replay benchmarks/parse_outputs/people_before.jsonl
    .venv/bin/python -m benchmarks.fidelity --set bench/people_specs.jsonl --check benchmarks/parse_outputs/people_before.jsonl [--misses]

``--replay SPECS.jsonl`` runs no model: each case's parser reply is the spec an earlier run wrote
(``--out``), so the stage's deterministic part (clean-up, the reading of the prompt, the
reconciliation, the coverage check) is measured on the same model output in a second; with
greedy decoding and the same decoding schema the model's reply is the same as a fresh run's.

Runs the parse stage (``default`` profile unless ``--profile``) over every gold prompt, keeps
each case's spec, and reports the metrics of ``codebegen.evaluation``, the median / max parse time,
and how well the prompt-coverage check (``codebegen.parsing.coverage``) agrees with the gold: of
the gold entities, fields and relationships the spec lacks, the share the check flags, and the
check's flags on things the spec does have per gold (false alarms).

``--check SPECS.jsonl`` runs no stage at all: it checks the coverage of those specs as they were
written (the old stage's specs: what the check says about a spec that really lacks things) and
reports only the agreement; ``--misses`` also prints each gap the check does not flag and each
false alarm. ``--ablate SEED`` also needs no model: each case's spec is its gold spec with entities, fields
and links taken out at random (seeded; a fifth of each), so the check meets specs that lack
known things on any gold set, the generated held-out ones included (``python -m
codebegen.training.scoring --role parser --write-heldout FILE --n 30`` writes set A, seed 90210).
``--out`` writes the specs
(one ``{"id", "spec"|"error", "seconds"}`` line each), the form ``bench/score_specs.py`` reads.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics

from codebegen.evaluation import load_gold, metrics, run_parse
from codebegen.pipeline import load_backends


def ablated(row: dict, rng: random.Random, share: float = 0.2) -> dict:
    """The gold spec of ``row`` as a spec dict, with each entity, field and link gone at ``share``."""
    entities = []
    for name, fields in row["entities"].items():
        if rng.random() < share:
            continue
        kept = [{"name": f, "type": t} for f, t in fields.items() if rng.random() >= share]
        entities.append({"name": name, "owned": False, "fields": kept})
    names_ = {e["name"] for e in entities}
    rels = [
        {"source": s, "target": t, "kind": k}
        for s, t, k in row.get("relationships", [])
        if s in names_ and t in names_ and rng.random() >= share
    ]
    return {"name": "x", "auth": bool(row.get("auth")), "entities": entities, "relationships": rels}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", required=True)
    ap.add_argument("--profile", default="default")
    ap.add_argument("--out")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--replay", help="a JSONL of earlier specs to replay as the parser's replies (no model)")
    ap.add_argument(
        "--check", help="a JSONL of specs to check as written (no parse stage): the coverage agreement only"
    )
    ap.add_argument("--misses", action="store_true", help="print the unflagged gaps and the false alarms")
    ap.add_argument("--ablate", type=int, help="check gold specs with a fifth of their items taken out (this seed)")
    args = ap.parse_args()
    gold = load_gold(args.set)
    if args.check or args.ablate is not None:
        from codebegen.evaluation import agreement

        specs = {}
        if args.ablate is not None:
            rng = random.Random(args.ablate)
            specs = {g["id"]: ablated(g, rng) for g in gold}
        for line in open(args.check, encoding="utf-8") if args.check else ():
            if line.strip():
                row = json.loads(line)
                specs[row["id"]] = row.get("spec")
        details: list[str] = []
        scores = agreement(gold, specs, details)
        if args.misses:
            print("\n".join(details))
        print(json.dumps(scores) if args.json else "\n".join(f"{k:24s} {v}" for k, v in scores.items()))
        return
    if args.replay:
        from codebegen.models.fake import FakeBackend

        earlier = {}
        for line in open(args.replay, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                earlier[row["id"]] = json.dumps(row.get("spec") or {"name": "x", "entities": [], "relationships": []})
        replies = [earlier.get(g["id"], "{}") for g in gold]
        parser = FakeBackend(replies)
    else:
        parser = load_backends(args.profile)["parser"]
    results = []
    for r in run_parse(gold, parser):
        results.append(r)
        print(f"{r.id:24s} {r.seconds:5.1f} s  {'ok' if r.spec else 'error: ' + str(r.error)}", flush=True)
    scores = metrics(gold, {r.id: r.spec for r in results})
    times = [r.seconds for r in results]
    scores["parse_s_median"] = round(statistics.median(times), 2)
    scores["parse_s_max"] = round(max(times), 2)
    try:
        from codebegen.evaluation import agreement

        details = []
        scores.update(agreement(gold, {r.id: r.spec for r in results}, details))
        if args.misses:
            print("\n".join(details))
    except ImportError:
        pass
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for r in results:
                row = {"id": r.id, "seconds": round(r.seconds, 2)}
                row.update({"spec": r.spec} if r.spec else {"error": r.error})
                f.write(json.dumps(row) + "\n")
    print(json.dumps(scores) if args.json else "\n".join(f"{k:16s} {v}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
