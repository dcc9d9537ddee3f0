"""Norton's losses: clip-caption contrast with rectified targets, video-paragraph OT contrast, NortonLoss.

Shapes: N clip-caption pairs ordered video-major then by time; K = clips_per_sequence consecutive
pairs form a long video / paragraph; M = N / K. Rows of every N x N matrix are captions, columns
clips; rows of the M x M logits are paragraphs, columns videos.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import NortonConfig
from .kernels import Backends
from .ot import HALF_DTYPES, BucketOTResult, OTResult, bucket_sinkhorn, sinkhorn
from .similarity import hard_max_scores, minmax, pooled_cosine, require_tokens, soft_max_similarity

MAX_LOGIT_SCALE = math.log(100.0)  # 1/tau is kept in [1, 100], as the released code's clamp


@dataclass
class NortonOutput:
    """Everything the Norton loss computed, for training and for looking into."""

    total: Tensor             # () clip + video_weight * video
    clip: Tensor              # () clip-caption loss
    video: Tensor             # () video-paragraph loss (unweighted)
    fused_similarity: Tensor  # (N, N) S entering the video-paragraph OT, rows captions
    bucket_value: Tensor | None  # () p, or None without the bucket
    video_logits: Tensor      # (M, M) rows paragraphs, columns videos
    video_plans: Tensor       # (M, M, K, K) plan of paragraph i x video j, bucket cropped
    clip_plan: Tensor         # (N, N) rectification plan Q, rows captions, rows/cols sum to ~1
    mean_similarity: Tensor | None = None  # (N, N) S_mean as fused (min-max normalised where the config says)
    fine_similarity: Tensor | None = None  # (N, N) S_fine as fused; None for fine_similarity="mean"
    own_bucket: BucketOTResult | None = None  # the bucket OT of each paragraph with its own video, (M, ...)
    #                                           as solved (before any renormalisation); None without the bucket

    @property
    def caption_bucket_share(self) -> Tensor | None:
        """(N,) share of each caption's mass that the bucket takes when its paragraph meets its own video."""
        return None if self.own_bucket is None else self.own_bucket.row_bucket_share.flatten()


def rectified_clip_loss(pooled_text: Tensor, pooled_video: Tensor, beta: float, *, eps: float = 1.0,
                        n_iters: int = 50, keep_weight: Tensor | float | None = None,
                        sinkhorn_backend: str = "auto"
                        ) -> tuple[Tensor, Tensor]:
    """Symmetric clip-caption InfoNCE on raw dot products with targets (1-beta) I + beta Q (Eqs. 7-8).

    Q is the entropic OT plan of the in-batch scores scaled so rows sum to 1, without gradient.
    beta = 0 gives VideoCLIP's plain loss. `keep_weight` (default 1 - beta) is the identity's weight.
    Returns (loss, Q with rows = captions).
    """
    if pooled_text.dtype in HALF_DTYPES:  # raw dot products and their log-softmax overflow in half precision
        pooled_text, pooled_video = pooled_text.float(), pooled_video.float()
    scores_text = pooled_text @ pooled_video.transpose(0, 1)  # (N, N) rows captions
    scores_video = scores_text.transpose(0, 1)                # (N, N) rows clips
    n = scores_text.shape[0]
    targets = torch.arange(n, device=scores_text.device)
    if beta == 0:
        loss = F.cross_entropy(scores_video, targets) + F.cross_entropy(scores_text, targets)
        return loss, torch.eye(n, dtype=scores_text.dtype, device=scores_text.device)
    keep = 1.0 - beta if keep_weight is None else keep_weight
    # solved with clips as rows, as the released code: columns (captions) exact after the last update
    q = sinkhorn(scores_video, eps, n_iters=n_iters, backend=sinkhorn_backend).plan  # rows clips
    q = q.to(scores_text.dtype) * n
    identity = torch.eye(n, dtype=scores_text.dtype, device=scores_text.device)
    target_video = beta * q + keep * identity
    target_text = beta * q.transpose(0, 1) + keep * identity
    loss_video = -(F.log_softmax(scores_video, dim=1) * target_video).sum(1).mean()
    loss_text = -(F.log_softmax(scores_text, dim=1) * target_text).sum(1).mean()
    return loss_video + loss_text, q.transpose(0, 1)


