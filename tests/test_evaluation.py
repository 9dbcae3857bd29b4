"""codebegen's metrics agree with the reference scorer (bench/score_specs.py)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from codebegen.evaluation import load_gold, metrics
from tests.helpers.devset import BENCH, DEV_SET, dev_specs


def reference(gold: Path, predictions: dict[str, dict | None], tmp_path: Path) -> dict:
    pred_file = tmp_path / "pred.jsonl"
    with pred_file.open("w") as out:
        for case_id, spec in predictions.items():
            row = {"id": case_id, "spec": spec} if spec is not None else {"id": case_id, "error": "failed"}
            out.write(json.dumps(row) + "\n")
    scorer = BENCH / "score_specs.py"
    proc = subprocess.run(
        [sys.executable, str(scorer), str(gold), str(pred_file), "--json"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def perturbed(spec: dict, rng: random.Random) -> dict:
    spec = json.loads(json.dumps(spec))
    for e in spec["entities"]:
        if rng.random() < 0.3 and e["fields"]:
            e["fields"].pop(rng.randrange(len(e["fields"])))
        for f in e["fields"]:
            if rng.random() < 0.2:
                f["type"] = "str"
            if rng.random() < 0.2:
                f["name"] = f["name"] + "_x"
    if rng.random() < 0.3:
        spec["entities"].append({"name": "Extra", "fields": [{"name": "thing", "type": "int"}]})
    if rng.random() < 0.3:
        spec["relationships"] = spec["relationships"][1:]
    if rng.random() < 0.2:
        spec["auth"] = not spec["auth"]
    return spec


def test_metrics_match_the_reference_scorer(tmp_path: Path) -> None:
    gold = load_gold(DEV_SET)
    exact = {k: s.model_dump(mode="json") for k, s in dev_specs().items()}
    assert metrics(gold, exact) == reference(DEV_SET, exact, tmp_path)
    rng = random.Random(7)
    for _ in range(5):
        noisy = {k: perturbed(v, rng) for k, v in exact.items()}
        noisy[next(iter(noisy))] = None  # a failed case
        assert metrics(gold, noisy) == reference(DEV_SET, noisy, tmp_path)


def test_perfect_specs_score_high_and_missing_ones_zero() -> None:
    gold = load_gold(DEV_SET)
    exact = {k: s.model_dump(mode="json") for k, s in dev_specs().items()}
    assert metrics(gold, exact)["score"] >= 0.95
    empty = metrics(gold, {})
    assert empty["score"] == 0.0 or empty["missing"] == len(gold)
