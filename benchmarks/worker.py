"""What issue 13's changes cost: the llama.cpp load without extra buffer types, and the model worker.

    .venv/bin/python -m benchmarks.worker [--tokens 150] [--repeats 3] [--threads 2] [--calls 200]

Interleaved, best of ``--repeats``, greedy, the shipped parser adapter, the ProjectSpec JSON
constraint (exactly what the default's parse does), ``--threads`` fixed:

- the default in this process, loaded as before (llama.cpp's extra buffer types on) and as now
  (off): tokens/s after the first token, and time to first token;
- the default in the supervised worker process against the same in this process;
- for each, the CPU time per token of this process and the worker together: on a shared machine
  the wall-clock rate follows the neighbours, the CPU time much less (with 1 thread nothing spins);
- the worker's own cost, without a model: ``--calls`` calls of a fake role in the worker against
  in-process (a call's round trip, and per streamed delta).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

warnings.filterwarnings("ignore")


def worker_cpu_s() -> float:
    """CPU seconds the model worker process has used (0 when none runs)."""
    from codebegen.models.worker import supervisor

    pid = supervisor().pid
    if pid is None:
        return 0.0
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(backend, messages, schema, tokens: int) -> tuple[float, float, int, float]:
    """(tok/s after the first token, first-token s, tokens, CPU ms per token of host + worker)."""
    from codebegen.models.base import StreamStats

    stats = StreamStats()
    cpu0 = time.process_time() + worker_cpu_s()
    start = time.perf_counter()
    first = None
    n = 0
    for _ in backend.stream(messages, schema=schema, max_tokens=tokens, stats=stats):
        n += 1
        if first is None:
            first = time.perf_counter() - start
    total = time.perf_counter() - start
    cpu_ms = (time.process_time() + worker_cpu_s() - cpu0) / max(n, 1) * 1e3
    return (n - 1) / max(total - (first or 0.0), 1e-9), first or 0.0, n, cpu_ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()

    from codebegen.models import llamacpp, load_profile
    from codebegen.models.worker import supervisor
    from codebegen.prompts import messages
    from codebegen.stages.parse import DECODING_SCHEMA

    ask = messages("parse", prompt="A lending library: books with a title and an isbn; members with a name; "
                   "loans link a member to a book with a due date.")  # fmt: skip
    base = {"*": {"threads": args.threads}}

    def inproc(extra_bufts: bool):
        llamacpp.clear_pool()
        llamacpp.EXTRA_BUFFER_TYPES = extra_bufts
        try:
            backend = load_profile("default", {"*": {**base["*"], "worker": False}}).backend("parser")
        finally:
            llamacpp.EXTRA_BUFFER_TYPES = False
        assert backend.loaded.llm.model_params.use_extra_bufts == extra_bufts
        backend.complete(ask, schema=DECODING_SCHEMA, max_tokens=4)  # grammar compiled, caches warm
        return backend

    rows: dict[str, list[tuple[float, float, int]]] = {}
    for _ in range(args.repeats):
        for name, make in (("in process, extra buffer types on (before)", lambda: inproc(True)),
                           ("in process, extra buffer types off (now)", lambda: inproc(False))):  # fmt: skip
            rows.setdefault(name, []).append(timed(make(), ask, DECODING_SCHEMA, args.tokens))
            print(f"  {name}: {rows[name][-1][0]:.1f} tok/s", flush=True)
        llamacpp.clear_pool()
        worker = load_profile("default", base).backend("parser")
        worker.complete(ask, schema=DECODING_SCHEMA, max_tokens=4)
        name = "in the model worker, extra buffer types off (the default now)"
        rows.setdefault(name, []).append(timed(worker, ask, DECODING_SCHEMA, args.tokens))
        print(f"  {name}: {rows[name][-1][0]:.1f} tok/s", flush=True)
    print(f"decode, parser adapter + JSON constraint, {args.threads} threads, {args.tokens} tokens max")
    print("| variant | tok/s (each run) | CPU ms per token, median (host + worker) | TTFT s | tokens |")
    print("|---|---|---|---|---|")
    for name, runs in rows.items():
        rates = ", ".join(f"{r[0]:.1f}" for r in runs)
        cpu = statistics.median(r[3] for r in runs)
        print(f"| {name} | {rates} | {cpu:.2f} | {min(r[1] for r in runs):.3f} | {runs[0][2]} |")

    # the worker's own cost, no model: the fake parser in process and in the worker
    supervisor().stop()
    user = [{"role": "user", "content": "A notes API."}]
    begun = time.perf_counter()
    fake_worker = load_profile("fake", {"parser": {"worker": True}}).backend("parser")
    fake_worker.complete(user, max_tokens=1)
    start_s = time.perf_counter() - begun
    fake_local = load_profile("fake").backend("parser")
    cost: dict[str, dict[str, float]] = {}
    for name, backend in (("in process", fake_local), ("worker", fake_worker)):
        one = []
        for _ in range(args.calls):
            t = time.perf_counter()
            backend.complete(user, max_tokens=1)
            one.append(time.perf_counter() - t)
        many = []
        for _ in range(max(args.calls // 10, 5)):
            t = time.perf_counter()
            reply = backend.complete(user, max_tokens=512)
            many.append((time.perf_counter() - t) / reply.tokens_out)
        cost[name] = {"call_ms": statistics.median(one) * 1e3, "delta_us": statistics.median(many) * 1e6,
                      "deltas": reply.tokens_out}  # fmt: skip
    print(f"\nworker start (a fresh interpreter, imports, first fake call): {start_s:.2f} s")
    deltas = cost["worker"]["deltas"]
    print(f"| | one call, 1 delta (median ms) | per delta, 1 call of ~{deltas} deltas (median µs) |\n|---|---|---|")
    for name, c in cost.items():
        print(f"| {name} | {c['call_ms']:.3f} | {c['delta_us']:.1f} |")
    print(
        f"| worker overhead | {cost['worker']['call_ms'] - cost['in process']['call_ms']:.3f} | "
        f"{cost['worker']['delta_us'] - cost['in process']['delta_us']:.1f} |"
    )


if __name__ == "__main__":
    main()