def sequence_blocks(similarity: Tensor, k: int) -> Tensor:
    """(N, N) -> (M, M, K, K): block [i, j] = captions of paragraph i x clips of video j."""
    m = similarity.shape[0] // k
    return similarity.reshape(m, k, m, k).transpose(1, 2)


def diagonal_blocks(blocks: Tensor) -> Tensor:
    """(M, M, ...) -> (M, ...): block [i, i] of each paragraph i with its own video."""
    return blocks.diagonal(dim1=0, dim2=1).movedim(-1, 0)


def fuse(mean_similarity: Tensor, fine_similarity: Tensor, fusion_weight: float = 0.5) -> Tensor:
    """S = (w * S_mean + S_fine) / (w + 1): the similarity of the video-paragraph OT."""
    return (fusion_weight * mean_similarity + fine_similarity) / (fusion_weight + 1)


def bucket_value(similarity: Tensor, ratio: float) -> Tensor:
    """p: the int(ratio * N)-th smallest similarity of the aligned pairs (the diagonal), detached."""
    diagonal = similarity.detach().diagonal()
    k = min(max(1, int(ratio * diagonal.numel())), diagonal.numel())
    return diagonal.kthvalue(k).values


def video_paragraph_plans(similarity: Tensor, k: int, *, eps: float = 0.1, n_iters: int = 50,
                          bucket: Tensor | None = None, marginals: str = "uniform",
                          sinkhorn_backend: str = "auto") -> OTResult:
    """The OT of every paragraph x video block of S (rows captions), without gradient (Eqs. 2-4, 6).

    Returns the solve of the (M, M, K, K) blocks: an OTResult, or with `bucket` = p a BucketOTResult
    (plans cropped, what each caption and clip sent to the bucket).
    """
    blocks = sequence_blocks(similarity, k).detach()
    if bucket is None:
        return sinkhorn(blocks, eps, n_iters=n_iters, backend=sinkhorn_backend)
    return bucket_sinkhorn(blocks, bucket, eps, marginals=marginals, n_iters=n_iters, backend=sinkhorn_backend)


