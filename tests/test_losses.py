import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from norton import NortonConfig, NortonLoss, bucket_sinkhorn, rectified_clip_loss, sinkhorn
from norton.losses import sequence_blocks

INPUTS = ("pooled_text", "pooled_video", "text_tokens", "video_tokens", "text_mask", "video_mask")
FLOATS = INPUTS[:4]
# parity outputs: fixture key -> NortonOutput field (clip_plan: fixture rows are clips, ours captions)
OUTPUTS = {"total_loss": "total", "clip_loss": "clip", "video_loss": "video",
           "fused_similarity": "fused_similarity", "bucket_value": "bucket_value",
           "video_logits": "video_logits", "video_plans": "video_plans", "clip_plan": "clip_plan"}
PARITY_RTOL = 1e-8  # max |ours - released| <= 1e-8 * max |released|, per array


def golden_files(golden_dir):
    files = sorted(golden_dir.glob("*.npz"))
    assert files, f"no fixtures in {golden_dir}"
    return files


def relative_error(ours, reference):
    ours = ours.detach().numpy()
    return np.abs(ours - reference).max() / max(np.abs(reference).max(), 1e-300)


def test_parity_with_the_released_loss(golden_dir):
    for path in golden_files(golden_dir):
        data = np.load(path)
        config = NortonConfig.from_dict(json.loads(str(data["config"])))
        assert config.variant == "official"
        inputs = {k: torch.tensor(data[k]) for k in INPUTS}
        for k in FLOATS:
            inputs[k].requires_grad_()
        out = NortonLoss(config)(*inputs.values())
        out.total.backward()
        for key, field in OUTPUTS.items():
            ours = getattr(out, field)
            ours = ours.transpose(0, 1) if key == "clip_plan" else ours
            assert relative_error(ours, data[key]) <= PARITY_RTOL, (path.name, key)
        for k in FLOATS:
            assert relative_error(inputs[k].grad, data[f"grad_{k}"]) <= PARITY_RTOL, (path.name, k)


def batch(n=32, d=16, frames=10, words=12, seed=0, dtype=torch.float64, noise=0.8):
    """Noisy positives: captions share a latent with their clip; random valid lengths."""
    g = torch.Generator().manual_seed(seed)
    latent = torch.randn(n, 1, d, generator=g, dtype=dtype)
    video_tokens = latent + noise * torch.randn(n, frames, d, generator=g, dtype=dtype)
    text_tokens = latent + noise * torch.randn(n, words, d, generator=g, dtype=dtype)
    video_mask = torch.arange(frames)[None] < torch.randint(2, frames + 1, (n, 1), generator=g)
    text_mask = torch.arange(words)[None] < torch.randint(2, words + 1, (n, 1), generator=g)
    pooled_video = (video_tokens * video_mask[..., None]).sum(1) / video_mask.sum(1, keepdim=True)
    pooled_text = (text_tokens * text_mask[..., None]).sum(1) / text_mask.sum(1, keepdim=True)
    return [pooled_text, pooled_video, text_tokens, video_tokens, text_mask, video_mask]


def test_beta_zero_is_videoclip_loss():
    pt, pv = batch()[:2]
    loss, plan = rectified_clip_loss(pt, pv, beta=0.0)
    logits = pt @ pv.T
    target = torch.arange(len(pv))
    expected = F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)
    assert torch.allclose(loss, expected)
    assert torch.equal(plan, torch.eye(len(pv), dtype=pv.dtype))


def test_rectified_targets_use_the_row_stochastic_plan():
    pt, pv = batch(seed=1)[:2]
    beta = 0.4
    loss, plan = rectified_clip_loss(pt, pv, beta=beta, n_iters=50)
    q = sinkhorn(pv @ pt.T, 1.0, n_iters=50).plan * len(pv)  # rows clips
    assert torch.allclose(plan, q.T)
    assert torch.allclose(q.sum(0), torch.ones(len(pv), dtype=pv.dtype))  # exact side
    eye = torch.eye(len(pv), dtype=pv.dtype)
    expected = (-(F.log_softmax(pv @ pt.T, 1) * (beta * q + (1 - beta) * eye)).sum(1).mean()
                - (F.log_softmax(pt @ pv.T, 1) * (beta * q.T + (1 - beta) * eye)).sum(1).mean())
    assert torch.allclose(loss, expected)


