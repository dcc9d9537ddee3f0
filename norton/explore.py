"""Looking into one video's alignment: clips and captions as tokens, reports on its plan, soft-maximum detail.

Everything here is view-independent (numpy/torch only); `widgets/` draws it. A video is cut into
consecutive clips of `clip_seconds`; rows of every matrix are captions, columns clips.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from .align import SIMILARITIES, Alignment
from .config import SWITCHES, VARIANT_SWITCHES, NortonConfig
from .data.captions import read_subtitles
from .data.store import FeatureStore, load_features
from .data.videos import GroundTruth, LongVideo
from .losses import NortonLoss, NortonOutput, sequence_blocks
from .metrics import mean_or_nan, score_alignment
from .oracle import TextEncoder
from .ot import bucket_sinkhorn
from .similarity import masked_mean, minmax, pooled_cosine, soft_max_similarity

ClipEncoder = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]  # (m, F, Dv), (m, F) -> (m, F', D), (m, F')


@dataclass
class VideoTokens:
    """One video as the explorer sees it: captions and clips as token features, times and ground truth."""

    video_id: str
    captions: list[str]          # n caption texts
    text_tokens: Tensor          # (n, W, D)
    text_mask: Tensor            # (n, W) bool
    clip_tokens: Tensor          # (m, F, D)
    clip_mask: Tensor            # (m, F) bool
    caption_times: np.ndarray    # (n, 2) ASR [start, end] seconds
    clip_times: np.ndarray       # (m, 2) [start, end] seconds
    truth: GroundTruth | None = None  # restricted to the n captions
    clip_truth: np.ndarray | None = None  # (m,) share of each clip's seconds some alignable caption describes

    @property
    def shape(self) -> tuple[int, int]:
        """(captions, clips)."""
        return len(self.captions), len(self.clip_times)


def clip_windows(num_rows: int, clip_seconds: float, fps: float = 1.0, max_clips: int | None = None) -> np.ndarray:
    """(m, 2) feature-row ranges [start, end) of consecutive clips of `clip_seconds` (the last may be shorter)."""
    if not clip_seconds > 0:
        raise ValueError(f"clip_seconds must be > 0, got {clip_seconds}")
    if num_rows < 1:
        raise ValueError("the video has no feature rows to cut into clips")
    length = max(1, int(round(clip_seconds * fps)))
    starts = np.arange(0, num_rows, length)
    if max_clips is not None:
        if max_clips < 1:
            raise ValueError(f"max_clips must be >= 1, got {max_clips}")
        starts = starts[:max_clips]
    return np.stack([starts, np.minimum(starts + length, num_rows)], axis=1)


def clip_truth_shares(truth: GroundTruth | None, windows: np.ndarray, fps: float) -> np.ndarray | None:
    """(m,) share of each clip's rows that show what some alignable caption describes; None without truth.

    Per-second concepts (synthetic) when known, else the alignable captions' true spans.
    """
    if truth is None or not truth.alignable.any():
        return None if truth is None else np.zeros(len(windows))
    shares = []
    for start, end in windows:
        if truth.second_concept is not None and truth.caption_concept is not None:
            described = truth.caption_concept[truth.alignable]
            shown = truth.second_concept[start:end]
            shares.append(float(np.isin(shown, described).mean()))
        else:
            centres = (np.arange(start, end) + 0.5) / fps
            inside = (centres[:, None] >= truth.start[truth.alignable]) & (centres[:, None] <= truth.end[truth.alignable])
            shares.append(float(inside.any(axis=1).mean()))
    return np.array(shares)


def _subset_truth(truth: GroundTruth | None, keep: np.ndarray) -> GroundTruth | None:
    if truth is None:
        return None
    return replace(truth, alignable=truth.alignable[keep], start=truth.start[keep], end=truth.end[keep],
                   caption_concept=None if truth.caption_concept is None else truth.caption_concept[keep])


def video_tokens(video: LongVideo, encode_text: TextEncoder, *, clip_seconds: float = 4.0,
                 encode_clips: ClipEncoder | None = None, max_clips: int | None = None,
                 max_captions: int | None = None) -> VideoTokens:
    """Cut `video` into clips and encode clips and captions; only captions whose ASR midpoint lies in the clips stay.

    Without `encode_clips` a clip's tokens are its per-second features (the oracle view).
    """
    windows = clip_windows(video.features.shape[0], clip_seconds, video.fps, max_clips)
    clip_times = windows / video.fps
    starts = np.asarray(video.captions.start, dtype=float)
    ends = np.asarray(video.captions.end, dtype=float)
    middles = (starts + ends) / 2
    keep = np.flatnonzero((middles >= clip_times[0, 0]) & (middles <= clip_times[-1, 1]))
    if max_captions is not None:
        keep = keep[:max_captions]
    if len(keep) == 0:
        raise ValueError(f"video {video.video_id!r}: no caption falls inside the first {len(windows)} clips")
    captions = [video.captions.text[i] for i in keep]
    for i, text in zip(keep, captions):
        if not text.strip():
            raise ValueError(f"video {video.video_id!r}: caption {i} is empty")
    frames = torch.zeros(len(windows), int((windows[:, 1] - windows[:, 0]).max()), video.features.shape[1])
    frame_mask = torch.zeros(frames.shape[:2], dtype=torch.bool)
    for j, (start, end) in enumerate(windows):
        frames[j, :end - start] = torch.from_numpy(np.asarray(video.features[start:end], dtype=np.float32))
        frame_mask[j, :end - start] = True
    with torch.no_grad():
        clip_tokens, clip_mask = (frames, frame_mask) if encode_clips is None else encode_clips(frames, frame_mask)
        text_tokens, text_mask = encode_text(captions)
    if text_tokens.shape[-1] != clip_tokens.shape[-1]:
        raise ValueError(f"text tokens have dimension {text_tokens.shape[-1]} but clip tokens "
                         f"{clip_tokens.shape[-1]}: the encoders do not share a space")
    return VideoTokens(
        video_id=video.video_id, captions=captions, text_tokens=text_tokens.float(),
        text_mask=text_mask.bool(), clip_tokens=clip_tokens.float(), clip_mask=clip_mask.bool(),
        caption_times=np.stack([starts[keep], ends[keep]], axis=1), clip_times=clip_times,
        truth=_subset_truth(video.truth, keep), clip_truth=clip_truth_shares(video.truth, windows, video.fps))


def model_encoders(model) -> tuple[TextEncoder, ClipEncoder]:
    """The text and clip encoders of a norton.model.DualEncoder (eval mode, no gradient)."""
    model.eval()

    def encode_text(captions: list[str]) -> tuple[Tensor, Tensor]:
        out = model.encode_text(list(captions))
        return out.tokens, out.mask

    def encode_clips(frames: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        out = model.encode_video(frames, mask)
        return out.tokens, out.mask

    return encode_text, encode_clips


def load_real_video(feature_path: str | os.PathLike, subtitle_path: str | os.PathLike = "",
                    video_id: str = "") -> LongVideo:
    """One real video: features from a (T, D) .npy file (1 row per second) or a feature store folder
    (`video_id`, default its first video), captions from an .srt/.vtt file or else the store's captions."""
    path = Path(feature_path)
    captions = None
    if path.is_dir():
        store = FeatureStore(path)
        if not store.video_ids:
            raise ValueError(f"feature store {path} holds no video")
        video_id = video_id or store.video_ids[0]
        if video_id not in store:
            raise ValueError(f"feature store {path} has no video {video_id!r}; it has {store.video_ids[:5]}...")
        features, fps, captions = np.asarray(store.features(video_id), np.float32), store.fps, store.captions(video_id)
    else:
        features, fps = np.asarray(load_features(path), np.float32), 1.0
        video_id = video_id or path.stem
    if subtitle_path:
        captions = read_subtitles(subtitle_path)
    if captions is None or len(captions) == 0:
        raise ValueError(f"no captions for video {video_id!r}: give a subtitle_path (.srt or .vtt)")
    if not np.isfinite(features).all():
        raise ValueError(f"{path}: features contain NaN or inf")
    captions.validate(duration=features.shape[0] / fps, name=str(subtitle_path or path))
    return LongVideo(video_id, features, captions.sorted(), None, fps)


