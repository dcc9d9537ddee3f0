"""The fused Triton soft-maximum against the materialising reference: values, gradients, errors.

Without a GPU the kernels run in Triton's CPU interpreter (conftest sets TRITON_INTERPRET=1), in
fp32 and fp16; with one they are compiled and also checked in bf16.
"""
import pytest
import torch

triton = pytest.importorskip("triton", reason="triton is not installed: the fused kernels are not tested here")

from norton import NortonConfig, NortonLoss  # noqa: E402
from norton.kernels.soft_max import Blocks, fused_soft_max_sums, pack_tiles  # noqa: E402
from norton.similarity import soft_max_scores, soft_max_scores_reference  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
SMALL = Blocks(words=16, frames=16, captions=3, clips=4, dim=16, warps=1, stages=1)  # several tiles for tiny inputs
FP32_RTOL = 1e-5  # the target for fp32 against the reference path


def scattered_tokens(n, words, frames, d, seed, dtype=torch.float32):
    """Tokens with masks that are not prefixes (holes anywhere), every row keeping a token."""
    g = torch.Generator().manual_seed(seed)
    text = torch.randn(n, words, d, generator=g, dtype=dtype)
    video = torch.randn(n, frames, d, generator=g, dtype=dtype)
    text_mask = torch.rand(n, words, generator=g) < 0.7
    video_mask = torch.rand(n, frames, generator=g) < 0.7
    text_mask[torch.arange(n), torch.randint(0, words, (n,), generator=g)] = True
    video_mask[torch.arange(n), torch.randint(0, frames, (n,), generator=g)] = True
    text_mask[0], video_mask[-1] = True, True  # one full caption, one full clip
    return [x.to(DEVICE) for x in (text, video, text_mask, video_mask)]


def relative_error(ours, reference):
    return ((ours.double() - reference.double()).abs().max() / reference.double().abs().max()).item()


def values_and_gradients(fn, text, video, text_mask, video_mask, upstream):
    text, video = text.detach().requires_grad_(), video.detach().requires_grad_()
    t2v, v2t = fn(text, video, text_mask, video_mask)
    loss = (t2v.double() * upstream[0]).sum() + (v2t.double() * upstream[1]).sum()
    return (t2v, v2t, *torch.autograd.grad(loss, (text, video)))