def test_paper_variant_ignores_padding_values():
    inputs = batch(seed=2)
    loss = NortonLoss(NortonConfig())
    base = loss(*inputs)
    changed = [t.clone() for t in inputs]
    changed[2][~inputs[4]] = torch.randn_like(changed[2][~inputs[4]]) * 50
    changed[3][~inputs[5]] = torch.randn_like(changed[3][~inputs[5]]) * 50
    other = loss(*changed)
    for field in ("total", "clip", "video", "fused_similarity", "video_logits", "video_plans"):
        assert torch.allclose(getattr(base, field), getattr(other, field), atol=1e-12), field
    official = NortonLoss(NortonConfig(variant="official"))
    # the released semantics have the padding leak, but padded *values* are masked there too
    assert torch.allclose(official(*inputs).total, official(*changed).total, atol=1e-12)


def test_paper_variant_plans_and_logits():
    cfg = NortonConfig(clips_per_sequence=4)
    inputs = batch(seed=3)
    out = NortonLoss(cfg)(*inputs)
    k, m = 4, 8
    assert out.video_plans.shape == (m, m, k, k) and out.video_logits.shape == (m, m)
    # uniform marginals on the (K+1) x (K+1) problem: each caption sends 1/(K+1) to clips + bucket
    blocks = sequence_blocks(out.fused_similarity.detach(), k)
    solved = bucket_sinkhorn(blocks, out.bucket_value, cfg.eps_video, marginals="uniform")
    assert torch.allclose(out.video_plans, solved.plan)
    assert torch.allclose(solved.plan.sum(-2) + solved.col_bucket_mass,
                          torch.full((m, m, k), 1 / (k + 1), dtype=torch.float64))
    expected = out.video_plans.mul(blocks).sum((-2, -1)) / cfg.temperature
    assert torch.allclose(out.video_logits, expected, rtol=1e-6)  # 1/tau kept in float32
    diagonal = out.fused_similarity.diagonal()
    assert (diagonal <= out.bucket_value).sum() == int(cfg.prompt_ratio * 32)


def test_official_plans_have_mass_k():
    out = NortonLoss(NortonConfig(variant="official"))(*batch(seed=4))
    assert torch.allclose(out.video_plans.sum((-2, -1)), torch.full((4, 4), 8.0, dtype=torch.float64))


def test_no_bucket_is_balanced_ot():
    cfg = NortonConfig(prompt_ratio=None)
    out = NortonLoss(cfg)(*batch(seed=5))
    assert out.bucket_value is None
    blocks = sequence_blocks(out.fused_similarity.detach(), 8)
    assert torch.allclose(out.video_plans, sinkhorn(blocks, 0.1).plan)


def test_temperature_is_learnable_only_in_the_paper_variant():
    paper, official = NortonLoss(NortonConfig()), NortonLoss(NortonConfig(variant="official"))
    assert [n for n, _ in paper.named_parameters()] == ["log_logit_scale"]
    assert list(official.parameters()) == []
    out = paper(*batch(seed=6))
    out.total.backward()
    assert paper.log_logit_scale.grad is not None and paper.log_logit_scale.grad != 0


def test_gradients_flow_to_all_inputs():
    inputs = batch(seed=7)
    for t in inputs[:4]:
        t.requires_grad_()
    NortonLoss()(*inputs).total.backward()
    for t in inputs[:4]:
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_low_precision_close_to_float64(dtype):
    inputs = batch(seed=8)
    reference = NortonLoss()(*inputs).total
    low = [t.to(dtype) if t.is_floating_point() else t for t in inputs]
    total = NortonLoss()(*low).total.item()
    tol = 5e-2 if dtype == torch.bfloat16 else 1e-4
    assert abs(total - reference.item()) <= tol * abs(reference.item())


