"""Metrics on small hand-made cases with answers worked out by hand or by brute force."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from norton import metrics as M

torch.set_num_threads(1)


# ----------------------------------------------------------------------------- retrieval


SCORES_3X3 = np.array([
    [0.9, 0.1, 0.5],  # target 0 is the best: rank 1
    [0.8, 0.2, 0.3],  # target 1 is beaten by 0.8 and 0.3: rank 3
    [0.4, 0.6, 0.6],  # target 2 ties with item 1: rank 2 (pessimistic) or 1 (optimistic)
])


def test_ranks_hand_case_both_tie_rules():
    assert M.retrieval_ranks(SCORES_3X3).tolist() == [1, 3, 2]
    assert M.retrieval_ranks(SCORES_3X3, ties="optimistic").tolist() == [1, 3, 1]


def test_retrieval_metrics_hand_case():
    result = M.retrieval_metrics(SCORES_3X3)
    assert result.r1 == pytest.approx(1 / 3)
    assert result.r5 == 1.0 and result.r10 == 1.0
    assert result.median_rank == 2.0
    assert result.to_dict() == {"R@1": result.r1, "R@5": 1.0, "R@10": 1.0, "MedR": 2.0}
    assert M.retrieval_metrics(SCORES_3X3, ties="optimistic").r1 == pytest.approx(2 / 3)


def test_constant_scores_are_worst_case_when_pessimistic():
    scores = np.zeros((4, 4))
    assert M.retrieval_ranks(scores).tolist() == [4, 4, 4, 4]
    assert M.retrieval_ranks(scores, ties="optimistic").tolist() == [1, 1, 1, 1]


def test_ranks_match_sorted_position_on_random_scores():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20, 30))  # continuous: no ties
    targets = rng.integers(0, 30, size=20)
    expected = [list(np.argsort(-row)).index(t) + 1 for row, t in zip(scores, targets)]
    ranks = M.retrieval_ranks(torch.from_numpy(scores), targets)
    assert ranks.tolist() == expected
    result = M.retrieval_metrics(scores, targets)
    assert result.r10 == pytest.approx(np.mean(np.array(expected) <= 10))
    assert result.median_rank == pytest.approx(np.median(expected))


@pytest.mark.parametrize("kwargs, match", [
    (dict(scores=np.zeros((2, 3))), "targets"),
    (dict(scores=np.zeros((2, 2)), targets=np.array([0, 2])), "targets"),
    (dict(scores=np.array([[np.nan, 0.0], [0.0, 1.0]])), "NaN"),
    (dict(scores=np.zeros(3)), "dimensions"),
    (dict(scores=np.zeros((2, 2)), ties="random"), "ties"),
])
def test_retrieval_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.retrieval_ranks(**kwargs)


# ----------------------------------------------------------------------------- DTW


def brute_force_dtw(distance: np.ndarray) -> float:
    """Minimum over every monotone path (right, down, diagonal steps) of the summed distances."""
    n, m = distance.shape

    def paths_from(i: int, j: int):
        if (i, j) == (n - 1, m - 1):
            yield [(i, j)]
            return
        for di, dj in ((0, 1), (1, 0), (1, 1)):
            if i + di < n and j + dj < m:
                for rest in paths_from(i + di, j + dj):
                    yield [(i, j)] + rest

    return min(sum(distance[c] for c in path) for path in paths_from(0, 0))


def test_dtw_2x3_hand_case():
    # the cheapest path is (0,0) -> (1,1) -> (1,2): 1 + 1 + 1 (the next best, via (0,1) diagonally, costs 5)
    distance = np.array([[1.0, 3.0, 5.0], [4.0, 1.0, 1.0]])
    assert M.dtw_cost(distance) == pytest.approx(3.0)


def test_dtw_equals_brute_force_and_padding_is_ignored():
    rng = np.random.default_rng(1)
    matrices = [rng.normal(size=shape) for shape in ((3, 4), (2, 2), (4, 3), (1, 4))]
    for d in matrices:
        assert M.dtw_cost(d) == pytest.approx(brute_force_dtw(d))
    padded = np.full((len(matrices), 4, 4), 99.0)
    for k, d in enumerate(matrices):
        padded[k, : d.shape[0], : d.shape[1]] = d
    rows, cols = [d.shape[0] for d in matrices], [d.shape[1] for d in matrices]
    batched = M.dtw_costs(padded, rows, cols)
    assert batched == pytest.approx([brute_force_dtw(d) for d in matrices])


def test_dtw_bad_lengths():
    with pytest.raises(ValueError, match="cols"):
        M.dtw_costs(np.zeros((2, 3, 3)), [3, 3], [3, 4])


# ----------------------------------------------------------------------------- OTAM


def brute_force_otam_one_direction(distance: np.ndarray) -> float:
    """Min over OTAM paths: a run down column 0 from any row, then one cell per column (same row or next)."""
    n, m = distance.shape
    best = math.inf
    for first, last in itertools.combinations_with_replacement(range(n), 2):
        head = distance[first: last + 1, 0].sum()
        for steps in itertools.product((0, 1), repeat=m - 1):
            rows = last + np.cumsum(steps)
            if len(rows) and rows[-1] >= n:
                continue
            best = min(best, head + sum(distance[r, j + 1] for j, r in enumerate(rows)))
    return best


def test_otam_hand_case_and_tempclr_sign_quirk():
    # captions->segments: row 0 alone costs -1, row 1 alone -2, both rows on the single column -3.
    # The quirk computes the second row as -2 - min(0, -1) = -1 instead of -2 + (-1) = -3.
    # segments->captions ([[-1, -2]]: one row covering both columns) costs -3 either way.
    distance = np.array([[-1.0], [-2.0]])
    assert M.otam_costs(distance[None])[0] == pytest.approx(-3.0)
    assert M.otam_costs(distance[None], tempclr_sign_quirk=True)[0] == pytest.approx(-1.0)
    assert M.otam_cost(distance) == pytest.approx(-6.0)
    assert M.otam_cost(distance, tempclr_sign_quirk=True) == pytest.approx(-4.0)


def test_otam_quirk_agrees_when_min_term_is_zero():
    # non-negative distances: every accumulated cost is >= 0, so min(0, ...) = 0 and the sign is moot
    distance = np.array([[1.0], [2.0]])  # best: row 0 alone (1); other direction [[1, 2]] costs 3
    assert M.otam_cost(distance) == pytest.approx(4.0)
    assert M.otam_cost(distance, tempclr_sign_quirk=True) == pytest.approx(4.0)
    rng = np.random.default_rng(2)
    for _ in range(5):
        d = rng.uniform(0, 1, size=(3, 4))
        assert M.otam_cost(d, tempclr_sign_quirk=True) == pytest.approx(M.otam_cost(d))


def test_otam_equals_brute_force_and_quirk_differs_on_negative_distances():
    rng = np.random.default_rng(3)
    differs = 0
    for shape in ((3, 4), (4, 3), (2, 5), (1, 3), (3, 1)):
        d = rng.normal(size=shape) - 0.5
        assert M.otam_costs(d[None])[0] == pytest.approx(brute_force_otam_one_direction(d))
        assert M.otam_cost(d) == pytest.approx(brute_force_otam_one_direction(d)
                                               + brute_force_otam_one_direction(d.T))
        differs += not np.isclose(M.otam_cost(d, tempclr_sign_quirk=True), M.otam_cost(d))
    assert differs > 0


def test_otam_padded_batch_matches_single():
    rng = np.random.default_rng(4)
    matrices = [rng.normal(size=s) for s in ((2, 3), (4, 4), (3, 1))]
    padded = np.full((3, 4, 4), -50.0)  # padding that would dominate any path touching it
    for k, d in enumerate(matrices):
        padded[k, : d.shape[0], : d.shape[1]] = d
    rows, cols = [d.shape[0] for d in matrices], [d.shape[1] for d in matrices]
    for quirk in (False, True):
        batched = M.otam_costs(padded, rows, cols, tempclr_sign_quirk=quirk)
        single = [M.otam_costs(d[None], tempclr_sign_quirk=quirk)[0] for d in matrices]
        assert batched == pytest.approx(single)


def test_otam_soft_min_hand_case_and_limit():
    d = np.array([[-1.0], [-2.0]])
    # gamma = 1: cell (1,0) = -2 + softmin(0, -1, 0); end = softmin(-1, -1, that cell)
    cell = -2 - math.log(2 + math.e)
    expected = -math.log(2 * math.e + math.exp(-cell))
    assert M.otam_costs(d[None], gamma=1.0)[0] == pytest.approx(expected)
    rng = np.random.default_rng(5)
    m = rng.normal(size=(3, 4))
    hard = M.otam_cost(m)
    assert M.otam_cost(m, gamma=1e-4) == pytest.approx(hard, abs=1e-2)
    assert M.otam_cost(m, gamma=0.5) < hard  # a soft-min never exceeds the min
    with pytest.raises(ValueError, match="gamma"):
        M.otam_cost(m, gamma=-1.0)


# ----------------------------------------------------------------------------- video-paragraph retrieval


def test_caption_average_by_hand():
    captions = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0]])]
    videos = [np.array([[1.0, 0.0], [0.0, 3.0]]), np.array([[2.0, 0.0]])]
    # p0 v0: captions' best segments give 1 and 3 -> 2; p0 v1: 2 and 0 -> 1
    # p1 v0: max(1, 3) = 3;                         p1 v1: 2
    expected = np.array([[2.0, 1.0], [3.0, 2.0]])
    assert M.caption_average_scores(captions, videos) == pytest.approx(expected)


def test_temporal_methods_use_order_where_caption_average_cannot():
    e = np.eye(3)
    captions = [e, e[::-1]]
    videos = [e, e[::-1]]  # same segments, reversed order
    scores = M.video_paragraph_scores(captions, videos, progress=False)
    assert scores["caption_average"][0, 0] == pytest.approx(scores["caption_average"][0, 1])
    for method in ("dtw", "otam"):
        assert scores[method][0, 0] > scores[method][0, 1]
        assert scores[method][1, 1] > scores[method][1, 0]
    results = M.video_paragraph_retrieval(captions, videos, progress=False)
    assert results["dtw"].r1 == 1.0 and results["otam"].r1 == 1.0
    assert results["caption_average"].r1 == 0.0  # ties are pessimistic


def test_paragraph_scores_follow_protocol_scaling():
    rng = np.random.default_rng(6)
    captions = [rng.normal(size=(n, 4)) for n in (2, 3, 4)]
    videos = [rng.normal(size=(m, 4)) for m in (2, 3, 4)]
    scores = M.video_paragraph_scores(captions, videos, progress=False)
    p, v = 0, 2  # 2 captions vs 4 segments, longest paragraph 4, longest video 4
    distance = -(captions[p] @ videos[v].T) * (4 * 4) / (2 * 4)
    assert scores["dtw"][p, v] == pytest.approx(-brute_force_dtw(distance))
    expected_otam = brute_force_otam_one_direction(distance) + brute_force_otam_one_direction(distance.T)
    assert scores["otam"][p, v] == pytest.approx(-expected_otam)


def test_select_background_windows_by_hand():
    sim = np.array([[0.1, 0.9, 0.0, 0.2, 0.2],
                    [0.0, 0.1, 0.3, 0.8, 0.1]])
    # window maxima 0.1 0.9 0.3 0.8 0.2; keep int(1.3 * 2) = 2 -> windows 1 and 3
    assert M.select_background_windows(sim).tolist() == [1, 3]
    # 3 captions keep int(3.9) = 3; the tie 0.2 vs 0.2 at windows 3/4 keeps the earlier one
    sim3 = np.array([[0.5, 0.1, 0.9, 0.2, 0.2]] * 3)
    assert M.select_background_windows(sim3).tolist() == [0, 2, 3]
    assert M.select_background_windows(sim3, keep_ratio=5.0).tolist() == [0, 1, 2, 3, 4]


def test_background_protocol_pair_by_hand():
    rng = np.random.default_rng(7)
    captions = [rng.normal(size=(2, 3)), rng.normal(size=(3, 3))]
    videos = [rng.normal(size=(6, 3)), rng.normal(size=(5, 3))]
    protocol = M.ParagraphProtocol(background=True)
    scores = M.video_paragraph_scores(captions, videos, protocol, progress=False)
    p, v = 1, 0
    sim = captions[p] @ videos[v].T  # (3, 6); keep int(3.9) = 3 windows with the highest caption max
    keep = sorted(np.argsort(-sim.max(axis=0))[:3])
    kept = sim[:, keep]
    dtw_distance = (3.0 - kept) * (3 * 6) / (3 * 3)  # L_t * L_v / (n * k)
    otam_distance = (0.0 - kept) * max(3, 6) / max(3, 3)  # max(L_t, L_v) / max(n, k)
    assert scores["dtw"][p, v] == pytest.approx(-brute_force_dtw(dtw_distance))
    expected = brute_force_otam_one_direction(otam_distance) + brute_force_otam_one_direction(otam_distance.T)
    assert scores["otam"][p, v] == pytest.approx(-expected)
    full = M.caption_average_scores(captions, videos)  # caption average sees every window
    assert scores["caption_average"] == pytest.approx(full)


@pytest.mark.parametrize("background", [False, True])
def test_batched_paragraph_scores_equal_pair_by_pair(background, monkeypatch):
    rng = np.random.default_rng(9)
    captions = [rng.normal(size=(n, 3)) for n in (2, 3, 2, 4)]
    videos = [rng.normal(size=(m, 3)) for m in (1, 5, 3, 7)]  # video 0 is shorter than int(1.3 * n)
    videos[3][4] = videos[3][2]  # a tie between two windows
    protocol = M.ParagraphProtocol(background=background, tempclr_sign_quirk=True)
    monkeypatch.setattr(M, "PAIRS_PER_CHUNK", 5)  # several chunks per caption count
    scores = M.video_paragraph_scores(captions, videos, protocol, progress=False)
    max_rows, max_cols = 4, 7
    for p, c in enumerate(captions):
        for v, video in enumerate(videos):
            sim = c @ video.T
            if background:
                sim = sim[:, M.select_background_windows(sim)]
            n, k = sim.shape
            dtw_scale = max_rows * max_cols / (n * k)
            otam_scale = max(max_rows, max_cols) / max(n, k) if background else dtw_scale
            offset = 3.0 if background else 0.0
            assert scores["dtw"][p, v] == pytest.approx(-M.dtw_cost((offset - sim) * dtw_scale))
            expected = M.otam_cost(-sim * otam_scale, tempclr_sign_quirk=True)
            assert scores["otam"][p, v] == pytest.approx(-expected)


INF = np.inf


def test_tempclr_pad_dtw_by_hand():
    padded = M.tempclr_pad(np.array([[1.0, 2.0], [3.0, 4.0]]), 3, 3, otam=False)
    assert padded.tolist() == [[1, 2, INF], [3, 4, 0], [INF, INF, 0]]
    # (0,0) -> (0,1) -> diagonal into the zero block skips caption 1: 3, where plain DTW gives 1 + 4 = 5
    assert M.dtw_cost(padded) == 3.0
    assert M.dtw_cost([[1.0, 2.0], [3.0, 4.0]]) == 5.0
    # a video of the maximal length: the slice -0: zeroes every column of the last real row
    full = M.tempclr_pad(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), 3, 3, otam=False)
    assert full.tolist() == [[1, 2, 3], [0, 0, 0], [0, 0, 0]]
    assert M.dtw_cost(full) == 1.0


def test_tempclr_pad_otam_loses_the_free_end():
    d = np.array([[-5.0], [1.0], [1.0], [1.0]])
    padded = M.tempclr_pad(d, 5, 2, otam=True)
    assert padded.tolist() == [[0, -5, 0, INF], [0, 1, 0, INF], [0, 1, 0, INF], [0, 1, 0, 0],
                               [INF, INF, INF, 0]]
    # real column costs down the rows: -5, -4, -3, -2. Free end: -5 (stop after row 0);
    # padded, the path can skip at most two trailing rows: -4
    assert M.otam_costs(d[None])[0] == -5.0
    assert M.otam_costs(padded[None, :, 1:-1], end_distances=padded[None, :, -1])[0] == -4.0
    # fewer target rows than the matrix has (possible for the transposed direction): the pad crops
    # to 2 rows, then the zeroed block starts at row -(-1) - 1 = 0 and column -0 = 0: everything
    assert M.tempclr_pad(np.ones((3, 2)), 2, 3, otam=False).tolist() == [[1, 1, 0], [1, 1, 0]]
    assert M.tempclr_pad(np.ones((3, 1)), 2, 1, otam=False).tolist() == [[0.0], [0.0]]


@pytest.mark.parametrize("background", [False, True])
def test_tempclr_padding_protocol_uses_padded_pairs(background):
    rng = np.random.default_rng(10)
    captions = [rng.normal(size=(n, 3)) for n in (2, 4)]
    videos = [rng.normal(size=(m, 3)) for m in (2, 7)]  # with background, 4 captions keep 5 > 4 windows
    protocol = M.ParagraphProtocol(background=background, tempclr_padding=True, tempclr_sign_quirk=True)
    scores = M.video_paragraph_scores(captions, videos, protocol, progress=False)
    for p, v in itertools.product(range(2), range(2)):
        sim = captions[p] @ videos[v].T
        if background:
            sim = sim[:, M.select_background_windows(sim)]
        n, k = sim.shape
        dtw_distance = ((3.0 if background else 0.0) - sim) * 4 * 7 / (n * k)
        padded = M.tempclr_pad(dtw_distance, 4, 7, otam=False)
        assert padded.shape == (4, 7)
        assert scores["dtw"][p, v] == pytest.approx(-M.dtw_cost(padded))
        otam_distance = -sim * (7 / max(n, k) if background else 4 * 7 / (n * k))
        expected = 0.0
        for direction in (otam_distance, otam_distance.T):
            padded = M.tempclr_pad(direction, 4, 7, otam=True)
            assert padded.shape == (4, 9)
            expected += M.otam_costs(padded[None, :, 1:-1], end_distances=padded[None, :, -1],
                                     tempclr_sign_quirk=True)[0]
        assert scores["otam"][p, v] == pytest.approx(-expected)


def released_pad(d: torch.Tensor, target0: int, target1: int, otam: bool) -> torch.Tensor:
    """The released padding, spelled with torch's own F.pad (negative pads crop) and slice semantics."""
    gap0, gap1 = target0 - d.shape[0], target1 - d.shape[1]
    if otam:
        d = torch.nn.functional.pad(d, (1, 1), value=0.0)
    d = torch.nn.functional.pad(d, (0, gap1, 0, gap0), value=float("inf"))
    d[-gap0 - 1:, -gap1:] = 0
    return d