CASES = {  # n, words, frames, d, alpha, mask_padding, options
    "several tiles, d not a block multiple": (7, 5, 4, 40, 0.7, True, dict(blocks=SMALL)),
    "released padding leak": (9, 5, 4, 40, 0.7, False, dict(blocks=SMALL)),
    "one caption tile per backward group": (13, 3, 7, 16, 0.05, True, dict(blocks=SMALL, weight_elements=1)),
    "captions longer than a block": (5, 20, 20, 33, 2.0, True, dict(blocks=SMALL)),
    "default blocks": (6, 31, 18, 24, 1.0, True, {}),
    "default blocks, many tiles": (24, 31, 18, 32, 1.0, False, {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fused_matches_the_reference_in_fp32(case):
    n, words, frames, d, alpha, mask_padding, options = CASES[case]
    inputs = scattered_tokens(n, words, frames, d, seed=len(case))
    upstream = torch.randn(2, n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).to(DEVICE)
    reference = values_and_gradients(
        lambda t, v, tm, vm: soft_max_scores_reference(t.double(), v.double(), tm, vm, alpha,
                                                       mask_padding=mask_padding),
        *inputs, upstream)
    fused = values_and_gradients(
        lambda t, v, tm, vm: soft_max_scores(t, v, tm, vm, alpha, mask_padding=mask_padding, path="fused",
                                             fused_options=options),
        *inputs, upstream)
    for name, ours, ref in zip(("t2v", "v2t", "grad text", "grad video"), fused, reference):
        assert ours.dtype == torch.float32, name
        assert relative_error(ours, ref) <= FP32_RTOL, name


@pytest.mark.parametrize("counts, rows, most, expected", [
    ([3, 3, 3, 3], 7, 8, [0, 2, 4]),          # rows bind
    ([1, 1, 1, 1, 1], 16, 2, [0, 2, 4, 5]),   # items per tile bind
    ([2, 9, 2], 4, 8, [0, 1, 2, 3]),          # an item longer than a tile is alone
    ([4], 4, 1, [0, 1]),
])
def test_pack_tiles(counts, rows, most, expected):
    starts = pack_tiles(counts, rows, most)
    assert starts == expected
    for first, end in zip(starts, starts[1:]):
        assert end - first <= most and (sum(counts[first:end]) <= rows or end - first == 1)


def test_fused_sums_are_the_chunked_sums():
    text, video, text_mask, video_mask = scattered_tokens(6, 4, 3, 16, seed=3)
    fused = soft_max_scores(text, video, text_mask, video_mask, 0.5, path="fused", fused_options=dict(blocks=SMALL))
    chunked = soft_max_scores(text, video, text_mask, video_mask, 0.5, path="chunked")
    for ours, theirs in zip(fused, chunked):
        assert relative_error(ours, theirs) <= FP32_RTOL


@pytest.mark.parametrize("variant", ["paper", "official"])
def test_norton_loss_fused_equals_chunked(variant):
    g = torch.Generator().manual_seed(5)
    n, d = 16, 24
    video_tokens, text_tokens = torch.randn(n, 6, d, generator=g), torch.randn(n, 7, d, generator=g)
    video_mask = torch.arange(6)[None] < torch.randint(1, 7, (n, 1), generator=g)
    text_mask = torch.arange(7)[None] < torch.randint(1, 8, (n, 1), generator=g)
    pooled = [torch.randn(n, d, generator=g) * 0.3 for _ in range(2)]
    inputs = [x.to(DEVICE) for x in (*pooled[::-1], text_tokens, video_tokens)]  # text first
    masks = [text_mask.to(DEVICE), video_mask.to(DEVICE)]
    results = {}
    for path in ("fused", "chunked"):
        leaves = [x.detach().clone().requires_grad_() for x in inputs]
        loss = NortonLoss(NortonConfig(variant=variant, clips_per_sequence=4), similarity_path=path).to(DEVICE)
        out = loss(*leaves, *masks)
        out.total.backward()
        results[path] = [out.total, out.fused_similarity, *(x.grad for x in leaves)]
    for ours, theirs in zip(results["fused"], results["chunked"]):
        assert relative_error(ours.detach(), theirs.detach()) <= 1e-4


BF16_ON_CPU = pytest.mark.skipif(DEVICE != "cuda", reason="bf16 kernels need a GPU: Triton's interpreter "
                                                         "computes bf16 tl.dot wrongly")


@pytest.mark.parametrize("dtype", [pytest.param(torch.bfloat16, marks=BF16_ON_CPU), torch.float16])
def test_fused_half_precision_close_to_the_reference(dtype):
    n = 64 if DEVICE == "cuda" else 12
    inputs = scattered_tokens(n, 31, 18, 256 if DEVICE == "cuda" else 64, seed=4)
    upstream = torch.randn(2, n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(2)).to(DEVICE)
    reference = values_and_gradients(
        lambda t, v, tm, vm: soft_max_scores_reference(t.double(), v.double(), tm, vm, 1.0), *inputs, upstream)
    fused = values_and_gradients(
        lambda t, v, tm, vm: soft_max_scores(t.to(dtype), v.to(dtype), tm, vm, 1.0, path="fused"),
        *inputs, upstream)
    for name, ours, ref in zip(("t2v", "v2t", "grad text", "grad video"), fused, reference):
        assert relative_error(ours, ref) <= 2e-2, name


@pytest.mark.parametrize("change, match", [
    (dict(dtype=torch.float64), "float64"),
    (dict(alpha=0.01), "alpha"),
])
def test_fused_path_says_why_it_does_not_apply(change, match):
    text, video, text_mask, video_mask = scattered_tokens(4, 3, 3, 16, seed=6)
    dtype = change.get("dtype", torch.float32)
    with pytest.raises(ValueError, match=match):
        soft_max_scores(text.to(dtype), video.to(dtype), text_mask, video_mask, change.get("alpha", 1.0), path="fused")


def test_fused_is_the_default_only_on_cuda():
    text, video, text_mask, video_mask = scattered_tokens(4, 3, 3, 16, seed=7)
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return fused_soft_max_sums(*args, **kwargs)

    import norton.kernels.dispatch
    import norton.kernels.soft_max
    original, norton.kernels.soft_max.fused_soft_max_sums = norton.kernels.soft_max.fused_soft_max_sums, spy
    try:
        soft_max_scores(text, video, text_mask, video_mask, 1.0)              # auto
        soft_max_scores(text.double(), video.double(), text_mask, video_mask, 1.0)  # auto, fp64: chunked
    finally:
        norton.kernels.soft_max.fused_soft_max_sums = original
    assert len(calls) == (1 if DEVICE == "cuda" else 0)


def test_unknown_paths_are_named():
    text, video, text_mask, video_mask = scattered_tokens(4, 3, 3, 16, seed=8)
    with pytest.raises(ValueError, match="'triton'"):
        soft_max_scores(text, video, text_mask, video_mask, 1.0, path="triton")
    with pytest.raises(ValueError, match="similarity_path"):
        NortonLoss(similarity_path="fast")


def test_fused_rejects_mismatched_features():
    text, video = torch.randn(5, 16, device=DEVICE), torch.randn(4, 8, device=DEVICE)
    counts = torch.tensor([5], device=DEVICE), torch.tensor([4], device=DEVICE)
    owners = torch.zeros(5, dtype=torch.long, device=DEVICE), torch.zeros(4, dtype=torch.long, device=DEVICE)
    with pytest.raises(ValueError, match="16 vs 8"):
        fused_soft_max_sums(text, video, *owners, *counts, 1.0)


def test_kernels_compile_for_hopper_without_a_gpu():
    """Ahead-of-time compilation for sm_90 (H100/H200): what the interpreter cannot check."""
    import json
    import os
    import subprocess
    import sys

    from conftest import REPO
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "kernel_report.py"), "--json",
                          "--dtypes", "bf16", "fp32"], capture_output=True, text=True, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = json.loads(run.stdout)
    assert {row["kernel"] for row in rows} == {"soft-max forward", "soft-max backward weights",
                                               "sinkhorn small (9 x 9)", "sinkhorn update (large)"}
    for row in rows:
        assert 0 <= row["shared_bytes"] <= 227 * 1024, row
        assert row["registers"] and row["registers"] <= 255, row
    half = [row for row in rows if row["dtype"] == "bf16"]
    assert len(half) == 2 and all(row["wgmma"] > 0 for row in half)  # bf16 products on tensor cores


def test_a_kernel_failure_is_remembered_and_auto_falls_back(monkeypatch):
    import norton.kernels.dispatch
    import norton.kernels.soft_max
    import norton.similarity
    from triton.runtime.errors import PTXASError

    def broken(*args):
        raise PTXASError("ptxas: out of registers (simulated)")

    monkeypatch.setattr(norton.kernels.soft_max._FusedSoftMaxSums, "apply", broken)
    monkeypatch.setattr(norton.kernels.dispatch, "FAILURES", {})
    text, video, text_mask, video_mask = scattered_tokens(5, 4, 3, 16, seed=9)
    with pytest.raises(PTXASError):
        soft_max_scores(text, video, text_mask, video_mask, 1.0, path="fused")
    fallback_reason = "PTXASError: PTXAS error: ptxas: out of registers (simulated)"
    with pytest.raises(ValueError, match="failed earlier in this process: PTXASError"):
        soft_max_scores(text, video, text_mask, video_mask, 1.0, path="fused")  # not retried
    chunked = soft_max_scores(text, video, text_mask, video_mask, 1.0, path="chunked")
    monkeypatch.setattr(norton.kernels.dispatch, "FAILURES", {})
    monkeypatch.setattr(norton.similarity, "_use_fused", lambda *args: True)  # as "auto" on a GPU
    with pytest.warns(RuntimeWarning, match="using the chunked path"):
        fallback = soft_max_scores(text, video, text_mask, video_mask, 1.0)
    for ours, theirs in zip(fallback, chunked):
        assert torch.equal(ours, theirs)
    assert norton.kernels.soft_max.unsupported_reason(text, 1.0).startswith("failed earlier")
    assert norton.kernels.dispatch.FAILURES == {("soft-max", str(text.device), text.dtype): fallback_reason}
