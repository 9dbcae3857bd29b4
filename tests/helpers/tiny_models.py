"""Tiny random-initialised models of the gpu profile's four architectures, with LoRA adapters on
their real attention/MLP module names, plus a tiny byte-level BPE tokenizer: no download needed.
Built once per session by the ``tiny_models`` fixture of tests/models/conftest.py (which skips the
folder where torch, transformers or peft is missing)."""

from __future__ import annotations

from pathlib import Path

import peft
import torch
import transformers

# the module names the real checkpoints use (what an adapter trained on the big model targets)
ARCHS = {
    "llama": ("LlamaConfig", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "qwen2": ("Qwen2Config", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "starcoder2": ("Starcoder2Config", ["q_proj", "k_proj", "v_proj", "o_proj", "c_fc", "c_proj"]),
    "mistral": ("MistralConfig", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
}


CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


CORPUS = [
    '{"name": "library", "kind": "many_to_one", "ok": true, "values": ["a", "b"]}',
    "def add(a, b):\n    return a + b\n",
    "A small API for books, loans and members. The quick brown fox jumps over the lazy dog.",
] * 20


def _tokenizer(chat: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["</s>", "<|user|>", "<|assistant|>", "<|system|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", pad_token="</s>")
    if chat:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny(arch: str, root: Path, *, adapters: tuple[str, ...] = ("parser",), seed: int = 0) -> dict[str, Path]:
    """Save a tiny ``arch`` model and one LoRA adapter per name; return their directories."""
    config_cls, targets = ARCHS[arch]
    tok = _tokenizer(chat=arch != "starcoder2")
    torch.manual_seed(seed)
    config = getattr(transformers, config_cls)(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id, pad_token_id=tok.eos_token_id,
    )  # fmt: skip
    model = transformers.AutoModelForCausalLM.from_config(config)
    base = root / f"{arch}-base"
    model.save_pretrained(base)
    tok.save_pretrained(base)
    out = {"base": base}
    for i, name in enumerate(adapters):
        torch.manual_seed(seed + 100 + i)
        lora = peft.LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False)
        peft_model = peft.get_peft_model(transformers.AutoModelForCausalLM.from_pretrained(base), lora)
        # random B as well as A, so the adapter visibly changes the output
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                torch.nn.init.normal_(p, std=0.5)
        peft_model.save_pretrained(root / f"{arch}-{name}")
        out[name] = root / f"{arch}-{name}"
    return out