def clip_thumbnails(video_path: str | os.PathLike, clip_times: np.ndarray, height: int = 48,
                    backend: str = "auto") -> np.ndarray:
    """(m, height, W, 3) uint8: the frame at the middle of each clip (norton.decode.thumbnails)."""
    from .decode import thumbnails

    middles = np.asarray(clip_times, dtype=float).mean(axis=1)
    return thumbnails(video_path, times=middles, height=height, backend=backend).frames


# --- similarity and the plan ----------------------------------------------------------------------


def mean_similarity(tokens: VideoTokens) -> Tensor:
    """(n, m) cosine of mean-pooled caption and clip tokens."""
    return pooled_cosine(masked_mean(tokens.text_tokens, tokens.text_mask),
                         masked_mean(tokens.clip_tokens, tokens.clip_mask))


def fine_similarity(tokens: VideoTokens, alpha: float = 1.0, mask_padding: bool = True) -> Tensor:
    """(n, m) soft-maximum frame-word similarity (paper Eq. 5)."""
    return soft_max_similarity(tokens.text_tokens, tokens.clip_tokens, tokens.text_mask, tokens.clip_mask,
                               alpha, mask_padding=mask_padding)


def fuse(mean: Tensor, fine: Tensor, fusion_weight: float = 0.5) -> Tensor:
    """S = (w * S_mean + S_fine) / (w + 1), as the loss fuses them."""
    return (fusion_weight * mean + fine) / (fusion_weight + 1)


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


# --- soft-maximum detail of one caption-clip pair --------------------------------------------------


