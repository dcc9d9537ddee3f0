"""Evaluation metrics: retrieval ranks, video-paragraph (caption average, DTW, OTAM), HTM-Align, step recall.

Conventions: every score matrix has queries (captions, paragraphs) as rows and items (clips,
videos) as columns; higher score = better match. Ranks are 1-based. Ties between the target and
another item are counted pessimistically by default (the target is placed after every item with an
equal score), so a constant score matrix never looks good. Recalls are fractions in [0, 1].
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

TIES = ("pessimistic", "optimistic")
PAIRS_PER_CHUNK = 4096  # paragraph-video pairs solved together by DTW/OTAM (bounds memory)


def mean_or_nan(values) -> float:
    """Mean of an array, NaN when it is empty (a metric over no items)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()) if values.size else math.nan


def pearson(x, y) -> float:
    """Pearson correlation of two equally shaped arrays (flattened); NaN when one is constant."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or len(x) < 2:
        raise ValueError(f"pearson needs two arrays of the same size >= 2, got {x.shape} and {y.shape}")
    x, y = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(x @ x) * float(y @ y))
    return float(x @ y) / denominator if denominator > 0 else math.nan


def _matrix(x, name: str, ndim: int = 2) -> np.ndarray:
    """`x` as a float64 array with `ndim` dims and no NaN, or a ValueError naming `name`."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"{name}: contains NaN")
    return array


# ----------------------------------------------------------------------------- retrieval ranks


def retrieval_ranks(scores, targets=None, *, ties: str = "pessimistic") -> np.ndarray:
    """1-based rank of each query's target item in its row of `scores` (Q, I); targets default to the diagonal."""
    scores = _matrix(scores, "scores")
    num_queries, num_items = scores.shape
    if num_queries == 0 or num_items == 0:
        raise ValueError(f"scores: expected a non-empty matrix, got shape {scores.shape}")
    if ties not in TIES:
        raise ValueError(f"ties: expected one of {TIES}, got {ties!r}")
    if targets is None:
        if num_queries != num_items:
            raise ValueError(f"targets: required when scores is not square (shape {scores.shape})")
        targets = np.arange(num_queries)
    targets = np.asarray(targets)
    if targets.shape != (num_queries,) or not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets: expected {num_queries} integer indices, got {targets.dtype} {targets.shape}")
    if (targets < 0).any() or (targets >= num_items).any():
        raise ValueError(f"targets: indices must lie in [0, {num_items}), got {targets.min()}..{targets.max()}")
    target_scores = scores[np.arange(num_queries), targets][:, None]  # (Q, 1)
    better = (scores > target_scores).sum(axis=1)
    if ties == "optimistic":
        return better + 1
    return better + (scores == target_scores).sum(axis=1)  # equal count includes the target itself


@dataclass(frozen=True)
class RetrievalResult:
    """Recall at 1/5/10 (fractions), median rank, and every query's rank."""

    r1: float
    r5: float
    r10: float
    median_rank: float
    ranks: np.ndarray  # (Q,) 1-based

    def to_dict(self) -> dict[str, float]:
        """The summary numbers, JSON-ready."""
        return {"R@1": self.r1, "R@5": self.r5, "R@10": self.r10, "MedR": self.median_rank}


def retrieval_metrics(scores, targets=None, *, ties: str = "pessimistic") -> RetrievalResult:
    """R@1/5/10 and median rank of text->item retrieval from a (queries x items) score matrix."""
    ranks = retrieval_ranks(scores, targets, ties=ties)
    return RetrievalResult(
        r1=float(np.mean(ranks <= 1)),
        r5=float(np.mean(ranks <= 5)),
        r10=float(np.mean(ranks <= 10)),
        median_rank=float(np.median(ranks)),
        ranks=ranks,
    )


# ----------------------------------------------------------------------------- DTW and OTAM


def _soft_min(values: Sequence[np.ndarray], gamma: float) -> np.ndarray:
    """Element-wise min over `values` (gamma = 0) or its smoothing -gamma * log sum exp(-v / gamma)."""
    hard = functools.reduce(np.minimum, values)
    if gamma == 0:
        return hard
    finite = np.where(np.isfinite(hard), hard, 0.0)
    with np.errstate(invalid="ignore"):
        total = sum(np.exp(-(v - finite) / gamma) for v in values)
        soft = finite - gamma * np.log(total)
    return np.where(np.isfinite(hard), soft, hard)