def test_switches_walk_from_official_to_paper():
    inputs = batch(seed=9, noise=4.0)
    official = NortonConfig(variant="official")
    losses = [NortonLoss(official)(*inputs).video.item()]
    changes = {}
    for switch, value in [("mask_padding", True), ("minmax_normalize", False),
                          ("bucket_marginals", "uniform"), ("renormalize_plan_mass", False),
                          ("learnable_temperature", True)]:
        changes[switch] = value
        losses.append(NortonLoss(official.replace(**changes))(*inputs).video.item())
    paper = NortonLoss(NortonConfig(variant="paper"))(*inputs).video.item()
    assert losses[-1] == pytest.approx(paper, rel=1e-12)
    steps = np.abs(np.diff(losses[:-1]))
    assert (steps > 1e-6 * max(losses)).all(), losses  # each semantic switch changes the loss


@pytest.mark.parametrize("index,bad,match", [
    (0, lambda t: t[:, :-1], "pooled_text must have shape"),
    (3, lambda t: t[:-1], "video_tokens must have shape"),
    (2, lambda t: t[..., :-1], "text_tokens must have shape"),
    (5, lambda t: t.long(), "video_mask must be a bool"),
    (4, lambda t: torch.cat([torch.zeros_like(t[:1]), t[1:]]), "text_mask row 0 has no valid token"),
    (1, lambda t: t.clone().index_fill_(0, torch.tensor([3]), float("nan")), "pooled_video contains NaN"),
    (2, lambda t: t.clone().fill_(float("inf")), "text_tokens contains NaN or inf"),
])
def test_bad_input_is_named(index, bad, match):
    inputs = batch(seed=10)  # text first: pooled_text, pooled_video, text_tokens, video_tokens, text_mask, video_mask
    inputs[index] = bad(inputs[index])
    with pytest.raises(ValueError, match=match):
        NortonLoss()(*inputs)


def test_n_must_be_divisible_by_k():
    inputs = batch(n=36)
    with pytest.raises(ValueError, match="not divisible by clips_per_sequence=8"):
        NortonLoss()(*inputs)


def test_fine_similarity_options():
    inputs = batch(seed=11)
    pt, pv = inputs[:2]
    mean = NortonLoss(NortonConfig(fine_similarity="mean"))(*inputs)
    cosine = F.normalize(pt, dim=-1) @ F.normalize(pv, dim=-1).T
    assert torch.allclose(mean.fused_similarity, cosine)
    # alpha -> 0 of the masked soft maximum is the hard max (no length term left)
    hard = NortonLoss(NortonConfig(fine_similarity="max"))(*inputs).fused_similarity
    soft = NortonLoss(NortonConfig(alpha=1e-4))(*inputs).fused_similarity
    assert torch.allclose(hard, soft, atol=2e-3)
    with pytest.raises(ValueError, match="fine_similarity"):
        NortonConfig(fine_similarity="filip")


def test_empty_batch_and_mixed_dtypes_are_named():
    empty = [t[:0] for t in batch(seed=11)]
    with pytest.raises(ValueError, match="empty batch"):
        NortonLoss()(*empty)
    mixed = batch(seed=11)
    mixed[1], mixed[3] = mixed[1].half(), mixed[3].half()
    expected = "one floating-point dtype.*pooled_video torch.float16.*pooled_text torch.float64"
    with pytest.raises(ValueError, match=expected):
        NortonLoss()(*mixed)


@pytest.mark.parametrize("variant", ["paper", "official"])
def test_large_half_inputs_give_the_float32_loss(variant):
    # raw dot products of inputs scaled x100 overflow float16 (65504); the clip loss is computed in float32
    inputs = [t * 100 if t.is_floating_point() else t for t in batch(seed=12)]
    half = [t.half() if t.is_floating_point() else t for t in inputs]
    rounded = [t.float() if t.is_floating_point() else t for t in half]  # the same values in float32
    total = NortonLoss(NortonConfig(variant=variant))(*half).total
    reference = NortonLoss(NortonConfig(variant=variant))(*rounded).total
    assert torch.isfinite(total) and total.item() == pytest.approx(reference.item(), rel=1e-3)
