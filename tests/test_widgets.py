"""Views: pure figure functions on small arrays, slider observers, HTML snapshots, and norton.explore's helpers."""
import json
import math

import numpy as np
import pytest
import torch

from norton import NortonConfig, bucket_sinkhorn
from norton.config import VARIANT_SWITCHES
from norton.data.captions import Captions
from norton.data.synthetic import SyntheticConfig, make_synthetic
from norton.data.videos import GroundTruth, LongVideo
from norton.align import AlignSettings, align_timestamps, ot_alignment
from norton.explore import (
    VideoTokens,
    alignment_report,
    clip_windows,
    content_free_similarity,
    pair_detail,
    pearson,
    soft_max_detail,
    video_similarity,
    video_tokens,
    walk_switches,
    switch_metrics,
)
from norton.oracle import oracle_text_encoder
from norton.ot import bucket_marginals
from norton.similarity import soft_max_similarity
from widgets.figures import (
    PLAN_TRACES,
    alignment_timeline_figure,
    bucket_filter_figure,
    plan_view_data,
    soft_max_figure,
    transport_plan_figure,
)


def traces(fig):
    return {trace.name: trace for trace in fig.data}


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic(SyntheticConfig(num_videos=8, seed=3, async_std=5.0, unalignable_rate=0.3))


@pytest.fixture(scope="module")
def explored(synthetic):
    encode = oracle_text_encoder(synthetic)
    return [video_tokens(video, encode, clip_seconds=2) for video in synthetic.videos]


def tiny_tokens(video_id="tiny", n=3, m=4, dim=8, seed=0) -> VideoTokens:
    g = torch.Generator().manual_seed(seed)
    return VideoTokens(
        video_id=video_id, captions=[" ".join(["w"] * (i + 2)) for i in range(n)],
        text_tokens=torch.randn(n, n + 1, dim, generator=g),
        text_mask=torch.arange(n + 1)[None] < torch.arange(2, n + 2)[:, None],
        clip_tokens=torch.randn(m, 3, dim, generator=g), clip_mask=torch.ones(m, 3, dtype=torch.bool),
        caption_times=np.array([[2.0 * i, 2.0 * i + 2] for i in range(n)]),
        clip_times=np.array([[2.0 * j, 2.0 * j + 2] for j in range(m)]))