def released_dtw(d: torch.Tensor) -> float:
    n, m = d.shape
    cum = torch.zeros(n, m, dtype=d.dtype)
    for i in range(n):
        for j in range(m):
            previous = [cum[a, b] for a, b in ((i - 1, j - 1), (i, j - 1), (i - 1, j)) if a >= 0 and b >= 0]
            cum[i, j] = d[i, j] + (min(previous) if previous else 0)
    return float(cum[-1, -1])


def released_otam(d: torch.Tensor, quirk: bool) -> float:
    """Cell by cell: column 0 is never filled (stays 0); column 1 looks left, up-left and up; middle
    columns left and up-left; the last column left, up-left and up; the first row only looks left."""
    n, w = d.shape
    cum = torch.zeros(n, w, dtype=d.dtype)
    for j in range(1, w):
        cum[0, j] = d[0, j] + cum[0, j - 1]
    for i in range(1, n):
        for j in range(1, w):
            previous = [cum[i - 1, j - 1], cum[i, j - 1]]
            if j in (1, w - 1):
                previous.append(cum[i - 1, j])
            sign = -1 if (quirk and j == 1) else 1
            cum[i, j] = d[i, j] + sign * min(previous)
    return float(cum[-1, -1])


@pytest.mark.parametrize("background", [False, True])
def test_released_emulation_matches_a_cell_by_cell_reference(background):
    rng = np.random.default_rng(11)
    captions = [rng.normal(size=(n, 4)) for n in (3, 1, 4, 2)]
    videos = [rng.normal(size=(m, 4)) for m in ((3, 1, 4, 2) if not background else (6, 2, 9, 5))]
    protocol = M.ParagraphProtocol(background=background, tempclr_padding=True, tempclr_sign_quirk=True)
    scores = M.video_paragraph_scores(captions, videos, protocol, progress=False)
    lt, lv = 4, max(len(v) for v in videos)
    for p, v in itertools.product(range(4), range(4)):
        m = torch.from_numpy(captions[p] @ videos[v].T)
        if background:  # windows with the smallest min-over-captions distance, back in temporal order
            nearest = torch.argsort((3.0 - m).min(0).values, stable=True)[: int(1.3 * len(m))]
            m = m[:, torch.sort(nearest).values]
        n, k = m.shape
        d = ((3.0 if background else 0.0) - m) * (lt * lv) / (n * k)
        assert scores["dtw"][p, v] == pytest.approx(-released_dtw(released_pad(d.clone(), lt, lv, False)))
        d = -m * (max(lt, lv) / max(n, k) if background else (lt * lv) / (n * k))
        otam = (released_otam(released_pad(d.clone(), lt, lv, True), True)
                + released_otam(released_pad(d.T.clone(), lt, lv, True), True))
        assert scores["otam"][p, v] == pytest.approx(-otam)