@dataclass
class SoftMaxDetail:
    """Frame-word similarities of one caption-clip pair and which words and frames dominate."""

    cosine: np.ndarray         # (W, F) cosine of each valid word and frame
    frame_weights: np.ndarray  # (W, F) softmax over frames, per word (rows sum to 1)
    word_weights: np.ndarray   # (W, F) softmax over words, per frame (columns sum to 1)
    word_scores: np.ndarray    # (W,) alpha * logsumexp over frames of cos / alpha
    frame_scores: np.ndarray   # (F,) alpha * logsumexp over words of cos / alpha
    alpha: float

    @property
    def t2v(self) -> float:
        return float(self.word_scores.mean())

    @property
    def v2t(self) -> float:
        return float(self.frame_scores.mean())

    @property
    def similarity(self) -> float:
        """S_fine of the pair: (t2v + v2t) / 2."""
        return (self.t2v + self.v2t) / 2


def soft_max_detail(text_tokens: Tensor, video_tokens: Tensor, alpha: float) -> SoftMaxDetail:
    """Detail of Eq. 5 for one pair: text_tokens (W, D) and video_tokens (F, D), valid tokens only."""
    if text_tokens.dim() != 2 or video_tokens.dim() != 2 or text_tokens.shape[-1] != video_tokens.shape[-1]:
        raise ValueError(f"expected (W, D) and (F, D) tokens, got {tuple(text_tokens.shape)} and "
                         f"{tuple(video_tokens.shape)}")
    if len(text_tokens) == 0 or len(video_tokens) == 0:
        raise ValueError("a pair needs at least one word and one frame")
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    text = torch.nn.functional.normalize(text_tokens.double(), dim=-1)
    video = torch.nn.functional.normalize(video_tokens.double(), dim=-1)
    cosine = text @ video.T  # (W, F)
    scaled = cosine / alpha
    return SoftMaxDetail(
        cosine=cosine.numpy(), frame_weights=torch.softmax(scaled, 1).numpy(),
        word_weights=torch.softmax(scaled, 0).numpy(), word_scores=(alpha * torch.logsumexp(scaled, 1)).numpy(),
        frame_scores=(alpha * torch.logsumexp(scaled, 0)).numpy(), alpha=float(alpha))


def pair_detail(tokens: VideoTokens, caption: int, clip: int, alpha: float = 1.0) -> SoftMaxDetail:
    """SoftMaxDetail of caption `caption` and clip `clip` of a video."""
    n, m = tokens.shape
    if not (0 <= caption < n and 0 <= clip < m):
        raise ValueError(f"caption must be in [0, {n}) and clip in [0, {m}), got {caption}, {clip}")
    return soft_max_detail(tokens.text_tokens[caption][tokens.text_mask[caption]],
                           tokens.clip_tokens[clip][tokens.clip_mask[clip]], alpha)


# --- released code vs paper --------------------------------------------------------------------------


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


def pearson(x, y) -> float:
    """Pearson correlation of two equally shaped arrays (flattened)."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or len(x) < 2:
        raise ValueError(f"pearson needs two arrays of the same size >= 2, got {x.shape} and {y.shape}")
    x, y = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(x @ x) * float(y @ y))
    return float(x @ y) / denominator if denominator > 0 else math.nan


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

    `inputs` has pooled_video, pooled_text, video_tokens, text_tokens, video_mask, text_mask (e.g. an
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
        output = NortonLoss(config)(x.pooled_video, x.pooled_text, x.video_tokens, x.text_tokens,
                                    x.video_mask, x.text_mask)
        fine = soft_max_similarity(x.text_tokens, x.video_tokens, x.text_mask, x.video_mask, config.alpha,
                                   mask_padding=config.mask_padding, minmax_normalize=config.minmax_normalize)
        t2v, v2t = content_free_similarity(x.text_mask, x.video_mask, config.alpha, mask_padding=config.mask_padding)
        if config.minmax_normalize:
            t2v, v2t = minmax(t2v), minmax(v2t)
        kept = _kept_mass(output, config)
    return SwitchStep(name, config, output, fine, (t2v + v2t) / 2, kept)


def _kept_mass(output: NortonOutput, config: NortonConfig) -> Tensor:
    """(M,) share of the caption rows' mass that each diagonal block's bucket plan leaves on clips."""
    k = config.clips_per_sequence
    diagonal = sequence_blocks(output.fused_similarity, k).diagonal(dim1=0, dim2=1).permute(2, 0, 1)  # (M, K, K)
    if output.bucket_value is None:
        return torch.ones(diagonal.shape[0])
    solved = bucket_sinkhorn(diagonal, output.bucket_value, config.eps_video, marginals=config.bucket_marginals,
                             n_iters=config.sinkhorn_iters)
    on_clips = solved.plan.sum(dim=(-2, -1))
    return on_clips / (on_clips + solved.row_bucket_mass.sum(-1))


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


def stack_videos(items: Sequence[VideoTokens]) -> dict[str, VideoTokens]:
    """Videos by id, refusing duplicates and an empty list."""
    if not items:
        raise ValueError("no videos to explore")
    result = {}
    for item in items:
        if item.video_id in result:
            raise ValueError(f"video id {item.video_id!r} appears twice")
        result[item.video_id] = item
    return result
