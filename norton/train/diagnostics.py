"""What a run reports besides its loss: alignment of pooled embeddings, bucket shares, held-out metrics."""
from __future__ import annotations


import numpy as np
import torch
from torch import Tensor, nn

from ..config import NortonConfig
from ..data.sampling import SamplerConfig, sample_batch
from ..data.videos import LongVideo
from ..losses import NortonLoss
from ..metrics import retrieval_ranks
from ..model import DualEncoder


def alignment_diagnostics(pooled_text: Tensor, pooled_video: Tensor, aligned: Tensor | None) -> dict[str, float]:
    """Mean cosine of pairs whose clip shows its caption (aligned >= 0.5) vs the rest; {} without truth."""
    if aligned is None or torch.isnan(aligned).all():
        return {}
    cosine = nn.functional.cosine_similarity(pooled_text.detach().float(), pooled_video.detach().float(), dim=-1)
    good = aligned.to(cosine.device) >= 0.5
    out = {}
    if good.any():
        out["cos_aligned"] = cosine[good].mean().item()
    if (~good).any():
        out["cos_misaligned"] = cosine[~good].mean().item()
    return out


@torch.no_grad()
def batch_metrics(model: DualEncoder, videos: list[LongVideo], sampler: SamplerConfig,
             loss_config: NortonConfig | None = None, *, seed: int = 0) -> dict[str, float]:
    """Held-out diagnostics over full batches of `videos` (which need ground truth).

    clip_r1: caption -> clip R@1 of pooled dot products among the batch's clips, over aligned pairs
    (clip shows its caption, aligned >= 0.5); cos_*: pooled cosine of aligned / misaligned pairs;
    bucket_share_*: share of a caption's mass the bucket takes (loss_config, prompt_ratio 0.3 if None).
    """
    config = loss_config or NortonConfig(clips_per_sequence=sampler.clips_per_sequence)
    if config.prompt_ratio is None:
        config = config.replace(prompt_ratio=0.3)
    device = next(model.parameters()).device
    loss_fn = NortonLoss(config).to(device)
    rng = np.random.default_rng(seed)
    size = sampler.videos_per_batch
    if len(videos) < size:
        raise ValueError(f"batch_metrics: {len(videos)} videos cannot fill a batch of {size}")
    was_training = model.training
    model.eval()
    ranks, cosines, shares, aligned = [], [], [], []
    for begin in range(0, len(videos) - size + 1, size):
        batch = sample_batch(videos, list(range(begin, begin + size)), sampler, rng).to(device)
        if batch.aligned is None or torch.isnan(batch.aligned).any():
            raise ValueError(f"batch_metrics: one of the videos {batch.video_ids} has no ground truth")
        encoded = model(batch.video_features, batch.video_mask, batch.captions)
        inputs = tuple(t.float() if t.is_floating_point() else t for t in encoded.loss_inputs())
        pooled_text, pooled_video = inputs[0], inputs[1]  # loss_inputs() is text first
        good = batch.aligned >= 0.5
        scores = pooled_text @ pooled_video.T  # (N, N) rows captions
        if good.any():
            rows = good.nonzero()[:, 0]
            ranks.append(retrieval_ranks(scores[rows].cpu().numpy(), rows.cpu().numpy()))
        cosines.append(nn.functional.cosine_similarity(pooled_text, pooled_video, dim=-1).cpu())
        shares.append(loss_fn(*inputs).caption_bucket_share.cpu())
        aligned.append(good.cpu())
    model.train(was_training)
    cosine, share, good = torch.cat(cosines), torch.cat(shares), torch.cat(aligned)

    def mean(values: Tensor) -> float | None:
        return values.mean().item() if len(values) else None

    ranks = np.concatenate(ranks) if ranks else np.zeros(0)
    return {"pairs": len(good), "aligned_pairs": int(good.sum()),
            "clip_r1": float(np.mean(ranks <= 1)) if len(ranks) else None,
            "cos_aligned": mean(cosine[good]), "cos_misaligned": mean(cosine[~good]),
            "bucket_share_aligned": mean(share[good]), "bucket_share_misaligned": mean(share[~good])}