def test_paragraph_bad_input():
    with pytest.raises(ValueError, match="one paragraph per video"):
        M.video_paragraph_retrieval([np.eye(2)], [np.eye(2), np.eye(2)], progress=False)
    with pytest.raises(ValueError, match=r"videos\[1\]"):
        M.video_paragraph_scores([np.eye(2)], [np.eye(2), np.zeros((0, 2))], progress=False)
    with pytest.raises(ValueError, match="embedding size"):
        M.video_paragraph_scores([np.eye(2)], [np.eye(3)], progress=False)


# ----------------------------------------------------------------------------- ROC-AUC and HTM-Align


def brute_force_auc(labels, scores) -> float:
    """Mann-Whitney U / (n_pos * n_neg) over every positive-negative pair."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    return sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg) / (len(pos) * len(neg))


def test_roc_auc_hand_cases():
    assert M.roc_auc([1, 0], [0.5, 0.5]) == 0.5
    assert M.roc_auc([1, 1, 0, 0], [1.0, 1.0, 1.0, 1.0]) == 0.5
    assert M.roc_auc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert M.roc_auc([0, 1], [0.9, 0.1]) == 0.0
    # pairs: 0.9>0.4, 0.9>0.1, 0.4=0.4 (1/2), 0.4>0.1 -> 3.5 / 4
    assert M.roc_auc([1, 1, 0, 0], [0.9, 0.4, 0.4, 0.1]) == pytest.approx(0.875)


def test_roc_auc_matches_brute_force_with_ties():
    rng = np.random.default_rng(8)
    for _ in range(5):
        labels = rng.integers(0, 2, size=25)
        labels[:2] = [0, 1]
        scores = rng.integers(0, 4, size=25).astype(float)  # many ties
        assert M.roc_auc(labels.astype(bool), scores) == pytest.approx(brute_force_auc(labels, scores))


def test_roc_auc_bad_input():
    with pytest.raises(ValueError, match="both classes"):
        M.roc_auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="0/1"):
        M.roc_auc([2, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        M.roc_auc([1, 0], [np.nan, 0.2])


def test_htm_align_hits_toy():
    sim = np.array([
        [0, 1, 2, 5, 1, 0],  # argmax 3, window [floor 1.5, ceil 2.2] = [1, 3]: hit
        [9, 0, 0, 0, 0, 0],  # not alignable: ignored
        [0, 0, 0, 1, 2, 7],  # argmax 5, window [3, 4]: miss
    ], dtype=float)
    hits = M.htm_align_hits(sim, [1.5, 0.0, 3.2], [2.2, 1.0, 4.0], [1, 0, 1])
    assert hits.tolist() == [True, False]


def test_htm_align_windows_by_hand():
    # T = 100, window 32, stride 8: starts 0, 8, ..., 80 (11 windows); the first 4 extend to caption 0,
    # the last 4 to the last caption. Non-alignable midpoints: 11 (c1), 51 (c3), 92 (c4).
    starts = [2, 10, 30, 50, 90, 95]
    ends = [4, 12, 34, 52, 94, 97]
    alignable = [1, 0, 1, 0, 0, 1]
    windows = M.htm_align_windows(100, starts, ends, alignable)
    assert [w.start for w in windows] == list(range(0, 88, 8))
    by_start = {w.start: (w.end, w.captions.tolist()) for w in windows}
    assert by_start[0] == (32, [0, 1, 2, 3])  # [-32, 64] holds c1, c3; extended to c0
    assert by_start[32] == (64, [1, 2, 3, 4])  # [0, 96] holds c1, c3, c4
    assert by_start[48] == (80, [3, 4])  # [16, 112] holds c3, c4
    assert by_start[56] == (88, [3, 4, 5])  # extended to the last caption
    assert by_start[80] == (100, [3, 4, 5])  # clipped at the video end
    # without a non-alignable caption nearby a window is skipped
    lone = M.htm_align_windows(100, [0, 90], [2, 94], [1, 0])
    assert [w.start for w in lone] == [32, 40, 48, 56, 64, 72, 80]


def test_stitch_window_similarities_by_hand():
    windows = [M.AlignWindow(0, 4, np.array([0, 1])), M.AlignWindow(2, 6, np.array([1]))]
    sims = [np.array([[1.0] * 4, [2.0] * 4]), np.array([[4.0] * 4])]
    stitched = M.stitch_window_similarities(windows, sims, num_captions=2, num_seconds=6)
    assert stitched[0].tolist() == [1, 1, 1, 1, -np.inf, -np.inf]
    assert stitched[1].tolist() == [2, 2, 3, 3, 4, 4]
    with pytest.raises(ValueError, match="shape"):
        M.stitch_window_similarities(windows, [np.zeros((2, 3)), sims[1]], 2, 6)


def test_htm_align_metrics_pooled_over_videos():
    video_a = np.array([[0, 5, 0], [1, 0, 0]], dtype=float)  # caption 0 alignable at [1, 1]: hit
    video_b = np.array([[3, 0, 0], [0, 0, 2]], dtype=float)  # caption 0 alignable at [2, 2]: miss
    result = M.htm_align_metrics([video_a, video_b], [[1, 0], [2, 0]], [[1, 1], [2, 1]], [[1, 0], [1, 0]])
    assert result.recall_at_1 == 0.5
    # alignability = row max: positives 5, 3; negatives 1, 2 -> every pair ordered correctly
    assert result.roc_auc == 1.0
    assert (result.num_alignable, result.num_captions) == (2, 4)


# ----------------------------------------------------------------------------- step localisation


def test_step_recall_by_hand():
    intervals = [
        [[(0, 2)], [], [(5, 6), (8, 9)]],  # step 1 has no ground truth: skipped
        [[(1, 1)], [(3, 4)], [(6, 7)]],
    ]
    predicted = [np.array([1.0, 3.0, 7.0]), np.array([1.0, 4.0, 6.0])]  # video 0: 1 of 2; video 1: 3 of 3
    assert M.step_localisation_recall(predicted, intervals) == pytest.approx((0.5 + 1.0) / 2)
    assert M.step_localisation_recall(predicted, intervals, tasks=["a", "a"]) == pytest.approx(4 / 5)
    assert M.step_localisation_recall(predicted, intervals, tasks=["a", "b"]) == pytest.approx(0.75)
    no_prediction = [np.array([np.nan, 3.0, 7.0]), predicted[1]]
    assert M.step_localisation_recall(no_prediction, intervals) == pytest.approx(0.5)


def test_argmax_times():
    scores = np.array([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]])
    assert M.argmax_times(scores).tolist() == [1.0, 0.0]
    assert M.argmax_times(scores, times=[0.5, 1.5, 2.5]).tolist() == [1.5, 0.5]
    with pytest.raises(ValueError, match="times"):
        M.argmax_times(scores, times=[0.0, 1.0])


# ----------------------------------------------------------------------------- per-video alignment scoring


def test_score_alignment_by_hand():
    # video a: 4 captions, 3 alignable. b: 2 captions, 1 alignable.
    predicted = [np.array([2.7, 9.0, np.nan, 4.2]), np.array([0.5, 3.0])]
    dropped = [np.array([False, False, True, False]), np.array([False, True])]
    alignability = [np.array([0.9, 0.2, 0.1, 0.5]), np.array([0.8, 0.3])]
    start = [np.array([2.5, 3.0, 1.0, 0.0]), np.array([1.2, 0.0])]
    end = [np.array([3.5, 4.0, 2.0, 1.0]), np.array([1.4, 1.0])]
    alignable = [np.array([True, True, True, False]), np.array([True, False])]
    score = M.score_alignment(predicted, dropped, alignability, start, end, alignable, video_ids=["a", "b"])
    # hits: a0 (second 2 in [2, 4]); a1 misses (9 > 4); a2 dropped; b0: second 0 < floor(1.2) = 1 -> miss
    assert score.recall_at_1 == pytest.approx(1 / 4)
    assert score.recall_at_1_kept == pytest.approx(1 / 3)  # a0, a1, b0 kept
    assert score.alignable_dropped == pytest.approx(1 / 4)
    assert score.unalignable_dropped == pytest.approx(1 / 2)  # b1 dropped, a3 kept
    # AUC: positives 0.9, 0.2, 0.1, 0.8 against negatives 0.5, 0.3: pairs won 2 + 0 + 0 + 2 = 4 of 8
    assert score.roc_auc == pytest.approx(4 / 8)
    assert (score.num_videos, score.num_captions, score.num_alignable) == (2, 6, 4)
    assert score.table["video"].tolist() == ["a"] * 4 + ["b"] * 2
    assert score.table["hit"].tolist() == [True, False, False, False, False, False]
    assert score.table["second"][:2].tolist() == [2.0, 9.0]
    assert set(score.to_dict()) >= {"R@1", "R@1_kept", "alignable_dropped", "unalignable_dropped", "ROC-AUC"}


def test_score_alignment_edges_of_the_span_and_one_video():
    # the HTM-Align rule: floor(start) <= floor(predicted) <= ceil(end)
    score = M.score_alignment([1.99, 2.0, 5.99, 6.0], [False] * 4, [1, 2, 3, 4], [2.4] * 4, [4.2] * 4, [True] * 4)
    assert score.table["hit"].tolist() == [False, True, True, False]
    assert math.isnan(score.roc_auc) and score.num_videos == 1


def test_score_alignment_rejects_bad_input():
    ok = dict(predicted=[1.0], dropped=[False], alignability=[0.5], true_start=[0.0], true_end=[2.0], alignable=[True])
    for name, value, match in (("dropped", [2], "dropped"), ("true_end", [-1.0], "true_end"),
                               ("alignability", [np.nan], "alignability"), ("predicted", [1.0, 2.0], "captions"),
                               ("alignable", [[True], [False]], "per-video")):
        with pytest.raises(ValueError, match=match):
            M.score_alignment(**{**ok, name: value})
    with pytest.raises(ValueError, match="video_ids"):
        M.score_alignment(**ok, video_ids=["a", "b"])
