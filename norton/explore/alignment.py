"""One video's caption x clip similarities (mean, fine, fused) and the report on an alignment of it."""
from __future__ import annotations

import math

import numpy as np
from torch import Tensor

from ..align import SIMILARITIES, Alignment
from ..losses import fuse
from ..metrics import mean_or_nan, score_alignment
from ..similarity import masked_mean, pooled_cosine, soft_max_similarity
from .tokens import VideoTokens


def mean_similarity(tokens: VideoTokens) -> Tensor:
    """(n, m) cosine of mean-pooled caption and clip tokens."""
    return pooled_cosine(masked_mean(tokens.text_tokens, tokens.text_mask),
                         masked_mean(tokens.clip_tokens, tokens.clip_mask))


def fine_similarity(tokens: VideoTokens, alpha: float = 1.0, mask_padding: bool = True) -> Tensor:
    """(n, m) soft-maximum frame-word similarity (paper Eq. 5)."""
    return soft_max_similarity(tokens.text_tokens, tokens.clip_tokens, tokens.text_mask, tokens.clip_mask,
                               alpha, mask_padding=mask_padding)


def video_similarity(tokens: VideoTokens, alpha: float = 1.0, fusion_weight: float = 0.5,
                     kind: str = "fused") -> np.ndarray:
    """(n, m) similarity of one video's captions and clips: Norton's fusion (paper semantics), or one of its parts."""
    if kind not in SIMILARITIES:
        raise ValueError(f"kind: expected one of {SIMILARITIES}, got {kind!r}")
    if kind == "mean":
        return mean_similarity(tokens).numpy()
    fine = fine_similarity(tokens, alpha)
    return (fine if kind == "fine" else fuse(mean_similarity(tokens), fine, fusion_weight)).numpy()


def alignment_report(tokens: VideoTokens, alignment: Alignment) -> dict[str, float]:
    """Bucket shares and timing of one video's alignment; against the ground truth where there is one.

    With truth: the scores of norton.metrics.score_alignment (R@1, R@1 over kept captions, drop
    rates, alignability ROC-AUC), the mean bucket shares of alignable and unalignable captions, and
    how far the ASR midpoints and the predicted times are from the true spans' centres.
    """
    share, clip_share = alignment.caption_bucket_share, alignment.clip_bucket_share
    report = {"captions": len(share), "clips": len(clip_share),
              "bucket_value": math.nan if alignment.bucket_value is None else alignment.bucket_value,
              "caption_bucket_share": float(share.mean()), "clip_bucket_share": float(clip_share.mean()),
              "dropped": float(alignment.dropped.mean())}
    truth = tokens.truth
    if truth is None:
        return report
    score = score_alignment(alignment.times, alignment.dropped, alignment.alignability, truth.start, truth.end,
                            truth.alignable)
    good, bad = truth.alignable, ~truth.alignable
    centre = (truth.start + truth.end) / 2
    report.update({
        "unalignable_captions": int(bad.sum()), **{k: v for k, v in score.to_dict().items() if not k.startswith("num")},
        "bucket_share_alignable": mean_or_nan(share[good]), "bucket_share_unalignable": mean_or_nan(share[bad]),
        "asr_error_s": mean_or_nan(np.abs(tokens.caption_times.mean(axis=1) - centre)[good]),
        "predicted_error_s": mean_or_nan(np.abs(alignment.times - centre)[good & alignment.kept]),
    })
    if tokens.clip_truth is not None:
        shown = tokens.clip_truth >= 0.5
        report.update({"clip_bucket_share_described": mean_or_nan(clip_share[shown]),
                       "clip_bucket_share_undescribed": mean_or_nan(clip_share[~shown])})
    return report