def _cells_first(distances, rows, cols) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, m, B) contiguous copy of a padded (B, n, m) batch (fast per-cell access) and validated (B,) sizes."""
    distances = _matrix(distances, "distances", ndim=3)
    batch, max_rows, max_cols = distances.shape
    rows = np.full(batch, max_rows) if rows is None else np.asarray(rows)
    cols = np.full(batch, max_cols) if cols is None else np.asarray(cols)
    for name, lengths, limit in (("rows", rows, max_rows), ("cols", cols, max_cols)):
        if lengths.shape != (batch,) or (lengths < 1).any() or (lengths > limit).any():
            raise ValueError(f"{name}: expected {batch} lengths in [1, {limit}], got {lengths}")
    return np.ascontiguousarray(distances.transpose(1, 2, 0)), rows, cols


def dtw_costs(distances, rows=None, cols=None) -> np.ndarray:
    """Cost of the cheapest monotone path (0,0) -> (rows-1, cols-1) of each padded (B, n, m) distance matrix."""
    d, rows, cols = _cells_first(distances, rows, cols)
    n, m, batch = d.shape
    cum = np.empty_like(d)
    cum[0] = np.cumsum(d[0], axis=0)
    cum[:, 0] = np.cumsum(d[:, 0], axis=0)
    for i in range(1, n):
        for j in range(1, m):
            best = np.minimum(np.minimum(cum[i - 1, j - 1], cum[i, j - 1]), cum[i - 1, j])
            np.add(d[i, j], best, out=cum[i, j])
    # padding lies below/right of each pair's end cell, so it never enters its cost
    return cum[rows - 1, cols - 1, np.arange(batch)]


def otam_costs(distances, rows=None, cols=None, *, gamma: float = 0.0, tempclr_sign_quirk: bool = False,
               end_distances=None) -> np.ndarray:
    """One-direction OTAM cost of each padded (B, n, m) distance matrix (TempCLR's ordered temporal alignment).

    The matrix gets a zero column before and after it. The path starts anywhere in the front
    column and ends anywhere in the back column (both free, vertical moves allowed there and in
    the first real column); every real column is visited once, moving right or diagonally.
    So leading and trailing rows may be skipped, and every column is matched. `gamma` > 0 replaces
    the min by a soft-min. `tempclr_sign_quirk` reproduces TempCLR's evaluation code, whose first
    real column subtracts the min instead of adding it (this differs from the correct value only
    when that min is negative). `end_distances` (B, n) replaces the zeros of the back column.
    """
    d, rows, cols = _cells_first(distances, rows, cols)
    n, m, batch = d.shape
    end_d = np.zeros((n, batch)) if end_distances is None else _matrix(end_distances, "end_distances").T
    if end_d.shape != (n, batch):
        raise ValueError(f"end_distances: expected shape {(batch, n)}, got {end_d.T.shape}")
    if gamma < 0:
        raise ValueError(f"gamma: expected >= 0, got {gamma}")
    zero = np.zeros(batch)
    cum = np.empty_like(d)  # cum over real columns; the front pad column is all 0
    cum[0] = np.cumsum(d[0], axis=0)
    sign = -1.0 if tempclr_sign_quirk else 1.0
    for i in range(1, n):
        cum[i, 0] = d[i, 0] + sign * _soft_min([zero, cum[i - 1, 0], zero], gamma)
        for j in range(1, m):
            np.add(d[i, j], _soft_min([cum[i - 1, j - 1], cum[i, j - 1]], gamma), out=cum[i, j])
    last = cum[:, cols - 1, np.arange(batch)]  # (n, B): each pair's last real column
    end = end_d[0] + last[0]  # the back pad column, free vertical moves
    ends = [end]
    for i in range(1, n):
        end = end_d[i] + _soft_min([last[i - 1], end, last[i]], gamma)
        ends.append(end)
    return np.stack(ends)[rows - 1, np.arange(batch)]


def dtw_cost(distance) -> float:
    """DTW cost of one (n, m) distance matrix."""
    return float(dtw_costs(_matrix(distance, "distance")[None])[0])


def otam_cost(distance, *, gamma: float = 0.0, tempclr_sign_quirk: bool = False) -> float:
    """OTAM distance of one (n, m) matrix: both directions (rows->columns and columns->rows) summed."""
    distance = _matrix(distance, "distance")
    kw = dict(gamma=gamma, tempclr_sign_quirk=tempclr_sign_quirk)
    return float(otam_costs(distance[None], **kw)[0] + otam_costs(distance.T[None], **kw)[0])


def tempclr_pad(distance, target_rows: int, target_cols: int, *, otam: bool) -> np.ndarray:
    """A distance matrix padded the way TempCLR's evaluation batches pairs (its DTW_pad / OTAM_pad).

    For OTAM a zero column is added on each side first. Then rows/columns are appended up to
    (target_rows, target_cols + 2 if otam) with +inf (a negative difference crops instead), and
    the block [last real row:, -(target_cols - m):] is set to 0 so paths can walk to the corner.
    Two side effects follow, which the released numbers carry: when m == target_cols the slice
    `-0:` zeroes *all* columns of the last real row (that caption no longer counts), and
    diagonal steps into the zero block let a path skip trailing rows (DTW: the last one; OTAM:
    at most two, so its end is no longer free in every row).
    """
    distance = _matrix(distance, "distance")
    return _tempclr_pad_batch(distance[None], [distance.shape[0]], [distance.shape[1]], target_rows,
                              target_cols, otam=otam)[0]


def _tempclr_pad_batch(distances: np.ndarray, rows, cols, target_rows: int, target_cols: int, *,
                       otam: bool) -> np.ndarray:
    """tempclr_pad of each (rows[k], cols[k]) top-left block of a (B, n, m) batch -> (B, target_rows, width)."""
    rows, cols = np.asarray(rows)[:, None, None], np.asarray(cols)[:, None, None]
    offset, width = int(otam), target_cols + 2 * int(otam)
    i = np.arange(target_rows)[None, :, None]
    j = np.arange(width)[None, None, :]
    source_i = np.minimum(i, distances.shape[1] - 1)
    source_j = np.clip(j - offset, 0, distances.shape[2] - 1)
    values = distances[np.arange(len(distances))[:, None, None], source_i, source_j]
    inside = (i < rows) & (j >= offset) & (j - offset < cols)
    padded = np.where(inside, values, np.inf)
    if otam:  # the zero columns before and after the real ones
        padded = np.where((i < rows) & ((j == 0) | (j == cols + 1)), 0.0, padded)
    row_gap, col_gap = target_rows - rows, target_cols - cols  # python slices [-row_gap - 1:, -col_gap:]
    first_row = np.where(row_gap >= 0, rows - 1, -row_gap - 1)
    first_col = np.where(col_gap > 0, width - col_gap, np.maximum(-col_gap, 0))
    return np.where((i >= first_row) & (j >= first_col), 0.0, padded)


# ----------------------------------------------------------------------------- video-paragraph retrieval


def _embedding_list(items, name: str) -> list[np.ndarray]:
    """Validated list of non-empty (n_i, D) float arrays with one shared D."""
    arrays = [_matrix(x, f"{name}[{i}]") for i, x in enumerate(items)]
    if not arrays:
        raise ValueError(f"{name}: expected at least one video")
    for i, a in enumerate(arrays):
        if a.shape[0] == 0:
            raise ValueError(f"{name}[{i}]: expected at least one row, got shape {a.shape}")
        if a.shape[1] != arrays[0].shape[1]:
            raise ValueError(f"{name}[{i}]: embedding size {a.shape[1]} != {arrays[0].shape[1]}")
    return arrays


def select_background_windows(similarity, keep_ratio: float = 1.3) -> np.ndarray:
    """Indices (in temporal order) of the int(keep_ratio * #captions) windows most similar to any caption.

    `similarity` is (captions, windows); ties keep the earlier window (stable sort).
    """
    similarity = _matrix(similarity, "similarity")
    keep = max(1, int(keep_ratio * similarity.shape[0]))
    order = np.argsort(-similarity.max(axis=0), kind="stable")[:keep]
    return np.sort(order)


def caption_average_scores(captions, videos) -> np.ndarray:
    """(P, V) scores: for each caption of paragraph p the max dot product over video v's segments, averaged."""
    captions, videos = _embedding_list(captions, "captions"), _embedding_list(videos, "videos")
    sim = np.concatenate(captions) @ np.concatenate(videos).T  # (all captions, all segments)
    video_starts = np.cumsum([0] + [len(v) for v in videos[:-1]])
    caption_starts = np.cumsum([0] + [len(c) for c in captions[:-1]])
    per_caption = np.maximum.reduceat(sim, video_starts, axis=1)  # (all captions, V)
    counts = np.array([len(c) for c in captions])[:, None]
    return np.add.reduceat(per_caption, caption_starts, axis=0) / counts


@dataclass(frozen=True)
class ParagraphProtocol:
    """Distances and scaling of the YouCookII long-video protocol (TempCLR / Norton evaluation code)."""

    background: bool = False  # True: videos are 16-s windows, keep int(keep_ratio * #captions) of them
    keep_ratio: float = 1.3
    otam_gamma: float = 0.0  # 0 = hard min, as in the evaluation code
    tempclr_sign_quirk: bool = False
    dtw_offset: float | None = None  # distance = offset - similarity; None: 0 (3 with background)
    otam_offset: float = 0.0
    tempclr_padding: bool = False  # True: pad every pair as the released code does (see tempclr_pad)

    def resolved_dtw_offset(self) -> float:
        """The DTW distance offset actually used."""
        if self.dtw_offset is not None:
            return self.dtw_offset
        return 3.0 if self.background else 0.0


def _pair_scale(protocol: ParagraphProtocol, method: str, rows: np.ndarray, cols: np.ndarray,
                max_rows: int, max_cols: int) -> np.ndarray:
    """Per-pair distance multiplier: L_t*L_v/(n*m), except max(L_t,L_v)/max(n,m) for OTAM with background."""
    if method == "otam" and protocol.background:
        return max(max_rows, max_cols) / np.maximum(rows, cols)
    return (max_rows * max_cols) / (rows * cols)


def _pair_similarities(paragraphs: np.ndarray, videos: list[np.ndarray], protocol: ParagraphProtocol
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Padded (P*V, n, c) similarities of (P, n, D) paragraphs x videos, and each pair's column count c (P*V,)."""
    lengths = np.array([len(v) for v in videos])
    columns = np.arange(lengths.max())
    valid = columns[None, :] < lengths[:, None]  # (V, m_max)
    index = np.where(valid, np.cumsum(np.r_[0, lengths[:-1]])[:, None] + columns[None, :], 0)
    num_paragraphs, n, _ = paragraphs.shape
    flat = paragraphs.reshape(num_paragraphs * n, -1) @ np.concatenate(videos).T  # (P*n, all segments)
    sim = flat.reshape(num_paragraphs, n, -1)[:, :, index].transpose(0, 2, 1, 3)  # (P, V, n, m_max)
    cols = np.broadcast_to(lengths, sim.shape[:2])
    if protocol.background:  # vectorised select_background_windows (padding sorts last)
        keep = max(1, int(protocol.keep_ratio * n))
        peak = np.where(valid, sim.max(axis=2), -np.inf)  # (P, V, m_max)
        chosen = np.sort(np.argsort(-peak, axis=2, kind="stable")[..., :keep], axis=2)
        sim = np.take_along_axis(sim, chosen[:, :, None, :], axis=3)
        cols = np.minimum(cols, keep)
    columns = np.arange(sim.shape[3])
    sim = np.where(columns < cols[..., None, None], sim, 0.0)
    return sim.reshape(-1, *sim.shape[2:]), cols.reshape(-1)


def _paragraph_costs(paragraphs: np.ndarray, videos: list[np.ndarray], protocol: ParagraphProtocol,
                     max_rows: int, max_cols: int) -> dict[str, np.ndarray]:
    """DTW and OTAM costs (P, V) of (P, n, D) paragraphs (all with n captions) against every video."""
    sim, cols = _pair_similarities(paragraphs, videos, protocol)
    rows = np.full(len(sim), paragraphs.shape[1])
    costs = {}
    for method, offset in (("dtw", protocol.resolved_dtw_offset()), ("otam", protocol.otam_offset)):
        distance = (offset - sim) * _pair_scale(protocol, method, rows, cols, max_rows, max_cols)[:, None, None]
        kw = dict(gamma=protocol.otam_gamma, tempclr_sign_quirk=protocol.tempclr_sign_quirk)
        if protocol.tempclr_padding:
            cost = _tempclr_padded_costs(method, distance, rows, cols, max_rows, max_cols, kw)
        elif method == "dtw":
            cost = dtw_costs(distance, rows, cols)
        else:
            cost = (otam_costs(distance, rows, cols, **kw)
                    + otam_costs(distance.transpose(0, 2, 1), cols, rows, **kw))
        costs[method] = cost.reshape(len(paragraphs), len(videos))
    return costs


def _tempclr_padded_costs(method: str, distance: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                          max_rows: int, max_cols: int, otam_kw: dict) -> np.ndarray:
    """Costs (B,) of pairs padded as in the released code and read at the bottom-right corner."""
    if method == "dtw":
        return dtw_costs(_tempclr_pad_batch(distance, rows, cols, max_rows, max_cols, otam=False))
    total = np.zeros(len(distance))
    for batch, r, c in ((distance, rows, cols), (distance.transpose(0, 2, 1), cols, rows)):
        padded = _tempclr_pad_batch(batch, r, c, max_rows, max_cols, otam=True)
        total += otam_costs(padded[:, :, 1:-1], end_distances=padded[:, :, -1], **otam_kw)
    return total


def video_paragraph_scores(captions, videos, protocol: ParagraphProtocol | None = None,
                           *, progress: bool = True) -> dict[str, np.ndarray]:
    """(P, V) scores (higher = better) of every paragraph against every video for caption_average, dtw, otam.

    `captions[p]` (n_p, D) are paragraph p's caption embeddings in order; `videos[v]` (m_v, D) are
    video v's segment embeddings (background removed) or its 16-s window embeddings (background
    kept) in temporal order. Similarity is the raw dot product. Paragraphs with the same number
    of captions are solved together, in chunks of about `PAIRS_PER_CHUNK` pairs.
    """
    protocol = protocol or ParagraphProtocol()
    captions, videos = _embedding_list(captions, "captions"), _embedding_list(videos, "videos")
    if captions[0].shape[1] != videos[0].shape[1]:
        raise ValueError(f"captions/videos: embedding sizes differ ({captions[0].shape[1]} vs "
                         f"{videos[0].shape[1]})")
    max_rows, max_cols = max(len(c) for c in captions), max(len(v) for v in videos)
    scores = {"dtw": np.zeros((len(captions), len(videos))), "otam": np.zeros((len(captions), len(videos)))}
    lengths = np.array([len(c) for c in captions])
    chunk = max(1, PAIRS_PER_CHUNK // len(videos))
    groups = [idx[k: k + chunk] for n in np.unique(lengths) for idx in [np.flatnonzero(lengths == n)]
              for k in range(0, len(idx), chunk)]
    for group in tqdm(groups, desc="paragraph DTW/OTAM", disable=not progress):
        costs = _paragraph_costs(np.stack([captions[p] for p in group]), videos, protocol, max_rows, max_cols)
        for method, cost in costs.items():
            scores[method][group] = -cost
    return {"caption_average": caption_average_scores(captions, videos), **scores}


def video_paragraph_retrieval(captions, videos, protocol: ParagraphProtocol | None = None, *,
                              ties: str = "pessimistic", progress: bool = True) -> dict[str, RetrievalResult]:
    """Paragraph->video retrieval metrics per method; paragraph p's ground-truth video is videos[p]."""
    if len(captions) != len(videos):
        raise ValueError(f"captions/videos: expected one paragraph per video, got {len(captions)} and "
                         f"{len(videos)}")
    scores = video_paragraph_scores(captions, videos, protocol, progress=progress)
    return {method: retrieval_metrics(s, ties=ties) for method, s in scores.items()}


# ----------------------------------------------------------------------------- HTM-Align


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve; a tie between a positive and a negative counts 1/2 (Mann-Whitney U)."""
    labels = np.asarray(labels)
    scores = _matrix(scores, "scores", ndim=1)
    if labels.shape != scores.shape:
        raise ValueError(f"labels: expected shape {scores.shape}, got {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels: expected only 0/1 (or booleans)")
    positive = labels.astype(bool)
    num_pos, num_neg = int(positive.sum()), int((~positive).sum())
    if num_pos == 0 or num_neg == 0:
        raise ValueError(f"labels: need both classes, got {num_pos} positive and {num_neg} negative")
    ordered = np.sort(scores)
    below = np.searchsorted(ordered, scores, side="left")
    equal = np.searchsorted(ordered, scores, side="right") - below
    average_rank = below + (equal + 1) / 2  # 1-based, ties share their mean rank
    u_statistic = average_rank[positive].sum() - num_pos * (num_pos + 1) / 2
    return float(u_statistic / (num_pos * num_neg))


@dataclass(frozen=True)
class AlignWindow:
    """One sliding window of the HTM-Align protocol: seconds [start, end) and the captions scored in it."""

    start: int
    end: int
    captions: np.ndarray  # (k,) caption indices


def _caption_times(starts, ends, alignable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (n,) start/end seconds and alignable flags."""
    starts, ends = _matrix(starts, "starts", ndim=1), _matrix(ends, "ends", ndim=1)
    alignable = np.asarray(alignable).astype(bool)
    if not (starts.shape == ends.shape == alignable.shape):
        raise ValueError(f"starts/ends/alignable: shapes differ ({starts.shape}, {ends.shape}, {alignable.shape})")
    if (ends < starts).any():
        raise ValueError("ends: every end must be >= its start")
    return starts, ends, alignable


def htm_align_windows(num_seconds: int, starts, ends, alignable, *, window: int = 32,
                      stride: int | None = None) -> list[AlignWindow]:
    """Sliding windows of the HTM-Align protocol (TAN's `overlap-seq`) and the captions each one scores.

    Window starts are range(0, T - window // 2, stride), stride = window // 4 by default. A window
    is used only if some *non-alignable* caption (whose times are its ASR times, so no ground
    truth leaks) has its midpoint within [start - window, start + 2 * window]; it scores the
    captions with indices between the first and last such caption (inclusive, captions in time
    order). The first window // stride windows extend that range to the first caption; otherwise
    the last window // stride windows extend it to the last caption.
    """
    starts, ends, alignable = _caption_times(starts, ends, alignable)
    stride = stride or window // 4
    if window < 1 or stride < 1 or num_seconds < 1:
        raise ValueError(f"window/stride/num_seconds: expected >= 1, got {window}/{stride}/{num_seconds}")
    window_starts = np.arange(0, num_seconds - window // 2, stride)
    edge = window // stride
    background = np.flatnonzero(~alignable)
    middles = (starts + ends)[background] / 2
    windows = []
    for k, start in enumerate(window_starts):
        near = background[(start - window <= middles) & (middles <= start + 2 * window)]
        if len(near) == 0:
            continue
        first, last = near.min(), near.max()
        if k < edge:
            first = 0
        elif k >= len(window_starts) - edge:
            last = len(starts) - 1
        windows.append(AlignWindow(int(start), int(min(num_seconds, start + window)),
                                   np.arange(first, last + 1)))
    return windows


def stitch_window_similarities(windows: Sequence[AlignWindow], window_similarities: Sequence,
                               num_captions: int, num_seconds: int) -> np.ndarray:
    """(n, T) per-second similarity averaged over the windows covering it; -inf where no window scored it."""
    if len(windows) != len(window_similarities):
        raise ValueError(f"window_similarities: expected {len(windows)} matrices, got {len(window_similarities)}")
    total = np.zeros((num_captions, num_seconds))
    count = np.zeros((num_captions, num_seconds))
    for k, (w, sim) in enumerate(zip(windows, window_similarities)):
        sim = _matrix(sim, f"window_similarities[{k}]")
        if sim.shape != (len(w.captions), w.end - w.start):
            raise ValueError(f"window_similarities[{k}]: expected shape {(len(w.captions), w.end - w.start)}, "
                             f"got {sim.shape}")
        total[w.captions, w.start: w.end] += sim
        count[w.captions, w.start: w.end] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), -np.inf)


def htm_align_hits(similarity, starts, ends, alignable) -> np.ndarray:
    """For each alignable caption: is argmax_t similarity[caption, t] inside [floor(start), ceil(end)]?"""
    similarity = _matrix(similarity, "similarity")
    starts, ends, alignable = _caption_times(starts, ends, alignable)
    if similarity.shape[0] != len(starts):
        raise ValueError(f"similarity: expected {len(starts)} rows (captions), got {similarity.shape[0]}")
    best = similarity[alignable].argmax(axis=1)  # first maximum on ties
    return (np.floor(starts[alignable]) <= best) & (best <= np.ceil(ends[alignable]))


@dataclass(frozen=True)
class HTMAlignResult:
    """Alignment R@1 over alignable captions and ROC-AUC of alignability over all captions (pooled over videos)."""

    recall_at_1: float
    roc_auc: float
    num_alignable: int
    num_captions: int

    def to_dict(self) -> dict[str, float]:
        """JSON-ready numbers."""
        return {"R@1": self.recall_at_1, "ROC-AUC": self.roc_auc,
                "num_alignable": self.num_alignable, "num_captions": self.num_captions}


def htm_align_metrics(similarities: Sequence, starts: Sequence, ends: Sequence,
                      alignable: Sequence) -> HTMAlignResult:
    """HTM-Align R@1 and ROC-AUC from per-video (captions x seconds) similarities (e.g. stitched windows).

    Alignability score = max similarity over time. ROC-AUC is NaN if only one class is present.
    """
    if not (len(similarities) == len(starts) == len(ends) == len(alignable)) or not similarities:
        raise ValueError("similarities/starts/ends/alignable: expected equally long, non-empty per-video lists")
    hits, labels, scores = [], [], []
    for sim, s, e, a in zip(similarities, starts, ends, alignable):
        hits.append(htm_align_hits(sim, s, e, a))
        labels.append(np.asarray(a).astype(bool))
        scores.append(_matrix(sim, "similarity").max(axis=1))
    hits, labels, scores = np.concatenate(hits), np.concatenate(labels), np.concatenate(scores)
    auc = roc_auc(labels, scores) if 0 < labels.sum() < len(labels) else math.nan
    return HTMAlignResult(recall_at_1=float(hits.mean()) if len(hits) else math.nan, roc_auc=auc,
                          num_alignable=int(labels.sum()), num_captions=len(labels))


# ----------------------------------------------------------------------------- per-video alignment scoring


@dataclass(frozen=True)
class AlignmentScore:
    """How well predicted caption times and drops match the ground truth, pooled over captions of all videos."""

    recall_at_1: float          # alignable captions hit (a dropped caption is a miss)
    recall_at_1_kept: float     # alignable captions hit, among those kept
    alignable_dropped: float    # share of alignable captions dropped
    unalignable_dropped: float  # share of unalignable captions dropped
    roc_auc: float              # alignability score, alignable vs not (NaN with one class)
    num_videos: int
    num_captions: int
    num_alignable: int
    table: dict[str, np.ndarray]  # per caption: video, caption, alignable, true_start, true_end, predicted, second,
    #                               dropped, hit, alignability

    def to_dict(self) -> dict[str, float]:
        """JSON-ready numbers (the table left out)."""
        return {"R@1": self.recall_at_1, "R@1_kept": self.recall_at_1_kept,
                "alignable_dropped": self.alignable_dropped, "unalignable_dropped": self.unalignable_dropped,
                "ROC-AUC": self.roc_auc, "num_videos": self.num_videos, "num_captions": self.num_captions,
                "num_alignable": self.num_alignable}


def _per_video(x, name: str) -> list[np.ndarray]:
    """One 1-D array, or a list of them (one per video), as a list of float arrays."""
    if isinstance(x, (list, tuple)) and (not x or np.ndim(x[0]) == 1):
        return [np.asarray(v, dtype=np.float64).reshape(-1) for v in x]
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array or a list of per-video 1-D arrays, got shape {array.shape}")
    return [array]


def score_alignment(predicted, dropped, alignability, true_start, true_end, alignable, *,
                    video_ids: Sequence[str] | None = None) -> AlignmentScore:
    """Score per-caption predictions against the truth (HTM-Align's hit rule), for one video or a list of videos.

    Each argument is an (n,) array, or a list with one such array per video. `predicted` are times
    in seconds (NaN = no prediction, a miss); a prediction hits when the second that holds it,
    floor(predicted), lies in [floor(true_start), ceil(true_end)] (HTM-Align: the argmax second of
    per-second features against the annotated span). `dropped` captions are misses for R@1 and
    left out of R@1 over kept captions. ROC-AUC ranks captions by `alignability`, pooled.
    """
    columns = {"predicted": predicted, "dropped": dropped, "alignability": alignability,
               "true_start": true_start, "true_end": true_end, "alignable": alignable}
    lists = {name: _per_video(value, name) for name, value in columns.items()}
    num_videos = len(lists["predicted"])
    if num_videos == 0:
        raise ValueError("predicted: expected at least one video")
    for name, arrays in lists.items():
        if len(arrays) != num_videos:
            raise ValueError(f"{name}: expected {num_videos} per-video arrays, got {len(arrays)}")
        for k, (array, reference) in enumerate(zip(arrays, lists["predicted"])):
            if array.shape != reference.shape:
                raise ValueError(f"{name}[{k}]: expected {reference.shape[0]} captions, got {array.shape[0]}")
    if video_ids is not None and len(video_ids) != num_videos:
        raise ValueError(f"video_ids: expected {num_videos} ids, got {len(video_ids)}")
    joined = {name: np.concatenate(arrays) for name, arrays in lists.items()}
    for name in ("alignability", "true_start", "true_end"):
        if not np.isfinite(joined[name]).all():
            raise ValueError(f"{name}: contains NaN or inf")
    for name in ("dropped", "alignable"):
        if not np.isin(joined[name], (0, 1)).all():
            raise ValueError(f"{name}: expected booleans")
    if (joined["true_end"] < joined["true_start"]).any():
        raise ValueError("true_end: every end must be >= its start")
    good, drop = joined["alignable"].astype(bool), joined["dropped"].astype(bool)
    with np.errstate(invalid="ignore"):
        second = np.floor(joined["predicted"])
        hit = (np.floor(joined["true_start"]) <= second) & (second <= np.ceil(joined["true_end"])) & ~drop
    ids = video_ids if video_ids is not None else [str(k) for k in range(num_videos)]
    table = {"video": np.concatenate([np.full(len(a), vid, dtype=object) for vid, a in zip(ids, lists["predicted"])]),
             "caption": np.concatenate([np.arange(len(a)) for a in lists["predicted"]]),
             "alignable": good, "true_start": joined["true_start"], "true_end": joined["true_end"],
             "predicted": joined["predicted"], "second": second, "dropped": drop, "hit": hit & good,
             "alignability": joined["alignability"]}
    auc = roc_auc(good, joined["alignability"]) if 0 < good.sum() < len(good) else math.nan
    return AlignmentScore(
        recall_at_1=mean_or_nan(hit[good]), recall_at_1_kept=mean_or_nan(hit[good & ~drop]),
        alignable_dropped=mean_or_nan(drop[good]), unalignable_dropped=mean_or_nan(drop[~good]),
        roc_auc=auc, num_videos=num_videos, num_captions=len(good), num_alignable=int(good.sum()), table=table)


# ----------------------------------------------------------------------------- step localisation


def argmax_times(scores, times=None) -> np.ndarray:
    """(K,) time of each row's best column of a (steps x time) score matrix; `times` (T,) default 0..T-1."""
    scores = _matrix(scores, "scores")
    times = np.arange(scores.shape[1], dtype=np.float64) if times is None else _matrix(times, "times", ndim=1)
    if times.shape != (scores.shape[1],):
        raise ValueError(f"times: expected {scores.shape[1]} values, got {times.shape}")
    return times[scores.argmax(axis=1)]


def step_hits(predicted_times, step_intervals: Sequence[Sequence[tuple[float, float]]]) -> np.ndarray:
    """(K,) bool: step k's predicted time lies in one of its ground-truth [start, end] intervals (NaN = none)."""
    predicted = np.asarray(predicted_times, dtype=np.float64)
    if predicted.shape != (len(step_intervals),):
        raise ValueError(f"predicted_times: expected {len(step_intervals)} values, got {predicted.shape}")
    return np.array([any(s <= t <= e for s, e in intervals) for t, intervals in zip(predicted, step_intervals)],
                    dtype=bool)


def step_localisation_recall(predicted_times: Sequence, step_intervals: Sequence, tasks: Sequence | None = None
                             ) -> float:
    """Recall of step localisation: steps without ground truth are skipped.

    Without `tasks`: the fraction of a video's annotated steps that are hit, averaged over videos.
    With `tasks` (one label per video): CrossTask's recall, hits / annotated steps pooled over the
    videos of a task, then averaged over tasks.
    """
    if len(predicted_times) != len(step_intervals) or not step_intervals:
        raise ValueError("predicted_times/step_intervals: expected equally long, non-empty per-video lists")
    hit_counts, step_counts = [], []
    for times, intervals in zip(predicted_times, step_intervals):
        annotated = np.array([len(i) > 0 for i in intervals], dtype=bool)
        hit_counts.append(int(step_hits(times, intervals)[annotated].sum()))
        step_counts.append(int(annotated.sum()))
    hit_counts, step_counts = np.array(hit_counts), np.array(step_counts)
    if tasks is None:
        counted = step_counts > 0
        if not counted.any():
            raise ValueError("step_intervals: no video has an annotated step")
        return float(np.mean(hit_counts[counted] / step_counts[counted]))
    if len(tasks) != len(step_counts):
        raise ValueError(f"tasks: expected {len(step_counts)} labels, got {len(tasks)}")
    tasks = np.asarray(tasks)
    recalls = [hit_counts[tasks == t].sum() / step_counts[tasks == t].sum()
               for t in np.unique(tasks) if step_counts[tasks == t].sum() > 0]
    if not recalls:
        raise ValueError("step_intervals: no task has an annotated step")
    return float(np.mean(recalls))
