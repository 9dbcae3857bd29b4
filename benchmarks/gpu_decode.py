"""Decode speed of full-size 8B and 32B shapes in bf16 on one GPU, against the card's memory-bandwidth ceiling.

    python -m benchmarks.gpu_decode [--shapes 8b,32b] [--tokens 128] [--json]

For a GPU host; it needs no download: the models are random-initialised from the gpu profile's
real shapes (``codebegen.models.memory.KNOWN_SHAPES``), which is all decode speed depends on. For
each shape: greedy decode of ``--tokens`` tokens from a short prompt, batch 1, in eager mode with
the dynamic cache, and with a static cache (``cache_implementation="static"``; transformers may
compile it, the first call's compile time is reported apart). The ceiling is measured bandwidth
(a device-to-device copy) / bytes of weights read per token. Meant to finish in a few minutes on
an H100 or H200; a shape that does not fit is reported, not crashed on.
"""

from __future__ import annotations

import argparse
import json
import time

SHAPES = {"8b": "meta-llama/Llama-3.1-8B-Instruct", "32b": "Qwen/Qwen2.5-Coder-32B-Instruct",
          "7b": "mistralai/Mistral-7B-Instruct-v0.3", "15b": "bigcode/starcoder2-15b-instruct-v0.1"}  # fmt: skip


def copy_bandwidth(torch, gib: float = 4.0) -> float:
    """Achievable device memory bandwidth in bytes/s (read + write of a copy)."""
    n = int(gib * 2**30) // 2
    a = torch.empty(n, dtype=torch.bfloat16, device="cuda")
    b = torch.empty_like(a)
    b.copy_(a)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        b.copy_(a)
    torch.cuda.synchronize()
    rate = 10 * 2 * a.numel() * 2 / (time.perf_counter() - start)
    del a, b
    torch.cuda.empty_cache()
    return rate


def build(torch, name: str):
    from transformers import AutoModelForCausalLM

    from codebegen.models.memory import known_config

    config = known_config(name)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model = model.to_empty(device="cuda")
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
    return model.eval()


def decode(torch, model, tokens: int, static: bool) -> tuple[float, float]:
    """(tokens/s, seconds of the first call) for greedy decode of ``tokens`` new tokens."""
    ids = torch.randint(0, 1000, (1, 32), device="cuda")
    kwargs = {"max_new_tokens": tokens, "min_new_tokens": tokens, "do_sample": False}
    if static:
        kwargs["cache_implementation"] = "static"
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(ids, **kwargs)  # warm-up (and compile, for the static cache)
    torch.cuda.synchronize()
    first = time.perf_counter() - start
    start = time.perf_counter()
    model.generate(ids, **kwargs)
    torch.cuda.synchronize()
    return tokens / (time.perf_counter() - start), first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="8b,32b")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--no-static", action="store_true")
    args = ap.parse_args()

    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run this on a GPU host")
    props = torch.cuda.get_device_properties(0)
    bandwidth = copy_bandwidth(torch)
    out = {"device": props.name, "memory_gib": round(props.total_memory / 2**30, 1),
           "copy_bandwidth_gb_s": round(bandwidth / 1e9), "torch": torch.__version__, "rows": []}  # fmt: skip
    for key in args.shapes.split(","):
        name = SHAPES[key]
        row: dict[str, object] = {"shape": key, "model": name}
        try:
            start = time.perf_counter()
            model = build(torch, name)
            row["build_s"] = round(time.perf_counter() - start, 1)
            weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
            row["weights_gib"] = round(weight_bytes / 2**30, 1)
            row["ceiling_tok_s"] = round(bandwidth / weight_bytes, 1)
            rate, _ = decode(torch, model, args.tokens, static=False)
            row["eager_tok_s"] = round(rate, 1)
            if not args.no_static:
                rate, first = decode(torch, model, args.tokens, static=True)
                row["static_tok_s"], row["static_first_call_s"] = round(rate, 1), round(first, 1)
            row["peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
        except torch.OutOfMemoryError as exc:
            row["error"] = f"out of memory: {str(exc).splitlines()[0]}"
        finally:
            model = None
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        out["rows"].append(row)
        print(json.dumps(row), flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
