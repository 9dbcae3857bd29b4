"""The parse stage's fidelity on a gold set: the scorer's metrics, parse time, and the coverage check.

    .venv/bin/python -m benchmarks.fidelity --set bench/people_specs.jsonl [--out specs.jsonl] [--json]
    .venv/bin/python -m benchmarks.fidelity --set bench/people_specs.jsonl --replay benchmarks/parse_outputs/people_before.jsonl

``--replay SPECS.jsonl`` runs no model: each case's parser reply is the spec an earlier run wrote
(``--out``), so the stage's deterministic part (clean-up, the reading of the prompt, the
reconciliation, the coverage check) is measured on the same model output in a second; with
greedy decoding and the same decoding schema the model's reply is the same as a fresh run's.

Runs the parse stage (``default`` profile unless ``--profile``) over every gold prompt, keeps
each case's spec, and reports the metrics of ``engine.evaluation``, the median / max parse time,
and how well the prompt-coverage check (``engine.parsing.coverage``) agrees with the gold: of
the gold entities, fields and relationships the spec lacks, the share the check flags, and the
check's flags on things the spec does have per gold (false alarms). ``--out`` writes the specs
(one ``{"id", "spec"|"error", "seconds"}`` line each), the form ``bench/score_specs.py`` reads.
"""

from __future__ import annotations

import argparse
import json
import statistics

from engine.evaluation import load_gold, metrics, run_parse
from engine.pipeline import load_backends


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", required=True)
    ap.add_argument("--profile", default="default")
    ap.add_argument("--out")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--replay", help="a JSONL of earlier specs to replay as the parser's replies (no model)")
    args = ap.parse_args()
    gold = load_gold(args.set)
    if args.replay:
        from engine.models.fake import FakeBackend

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
        from engine.parsing.coverage import agreement

        scores.update(agreement(gold, {r.id: r.spec for r in results}))
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
