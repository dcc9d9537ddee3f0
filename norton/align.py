"""Aligning the captions of one video to its clips: timestamps, argmax, DTW, Drop-DTW, OT, OT with the bucket.

Every method takes a similarity matrix (captions x clips, or captions x seconds; higher = more
similar) and returns an `Alignment`: for each caption the index of its clip (-1 = dropped) and an
alignability score (higher = more alignable). `align(method, similarity, **kw)` picks by name.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import torch

from .ot import bucket_sinkhorn, sinkhorn


@dataclass(frozen=True)
class Alignment:
    """Result of aligning one video's captions to its clips."""

    method: str
    assignment: np.ndarray  # (n,) int clip index per caption, -1 = dropped
    alignability: np.ndarray  # (n,) float, higher = more alignable
    plan: np.ndarray  # (n, m) transport plan (OT methods), else 0/1 matched (caption, clip) pairs

    @property
    def kept(self) -> np.ndarray:
        """(n,) bool: captions that were assigned a clip."""
        return self.assignment >= 0

    def assigned_times(self, clip_times=None) -> np.ndarray:
        """(n,) midpoint of each caption's clip ([j, j+1) seconds by default); NaN when dropped."""
        middles = _clip_times(clip_times, self.plan.shape[1]).mean(axis=1)
        return np.where(self.kept, middles[np.maximum(self.assignment, 0)], np.nan)


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


def _every_caption_assigned(method: str, sim: np.ndarray, assignment: np.ndarray) -> Alignment:
    """Alignment keeping every caption; alignability = similarity at the assigned clip."""
    return Alignment(method, assignment, _at(sim, assignment), _pairs_matrix(sim.shape, enumerate(assignment)))


def align_timestamps(similarity, caption_times, clip_times=None) -> Alignment:
    """Each caption to the clip overlapping its ASR [start, end] most (nearest midpoint if none overlaps)."""
    sim = _similarity(similarity)
    captions = _clip_times(caption_times, sim.shape[0], "caption_times")
    clips = _clip_times(clip_times, sim.shape[1])
    overlap = (np.minimum(captions[:, None, 1], clips[None, :, 1])
               - np.maximum(captions[:, None, 0], clips[None, :, 0])).clip(min=0)  # (n, m)
    gap = np.abs(captions.mean(axis=1)[:, None] - clips.mean(axis=1)[None, :])
    assignment = np.where(overlap.max(axis=1) > 0, overlap.argmax(axis=1), gap.argmin(axis=1))
    return _every_caption_assigned("timestamps", sim, assignment)


def align_argmax(similarity) -> Alignment:
    """Each caption to its most similar clip; alignability = that similarity."""
    sim = _similarity(similarity)
    assignment = sim.argmax(axis=1)
    return _every_caption_assigned("argmax", sim, assignment)


def align_dtw(similarity) -> Alignment:
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
    return _every_caption_assigned("dtw", sim, assignment)


def align_drop_dtw(similarity, drop_threshold: float | None = None, drop_quantile: float = 0.5) -> Alignment:
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
    return Alignment("drop_dtw", assignment, alignability, path)


def align_ot(similarity, eps: float = 0.1, n_iters: int = 100) -> Alignment:
    """Entropic OT with uniform marginals (norton.ot.sinkhorn); each caption to its plan row's argmax."""
    sim = _similarity(similarity)
    plan = sinkhorn(torch.from_numpy(sim), eps, n_iters=n_iters).plan.numpy()
    assignment = plan.argmax(axis=1)
    return Alignment("ot", assignment, _at(sim, assignment), plan)


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


def align_ot_bucket(similarity, bucket_value: float | None = None, eps: float = 0.1, n_iters: int = 100,
                    marginals: str = "dustbin", bucket_quantile: float = 0.3, caption_times=None,
                    clip_times=None) -> Alignment:
    """OT with the alignable prompt bucket (norton.ot.bucket_sinkhorn); captions mostly in the bucket are dropped.

    Without `bucket_value`, p = default_bucket_value over the captions' timestamp-paired clips
    (with `caption_times`) or the diagonal. Alignability = 1 - the caption's bucket fraction; a
    caption is dropped when its bucket mass exceeds its mass on clips.
    """
    sim = _similarity(similarity)
    if bucket_value is None:
        pairs = None if caption_times is None else align_timestamps(sim, caption_times, clip_times).assignment
        bucket_value = default_bucket_value(sim, pairs, bucket_quantile)
    result = bucket_sinkhorn(torch.from_numpy(sim), float(bucket_value), eps, marginals=marginals, n_iters=n_iters)
    plan, bucket = result.plan.numpy(), result.row_bucket_mass.numpy()
    on_clips = plan.sum(axis=1)
    alignability = on_clips / np.maximum(on_clips + bucket, np.finfo(np.float64).tiny)
    assignment = np.where(bucket > on_clips, -1, plan.argmax(axis=1))
    return Alignment("ot_bucket", assignment, alignability, plan)


METHODS = {
    "timestamps": align_timestamps,
    "argmax": align_argmax,
    "dtw": align_dtw,
    "drop_dtw": align_drop_dtw,
    "ot": align_ot,
    "ot_bucket": align_ot_bucket,
}


def align(method: str, similarity, **kw) -> Alignment:
    """Align one video's captions (rows of `similarity`) to its clips with the named method."""
    if method not in METHODS:
        raise ValueError(f"method: expected one of {sorted(METHODS)}, got {method!r}")
    function = METHODS[method]
    accepted = list(inspect.signature(function).parameters)[1:]
    unknown = sorted(set(kw) - set(accepted))
    if unknown:
        raise ValueError(f"align({method!r}): unknown parameter(s) {unknown}; accepted: {accepted}")
    return function(similarity, **kw)