# --- pure figures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("marginals", ["uniform", "dustbin"])
def test_plan_figure_has_bucket_row_and_marginals_that_sum_to_the_plan(marginals):
    scores = torch.rand(5, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    result = bucket_sinkhorn(scores, 0.5, 0.1, marginals=marginals, n_iters=500)
    full = result.full_plan.numpy()
    fig = transport_plan_figure(full, True, scores.numpy(), title="t")
    t = traces(fig)
    assert set(t) == set(PLAN_TRACES)
    np.testing.assert_allclose(t["plan"].z, full)
    rows = np.asarray(t["row to clips"].x) + np.asarray(t["row to bucket"].x)
    cols = np.asarray(t["column from captions"].y) + np.asarray(t["column from bucket"].y)
    np.testing.assert_allclose(rows, full.sum(1))
    np.testing.assert_allclose(cols, full.sum(0))
    # the bars are the solver's target marginals (columns exact, rows converged)
    row, row_bucket, col, col_bucket = (float(x) for x in bucket_marginals(torch.tensor(5.0), torch.tensor(7.0), marginals))
    a, b = np.r_[np.full(5, row), row_bucket], np.r_[np.full(7, col), col_bucket]
    np.testing.assert_allclose(cols, b, atol=1e-10)
    np.testing.assert_allclose(rows, a, atol=1e-6)
    np.testing.assert_allclose(t["row to bucket"].x[:5], result.row_bucket_mass.numpy())
    assert fig.layout.yaxis2.ticktext[-1] == "bucket" and fig.layout.xaxis2.ticktext[-1] == "bucket"
    assert len(fig.layout.shapes) == 2  # the bucket row and column are set off
    custom = np.asarray(t["plan"].customdata, dtype=float)  # None -> NaN
    np.testing.assert_allclose(custom[:5, :7], scores.numpy())
    assert np.isnan(custom[5]).all() and np.isnan(custom[:, 7]).all()
    # what a live widget sends must be valid JSON: no NaN in the hover data
    data = plan_view_data(full, True, scores.numpy())["plan"]["customdata"]
    json.dumps(data.tolist(), allow_nan=False)


def test_plan_figure_without_bucket():
    plan = np.full((3, 4), 1 / 12)
    fig = transport_plan_figure(plan, False)
    t = traces(fig)
    assert np.asarray(t["plan"].z).shape == (3, 4)
    assert not np.any(t["row to bucket"].x) and not np.any(t["column from bucket"].y)
    assert "bucket" not in fig.layout.yaxis2.ticktext and len(fig.layout.shapes) == 0
    with pytest.raises(ValueError, match="similarity has shape"):
        plan_view_data(plan, False, np.zeros((4, 3)))


def test_bucket_filter_figure_marks_bucket_and_truth_and_shows_thumbnails():
    frames = np.random.default_rng(0).integers(0, 255, size=(3, 8, 12, 3), dtype=np.uint8)
    fig = bucket_filter_figure(["cut onions", "hello everyone"], [[0, 2], [3, 5]], [0.1, 0.9],
                               [[0, 2], [2, 4], [4, 6]], [0.2, 0.7, 0.5], caption_alignable=[True, False],
                               clip_truth=[1.0, 0.0, 0.5], thumbnails=frames, threshold=0.5)
    t = traces(fig)
    assert list(t["captions"].marker.color) == ["steelblue", "crimson"]
    assert list(t["clips"].marker.color) == ["steelblue", "crimson", "steelblue"]  # 0.5 is not > 0.5
    assert "hello everyone" in fig.layout.yaxis2.ticktext[1] and "3.0-5.0 s" in fig.layout.yaxis2.ticktext[1]
    assert list(t["truth: captions"].marker.symbol) == ["circle", "x"]
    np.testing.assert_allclose(t["truth: clips"].y, [0.0, 1.0, 0.5])
    assert len(fig.layout.images) == 3 and fig.layout.images[0].source.startswith("data:image/png;base64,")
    with pytest.raises(ValueError, match="thumbnails"):
        bucket_filter_figure(["a"], [[0, 1]], [0.1], [[0, 1]], [0.2], thumbnails=frames)
    with pytest.raises(ValueError, match="disagree"):
        bucket_filter_figure(["a", "b"], [[0, 1]], [0.1], [[0, 1]], [0.2])


def test_timeline_draws_asr_truth_and_realigned_times():
    fig = alignment_timeline_figure([[0, 2], [4, 6]], [5.0, np.nan], [0.1, 0.8], truth_times=[[4, 6], [0, 1]],
                                    alignable=[True, False], caption_text=["a", "b"])
    t = traces(fig)
    assert list(t["ASR time"].x) == [0, 2, None, 4, 6, None]
    assert list(t["true span"].x) == [4, 6, None] and list(t["true span"].y) == [0, 0, None]  # alignable only
    assert list(t["unalignable (truth)"].y) == [1]
    assert list(t["shift"].x) == [1.0, 5.0, None]  # ASR midpoint -> realigned, skipped where NaN
    np.testing.assert_allclose(t["realigned"].marker.color, [0.1, 0.8])


def test_soft_max_figure_shows_weights_that_sum_to_one(explored):
    detail = pair_detail(explored[0], 0, 1, alpha=0.5)
    fig = soft_max_figure(detail.cosine, detail.frame_weights, detail.word_weights, detail.word_scores,
                          detail.frame_scores, 0.5, words=explored[0].captions[0].split())
    t = traces(fig)
    z = np.asarray(t["softmax over frames (per word)"].z)
    np.testing.assert_allclose(z.sum(1), 1.0)
    np.testing.assert_allclose(np.asarray(t["softmax over words (per frame)"].z).sum(0), 1.0)
    assert f"S_fine = {detail.similarity:.3f}" in fig.layout.title.text


# --- norton.explore -----------------------------------------------------------------------------------


def test_soft_max_detail_matches_the_batched_similarity():
    g = torch.Generator().manual_seed(1)
    text, video = torch.randn(1, 5, 6, generator=g), torch.randn(1, 4, 6, generator=g)
    for alpha in (0.1, 1.0, 3.0):
        detail = soft_max_detail(text[0], video[0], alpha)
        expected = soft_max_similarity(text, video, torch.ones(1, 5, dtype=torch.bool),
                                       torch.ones(1, 4, dtype=torch.bool), alpha)
        assert detail.similarity == pytest.approx(float(expected), abs=1e-5)
    sharp = soft_max_detail(text[0], video[0], 1e-3)
    np.testing.assert_array_equal(sharp.frame_weights.argmax(1), sharp.cosine.argmax(1))
    assert sharp.frame_weights.max(1).min() > 0.99
    with pytest.raises(ValueError, match="alpha"):
        soft_max_detail(text[0], video[0], 0.0)


@pytest.mark.parametrize("mask_padding", [True, False])
def test_content_free_similarity_is_the_soft_maximum_of_orthogonal_tokens(mask_padding):
    g = torch.Generator().manual_seed(2)
    text = torch.cat([torch.randn(4, 6, 3, generator=g), torch.zeros(4, 6, 3)], -1)  # words in dims 0-2
    video = torch.cat([torch.zeros(4, 5, 3), torch.randn(4, 5, 3, generator=g)], -1)  # frames in dims 3-5
    text_mask = torch.arange(6)[None] < torch.tensor([[2], [6], [3], [5]])
    video_mask = torch.arange(5)[None] < torch.tensor([[5], [1], [4], [2]])
    expected = soft_max_similarity(text, video, text_mask, video_mask, 0.7, mask_padding=mask_padding)
    t2v, v2t = content_free_similarity(text_mask, video_mask, 0.7, mask_padding=mask_padding)
    torch.testing.assert_close((t2v + v2t).float() / 2, expected, atol=1e-5, rtol=1e-5)


def test_pearson_against_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert pearson(x, 3 * x + 1) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        pearson(x, y[:10])


def test_clip_windows_and_video_tokens_on_a_handmade_video():
    np.testing.assert_array_equal(clip_windows(10, 4), [[0, 4], [4, 8], [8, 10]])
    np.testing.assert_array_equal(clip_windows(10, 4, max_clips=2), [[0, 4], [4, 8]])
    with pytest.raises(ValueError, match="clip_seconds"):
        clip_windows(10, 0)
    features = np.zeros((10, 4), np.float32)
    captions = Captions([0.0, 5.0, 8.5], [2.0, 7.0, 9.5], ["cut it", "hello", "stir"])
    truth = GroundTruth(alignable=np.array([True, False, True]), start=np.array([0.0, 5, 8]),
                        end=np.array([3.0, 7, 10]), caption_concept=np.array([1, -1, 2]),
                        second_concept=np.array([1, 1, 1, -1, -1, 3, 3, 3, 2, 2]))
    video = LongVideo("hand", features, captions, truth)

    def encode(texts):
        return torch.ones(len(texts), 2, 4), torch.ones(len(texts), 2, dtype=torch.bool)

    tokens = video_tokens(video, encode, clip_seconds=4, max_clips=2)
    assert tokens.shape == (2, 2)  # the caption at 9 s lies beyond the first two clips
    assert tokens.captions == ["cut it", "hello"] and list(tokens.truth.alignable) == [True, False]
    np.testing.assert_allclose(tokens.clip_times, [[0, 4], [4, 8]])
    # clip 0 shows concept 1 for 3 of 4 s; clip 1 shows concept 3, which no alignable caption names
    np.testing.assert_allclose(tokens.clip_truth, [0.75, 0.0])
    with pytest.raises(ValueError, match="dimension"):
        video_tokens(video, lambda texts: (torch.ones(len(texts), 2, 5), torch.ones(len(texts), 2, dtype=torch.bool)))
    with pytest.raises(ValueError, match="no caption"):
        video_tokens(LongVideo("late", features, Captions([9.0], [9.5], ["x"])), encode, clip_seconds=2, max_clips=1)


def test_bucket_settings_control_what_falls_into_the_bucket():
    sim = np.random.default_rng(0).uniform(0, 1, size=(6, 8))
    times, clips = np.array([[i, i + 1.0] for i in range(6)]), np.array([[j, j + 1.0] for j in range(8)])

    def solve(**settings):
        return ot_alignment(sim, AlignSettings(**settings), caption_times=times, clip_times=clips)

    high, low = solve(bucket_value=5.0), solve(bucket_value=-5.0)
    plain = solve(bucket="off")
    assert high.bucket_value == 5.0 and (high.caption_bucket_share > 0.99).all() and high.dropped.all()
    assert (low.caption_bucket_share < 0.01).all() and low.kept.all()
    assert plain.bucket_value is None and plain.full_plan.shape == (6, 8) and not plain.caption_bucket_share.any()
    np.testing.assert_allclose(plain.plan.sum(0), 1 / 8)
    ratio = solve(bucket="ratio", prompt_ratio=1.0, standardize=False)
    assert ratio.bucket_value == pytest.approx(sim[np.arange(6), np.arange(6)].max())  # timestamp pairs = diagonal
    with pytest.raises(ValueError, match="bucket"):
        AlignSettings(bucket="sometimes")
    with pytest.raises(ValueError, match="NaN"):
        ot_alignment(np.full((2, 2), np.nan), caption_times=times[:2], clip_times=clips[:2])


def test_alignment_on_synthetic_videos_finds_noise_and_fixes_timing(explored):
    reports, asr = [], []
    for tokens in explored:
        similarity = video_similarity(tokens)
        alignment = ot_alignment(similarity, AlignSettings(), caption_times=tokens.caption_times,
                                 clip_times=tokens.clip_times)
        reports.append(alignment_report(tokens, alignment))
        stamps = align_timestamps(similarity, tokens.caption_times, tokens.clip_times)
        asr.append(alignment_report(tokens, stamps))

    def mean(key, rows=reports):
        return np.nanmean([r[key] for r in rows])

    assert mean("unalignable_captions") > 0
    assert mean("bucket_share_unalignable") > 3 * mean("bucket_share_alignable")
    assert mean("unalignable_dropped") > mean("alignable_dropped") + 0.3
    assert mean("clip_bucket_share_undescribed") > mean("clip_bucket_share_described")
    # captions shifted by ~5 s: the plan puts the kept ones inside their true span far more often than the ASR
    assert mean("R@1_kept") > mean("R@1", asr) + 0.15
    assert mean("predicted_error_s") < mean("asr_error_s")


def test_walk_switches_goes_from_paper_to_official_and_shows_the_length_finding(synthetic):
    from norton.data.sampling import SamplerConfig, sample_batch
    from norton.oracle import oracle_encode

    batch = sample_batch(synthetic.videos, [0, 1], SamplerConfig(clips_per_video=8, videos_per_batch=2),
                         np.random.default_rng(0))
    steps = walk_switches(oracle_encode(synthetic, batch), NortonConfig(clips_per_sequence=8))
    assert [s.name for s in steps] == ["paper", *VARIANT_SWITCHES["paper"]]
    official = NortonConfig(variant="official", clips_per_sequence=8)
    for switch, value in VARIANT_SWITCHES["official"].items():
        assert getattr(steps[-1].config, switch) == value == getattr(official, switch)
        assert getattr(steps[0].config, switch) == VARIANT_SWITCHES["paper"][switch]
    metrics = {s.name: switch_metrics(s) for s in steps}
    assert metrics["learnable_temperature"]["fine_vs_lengths_pearson"] > 0.98  # released S_fine ~ lengths only
    assert metrics["paper"]["fused_max"] != metrics["mask_padding"]["fused_max"]
    assert metrics["renormalize_plan_mass"]["plan_block_mass"] == pytest.approx(8.0, rel=1e-4)
    assert metrics["bucket_marginals"]["kept_mass"] < metrics["minmax_normalize"]["kept_mass"]
    # the temperature switch changes training, not one forward pass
    torch.testing.assert_close(steps[-1].output.video_logits, steps[-2].output.video_logits)


# --- widgets --------------------------------------------------------------------------------------------


def test_plan_viewer_sliders_update_the_figures_and_snapshot(explored, tmp_path):
    from widgets.viewers import PlanViewer

    viewer = PlanViewer(explored[:2], AlignSettings(marginals="dustbin"))
    plan = viewer.figures["plan"]
    before = np.array(traces(plan)["plan"].z)
    viewer.eps.value = 1.0
    after = np.array(traces(plan)["plan"].z)
    assert after.shape == before.shape and not np.allclose(after, before)
    assert np.isclose(after, viewer.alignment.full_plan).all()

    similarity = np.array(traces(plan)["plan"].customdata, dtype=float)
    viewer.alpha.value = 0.05
    assert not np.allclose(np.array(traces(plan)["plan"].customdata, dtype=float)[:-1, :-1],
                           similarity[:-1, :-1])

    viewer.bucket.value = "off"
    n, m = explored[0].shape
    assert np.array(traces(plan)["plan"].z).shape == (n, m) and "bucket" not in plan.layout.yaxis2.ticktext
    viewer.bucket.value = "value"
    viewer.bucket_value.value = 1.9
    assert viewer.alignment.bucket_value == pytest.approx(1.9) and plan.layout.yaxis2.ticktext[-1] == "bucket"

    viewer.video.value = explored[1].video_id
    n1, m1 = explored[1].shape
    assert np.array(traces(plan)["plan"].z).shape == (n1 + 1, m1 + 1)
    timeline = traces(viewer.figures["timeline"])
    assert len(timeline["realigned"].x) == n1
    assert len(viewer.figures["timeline"].layout.yaxis.ticktext) == n1
    bucket = traces(viewer.figures["bucket"])
    np.testing.assert_allclose(bucket["captions"].x, viewer.alignment.caption_bucket_share)

    path = viewer.snapshot(tmp_path / "viewer.html")
    text = path.read_text()
    assert "plotly" in text.lower() and f"{explored[1].video_id}: timeline" in text
    assert "what fell into the bucket" in text and "eps = 1" in text
    with pytest.raises(ValueError, match="views"):
        PlanViewer(explored[:1], views=("plan", "sky"))


def test_soft_max_viewer_alpha_and_pair_sliders(explored, tmp_path):
    from widgets.viewers import SoftMaxViewer

    viewer = SoftMaxViewer(explored[:2], caption=0, alpha=1.0)
    weights = lambda: np.array(traces(viewer.figure)["softmax over frames (per word)"].z)  # noqa: E731
    flat = weights()
    viewer.alpha.value = 0.01
    sharp = weights()
    assert sharp.max(1).mean() > flat.max(1).mean()  # a small alpha picks one frame per word
    viewer.caption.value = 1
    assert list(traces(viewer.figure)["cosine"].y)[0].endswith(explored[0].captions[1].split()[0])
    viewer.video.value = explored[1].video_id
    assert viewer.caption.max == explored[1].shape[0] - 1
    assert "alpha = 0.01" in viewer.figure.layout.title.text
    path = viewer.snapshot(tmp_path / "soft.html")
    assert "plotly" in path.read_text().lower()


def test_real_video_from_features_subtitles_and_thumbnails(tmp_path):
    from videos_helpers import SRT, make_video

    from norton.explore import clip_thumbnails, load_real_video

    np.save(tmp_path / "talk.npy", np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32))
    (tmp_path / "talk.srt").write_text(SRT)
    video = load_real_video(tmp_path / "talk.npy", tmp_path / "talk.srt")
    assert video.video_id == "talk" and video.features.shape == (3, 6) and video.truth is None
    assert video.captions.text == ["first we take", "the red tomato."]
    with pytest.raises(ValueError, match="subtitle_path"):
        load_real_video(tmp_path / "talk.npy")
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        load_real_video(tmp_path / "missing.npy", tmp_path / "talk.srt")
    path = make_video(tmp_path / "talk.mp4", num_frames=30, fps=10, width=64, height=48)
    frames = clip_thumbnails(path, np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]]), height=24)
    assert frames.shape == (3, 24, 32, 3) and frames.dtype == np.uint8
    fig = bucket_filter_figure(video.captions.text, [[0, 1.2], [1.3, 2.5]], [0.0, 1.0], [[0, 1], [1, 2], [2, 3]],
                               [0.0, 0.0, 1.0], thumbnails=frames)
    assert len(fig.layout.images) == 3


