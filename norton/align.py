"""Aligning the captions of one video to its clips: timestamps, argmax, DTW, Drop-DTW, OT, OT with the bucket.

Every method takes a similarity matrix (captions x clips, or captions x seconds; higher = more
similar) and returns an `Alignment`: for each caption its clip (-1 = dropped), its predicted time,
and an alignability score (higher = more alignable). `align(method, similarity, **kw)` picks by name.
The two OT methods share one implementation, `ot_alignment`, configured by `AlignSettings`; the
explorer and its viewers call it too.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, fields, replace
from typing import Iterable, Sequence

import numpy as np
import torch

from .metrics import AlignmentScore, score_alignment
from .ot import BUCKET_MARGINALS, bucket_sinkhorn, sinkhorn

BUCKET_MODES = ("value", "ratio", "off")
TIME_READOUTS = ("argmax", "local_mean", "mean")
SIMILARITIES = ("fused", "mean", "fine")  # the explorer's similarities (norton.explore.video_similarity)


@dataclass(frozen=True)
class BucketPlan:
    """What the alignable prompt bucket did in one OT + bucket alignment."""

    full_plan: np.ndarray      # (n+1, m+1) the augmented plan, bucket row and column last
    bucket_value: float        # p, in the units of the solved scores (see AlignSettings.standardize)
    multiplicity: float        # k: each caption saw the bucket as k clips of value p
    caption_share: np.ndarray  # (n,) share of each caption's mass that went to the bucket
    clip_share: np.ndarray     # (m,) share of each clip's mass that came from the bucket


@dataclass(frozen=True)
class Alignment:
    """Result of aligning one video's captions to its clips."""

    method: str
    assignment: np.ndarray    # (n,) int clip index per caption, -1 = dropped
    alignability: np.ndarray  # (n,) float, higher = more alignable
    plan: np.ndarray          # (n, m) transport plan (OT methods), else 0/1 matched (caption, clip) pairs
    times: np.ndarray         # (n,) predicted time (s) of each caption; NaN where a method gives none
    similarity: np.ndarray    # (n, m) the similarity that was aligned
    n_iters: int = 0          # Sinkhorn iterations (OT methods)
    marginal_error: float = 0.0
    bucket: BucketPlan | None = None

    @property
    def kept(self) -> np.ndarray:
        """(n,) bool: captions that were assigned a clip."""
        return self.assignment >= 0

    @property
    def dropped(self) -> np.ndarray:
        """(n,) bool: captions the method left unaligned (the bucket, Drop-DTW)."""
        return self.assignment < 0

    @property
    def has_bucket(self) -> bool:
        return self.bucket is not None

    @property
    def bucket_value(self) -> float | None:
        """p (None without a bucket)."""
        return None if self.bucket is None else self.bucket.bucket_value

    @property
    def full_plan(self) -> np.ndarray:
        """(n+1, m+1) plan with the bucket row/column last; the (n, m) plan without a bucket."""
        return self.plan if self.bucket is None else self.bucket.full_plan

    @property
    def caption_bucket_share(self) -> np.ndarray:
        """(n,) share of each caption's mass in the bucket (zeros without a bucket)."""
        return np.zeros(len(self.plan)) if self.bucket is None else self.bucket.caption_share

    @property
    def clip_bucket_share(self) -> np.ndarray:
        """(m,) share of each clip's mass from the bucket (zeros without a bucket)."""
        return np.zeros(self.plan.shape[1]) if self.bucket is None else self.bucket.clip_share


def _similarity(similarity) -> np.ndarray:
    """(n, m) float64 copy of `similarity`, or a ValueError."""
    if isinstance(similarity, torch.Tensor):
        similarity = similarity.detach().cpu().numpy()
    sim = np.asarray(similarity, dtype=np.float64)
    if sim.ndim != 2 or 0 in sim.shape:
        raise ValueError(f"similarity: expected a non-empty (captions, clips) matrix, got shape {sim.shape}")
    if not np.isfinite(sim).all():
        raise ValueError("similarity: contains NaN or inf")
    return sim


def _clip_times(times, count: int, name: str = "clip_times") -> np.ndarray:
    """(count, 2) [start, end] seconds; None means one clip per second, [j, j+1)."""
    if times is None:
        starts = np.arange(count, dtype=np.float64)
        return np.stack([starts, starts + 1], axis=1)
    times = np.asarray(times, dtype=np.float64)
    if times.shape != (count, 2) or not np.isfinite(times).all() or (times[:, 1] < times[:, 0]).any():
        raise ValueError(f"{name}: expected ({count}, 2) finite [start, end] pairs with end >= start, "
                         f"got shape {times.shape}")
    return times


