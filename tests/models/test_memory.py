"""The GPU fit check: the gpu profile's real shapes, estimated before any weight is loaded."""

from __future__ import annotations

import pytest

from codebegen.models import ModelError, check_fits, estimate_profile, load_profile
from codebegen.models.memory import GIB, KNOWN_SHAPES, count_params, known_config

pytest.importorskip("transformers")

H100 = [("cuda:0 NVIDIA H100 80GB HBM3", int(79.2 * GIB))]
H200 = [("cuda:0 NVIDIA H200", int(139.8 * GIB))]


def test_parameter_counts_match_the_published_sizes():
    billions = {m: count_params(known_config(m)) / 1e9 for m in KNOWN_SHAPES}
    assert billions["meta-llama/Llama-3.1-8B-Instruct"] == pytest.approx(8.03, abs=0.01)
    assert billions["Qwen/Qwen2.5-Coder-32B-Instruct"] == pytest.approx(32.76, abs=0.01)
    assert billions["bigcode/starcoder2-15b-instruct-v0.1"] == pytest.approx(15.96, abs=0.01)
    assert billions["mistralai/Mistral-7B-Instruct-v0.3"] == pytest.approx(7.25, abs=0.01)


def test_all_four_big_models_in_bf16_fit_an_h200_but_not_an_h100():
    estimates = estimate_profile(load_profile("gpu"))
    assert sum(e.weights_bytes for e in estimates) / GIB == pytest.approx(119, abs=1)
    check_fits(estimates, H200)
    with pytest.raises(ModelError) as info:
        check_fits(estimates, H100)
    message = str(info.value)
    assert "bnb-4bit" in message and "remote" in message and "H100" in message


def test_4bit_fits_an_h100():
    estimates = estimate_profile(load_profile("gpu", {"*": {"quantization": "bnb-4bit"}}))
    assert sum(e.total_bytes for e in estimates) < 50 * GIB
    check_fits(estimates, H100)


def test_roles_sharing_a_base_count_it_once():
    same = {"model": "meta-llama/Llama-3.1-8B-Instruct"}
    estimates = estimate_profile(load_profile("gpu", {"*": same}))
    assert len(estimates) == 1 and estimates[0].roles == ("parser", "generator", "reviewer", "docs")


def test_no_gpu_means_nothing_fits():
    with pytest.raises(ModelError, match="no GPU"):
        check_fits(estimate_profile(load_profile("gpu")), [])