def test_viewers_display_as_widgets(explored):
    from widgets.viewers import PlanViewer

    bundle = PlanViewer(explored[:1], views=("plan",))._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.slow
def test_primer_reveals_solutions_only_when_asked(tmp_path):
    from norton.notebooks import run_notebook

    hidden = run_notebook("01_ot_primer", tmp_path / "hidden", {"smoke": True}, html=False)
    shown = run_notebook("01_ot_primer", tmp_path / "shown", {"smoke": True, "show_solutions": True}, html=False)
    assert not any(key.startswith("exercise") for key in hidden.metrics)
    assert shown.metrics["exercise_1_max_abs_diff"] < 1e-8  # log-domain solution = norton.sinkhorn where NaN before
    assert hidden.metrics["scratch_nan_at_eps_1e-3"] and hidden.metrics["scratch_vs_norton_max_abs_diff"] < 1e-10
    assert shown.metrics["exercise_3_bucket_column_from_captions"] <= 1 / 6 + 1e-9  # smoke: m = 5 clips
    noise, real = hidden.metrics["noise_caption_bucket_share"], hidden.metrics["real_caption_bucket_share"]
    assert noise["dustbin"] > real["dustbin"] and noise["uniform"] > real["uniform"]
    entropy = list(hidden.metrics["entropy_by_eps"].values())
    assert entropy == sorted(entropy)  # the plan spreads as eps grows
