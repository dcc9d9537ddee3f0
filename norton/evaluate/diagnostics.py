"""How Norton's parts see held-out batches of a trained model (the ablation's diagnostics, synthetic truth)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from .. import metrics as M
from ..config import NortonConfig
from ..data.sampling import SamplerConfig, collate, sample_video
from ..data.videos import LongVideo
from ..losses import NortonLoss
from ..similarity import pooled_cosine, soft_max_similarity
from .ablation import ABLATION_SAMPLER
from .encoding import EvalMode
from .protocols import check_videos, require_truth


def pair_relevance(videos: Sequence[LongVideo], draws: Sequence) -> np.ndarray:
    """(N, N) share of clip j's seconds showing a concept named by caption window i (synthetic truth).

    `draws` are (video index, ClipDraw) of the N pairs; a window's concepts are those of its alignable captions.
    """
    named, shown = [], []
    for v, draw in draws:
        truth = videos[v].truth
        window = slice(draw.first_caption, draw.last_caption + 1)
        concepts = truth.caption_concept[window][truth.alignable[window]]
        named.append(set(concepts.tolist()))
        shown.append(truth.second_concept[draw.clip_start:draw.clip_end])
    return np.array([[np.isin(seconds, list(c)).mean() if c else 0.0 for seconds in shown] for c in named])


def _r2_on(y: np.ndarray, *predictors: np.ndarray) -> float:
    """R^2 of the least-squares fit of y on the predictors (with intercept), all flattened."""
    design = np.column_stack([np.ones(np.size(y)), *(np.ravel(p) for p in predictors)])
    y = np.ravel(y)
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - (residual ** 2).sum() / ((y - y.mean()) ** 2).sum())


def block_relevance(relevance: np.ndarray, video_index: np.ndarray, k: int) -> dict[str, float]:
    """Mean pair relevance of paragraph x video blocks: own, the other sequences of the same video, other videos."""
    m = len(relevance) // k
    blocks = relevance.reshape(m, k, m, k).mean(axis=(1, 3))  # (M, M) paragraph i x video j
    video = np.asarray(video_index)[::k][:m]                   # source video of each sequence
    same = (video[:, None] == video[None, :]) & ~np.eye(m, dtype=bool)
    return {"block_relevance_own": float(np.diag(blocks).mean()),
            "block_relevance_same_video": float(blocks[same].mean()) if same.any() else math.nan,
            "block_relevance_other_video": float(blocks[video[:, None] != video[None, :]].mean())}


def batch_diagnostics(encoded, out, relevance: np.ndarray, config, video_index: np.ndarray) -> dict[str, float]:
    """The numbers of loss_diagnostics for one batch: encoder outputs, NortonOutput, (N, N) pair relevance,
    (N,) source video of each pair."""
    n = len(relevance)
    aligned, off = relevance.diagonal() >= 0.5, ~np.eye(n, dtype=bool)
    faulty = (relevance >= 0.5) & off
    plan, fused = out.clip_plan.numpy(), out.fused_similarity.numpy()  # rows captions
    dots = (encoded.pooled_text @ encoded.pooled_video.T).numpy()      # the scores of the FNE plan
    cosine = pooled_cosine(encoded.pooled_text, encoded.pooled_video).numpy()
    fine = (out.fine_similarity if config.fine_similarity == "soft_max" else soft_max_similarity(
        encoded.text_tokens, encoded.video_tokens, encoded.text_mask, encoded.video_mask, config.alpha,
        mask_padding=config.mask_padding, minmax_normalize=config.minmax_normalize)).numpy()
    log_frames = np.log(encoded.video_mask.sum(1).numpy())[None, :].repeat(n, 0)  # (N, N) per clip
    log_words = np.log(encoded.text_mask.sum(1).numpy())[:, None].repeat(n, 1)   # (N, N) per caption
    if out.caption_bucket_share is None:
        raise ValueError("batch_diagnostics: the loss output has no bucket (prompt_ratio None)")
    p, share = out.bucket_value, out.caption_bucket_share.numpy()  # paragraph i x video i
    both = 0 < aligned.sum() < n
    return {
        "misaligned_rate": 1 - aligned.mean(),
        "faulty_negative_rate": faulty.sum() / off.sum(),
        "fne_diagonal_mass": plan.diagonal().mean(),
        "fne_mass_on_faulty": (plan * faulty).sum() / (plan * off).sum(),
        "dot_product_range": (dots.max(1) - dots.min(1)).mean(),
        "cosine_relevance_corr": M.pearson(cosine, relevance),
        "fine_relevance_corr": M.pearson(fine, relevance),
        "fused_relevance_corr": M.pearson(fused, relevance),
        "fine_length_r2": _r2_on(fine, log_frames, log_words),
        "similarity_aligned": fused.diagonal()[aligned].mean() if aligned.any() else math.nan,
        "similarity_misaligned": fused.diagonal()[~aligned].mean() if (~aligned).any() else math.nan,
        "similarity_negatives": fused[off & ~faulty].mean(),
        "bucket_value": float(p),
        "bucket_share_aligned": share[aligned].mean() if aligned.any() else math.nan,
        "bucket_share_misaligned": share[~aligned].mean() if (~aligned).any() else math.nan,
        "bucket_misaligned_auc": M.roc_auc(~aligned, share) if both else math.nan,
        "bucket_caption_length_corr": M.pearson(share, log_words[:, 0]),
        **block_relevance(relevance, video_index, config.clips_per_sequence),
    }


@torch.no_grad()
def loss_diagnostics(model, videos: Sequence[LongVideo], *, loss_config=None, sampler=None,
                     batches: int = 4, seed: int = 0) -> dict[str, float]:
    """How Norton's parts see held-out batches of a trained DualEncoder (synthetic truth needed), batch means.

    A pair is aligned / a faulty negative when at least half its clip shows what its caption window
    names (pair_relevance). Rectification (FNE): the plan's diagonal mass, the share of its
    off-diagonal mass on faulty negatives (vs their rate), the row range of the raw dot products
    it is solved on (eps = 1). Similarities: Pearson correlation with the relevance of the pooled
    cosine, the fine-grained soft-maximum and the fused S, and the R^2 of the fine one explained by
    log clip and caption lengths alone. Bucket: each caption's share of mass sent to the bucket
    in its own paragraph x video block, for aligned vs misaligned pairs, as a detector of misaligned
    pairs (ROC-AUC) and against caption length. Video-paragraph negatives: mean relevance of a
    paragraph's own block, of the other sequences of its video, of other videos. The loss is
    `loss_config` (default: Norton, row J) whatever the model was trained with.
    """
    videos = check_videos(videos)
    for video in videos:
        require_truth(video)
    loss_config = loss_config or NortonConfig()
    if loss_config.prompt_ratio is None:  # the bucket numbers need a bucket: Norton's p
        loss_config = loss_config.replace(prompt_ratio=NortonConfig.prompt_ratio)
    sampler = sampler or SamplerConfig(**ABLATION_SAMPLER)
    loss, rng = NortonLoss(loss_config), np.random.default_rng(seed)
    size = min(sampler.videos_per_batch, len(videos))
    totals: dict[str, list[float]] = {}
    with EvalMode(model):
        for _ in range(batches):
            indices = rng.choice(len(videos), size=size, replace=False).tolist()
            draws = [sample_video(videos[i], sampler, rng) for i in indices]
            batch = collate([videos[i] for i in indices], draws, indices, sampler)
            relevance = pair_relevance(videos, [(i, d) for i, ds in zip(indices, draws) for d in ds])
            encoded = model(batch.video_features, batch.video_mask, batch.captions)
            values = batch_diagnostics(encoded, loss(*encoded.loss_inputs()), relevance, loss_config,
                                       batch.video_index.numpy())
            for name, value in values.items():
                totals.setdefault(name, []).append(float(value))
    return {name: float(np.nanmean(v)) if not np.isnan(v).all() else math.nan for name, v in totals.items()}
