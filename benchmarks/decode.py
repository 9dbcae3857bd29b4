"""Decode speed, load time and memory of the embedded default model on this CPU, side by side with llama.cpp.

    .venv/bin/python -m benchmarks.decode [--tokens 200] [--repeats 3] [--threads 2]

In this process (`worker: false`: the pools are inspected; `benchmarks.worker` measures the worker).
One run measures, interleaved so that other load on a shared machine hits every variant alike
(best of ``--repeats``, greedy, ``--tokens`` new tokens, fixed thread count):

- the shipped default (codebegen's llama.cpp backend: bare, + LoRA, + LoRA + JSON constraint);
- fp32 bare / int8 bare / int8 + LoRA (fp32 LoRA layers on the int8 base, adapter active) /
  int8 + LoRA + the ProjectSpec JSON constraint / LoRA merged then int8 / llama.cpp on the same GGUF;
- time to first token; cold load (GGUF conversion) and warm load (from the cache) of the default
  profile; resident memory of the process holding the model with four adapters;
- quality: how many tokens the int8 answer shares with the fp32 answer (greedy, same prompt),
  and whether the constrained JSON of a few dev-set prompts is the same under int8 as under fp32.

The adapters are random r=16 LoRAs on all seven projection modules: trained ones cost the same.
Needs ``llama-cpp-python`` (benchmark only); without it that column is skipped.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

DEV = Path(__file__).resolve().parents[1] / "bench" / "dev_specs.jsonl"
PROMPT = [{"role": "user", "content": "Describe a REST API for a lending library with books, members and loans."}]
SYSTEM = "Turn the description into a JSON project spec: name, auth, entities with fields, relationships."


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_adapters(base_dir: Path, root: Path, rank: int) -> dict[str, str]:
    import peft
    import torch
    from transformers import AutoModelForCausalLM

    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    model = peft.get_peft_model(
        AutoModelForCausalLM.from_pretrained(base_dir), peft.LoraConfig(r=rank, target_modules=targets)
    )
    out = {}
    for i, role in enumerate(("parser", "generator", "reviewer", "docs")):
        torch.manual_seed(i)
        for n, p in model.named_parameters():
            if "lora_B" in n:
                torch.nn.init.normal_(p, std=0.002)
        model.save_pretrained(root / role)
        out[role] = str(root / role)
    return out


def timed(stream, n_expected: int) -> tuple[float, float, int, str]:
    """(tokens/s after the first token, first-token seconds, tokens, text) of one stream."""
    from codebegen.models.base import StreamStats

    stats = StreamStats()
    start = time.perf_counter()
    text = "".join(stream(stats))
    total = time.perf_counter() - start
    first = stats.first_token_s or 0.0
    return (stats.tokens_out - 1) / max(total - first, 1e-9), first, stats.tokens_out, text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--dev", type=int, default=5, help="dev-set prompts for the fp32-vs-int8 JSON comparison")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from codebegen.models import embedded, load_profile
    from codebegen.models.decode import decode
    from codebegen.models.local import LocalBackend, clear_pool, loaded_bases
    from codebegen.spec import spec_json_schema

    report: dict[str, object] = {"threads": args.threads, "tokens": args.tokens}
    tmp = Path(tempfile.mkdtemp(prefix="codebegen-bench-"))
    start = time.perf_counter()
    base_dir = embedded.converted_dir(embedded.embedded_gguf(), tmp / "cache")
    report["convert_s"] = round(time.perf_counter() - start, 2)
    adapters = make_adapters(base_dir, tmp / "adapters", args.rank)

    def profile(quant: str, with_adapters: bool = True):
        over = {"*": {"worker": False, "backend": "local", "quantization": quant, "threads": args.threads}}
        for role, path in adapters.items():
            over[role] = {"adapter": path if with_adapters else None}
        return load_profile("default", over, cache_dir=tmp / "cache")

    # the shipped default: llama.cpp with the four adapters converted to GGUF adapters
    rss0 = rss_mib()
    start = time.perf_counter()
    over = {
        "*": {"worker": False, "threads": args.threads},
        **{role: {"adapter": path} for role, path in adapters.items()},
    }
    cpp_cold = load_profile("default", over, cache_dir=tmp / "cache")
    cpp = {role: cpp_cold.backend(role) for role in adapters}
    report["default_llamacpp_first_load_s"] = round(time.perf_counter() - start, 2)  # adapter conversion included
    report["rss_mib_llamacpp_model_and_four_adapters"] = round(rss_mib(), 0)
    from codebegen.models import llamacpp

    llamacpp.clear_pool()
    start = time.perf_counter()
    cpp_warm = load_profile("default", over, cache_dir=tmp / "cache")
    cpp = {role: cpp_warm.backend(role) for role in adapters}
    report["default_llamacpp_warm_load_s"] = round(time.perf_counter() - start, 2)
    bcpp = cpp["parser"]
    # the same with the thread count left open (ThreadTuner measures and picks, as the default does)
    auto_over = {"*": {"worker": False}, **{role: {"adapter": path} for role, path in adapters.items()}}
    bcpp_auto = load_profile("default", auto_over, cache_dir=tmp / "cache").backend("parser")
    bcpp_bare = load_profile(
        "default", {"*": {"worker": False, "threads": args.threads, "adapter": None}}, cache_dir=tmp / "cache"
    )
    bcpp_bare = bcpp_bare.backend("docs")
    clear_pool()
    start = time.perf_counter()
    p8 = profile("int8")
    backends = {role: p8.backend(role) for role in adapters}
    report["warm_load_four_adapters_int8_s"] = round(time.perf_counter() - start, 2)
    report["rss_mib_model_and_four_adapters"] = round(rss_mib(), 0)
    report["rss_mib_before_load"] = round(rss0, 0)
    print(json.dumps(report), flush=True)
    b8 = backends["parser"]
    pfp = profile("none")
    bfp = pfp.backend("parser")
    bare32 = load_profile(
        "default",
        {"*": {"worker": False, "backend": "local", "quantization": "none", "adapter": None}},
        cache_dir=tmp / "cache",
    ).backend("docs")
    bare8 = load_profile(
        "default",
        {"*": {"worker": False, "backend": "local", "quantization": "int8", "adapter": None}},
        cache_dir=tmp / "cache",
    ).backend("docs")
    # LoRA merged into the weights, then int8: the alternative to fp32 LoRA layers on an int8 base
    fp32_base = next(b for k, b in loaded_bases().items() if k[3] == "none" and b.adapters)
    from codebegen.models.local import LoadedBase, _quantize_int8

    merged = LoadedBase(name=fp32_base.name, model=copy.deepcopy(fp32_base.model), tokenizer=fp32_base.tokenizer,
                        device=fp32_base.device)  # fmt: skip
    merged.model.set_adapter("parser")
    merged.model = merged.model.merge_and_unload()

    _quantize_int8(merged.model, torch)
    bmerged = LocalBackend("parser", merged, None)
    schema = spec_json_schema()
    msgs = [{"role": "system", "content": SYSTEM}, *PROMPT]

    variants = {
        "fp32 bare": lambda st: bare32.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "int8 bare": lambda st: bare8.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "fp32 + LoRA": lambda st: bfp.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "int8 + LoRA (fp32 LoRA layers)": lambda st: b8.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "int8 + LoRA + JSON constraint": lambda st: b8.stream(msgs, schema=schema, max_tokens=args.tokens, stats=st),
        "LoRA merged, then int8": lambda st: bmerged.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "codebegen llamacpp bare": lambda st: bcpp_bare.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "codebegen llamacpp + LoRA": lambda st: bcpp.stream(PROMPT, max_tokens=args.tokens, stats=st),
        "codebegen llamacpp + LoRA + JSON constraint (the default)": lambda st: bcpp.stream(
            msgs, schema=schema, max_tokens=args.tokens, stats=st
        ),
        "codebegen llamacpp + LoRA + JSON, thread count tuned": lambda st: bcpp_auto.stream(
            msgs, schema=schema, max_tokens=args.tokens, stats=st
        ),
    }
    llama = None
    try:
        from llama_cpp import Llama

        llama = Llama(model_path=str(embedded.embedded_gguf()), n_threads=args.threads, n_ctx=1024, verbose=False)
        ids = b8.prompt_ids(PROMPT)

        def run_llama(st):
            st.tokens_in = len(ids)
            t0 = time.perf_counter()
            for i, tok in enumerate(llama.generate(ids, temp=0.0, top_k=1, reset=True)):
                if i == 0:
                    st.first_token_s = time.perf_counter() - t0
                st.tokens_out = i + 1
                yield llama.detokenize([tok]).decode(errors="ignore")
                if i + 1 >= args.tokens:
                    break

        variants["llama.cpp (same GGUF, Q4_1)"] = run_llama
    except ImportError:
        print("llama-cpp-python is not installed: skipping the llama.cpp column")

    best: dict[str, list[float]] = {k: [] for k in variants}
    texts: dict[str, str] = {}
    for _ in range(args.repeats):
        for name, fn in variants.items():
            rate, first, n, text = timed(fn, args.tokens)
            print(
                json.dumps({"variant": name, "tok_s": round(rate, 1), "ttft_s": round(first, 3), "tokens": n}),
                flush=True,
            )
            best[name].append(rate)
            texts[name] = text
            best.setdefault(name + " ttft", []).append(first)
            best.setdefault(name + " n", []).append(n)
    rows = []
    for name in variants:
        rows.append({"variant": name, "tok_s_best": round(max(best[name]), 1), "tok_s_all": [round(x, 1) for x in best[name]],
                     "ttft_s": round(min(best[name + " ttft"]), 3), "tokens": int(max(best[name + " n"]))})  # fmt: skip
    report["decode"] = rows
    if llama is not None:
        report["ratio_default_vs_llamacpp"] = round(
            max(best["codebegen llamacpp + LoRA + JSON constraint (the default)"])
            / max(best["llama.cpp (same GGUF, Q4_1)"]),
            2,
        )
        report["ratio_int8_lora_json_vs_llamacpp"] = round(
            max(best["int8 + LoRA + JSON constraint"]) / max(best["llama.cpp (same GGUF, Q4_1)"]), 2
        )

    # quality: int8 vs fp32, same adapter, greedy
    tok = b8.base.tokenizer
    a, b = tok(texts["fp32 + LoRA"])["input_ids"], tok(texts["int8 + LoRA (fp32 LoRA layers)"])["input_ids"]
    report["int8_vs_fp32_common_prefix_tokens"] = common_prefix(a, b)
    c = tok(texts["codebegen llamacpp + LoRA"])["input_ids"]
    report["llamacpp_vs_fp32_common_prefix_tokens"] = common_prefix(a, c)
    same = []
    if DEV.is_file():
        for line in DEV.read_text().splitlines()[: args.dev]:
            item = json.loads(line)
            m = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": item["prompt"]}]
            outs = [bk.complete(m, schema=schema, max_tokens=args.tokens).text for bk in (bfp, b8, bcpp)]
            same.append({"id": item["id"], "int8_same_json": outs[0] == outs[1], "llamacpp_same_json": outs[0] == outs[2],
                         "fp32_valid": _is_json(outs[0]), "int8_valid": _is_json(outs[1]),
                         "llamacpp_valid": _is_json(outs[2])})  # fmt: skip
    report["dev_fp32_vs_int8"] = same
    report["texts"] = {k: v[:160] for k, v in texts.items()}
    print(json.dumps({k: report[k] for k in report if k not in ("decode", "texts")}), flush=True)
    clear_pool()
    start = time.perf_counter()
    profile("int8").backend("parser")
    report["warm_load_again_s"] = round(time.perf_counter() - start, 2)
    del decode
    print(json.dumps(report, indent=1))


def common_prefix(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


if __name__ == "__main__":
    main()
