"""The released code vs the paper: the loss on the same inputs as each switch turns to its official value."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..config import SWITCHES, VARIANT_SWITCHES, NortonConfig
from ..losses import NortonLoss, NortonOutput
from ..metrics import pearson
from ..similarity import minmax, soft_max_similarity


def content_free_similarity(text_mask: Tensor, video_mask: Tensor, alpha: float = 1.0, *,
                            mask_padding: bool = True) -> tuple[Tensor, Tensor]:
    """(t2v, v2t), each (N, N), that the soft-maximum gives when every cosine is 0: lengths only.

    Paper (masked): t2v = alpha log n_v, v2t = alpha log n_t. Released code (padding leaks):
    t2v = (W / n_t) alpha log n_v and v2t = (F / n_v) alpha log n_t, W and F the padded lengths.
    """
    n_t = text_mask.sum(-1).double()[:, None]   # (N, 1)
    n_v = video_mask.sum(-1).double()[None, :]  # (1, N)
    t2v, v2t = alpha * n_v.log().expand(len(n_t), -1), alpha * n_t.log().expand(-1, n_v.shape[1])
    if not mask_padding:
        t2v = t2v * text_mask.shape[-1] / n_t
        v2t = v2t * video_mask.shape[-1] / n_v
    return t2v, v2t


@dataclass
class SwitchStep:
    """One stop on the walk from the paper's semantics to the released code's."""

    name: str                  # "paper", then the switch just turned to its official value
    config: NortonConfig
    output: NortonOutput
    fine_similarity: Tensor    # (N, N) S_fine as this config computes it
    length_similarity: Tensor  # (N, N) the content-free S_fine (lengths only), same normalisation
    kept_mass: Tensor          # (M,) share of each diagonal block's caption mass left on clips by the bucket


def walk_switches(inputs, base: NortonConfig | None = None) -> list[SwitchStep]:
    """Run NortonLoss on the same inputs with the paper's switches, then turning each to its official value in turn.

    `inputs` has pooled_text, pooled_video, text_tokens, video_tokens, text_mask, video_mask (e.g. an
    EncoderOutput). Returns len(SWITCHES) + 1 steps; the last has all switches official.
    """
    base = (base or NortonConfig()).replace(variant="paper")
    names = ["paper", *SWITCHES]
    steps, config = [], base
    for name in names:
        if name != "paper":
            config = config.replace(**{name: VARIANT_SWITCHES["official"][name]})
        steps.append(_switch_step(name, config, inputs))
    return steps


def _switch_step(name: str, config: NortonConfig, x) -> SwitchStep:
    with torch.no_grad():
        output = NortonLoss(config)(x.pooled_text, x.pooled_video, x.text_tokens, x.video_tokens,
                                    x.text_mask, x.video_mask)
        fine = output.fine_similarity if config.fine_similarity == "soft_max" else soft_max_similarity(
            x.text_tokens, x.video_tokens, x.text_mask, x.video_mask, config.alpha,
            mask_padding=config.mask_padding, minmax_normalize=config.minmax_normalize)
        t2v, v2t = content_free_similarity(x.text_mask, x.video_mask, config.alpha, mask_padding=config.mask_padding)
        if config.minmax_normalize:
            t2v, v2t = minmax(t2v), minmax(v2t)
    return SwitchStep(name, config, output, fine, (t2v + v2t) / 2, _kept_mass(output))


def _kept_mass(output: NortonOutput) -> Tensor:
    """(M,) share of the caption rows' mass that each diagonal block's bucket plan leaves on clips."""
    if output.own_bucket is None:
        return torch.ones(output.video_logits.shape[0])
    on_clips = output.own_bucket.plan.sum(dim=(-2, -1))
    return on_clips / (on_clips + output.own_bucket.row_bucket_mass.sum(-1))


def switch_metrics(step: SwitchStep) -> dict[str, float]:
    """Numbers that show what a switch does: similarity range, length correlation, bucket mass, logits."""
    out = step.output
    logits = out.video_logits
    m = logits.shape[0]
    diagonal = logits.diagonal()
    off = logits[~torch.eye(m, dtype=torch.bool)]
    fine = step.fine_similarity
    return {
        "fused_min": float(out.fused_similarity.min()), "fused_max": float(out.fused_similarity.max()),
        "fine_vs_lengths_pearson": pearson(step.fine_similarity, step.length_similarity),
        "fine_own_clip_top1": float((fine.argmax(1) == torch.arange(len(fine))).float().mean()),
        "bucket_value": math.nan if out.bucket_value is None else float(out.bucket_value),
        "kept_mass": float(step.kept_mass.mean()),
        "plan_block_mass": float(out.video_plans.diagonal(dim1=0, dim2=1).sum(dim=(0, 1)).mean()),
        "logit_diagonal": float(diagonal.mean()), "logit_off_diagonal": float(off.mean()) if len(off) else math.nan,
        "logit_range": float(logits.max() - logits.min()),
        "video_accuracy": float((logits.argmax(1) == torch.arange(m)).float().mean()),
        "loss_video": float(out.video), "loss_total": float(out.total),
        "learnable_temperature": float(step.config.learnable_temperature),
    }
