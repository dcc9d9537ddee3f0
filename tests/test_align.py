"""Alignment methods on constructed cases, and the DP methods against brute force."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from norton import align as A

torch.set_num_threads(1)


def diagonal_similarity(n: int = 5) -> np.ndarray:
    return np.full((n, n), 0.1) + 0.8 * np.eye(n)


@pytest.mark.parametrize("method, kw", [
    ("timestamps", dict(caption_times=[[i + 0.2, i + 0.8] for i in range(5)])),
    ("argmax", {}),
    ("dtw", {}),
    ("drop_dtw", {}),
    ("ot", {}),
    ("ot_bucket", dict(bucket_value=0.5, window=None)),
])
def test_diagonal_similarity_gives_identity(method, kw):
    result = A.align(method, diagonal_similarity(), **kw)
    assert result.method == method
    assert result.assignment.tolist() == [0, 1, 2, 3, 4]
    assert result.alignability.shape == (5,)
    assert result.plan.shape == (5, 5)


def test_argmax_and_timestamps_by_hand():
    sim = np.array([[0.1, 0.7, 0.2], [0.9, 0.0, 0.3]])
    result = A.align("argmax", torch.from_numpy(sim))
    assert result.assignment.tolist() == [1, 0]
    assert result.alignability.tolist() == [0.7, 0.9]
    # caption 0 overlaps clips [0,1], [1,2], [2,3] by 0.5, 1, 0.5; caption 1 overlaps none, nearest is clip 2
    stamps = A.align("timestamps", sim, caption_times=[[0.5, 2.5], [10.0, 11.0]],
                     clip_times=[[0, 1], [1, 2], [2, 3]])
    assert stamps.assignment.tolist() == [1, 2]
    assert stamps.alignability.tolist() == [0.7, 0.3]


def test_dtw_matches_brute_force_over_monotone_assignments():
    rng = np.random.default_rng(0)
    for shape in ((4, 6), (3, 3), (5, 2), (1, 4)):
        sim = rng.normal(size=shape)
        n, m = shape
        best = max(itertools.combinations_with_replacement(range(m), n),
                   key=lambda a: sum(sim[i, j] for i, j in enumerate(a)))
        result = A.align("dtw", sim)
        assert result.assignment.tolist() == list(best)
        assert np.all(np.diff(result.assignment) >= 0)


def brute_force_drop_dtw(gain: np.ndarray) -> float:
    """Best total gain over chains of pairs: clips strictly increasing, captions non-decreasing."""
    cells = [(i, j) for i in range(gain.shape[0]) for j in range(gain.shape[1])]
    best = 0.0
    for size in range(1, len(cells) + 1):
        for subset in itertools.combinations(cells, size):
            chain = sorted(subset, key=lambda c: c[1])
            if all(b[1] > a[1] and b[0] >= a[0] for a, b in zip(chain, chain[1:])):
                best = max(best, sum(gain[c] for c in chain))
    return best


def test_drop_dtw_matches_brute_force_chain():
    rng = np.random.default_rng(1)
    for shape in ((3, 3), (2, 4), (4, 2)):
        sim = rng.normal(size=shape)
        result = A.align("drop_dtw", sim, drop_threshold=0.2)
        gain = sim - 0.2
        assert (gain * result.plan).sum() == pytest.approx(brute_force_drop_dtw(gain))
        pairs = sorted(zip(*np.nonzero(result.plan)), key=lambda c: c[1])
        assert all(b[1] > a[1] and b[0] >= a[0] for a, b in zip(pairs, pairs[1:]))


def test_drop_dtw_drops_an_unmatched_caption_and_clip():
    sim = np.zeros((4, 6))
    sim[0, 1] = sim[1, 2] = sim[3, 4] = 1.0
    sim[2] = -1.0  # caption 2 matches nothing
    sim[:, 5] = -1.0  # clip 5 matches nothing
    dropped = A.align("drop_dtw", sim)  # threshold: the median similarity, 0
    assert dropped.assignment.tolist() == [1, 2, -1, 4]
    assert dropped.kept.tolist() == [True, True, False, True]
    assert dropped.plan[:, 5].sum() == 0
    assert dropped.alignability[2] < dropped.alignability[[0, 1, 3]].min()
    forced = A.align("dtw", sim)  # plain DTW must place caption 2 between clips 2 and 4
    assert forced.assignment[2] in (2, 3, 4) and (forced.assignment >= 0).all()


def test_ot_bucket_drops_outlier_caption_plain_ot_cannot():
    sim = diagonal_similarity(4)
    sim[3] = 0.0  # an outlier caption, similar to no clip
    plain = A.align("ot", sim)
    assert plain.assignment.tolist() == [0, 1, 2, 3]
    assert plain.plan.sum(axis=1) == pytest.approx(np.full(4, 0.25), abs=1e-3)  # its mass must go somewhere
    bucket = A.align("ot_bucket", sim, bucket_value=0.5, standardize=False, window=None, eps=0.1)
    assert bucket.assignment.tolist() == [0, 1, 2, -1]
    assert bucket.alignability[3] < 0 < bucket.alignability[:3].min()  # log(mass on clips / mass in the bucket)
    assert bucket.dropped.tolist() == [False, False, False, True]


def test_default_bucket_value_is_kth_smallest_paired_similarity():
    diag = [0.9, 0.2, 0.5, 0.7, 0.4, 0.8, 0.6]
    sim = np.full((7, 7), 0.0) + np.diag(diag)
    # k = int(0.3 * 7) = 2 -> second smallest of the diagonal
    assert A.default_bucket_value(sim) == pytest.approx(0.4)
    rect = np.array([[0.1, 0.9, 0.0], [0.3, 0.2, 0.6]])
    assert A.default_bucket_value(rect, pairs=[1, 0]) == pytest.approx(0.3)  # k = max(1, 0) = 1
    with pytest.raises(ValueError, match="pairs"):
        A.default_bucket_value(rect)
    # with caption times the pairs come from the timestamps: clips 1 and 0 -> the same value
    raw = dict(eps=0.05, standardize=False, window=None, multiplicity=1.0)
    result = A.align_ot_bucket(rect, caption_times=[[1.2, 1.8], [0.1, 0.5]], bucket="ratio", **raw)
    expected = A.align_ot_bucket(rect, bucket_value=0.3, **raw)
    assert np.allclose(result.plan, expected.plan)


def test_times_and_kept():
    sim = diagonal_similarity(4)
    sim[3] = 0.0
    result = A.align("ot_bucket", sim, bucket_value=0.5, standardize=False, window=None)
    assert result.times[:3].tolist() == [0.5, 1.5, 2.5] and result.kept.tolist() == [True, True, True, False]
    wide = A.align("ot_bucket", sim, bucket_value=0.5, standardize=False, window=None,
                   clip_times=[[0, 4], [4, 8], [8, 12], [12, 16]])
    assert wide.times[:3].tolist() == [2.0, 6.0, 10.0]
    drop = A.align("drop_dtw", sim, drop_threshold=0.5)
    assert drop.dropped[3] and np.isnan(drop.times[3]) and drop.times[:3].tolist() == [0.5, 1.5, 2.5]


def test_timestamps_predict_the_asr_midpoint():
    sim = np.zeros((3, 4))
    result = A.align("timestamps", sim, caption_times=[[0.0, 3.0], [2.2, 2.4], [9.0, 11.0]])
    assert result.times.tolist() == [1.5, 2.3, 10.0]
    assert result.assignment.tolist() == [1, 2, 3]  # the clip holding the midpoint, else the nearest
    assert not result.dropped.any()


def test_plan_times_readouts():
    plan = np.array([[0.1, 0.5, 0.0, 0.0, 0.4], [0.0, 0.0, 0.0, 0.0, 0.0]])
    clips = np.array([[j, j + 1.0] for j in range(5)])
    assert A.plan_times(plan, clips, "argmax")[0] == 1.5
    assert A.plan_times(plan, clips, "local_mean", radius=1.0)[0] == pytest.approx((0.1 * 0.5 + 0.5 * 1.5) / 0.6)
    assert A.plan_times(plan, clips, "mean")[0] == pytest.approx(0.1 * 0.5 + 0.5 * 1.5 + 0.4 * 4.5)
    assert np.isnan(A.plan_times(plan, clips, "mean")[1])
    with pytest.raises(ValueError, match="readout"):
        A.plan_times(plan, clips, "median")


def test_window_keeps_captions_near_their_asr_span():
    clips = np.array([[j, j + 1.0] for j in range(10)])
    near = A.window_mask([[2.0, 3.0], [20.0, 21.0]], clips, window=1.0)
    assert np.flatnonzero(near[0]).tolist() == [1, 2, 3]  # centres 1.5, 2.5, 3.5 are within 1 s of [2, 3]
    assert np.flatnonzero(near[1]).tolist() == [9]  # nothing within 1 s: its nearest clip stays
    # a caption whose best clip is outside its window cannot take it
    sim = np.zeros((2, 10))
    sim[0, 8] = 5.0
    sim[1, 1] = 5.0
    caption_times = [[0.0, 1.0], [8.0, 9.0]]
    free = A.align("ot_bucket", sim, caption_times=caption_times, window=None, bucket_value=-5.0)
    windowed = A.align("ot_bucket", sim, caption_times=caption_times, window=2.0, bucket_value=-5.0)
    assert free.assignment.tolist() == [8, 1]
    assert windowed.assignment[0] <= 2 and windowed.assignment[1] >= 6
    with pytest.raises(ValueError, match="caption_times"):
        A.align("ot_bucket", sim)  # the default window needs the ASR times


def test_standardized_alignment_is_scale_free():
    rng = np.random.default_rng(1)
    sim = rng.normal(size=(5, 40))
    times = [[8.0 * i, 8.0 * i + 4] for i in range(5)]
    one = A.align("ot_bucket", sim, caption_times=times)
    scaled = A.align("ot_bucket", 0.01 * sim - 3.0, caption_times=times)
    np.testing.assert_allclose(one.plan, scaled.plan, atol=1e-12)
    assert one.bucket.multiplicity == 8.0  # default: clips per caption
    np.testing.assert_allclose(A.standardized(sim).mean(), 0, atol=1e-12)
    assert A.standardized(np.ones((2, 2))).tolist() == [[0, 0], [0, 0]]


def test_settings_are_checked_and_overridden_by_name():
    settings = A.AlignSettings()
    assert settings.override(eps=0.5).eps == 0.5 and settings.eps == 0.25
    with pytest.raises(ValueError, match="unknown setting"):
        settings.override(epsilon=0.5)
    for bad, match in ((dict(bucket="sometimes"), "bucket"), (dict(times="mode"), "times"),
                       (dict(multiplicity=0.5), "multiplicity"), (dict(window=-1.0), "window"),
                       (dict(eps=0.0), "eps"), (dict(prompt_ratio=0.0), "prompt_ratio")):
        with pytest.raises(ValueError, match=match):
            A.AlignSettings(**bad)
    with pytest.raises(ValueError, match="align_ot"):
        A.align_ot_bucket(np.eye(2), bucket="off")


def test_registry_and_bad_input():
    sim = diagonal_similarity(3)
    with pytest.raises(ValueError, match="method"):
        A.align("hungarian", sim)
    with pytest.raises(ValueError, match="unknown parameter"):
        A.align("argmax", sim, eps=0.1)
    with pytest.raises(ValueError, match="unknown parameter"):
        A.align("ot", sim, bucket="value")  # plain OT has no bucket
    with pytest.raises(ValueError, match="NaN"):
        A.align("dtw", np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="similarity"):
        A.align("dtw", np.zeros(3))
    with pytest.raises(ValueError, match="caption_times"):
        A.align("timestamps", sim, caption_times=[[0, 1]])
    with pytest.raises(ValueError, match="drop_quantile"):
        A.align("drop_dtw", sim, drop_quantile=1.5)
    assert A.align("ot", sim, eps=0.05).assignment.tolist() == [0, 1, 2]