def _at(sim: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Similarity of each caption at its assigned clip."""
    return sim[np.arange(len(sim)), assignment]


def _pairs_matrix(shape: tuple[int, int], pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """0/1 (n, m) matrix marking matched (caption, clip) pairs."""
    matrix = np.zeros(shape)
    for i, j in pairs:
        matrix[i, j] = 1.0
    return matrix


def _every_caption_assigned(method: str, sim: np.ndarray, assignment: np.ndarray, clip_times) -> Alignment:
    """Alignment keeping every caption at its clip's centre; alignability = similarity at that clip."""
    times = _clip_times(clip_times, sim.shape[1]).mean(axis=1)[assignment]
    return Alignment(method, assignment, _at(sim, assignment), _pairs_matrix(sim.shape, enumerate(assignment)),
                     times, sim)


def align_timestamps(similarity, caption_times, clip_times=None) -> Alignment:
    """Trust the ASR: each caption at its subtitle midpoint, on the clip holding it (else the nearest clip)."""
    sim = _similarity(similarity)
    captions = _clip_times(caption_times, sim.shape[0], "caption_times")
    clips = _clip_times(clip_times, sim.shape[1])
    middles = captions.mean(axis=1)
    inside = (clips[None, :, 0] <= middles[:, None]) & (middles[:, None] < clips[None, :, 1])  # (n, m)
    nearest = np.abs(middles[:, None] - clips.mean(axis=1)[None, :]).argmin(axis=1)
    assignment = np.where(inside.any(axis=1), inside.argmax(axis=1), nearest)
    plan = _pairs_matrix(sim.shape, enumerate(assignment))
    return Alignment("timestamps", assignment, _at(sim, assignment), plan, middles, sim)


def align_argmax(similarity, clip_times=None) -> Alignment:
    """Each caption to its most similar clip; alignability = that similarity."""
    sim = _similarity(similarity)
    return _every_caption_assigned("argmax", sim, sim.argmax(axis=1), clip_times)


def align_dtw(similarity, clip_times=None) -> Alignment:
    """Monotone assignment maximising total similarity (clip index non-decreasing; captions may share a clip)."""
    sim = _similarity(similarity)
    n, m = sim.shape
    best = sim[0].copy()  # best[j]: best total of captions 0..i with caption i on clip j
    came_from = np.zeros((n, m), dtype=np.int64)
    columns = np.arange(m)
    for i in range(1, n):
        running = np.maximum.accumulate(best)  # best total ending on any clip <= j
        came_from[i] = np.maximum.accumulate(np.where(best == running, columns, 0))
        best = sim[i] + running
    assignment = np.empty(n, dtype=np.int64)
    assignment[-1] = int(best.argmax())
    for i in range(n - 1, 0, -1):
        assignment[i - 1] = came_from[i, assignment[i]]
    return _every_caption_assigned("dtw", sim, assignment, clip_times)


def align_drop_dtw(similarity, drop_threshold: float | None = None, drop_quantile: float = 0.5,
                   clip_times=None) -> Alignment:
    """Drop-DTW (Dvornik et al. 2021) with drops on both sides, in gain form.

    Matched (caption, clip) pairs form a monotone chain: clips strictly increasing, captions
    non-decreasing (a caption may take several clips, each clip at most one caption). The chain
    maximises the sum of (similarity - drop_threshold) over its pairs, which is Drop-DTW with
    match cost -similarity and drop cost -drop_threshold per dropped clip. Captions outside the
    chain are dropped (at no cost). The threshold defaults to the `drop_quantile` quantile of all similarities.
    A kept caption's clip is its most similar matched clip; alignability = similarity - threshold
    there (>= 0), and for dropped captions min(0, best similarity - threshold).
    """
    sim = _similarity(similarity)
    if drop_threshold is None:
        if not 0 <= drop_quantile <= 1:
            raise ValueError(f"drop_quantile: expected a value in [0, 1], got {drop_quantile}")
        drop_threshold = float(np.quantile(sim, drop_quantile))
    gain = sim - drop_threshold
    n, m = sim.shape
    rows = np.arange(n)
    # best[i, j]: best chain inside captions 0..i x clips 0..j; best_end[i, j]: where that chain ends
    best = np.zeros((n, m))
    best_end = np.zeros((n, m, 2), dtype=np.int64)
    previous, previous_end = np.zeros(n), np.full((n, 2), -1)
    for j in range(m):
        ending_here = gain[:, j] + np.maximum(previous, 0.0)  # chains whose last pair is (i, j)
        take = ending_here > previous
        value = np.where(take, ending_here, previous)
        end = np.where(take[:, None], np.stack([rows, np.full(n, j)], axis=1), previous_end)
        running = np.maximum.accumulate(value)  # extend over captions 0..i
        source = np.maximum.accumulate(np.where(value == running, rows, 0))
        best[:, j], best_end[:, j] = running, end[source]
        previous, previous_end = running, end[source]
    pairs = []
    i, j = best_end[n - 1, m - 1]
    if best[n - 1, m - 1] > 0:
        while True:
            pairs.append((int(i), int(j)))
            if j == 0 or best[i, j - 1] <= 0:
                break
            i, j = best_end[i, j - 1]
    path = _pairs_matrix(sim.shape, pairs)
    matched_gain = np.where(path > 0, gain, -np.inf)
    kept = path.any(axis=1)
    assignment = np.where(kept, matched_gain.argmax(axis=1), -1)
    alignability = np.where(kept, matched_gain.max(axis=1), np.minimum(gain.max(axis=1), 0.0))
    times = np.where(kept, _clip_times(clip_times, m).mean(axis=1)[np.maximum(assignment, 0)], np.nan)
    return Alignment("drop_dtw", assignment, alignability, path, times, sim)


@dataclass
class AlignSettings:
    """Knobs of one video's OT alignment (`ot_alignment`), shared by norton.align, the explorer and its viewers."""

    eps: float = 0.25            # entropic weight, in the units of the solved scores
    n_iters: int = 100
    bucket: str = "value"        # "value": p = bucket_value; "ratio": p from prompt_ratio; "off": plain OT
    bucket_value: float = 0.4    # p (in std units above the video's mean similarity when standardize)
    prompt_ratio: float = 0.3    # "ratio": p = this quantile of the timestamp-paired scores (Norton's rule)
    marginals: str = "dustbin"   # bucket marginals, see norton.ot.bucket_marginals
    multiplicity: float | None = None  # k of norton.ot.bucket_sinkhorn; None: clips per caption, max(1, m / n)
    standardize: bool = True     # solve on the similarity z-scored over the video: eps and p in std units
    window: float | None = 30.0  # s: with the bucket, a caption may take only clips this near its ASR span
    #                              (plain OT ignores it: it must send mass to every clip)
    times: str = "argmax"        # how a caption's time is read off its plan row, one of TIME_READOUTS
    time_radius: float = 5.0     # "local_mean": plan-weighted mean over clips this near the row's argmax
    similarity: str = "fused"    # explorer: which similarity it aligns, one of SIMILARITIES (explore.video_similarity)
    alpha: float = 1.0           # explorer: soft-maximum temperature of its similarity
    fusion_weight: float = 0.5   # explorer: weight of the mean-pooled similarity in its fusion

    def __post_init__(self) -> None:
        for name, options in (("bucket", BUCKET_MODES), ("marginals", BUCKET_MARGINALS), ("times", TIME_READOUTS),
                              ("similarity", SIMILARITIES)):
            if getattr(self, name) not in options:
                raise ValueError(f"AlignSettings.{name}: expected one of {options}, got {getattr(self, name)!r}")
        if not 0 < self.prompt_ratio <= 1:
            raise ValueError(f"AlignSettings.prompt_ratio: expected a value in (0, 1], got {self.prompt_ratio}")
        for name in ("eps", "alpha", "time_radius"):
            if not getattr(self, name) > 0:
                raise ValueError(f"AlignSettings.{name}: expected > 0, got {getattr(self, name)}")
        if self.n_iters < 1:
            raise ValueError(f"AlignSettings.n_iters: expected >= 1, got {self.n_iters}")
        if self.multiplicity is not None and not (math.isfinite(self.multiplicity) and self.multiplicity >= 1):
            raise ValueError(f"AlignSettings.multiplicity: expected None or a number >= 1, got {self.multiplicity}")
        if self.window is not None and not self.window >= 0:
            raise ValueError(f"AlignSettings.window: expected None or seconds >= 0, got {self.window}")
        if not math.isfinite(self.bucket_value):
            raise ValueError(f"AlignSettings.bucket_value: expected a finite number, got {self.bucket_value}")

    def override(self, **changes) -> AlignSettings:
        """A copy with some fields changed; an unknown name is a ValueError naming it."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"AlignSettings: unknown setting(s) {unknown}")
        return replace(self, **changes)


def standardized(similarity: np.ndarray) -> np.ndarray:
    """The similarity z-scored over all its entries (a constant matrix becomes zeros)."""
    std = similarity.std()
    return (similarity - similarity.mean()) / (std if std > 0 else 1.0)


def default_bucket_value(similarity, pairs=None, quantile: float = 0.3) -> float:
    """Bucket value p: the k-th smallest paired similarity, k = max(1, int(quantile * n)) (Norton's kthvalue).

    `pairs` (n,) gives each caption's paired clip (e.g. from its ASR timestamps); the diagonal
    of a square matrix is used when it is None.
    """
    sim = _similarity(similarity)
    if pairs is None:
        if sim.shape[0] != sim.shape[1]:
            raise ValueError(f"pairs: required for a non-square similarity {sim.shape} "
                             "(or pass bucket_value, or caption_times to ot_bucket)")
        pairs = np.arange(sim.shape[0])
    pairs = np.asarray(pairs)
    if pairs.shape != (sim.shape[0],) or (pairs < 0).any() or (pairs >= sim.shape[1]).any():
        raise ValueError(f"pairs: expected {sim.shape[0]} clip indices in [0, {sim.shape[1]}), got {pairs}")
    if not 0 <= quantile <= 1:
        raise ValueError(f"quantile: expected a value in [0, 1], got {quantile}")
    paired = np.sort(_at(sim, pairs))
    return float(paired[max(1, int(quantile * len(paired))) - 1])


def bucket_value_for(scores: np.ndarray, settings: AlignSettings, caption_times=None, clip_times=None) -> float | None:
    """p for the settings: bucket_value, Norton's prompt-ratio rule on the timestamp pairs (or diagonal), or None."""
    if settings.bucket == "off":
        return None
    if settings.bucket == "value":
        return float(settings.bucket_value)
    pairs = None if caption_times is None else align_timestamps(scores, caption_times, clip_times).assignment
    return default_bucket_value(scores, pairs, settings.prompt_ratio)


def window_mask(caption_times, clip_times, window: float) -> np.ndarray:
    """(n, m) bool: clip centres within `window` s of each caption's [start, end], and each caption's nearest clip."""
    captions = np.asarray(caption_times, dtype=np.float64)
    centres = np.asarray(clip_times, dtype=np.float64).mean(axis=1)
    distance = np.maximum(captions[:, None, 0] - centres[None], centres[None] - captions[:, None, 1]).clip(min=0)
    near = distance <= window
    near[np.arange(len(captions)), distance.argmin(axis=1)] = True
    return near


def plan_times(plan: np.ndarray, clip_times: np.ndarray, readout: str = "argmax", radius: float = 5.0) -> np.ndarray:
    """(n,) time of each caption read off its plan row: the argmax clip's centre, or a local or global mean."""
    if readout not in TIME_READOUTS:
        raise ValueError(f"readout: expected one of {TIME_READOUTS}, got {readout!r}")
    centres = np.asarray(clip_times, dtype=np.float64).mean(axis=1)
    best = centres[plan.argmax(axis=1)]
    if readout == "argmax":
        return best
    weights = plan if readout == "mean" else plan * (np.abs(centres[None] - best[:, None]) <= radius)
    mass = weights.sum(axis=1)
    return np.divide(weights @ centres, mass, out=np.full(len(mass), np.nan), where=mass > 0)


def ot_alignment(similarity, settings: AlignSettings | None = None, *, caption_times=None,
                 clip_times=None) -> Alignment:
    """Entropic OT of one video's (n, m) similarity, with the prompt bucket unless settings.bucket == 'off'.

    Plain OT keeps every caption (alignability = similarity at the plan's argmax). With the bucket a
    caption is dropped when more than half its mass went to the bucket; alignability = log(mass on
    clips / mass in the bucket), which does not saturate. `caption_times` (n, 2) feed the "ratio"
    rule and the window; clip_times default to one clip per second.
    """
    settings = settings or AlignSettings()
    sim = _similarity(similarity)
    n, m = sim.shape
    clips = _clip_times(clip_times, m)
    scores = standardized(sim) if settings.standardize else sim
    captions = None if caption_times is None else _clip_times(caption_times, n, "caption_times")
    p = bucket_value_for(scores, settings, captions, clips)
    if p is None:
        result = sinkhorn(torch.from_numpy(scores), settings.eps, n_iters=settings.n_iters)
        plan = result.plan.numpy()
        assignment = plan.argmax(axis=1)
        return Alignment("ot", assignment, _at(sim, assignment), plan,
                         plan_times(plan, clips, settings.times, settings.time_radius), sim,
                         result.n_iters, float(result.marginal_error))
    if settings.window is not None:
        if captions is None:
            raise ValueError(f"caption_times: required with AlignSettings.window ({settings.window} s); "
                             "pass window=None to align without the ASR times")
        scores = np.where(window_mask(captions, clips, settings.window), scores, -np.inf)
    k = settings.multiplicity if settings.multiplicity is not None else max(1.0, m / n)
    result = bucket_sinkhorn(torch.from_numpy(scores), p, settings.eps, marginals=settings.marginals,
                             n_iters=settings.n_iters, multiplicity=k)
    plan = result.plan.numpy()
    log_odds = result.row_kept_log_odds.numpy()
    dropped = log_odds < 0
    bucket = BucketPlan(result.full_plan.numpy(), p, k, result.row_bucket_share.numpy(),
                        result.col_bucket_share.numpy())
    return Alignment("ot_bucket", np.where(dropped, -1, plan.argmax(axis=1)), log_odds, plan,
                     plan_times(plan, clips, settings.times, settings.time_radius), sim,
                     result.n_iters, float(result.marginal_error), bucket)


def align_ot(similarity, clip_times=None, **settings) -> Alignment:
    """Entropic OT with uniform marginals (no bucket); `settings` are AlignSettings fields."""
    return ot_alignment(similarity, AlignSettings().override(**settings, bucket="off"), clip_times=clip_times)


def align_ot_bucket(similarity, caption_times=None, clip_times=None, **settings) -> Alignment:
    """OT with the alignable prompt bucket (AlignSettings defaults); `settings` are AlignSettings fields."""
    settings = AlignSettings().override(**settings)
    if settings.bucket == "off":
        raise ValueError("align_ot_bucket: bucket='off' is plain OT; use align_ot")
    return ot_alignment(similarity, settings, caption_times=caption_times, clip_times=clip_times)


METHODS = {
    "timestamps": align_timestamps,
    "argmax": align_argmax,
    "dtw": align_dtw,
    "drop_dtw": align_drop_dtw,
    "ot": align_ot,
    "ot_bucket": align_ot_bucket,
}
OT_SETTINGS = tuple(f.name for f in fields(AlignSettings) if f.name not in ("similarity", "alpha", "fusion_weight"))


def align(method: str, similarity, **kw) -> Alignment:
    """Align one video's captions (rows of `similarity`) to its clips with the named method."""
    if method not in METHODS:
        raise ValueError(f"method: expected one of {sorted(METHODS)}, got {method!r}")
    function = METHODS[method]
    accepted = [name for name, p in inspect.signature(function).parameters.items()
                if p.kind is not p.VAR_KEYWORD][1:]
    if method in ("ot", "ot_bucket"):
        accepted += [name for name in OT_SETTINGS if not (method == "ot" and name == "bucket")]
    unknown = sorted(set(kw) - set(accepted))
    if unknown:
        raise ValueError(f"align({method!r}): unknown parameter(s) {unknown}; accepted: {accepted}")
    return function(similarity, **kw)


def score_alignments(alignments: Sequence[Alignment], videos: Sequence) -> AlignmentScore:
    """score_alignment of per-video Alignments against the ground truth of the same videos (LongVideo-like)."""
    if len(alignments) != len(videos):
        raise ValueError(f"alignments: expected one per video ({len(videos)}), got {len(alignments)}")
    for video in videos:
        if video.truth is None:
            raise ValueError(f"video {video.video_id!r}: has no ground truth to score against")
    return score_alignment([a.times for a in alignments], [a.dropped for a in alignments],
                           [a.alignability for a in alignments], [v.truth.start for v in videos],
                           [v.truth.end for v in videos], [v.truth.alignable for v in videos],
                           video_ids=[v.video_id for v in videos])