def paragraph_contrast(similarity: Tensor, k: int, plans: Tensor, logit_scale: Tensor, *,
                       renormalize: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """Video-paragraph contrast: logits[i, j] = scale * <Q_ij, S_ij> for plans Q (M, M, K, K).

    `renormalize` rescales each plan to total mass K (released code). Returns (loss, logits (M, M),
    the plans used).
    """
    blocks = sequence_blocks(similarity, k)
    plans = plans.to(blocks.dtype)
    if renormalize:
        plans = plans * (k / plans.sum(dim=(-2, -1), keepdim=True))
    logits = logit_scale * (plans * blocks).sum(dim=(-2, -1))
    targets = torch.arange(logits.shape[0], device=logits.device)
    loss = F.cross_entropy(logits, targets) + F.cross_entropy(logits.transpose(0, 1), targets)
    return loss, logits, plans


def video_paragraph_loss(similarity: Tensor, k: int, logit_scale: Tensor, *, eps: float = 0.1,
                         n_iters: int = 50, bucket: Tensor | None = None,
                         marginals: str = "uniform", renormalize: bool = False,
                         sinkhorn_backend: str = "auto"
                         ) -> tuple[Tensor, Tensor, Tensor]:
    """Video-paragraph contrast: logits[i, j] = scale * <Q_ij, S_ij> with Q_ij an OT plan (Eqs. 2-4, 6).

    similarity (N, N) rows captions; bucket = p or None; `renormalize` rescales each cropped plan
    to total mass K (released code). Returns (loss, logits (M, M), plans (M, M, K, K)).
    """
    solved = video_paragraph_plans(similarity, k, eps=eps, n_iters=n_iters, bucket=bucket, marginals=marginals,
                                   sinkhorn_backend=sinkhorn_backend)
    return paragraph_contrast(similarity, k, solved.plan, logit_scale, renormalize=renormalize)


def own_blocks(solved: OTResult) -> OTResult:
    """The part of a blockwise (M, M, ...) solve where each paragraph meets its own video: (M, ...), copied."""
    return dataclasses.replace(solved, **{
        f.name: diagonal_blocks(getattr(solved, f.name)).clone()
        for f in dataclasses.fields(solved) if isinstance(getattr(solved, f.name), Tensor)})


class NortonLoss(nn.Module):
    """L = L_clip + video_weight * L_video, with the variant's semantics (see NortonConfig).

    Its constants are module state kept in float32 like any parameter, as in the released code:
    the log inverse temperature (a Parameter when `learnable_temperature`) and the identity weight
    1 - beta of the rectified target. Cast the module (`.double()`) for float64 constants.
    """

    def __init__(self, config: NortonConfig | None = None, *, backends: Backends | None = None,
                 similarity_path: str | None = None, sinkhorn_backend: str | None = None) -> None:
        """`backends` (norton.kernels.Backends) says how the soft maximum and both OT plans are computed;
        `similarity_path` / `sinkhorn_backend` are its fields given one by one instead."""
        super().__init__()
        named = {k: v for k, v in (("similarity_path", similarity_path), ("sinkhorn_backend", sinkhorn_backend))
                 if v is not None}
        if backends is not None and named:
            raise ValueError(f"NortonLoss: give backends or {sorted(named)}, not both")
        self.config = config or NortonConfig()
        self.backends = backends if backends is not None else Backends(**named)
        log_scale = torch.tensor(math.log(1.0 / self.config.temperature))
        if self.config.learnable_temperature:
            self.log_logit_scale = nn.Parameter(log_scale)
        else:
            self.register_buffer("log_logit_scale", log_scale)
        self.register_buffer("keep_weight", torch.tensor(1.0 - self.config.beta))

    @property
    def similarity_path(self) -> str:
        return self.backends.similarity_path

    @property
    def sinkhorn_backend(self) -> str:
        return self.backends.sinkhorn_backend

    def logit_scale(self) -> Tensor:
        """1 / tau, clamped to [1, 100]."""
        return self.log_logit_scale.clamp(0.0, MAX_LOGIT_SCALE).exp()

    def similarities(self, pooled_text: Tensor, pooled_video: Tensor, text_tokens: Tensor,
                     video_tokens: Tensor, text_mask: Tensor, video_mask: Tensor
                     ) -> tuple[Tensor, Tensor | None, Tensor]:
        """(S_mean, S_fine or None for "mean", S), each (N captions, N clips): S enters the video-paragraph
        OT, the pooled cosine fused with the fine term."""
        cfg = self.config
        mean_similarity = pooled_cosine(pooled_text, pooled_video)
        if cfg.minmax_normalize:
            mean_similarity = minmax(mean_similarity)
        if cfg.fine_similarity == "mean":
            return mean_similarity, None, mean_similarity
        if cfg.fine_similarity == "max":
            t2v, v2t = hard_max_scores(text_tokens, video_tokens, text_mask, video_mask)
            if cfg.minmax_normalize:
                t2v, v2t = minmax(t2v), minmax(v2t)
            fine_similarity = (t2v + v2t) / 2
        else:
            fine_similarity = soft_max_similarity(
                text_tokens, video_tokens, text_mask, video_mask, cfg.alpha,
                mask_padding=cfg.mask_padding, minmax_normalize=cfg.minmax_normalize,
                path=self.backends.similarity_path)
        return mean_similarity, fine_similarity, fuse(mean_similarity, fine_similarity, cfg.fusion_weight)

    def fused_similarity(self, pooled_text: Tensor, pooled_video: Tensor, text_tokens: Tensor,
                         video_tokens: Tensor, text_mask: Tensor, video_mask: Tensor) -> Tensor:
        """S (N captions, N clips) of the video-paragraph OT: pooled cosine fused with the fine term."""
        return self.similarities(pooled_text, pooled_video, text_tokens, video_tokens, text_mask, video_mask)[2]

    def forward(self, pooled_text: Tensor, pooled_video: Tensor, text_tokens: Tensor,
                video_tokens: Tensor, text_mask: Tensor, video_mask: Tensor) -> NortonOutput:
        """The loss of N pairs, text first: (N, D) pooled features, (N, W, D) / (N, F, D) tokens, (N, W) / (N, F)
        bool masks; `loss(*encoded.loss_inputs())` passes a model's outputs in this order."""
        cfg = self.config
        check_inputs(pooled_text, pooled_video, text_tokens, video_tokens, text_mask, video_mask,
                     cfg.clips_per_sequence)
        clip_loss, clip_plan = rectified_clip_loss(
            pooled_text, pooled_video, cfg.beta, eps=cfg.eps_clip, n_iters=cfg.sinkhorn_iters,
            keep_weight=self.keep_weight, sinkhorn_backend=self.backends.sinkhorn_backend)

        mean, fine, fused = self.similarities(pooled_text, pooled_video, text_tokens, video_tokens,
                                              text_mask, video_mask)

        bucket = None if cfg.prompt_ratio is None else bucket_value(fused, cfg.prompt_ratio)
        solved = video_paragraph_plans(fused, cfg.clips_per_sequence, eps=cfg.eps_video, n_iters=cfg.sinkhorn_iters,
                                       bucket=bucket, marginals=cfg.bucket_marginals,
                                       sinkhorn_backend=self.backends.sinkhorn_backend)
        video_loss, video_logits, video_plans = paragraph_contrast(
            fused, cfg.clips_per_sequence, solved.plan, self.logit_scale(), renormalize=cfg.renormalize_plan_mass)
        return NortonOutput(
            total=clip_loss + cfg.video_weight * video_loss, clip=clip_loss, video=video_loss,
            fused_similarity=fused, bucket_value=bucket, video_logits=video_logits,
            video_plans=video_plans, clip_plan=clip_plan, mean_similarity=mean, fine_similarity=fine,
            own_bucket=None if bucket is None else own_blocks(solved))


def check_inputs(pooled_text: Tensor, pooled_video: Tensor, text_tokens: Tensor, video_tokens: Tensor,
                 text_mask: Tensor, video_mask: Tensor, k: int) -> None:
    """Raise ValueError naming the first input whose shape, mask or values are not as expected."""
    if pooled_video.dim() != 2:
        raise ValueError(f"pooled_video must be (N, D), got {tuple(pooled_video.shape)}")
    n, d = pooled_video.shape
    if n == 0:
        raise ValueError("pooled_video: an empty batch (N = 0 clip-caption pairs); the loss needs one sequence")
    dtypes = {name: t.dtype for name, t in (("pooled_video", pooled_video), ("pooled_text", pooled_text),
                                           ("video_tokens", video_tokens), ("text_tokens", text_tokens))}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} {dtype}" for name, dtype in dtypes.items())
        raise ValueError(f"inputs must share one floating-point dtype, got {listed}")
    expected = {
        "pooled_text": (pooled_text, (n, d)),
        "video_tokens": (video_tokens, (n, video_tokens.shape[1] if video_tokens.dim() == 3 else -1, d)),
        "text_tokens": (text_tokens, (n, text_tokens.shape[1] if text_tokens.dim() == 3 else -1, d)),
    }
    for name, (tensor, shape) in expected.items():
        if tuple(tensor.shape) != shape:
            pretty = tuple("F" if s == -1 else s for s in shape)
            raise ValueError(f"{name} must have shape {pretty} (N={n}, D={d}), got {tuple(tensor.shape)}")
    for name, mask, tokens in (("video_mask", video_mask, video_tokens), ("text_mask", text_mask, text_tokens)):
        if mask.dtype != torch.bool or tuple(mask.shape) != tuple(tokens.shape[:2]):
            raise ValueError(f"{name} must be a bool tensor of shape {tuple(tokens.shape[:2])}, "
                             f"got {mask.dtype} {tuple(mask.shape)}")
        require_tokens(name, mask)
    if n % k:
        raise ValueError(f"N={n} clip-caption pairs is not divisible by clips_per_sequence={k}")
    for name, tensor in (("pooled_video", pooled_video), ("pooled_text", pooled_text),
                         ("video_tokens", video_tokens), ("text_tokens", text_tokens)):
        if not tensor.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got {tensor.dtype}")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name} contains NaN or inf")
