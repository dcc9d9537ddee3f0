"""Views: pure figure functions on small arrays, slider observers, HTML snapshots, and norton.explore's helpers."""
import json

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
    BUCKET_COLOURS,
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
    np.testing.assert_allclose(t["plan"].z, full, atol=1e-5 * full.max())  # 6 digits of the largest entry
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
    np.testing.assert_allclose(custom[:5, :7], scores.numpy(), atol=1e-3)  # hover: 3 digits
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
    kept, bucket = BUCKET_COLOURS[False], BUCKET_COLOURS[True]
    assert list(t["captions"].marker.color) == [kept, bucket]
    assert list(t["clips"].marker.color) == [kept, bucket, kept]  # 0.5 is not > 0.5
    assert "hello everyone" in fig.layout.yaxis2.ticktext[1] and "3.0-5.0 s" in fig.layout.yaxis2.ticktext[1]
    assert list(t["truth: captions"].marker.symbol) == ["circle-open", "x"]
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
    np.testing.assert_allclose(after, viewer.alignment.full_plan, atol=1e-5 * after.max())

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
    from plotly.offline import get_plotlyjs

    from norton.widget_assets import unpacked

    assert unpacked(text) == [get_plotlyjs()] and len(text) < 0.5 * len(get_plotlyjs())   # once, packed
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
    assert list(viewer.figure.layout.yaxis.ticktext)[0] == explored[0].captions[1].split()[0]
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


# --- fitting the output area, index keys, honest views (the viewers' report) ----------------------------

MAX_WIDTH, MAX_HEIGHT = 950, 1400


def axes_titled(fig) -> bool:
    """Some x axis and some y axis of the figure carries a title."""
    layout = fig.layout.to_plotly_json()
    titled = {kind: any((value.get("title") or {}).get("text") for key, value in layout.items()
                        if key.startswith(kind + "axis") and isinstance(value, dict)) for kind in "xy"}
    return titled["x"] and titled["y"]


def coloured_values_have_scales(fig) -> bool:
    """Every heatmap, and every marker coloured by numbers, has a colour bar (its own or its colour axis')."""
    layout = fig.layout.to_plotly_json()
    for trace in fig.data:
        if trace.type == "heatmap":
            shown = layout.get(trace.coloraxis, {}).get("showscale") if trace.coloraxis else trace.showscale
            if shown is False:
                return False
        colour = getattr(getattr(trace, "marker", None), "color", None)
        if colour is not None and not isinstance(colour, str) and len(colour) and not isinstance(colour[0], str):
            if trace.marker.colorbar.title.text is None and not trace.marker.coloraxis:
                return False
    return True


def random_tokens(video_id: str, n: int, m: int, words: int = 12, frames: int = 1, dim: int = 16, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    starts = np.sort(np.random.default_rng(seed).uniform(0, m - 3, size=n))
    return VideoTokens(
        video_id=video_id, captions=[f"caption number {i} " + "w " * (i % 5) for i in range(n)],
        text_tokens=torch.randn(n, words, dim, generator=g),
        text_mask=torch.arange(words)[None] < torch.randint(3, words + 1, (n, 1), generator=g),
        clip_tokens=torch.randn(m, frames, dim, generator=g), clip_mask=torch.ones(m, frames, dtype=torch.bool),
        caption_times=np.stack([starts, starts + 3], 1), clip_times=np.stack([np.arange(m), np.arange(m) + 1.0], 1))


def notebook_figures():
    """Every figure function's output at the sizes the notebooks use by default (and a long real video)."""
    from norton.notebooks import notebook_parameters
    from widgets import bucket_bars, metric_steps_figure, plan_figure, scatter_figure, similarity_figure

    import ast

    quick, primer, official = ({key: ast.literal_eval(value) for key, value in notebook_parameters(n).items()}
                               for n in ("00_quickstart", "01_ot_primer", "05_official_vs_paper"))
    rng = np.random.default_rng(0)
    k = quick["clips_per_sequence"]
    block = torch.rand(k, k, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    bucket = bucket_sinkhorn(block, 0.5, 0.1, marginals="dustbin").full_plan
    yield "00 plan", plan_figure(block, {"OT": np.full((k, k), 1 / k ** 2), "OT + bucket": bucket},
                                 caption_labels=[" ".join(["word"] * 5) + " ..."] * k)
    yield "00 similarity", similarity_figure(rng.normal(size=(32, 32)), k)
    yield "00 bucket bars", bucket_bars(rng.uniform(size=k), rng.uniform(size=k),
                                        labels=[f"{i}: a b c d e ..." for i in range(k)])
    n, m = primer["num_captions"] + primer["noise_captions"], primer["num_clips"]
    plans = {f"eps={e}": np.full((n, m), 1 / (n * m)) for e in primer["eps_values"]}
    yield "01 plans", plan_figure(rng.normal(size=(n, m)), plans, ["say a thing"] * n, ["show a thing"] * m,
                                  shared_scale=True)
    yield "01 steps", metric_steps_figure(list(plans), {"entropy H(Q)": rng.uniform(size=5), "<Q, S>": rng.uniform(size=5)})
    k5 = official["clips_per_sequence"]
    yield "05 plans", plan_figure(rng.normal(size=(k5, k5)), {f"step {i}": np.full((k5, k5), 1 / k5 ** 2) for i in range(3)})
    yield "05 steps", metric_steps_figure(["paper", *VARIANT_SWITCHES["paper"]], {name: rng.uniform(size=6) for name in
                                          ("fused_max", "kept_mass", "logit_range", "video_accuracy", "loss_video")})
    yield "05 scatter", scatter_figure(rng.uniform(size=50), rng.uniform(size=50), "formula", "S_fine")
    for n, m in ((17, 218), (300, 600)):  # notebook 03's first testbed video; a long real video
        plan = bucket_sinkhorn(torch.from_numpy(rng.normal(size=(n, m))), 0.3, 0.2, marginals="dustbin", n_iters=20)
        yield f"03 plan {n}x{m}", transport_plan_figure(plan.full_plan, True, rng.normal(size=(n, m)),
                                                         marginal_error=float(plan.marginal_error))
        times = np.stack([np.linspace(0, m - 3, n), np.linspace(3, m, n)], 1)
        clips = np.stack([np.arange(m), np.arange(m) + 1.0], 1)
        yield f"03 timeline {n}", alignment_timeline_figure(times, times.mean(1), rng.uniform(size=n), times,
                                                             rng.uniform(size=n) > 0.5, [f"caption {i}" for i in range(n)])
        yield f"03 bucket {n}x{m}", bucket_filter_figure(
            [f"caption {i}" for i in range(n)], times, rng.uniform(size=n), clips, rng.uniform(size=m),
            rng.uniform(size=n) > 0.5, rng.uniform(size=m), rng.integers(0, 255, (m, 9, 16, 3), dtype=np.uint8),
            marginals="dustbin")
    for words, frames in ((40, 1), (12, 4)):  # MiniLM tokens of a long caption at 1 s clips; 4 s clips
        cos = rng.uniform(-1, 1, size=(words, frames))
        yield f"03 soft max {words}x{frames}", soft_max_figure(
            cos, np.full_like(cos, 1 / frames), np.full_like(cos, 1 / words), cos.max(1), cos.max(0), 1.0)


def test_every_figure_fits_the_output_area_at_the_notebooks_defaults():
    for name, fig in notebook_figures():
        assert fig.layout.width is not None and fig.layout.width <= MAX_WIDTH, (name, fig.layout.width)
        assert fig.layout.height is not None and 300 <= fig.layout.height <= MAX_HEIGHT, (name, fig.layout.height)
        assert axes_titled(fig), f"{name}: an axis without a title"
        assert coloured_values_have_scales(fig), f"{name}: colour without a colour bar"


def test_multi_panel_figures_wrap_into_rows():
    from widgets import metric_steps_figure, plan_figure

    s = np.zeros((4, 5))
    six = plan_figure(s, {f"p{i}": np.full((4, 5), 0.05) for i in range(5)})
    domains = {tuple(np.round(six.layout[f"yaxis{i if i > 1 else ''}"].domain, 3)) for i in range(1, 7)}
    assert len(domains) == 2 and six.layout.width <= MAX_WIDTH  # 2 rows of 3
    four = metric_steps_figure(list("abcde"), {name: np.arange(5.0) for name in "wxyz"})
    assert len({tuple(np.round(four.layout[f"xaxis{i if i > 1 else ''}"].domain, 3)) for i in range(1, 5)}) == 2  # 2 x 2
    # the bucket panel: its row and column labelled, set off, with a colour bar
    bucket = bucket_sinkhorn(torch.rand(4, 5, dtype=torch.float64), 0.5, 0.1, marginals="dustbin").full_plan
    fig = plan_figure(s, {"OT + bucket": bucket})
    assert fig.layout.yaxis2.ticktext[-1] == "bucket" and fig.layout.xaxis2.ticktext[-1] == "bucket"
    assert len(fig.layout.shapes) == 2 and fig.layout.coloraxis2.colorbar.title.text == "mass"
    assert fig.layout.coloraxis2.cmax < float(bucket.max())  # the bucket corner does not set the scale


def test_equal_labels_stay_separate_bars_and_columns():
    from widgets import bucket_bars

    fig = bucket_bars(np.linspace(0.1, 0.8, 8), labels=["0: same caption start ..."] * 8)
    bar = fig.data[0]
    assert len(bar.x) == len(set(bar.x)) == 8 and list(bar.y) == pytest.approx(np.linspace(0.1, 0.8, 8))
    assert list(fig.layout.xaxis.ticktext) == ["0: same caption start ..."] * 8
    cos = np.arange(6.0).reshape(2, 3) / 10
    soft = soft_max_figure(cos, cos, cos, cos.max(1), cos.max(0), 1.0, words=["a", "a"], frames=["45 s"] * 3)
    heat = traces(soft)["cosine"]
    assert list(heat.x) == [0, 1, 2] and list(heat.y) == [0, 1] and np.asarray(heat.z).shape == (2, 3)
    assert list(soft.layout.xaxis.ticktext) == ["45 s"] * 3 and list(soft.layout.yaxis.ticktext) == ["a", "a"]
    assert "alpha log(#frames)" in [a.text for a in soft.layout.annotations if a.name == "note"][0]


def test_bucket_bars_use_a_colour_blind_safe_scale():
    from widgets import bucket_bars
    from widgets.figures import TRUTH_SCALE

    fig = bucket_bars([0.2, 0.9], aligned=[1.0, 0.0], forced=0.4)
    assert fig.data[0].marker.colorscale == tuple(tuple(c) for c in TRUTH_SCALE)
    assert "forced" in fig.layout.annotations[0].text


@pytest.mark.parametrize("marginals, n, m", [("dustbin", 19, 49), ("uniform", 19, 49), ("dustbin", 12, 5)])
def test_forced_bucket_share_is_what_the_solver_cannot_avoid(marginals, n, m):
    from widgets.figures import forced_bucket_share

    forced = forced_bucket_share(n, m, marginals)
    if marginals == "dustbin":
        assert forced["clips"] == pytest.approx(max(0, m - n)) and forced["captions"] == pytest.approx(max(0, n - m))
    # a bucket nobody wants (p far below every score) still takes exactly the forced mass
    scores = torch.rand(n, m, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    result = bucket_sinkhorn(scores, -20.0, 0.05, marginals=marginals, n_iters=2000)
    assert float(result.col_bucket_share.sum()) == pytest.approx(forced["clips"], abs=1e-3)
    assert float(result.row_bucket_share.sum()) == pytest.approx(forced["captions"], abs=1e-3)
    fig = bucket_filter_figure([f"c{i}" for i in range(n)], np.c_[np.arange(n), np.arange(n) + 1], np.zeros(n),
                               np.c_[np.arange(m), np.arange(m) + 1], np.zeros(m), marginals=marginals)
    text = " ".join(a.text for a in fig.layout.annotations)
    assert ("forced by the counts" in text) == (forced["clips"] + forced["captions"] > 1e-9)


def test_unconverged_plans_say_so():
    plan = bucket_sinkhorn(torch.rand(5, 7, dtype=torch.float64), 0.5, 0.0063, n_iters=3).full_plan.numpy()
    bad = transport_plan_figure(plan, True, marginal_error=0.155)
    assert "unconverged: row error 0.155" in bad.layout.annotations[0].text
    assert not transport_plan_figure(plan, True, marginal_error=1e-6).layout.annotations


def test_plan_viewer_disables_the_slider_that_does_not_apply_and_flags_unconverged(explored):
    from widgets.viewers import PlanViewer

    viewer = PlanViewer(explored[:1], AlignSettings(bucket="value"), views=("plan",))
    assert not viewer.bucket_value.disabled and viewer.prompt_ratio.disabled
    viewer.bucket.value = "ratio"
    assert viewer.bucket_value.disabled and not viewer.prompt_ratio.disabled
    viewer.bucket.value = "off"
    assert viewer.bucket_value.disabled and viewer.prompt_ratio.disabled and viewer.marginals.disabled
    viewer.bucket.value = "value"
    viewer.n_iters.value, viewer.eps.value = 2, 0.0063
    assert viewer.alignment.marginal_error > 1e-3
    assert "unconverged" in viewer.figures["plan"].layout.annotations[0].text and "unconverged" in viewer.status.value
    viewer.n_iters.value, viewer.eps.value = 300, 1.0
    assert viewer.alignment.marginal_error < 1e-3 and not viewer.figures["plan"].layout.annotations


def test_long_videos_stay_readable_and_small():
    from widgets.viewers import PlanViewer

    long = random_tokens("long", 300, 600)
    thumbs = {"long": np.random.default_rng(0).integers(0, 255, (600, 9, 16, 3), dtype=np.uint8)}
    viewer = PlanViewer([long, random_tokens("short", 12, 40, seed=1)], AlignSettings(window=None), thumbnails=thumbs)
    plan, timeline, bucket = (viewer.figures[name] for name in ("plan", "timeline", "bucket"))
    z = np.asarray(traces(plan)["plan"].z)
    assert z.shape[0] <= 201 and z.shape[1] <= 201  # shown in blocks
    np.testing.assert_allclose(z.sum(), viewer.alignment.full_plan.sum(), rtol=1e-3)  # mass kept
    for fig in (plan, timeline, bucket):
        assert fig.layout.width <= MAX_WIDTH and fig.layout.height <= MAX_HEIGHT
    assert timeline.layout.yaxis.range[0] - timeline.layout.yaxis.range[1] < 40  # a window of rows: drag to scroll
    assert bucket.layout.yaxis2.range[0] < 40 and timeline.layout.xaxis.rangeslider.visible
    assert 1 < len(bucket.layout.images) <= 20 and len(traces(bucket)["thumbnails"].x) == len(bucket.layout.images)
    assert len(plan.to_json()) < 1_500_000
    viewer.video.value = "short"  # layouts follow the video; the short one shows everything
    assert len(bucket.layout.images) == 0 and bucket.layout.yaxis2.range[0] == pytest.approx(11.5)
    assert np.asarray(traces(plan)["plan"].z).shape == (13, 41)


def test_figure_widgets_share_one_plotly_bundle(tmp_path):
    import shutil
    import subprocess

    import plotly.graph_objects as go

    from widgets import viewers

    first = viewers.figure_widget(go.Figure())
    second = viewers.figure_widget(go.Figure())
    loader = viewers._loader
    assert loader is not None and loader.comm is not None and len(loader._esm) > 1_000_000
    assert viewers._BUNDLE_KEY in loader._esm and second is not loader and second._esm == viewers._STUB_ESM
    assert len(second._esm) < 2000 and first.data == () and second.data == ()
    # the loader carries plotly's bundle gzip-compressed: it inflates to exactly plotly's front end, in 40 % of it
    from norton.widget_assets import unpacked

    bundle = str(go.FigureWidget._esm)
    assert unpacked(loader._esm) == [bundle]
    assert len(loader._esm) < 0.45 * len(bundle) and "DecompressionStream" in loader._esm
    loader.close()  # a closed loader is replaced by the next figure
    third = viewers.figure_widget(go.Figure())
    assert viewers._loader is third and len(third._esm) > 1_000_000
    viewers.SHARE_PLOTLY_BUNDLE = False
    try:
        plain = viewers.figure_widget(go.Figure())
        assert not isinstance(plain, viewers._widget_classes()) and str(plain._esm) == str(go.FigureWidget._esm)
    finally:
        viewers.SHARE_PLOTLY_BUNDLE = True
    if shutil.which("node"):  # both modules parse as JavaScript modules
        for name, source in (("loader.mjs", third._esm), ("stub.mjs", viewers._STUB_ESM)):
            (tmp_path / name).write_text(source)
            done = subprocess.run(["node", "--check", str(tmp_path / name)], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-2000:]


def test_soft_max_viewer_opens_on_an_informative_labelled_pair(explored):
    from widgets.viewers import SoftMaxViewer

    tokens = explored[0]
    viewer = SoftMaxViewer(explored[:2])
    longest = int(tokens.text_mask.sum(1).argmax())
    assert viewer.caption.value == longest and viewer.clip.value == SoftMaxViewer.best_clip(tokens, longest, 1.0)
    fig = viewer.figure
    words = tokens.captions[longest].split()
    assert list(fig.layout.yaxis.ticktext) == words  # labelled at first render, not after a slider move
    assert fig.layout.yaxis.range[0] == pytest.approx(len(words) - 0.5)
    assert fig.layout.coloraxis.colorbar.title.text == "cos" and fig.layout.coloraxis2.colorbar.title.text == "weight"
    assert "alpha log(#frames)" in viewer.note.value and "alpha log(#words)" in viewer.note.value
    viewer.caption.value = 0
    assert list(fig.layout.yaxis.ticktext) == tokens.captions[0].split()
    opened = SoftMaxViewer(explored[:2], video=explored[1].video_id, caption=1, clip=0)
    assert opened.video.value == explored[1].video_id and list(opened.figure.layout.yaxis.ticktext) == \
        explored[1].captions[1].split()


def test_soft_max_viewer_word_labels():
    from widgets.viewers import SoftMaxViewer

    tokens = tiny_tokens(n=3)  # captions of 2, 3, 4 words; 2, 3, 4 valid tokens
    counts = tokens.text_mask.sum(1).tolist()
    labels = {"tiny": [[f"[t{k}]" for k in range(c)] for c in counts]}
    viewer = SoftMaxViewer([tokens], caption=1, word_labels=labels)
    assert list(viewer.figure.layout.yaxis.ticktext) == ["[t0]", "[t1]", "[t2]"]
    called = SoftMaxViewer([tokens], caption=2, word_labels=lambda text: [w.upper() for w in text.split()])
    assert list(called.figure.layout.yaxis.ticktext) == ["W"] * 4
    with pytest.raises(ValueError, match="labels for caption"):
        SoftMaxViewer([tokens], caption=0, word_labels=lambda text: ["just one"])
    with pytest.raises(ValueError, match="captions"):
        SoftMaxViewer([tokens], word_labels={"tiny": [["a"]]})
    odd = tiny_tokens(n=3)
    odd.captions[0] = "three words here"  # 3 words, 2 tokens, no labels given: token k
    assert list(SoftMaxViewer([odd], caption=0).figure.layout.yaxis.ticktext) == ["token 0", "token 1"]


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_static_snapshots_in_every_format(explored, tmp_path, fmt):
    from widgets.static import save_figure
    from widgets.viewers import PlanViewer, SoftMaxViewer

    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}[fmt]
    viewer = PlanViewer(explored[:1], AlignSettings(marginals="dustbin"))
    path = viewer.snapshot(tmp_path / f"plan.{fmt}")
    assert path.read_bytes()[:5].startswith(magic) and path.stat().st_size > 5000
    for name, fig in viewer.figures.items():
        single = save_figure(fig, tmp_path / f"{name}_single", format=fmt)
        assert single.read_bytes().startswith(magic), name
    soft = SoftMaxViewer(explored[:1]).snapshot(tmp_path / "soft", format=fmt)
    assert soft.read_bytes().startswith(magic) and soft.stat().st_size > 2000
    with pytest.raises(ValueError, match="format"):
        viewer.snapshot(tmp_path / "plan.gif")


# --- the sweep summary and the ablation table, plotly and static ------------------------------------------


def ablation_rows(groups=("low", "mid"), names="ABJ", seeds=(0, 1, 2)):
    """results.csv-like text rows: align R@1 = 0.3 + 0.1 * row index + 0.01 * seed (+0.05 for mid), AUC fixed."""
    rows = []
    for g, noise in enumerate(groups):
        for i, name in enumerate(names):
            for seed in seeds:
                rows.append({"run_id": f"{noise}-{name}-{seed}", "status": "done", "params.noise": noise,
                             "params.row": name, "params.seed": str(seed),
                             "metrics.alignment.R@1": str(0.3 + 0.1 * i + 0.01 * seed + 0.05 * g),
                             "metrics.alignment.ROC-AUC": "0.75", "metrics.note": "text, not a number"})
    rows.append({**rows[0], "run_id": "failed", "status": "failed", "metrics.alignment.R@1": "0.99"})
    return rows


ABLATION_COLUMNS = {"align R@1": "metrics.alignment.R@1", "align AUC": "metrics.alignment.ROC-AUC"}


def test_sweep_summary_figure_averages_seeds_per_group_and_fits():
    from widgets import sweep_summary_figure
    from widgets.figures import CATEGORY_COLOURS, SWEEP_SUMMARY_VIEW

    fig = sweep_summary_figure(ablation_rows())
    assert fig.layout.meta["view"] == SWEEP_SUMMARY_VIEW and fig.layout.width <= MAX_WIDTH
    # numeric metrics only (the text column is left out); x = the first varied parameter (noise), a line per row
    assert [a.text for a in fig.layout.annotations] == ["alignment.R@1", "alignment.ROC-AUC"]
    assert len(fig.data) == 3 * 2 and {t.name for t in fig.data} == {"row=A", "row=B", "row=J"}
    j = next(t for t in fig.data if t.name == "row=J" and t.meta["metric"] == "alignment.R@1")
    np.testing.assert_allclose(j.y, [0.51, 0.56])            # mean over the three seeds; the failed run left out
    np.testing.assert_allclose(j.error_y.array, [0.01, 0.01])  # sample std of 0.50, 0.51, 0.52
    assert j.error_y.visible and list(fig.layout.xaxis.ticktext) == ["low", "mid"]
    assert len({t.line.color for t in fig.data}) == 3 and {t.line.color for t in fig.data} <= set(CATEGORY_COLOURS)
    for axis in ("xaxis", "xaxis2"):
        assert fig.layout[axis].title.text == "noise"
    assert fig.layout.yaxis.title.text == "alignment.R@1" and fig.layout.yaxis2.title.text == "alignment.ROC-AUC"
    assert "mean ± std over seed" in fig.layout.title.text
    numeric = sweep_summary_figure([{"params.p": p, "params.v": v, "metrics.loss": p * (v == "a")}
                                    for p in (0.5, 0.1, 0.3) for v in "ab"], title="t")
    line = next(t for t in numeric.data if t.name == "v=a")
    assert list(line.x) == [0.1, 0.3, 0.5] and list(line.y) == [0.1, 0.3, 0.5] and not line.error_y.visible
    with pytest.raises(ValueError, match="not in the results"):
        sweep_summary_figure(ablation_rows(), metrics=["nothing"])
    with pytest.raises(ValueError, match="no finished runs"):
        sweep_summary_figure([{"status": "failed"}])


def test_ablation_figure_holds_the_summary_tables_cells():
    from norton.evaluate import summary_table
    from widgets import ablation_figure
    from widgets.figures import ABLATION_VIEW, DIFFERENCE_SCALE

    rows = [r for r in ablation_rows() if r["status"] == "done"]
    fig = ablation_figure(rows, ABLATION_COLUMNS)
    assert fig.layout.meta["view"] == ABLATION_VIEW and fig.layout.width <= MAX_WIDTH
    assert [t.name for t in fig.data] == ["noise = low", "noise = mid"]
    z = np.array(fig.data[1].z, dtype=float)
    assert z.shape == (3, 2)   # rows A, B, J x the two columns
    np.testing.assert_allclose(z[:, 0], [36.0, 46.0, 56.0])
    np.testing.assert_allclose(z[:, 1], 75.0)
    table = summary_table(rows, ABLATION_COLUMNS)   # the markdown table says the same, cell by cell
    for name, cells in zip("ABJ", fig.data[0].text):
        line = next(r for r in table.splitlines() if r.startswith(f"| {name}"))
        assert [c.rsplit(" (", 1)[0] for c in cells] == [c.strip() for c in line.split("|")[2:4]]
    assert fig.data[0].text[0][0] == "31.0 ± 1.0 (3)"
    assert list(fig.layout.yaxis.ticktext) == ["A InfoNCE", "B +FNE", "J +bucket 30% (Norton)"]
    assert list(fig.layout.xaxis2.ticktext) == list(ABLATION_COLUMNS) and fig.layout.xaxis2.title.text == "metric"
    assert fig.layout.xaxis.showticklabels is False   # stacked panels: the metric names once, at the bottom
    assert fig.layout.coloraxis.colorbar.title.text == "mean (x100)"
    assert fig.layout.coloraxis.cmin == pytest.approx(31.0) and fig.layout.coloraxis.cmax == pytest.approx(75.0)
    paired = ablation_figure(rows, ABLATION_COLUMNS, baseline="A")
    np.testing.assert_allclose(np.array(paired.data[0].z, dtype=float)[:, 0], [0.0, 10.0, 20.0], atol=1e-9)
    assert paired.data[0].text[2][0] == "+20.0 ± 0.0 (3)" and paired.layout.coloraxis.colorscale[0][1] != \
        fig.layout.coloraxis.colorscale[0][1]
    assert paired.layout.coloraxis.cmin == -paired.layout.coloraxis.cmax == pytest.approx(-20.0)
    assert DIFFERENCE_SCALE == "PuOr"
    with pytest.raises(ValueError, match="metrics.nothing"):
        ablation_figure(rows, {"x": "metrics.nothing"})


def test_static_sweep_summary_and_ablation_draw_what_the_figures_hold():
    from matplotlib.image import AxesImage

    from widgets import ablation_figure, matplotlib_figure, sweep_summary_figure

    rows = ablation_rows()
    canvas = matplotlib_figure(ablation_figure([r for r in rows if r["status"] == "done"], ABLATION_COLUMNS))
    heat = [ax for ax in canvas.axes if any(isinstance(i, AxesImage) for i in ax.get_images())]
    colour_bars = [ax for ax in canvas.axes if ax.get_ylabel() == "mean (x100)"]
    assert len(heat) == 2 and len(colour_bars) == 1
    for ax in heat:
        assert ax.get_images()[0].get_array().shape == (3, 2)
        assert len(ax.texts) == 6 and all("±" in t.get_text() for t in ax.texts)   # one text per cell
        assert ax.get_ylabel() == "row" and [t.get_text() for t in ax.get_yticklabels()][0] == "A InfoNCE"
    assert heat[1].get_xlabel() == "metric" and [t.get_text() for t in heat[1].get_xticklabels()] == \
        list(ABLATION_COLUMNS)
    assert heat[0].get_title() == "noise = low"

    canvas = matplotlib_figure(sweep_summary_figure(rows))
    panels = [ax for ax in canvas.axes if ax.get_visible()]
    assert len(panels) == 2 and [ax.get_title() for ax in panels] == ["alignment.R@1", "alignment.ROC-AUC"]
    for ax in panels:
        assert ax.get_xlabel() == "noise" and ax.get_ylabel() and len(ax.containers) == 3  # an errorbar line per row
    np.testing.assert_allclose(panels[0].containers[2].lines[0].get_ydata(), [0.51, 0.56])
    assert sorted(t.get_text() for t in canvas.legends[0].get_texts()) == ["row=A", "row=B", "row=J"]


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_sweep_summary_and_ablation_save_in_every_format(tmp_path, fmt):
    from widgets import ablation_figure, save_figure, sweep_summary_figure
    from widgets.static import figure_kind

    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}[fmt]
    rows = ablation_rows()
    for name, fig in (("sweep", sweep_summary_figure(rows)), ("ablation", ablation_figure(rows[:-1], ABLATION_COLUMNS))):
        path = save_figure(fig, tmp_path / f"{name}.{fmt}")
        assert path.read_bytes().startswith(magic) and path.stat().st_size > 5000, name
        assert figure_kind(fig) in ("sweep_summary", "ablation_table")
    with pytest.raises(ValueError, match="format"):
        save_figure(sweep_summary_figure(rows), tmp_path / "sweep.gif")


def test_notebook_renderer_embeds_plotly_once_compressed(monkeypatch):
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    import widgets
    from norton.widget_assets import unpacked

    shown = []
    monkeypatch.setattr("IPython.display.display_html", lambda html, raw=False: shown.append(html))
    before = pio.renderers.default
    try:
        widgets.use_notebook_renderer()
        assert pio.renderers.default == widgets.NOTEBOOK_RENDERER == "plotly_mimetype+norton_notebook"
        renderer = pio.renderers["norton_notebook"]
        renderer.activate()
        assert unpacked(shown[0]) == [get_plotlyjs()]
        assert len(shown[0]) < 0.45 * len(get_plotlyjs()) and "DecompressionStream" in shown[0]
        html = renderer.to_mimebundle(go.Figure(go.Bar(y=[1, 2])).to_dict())["text/html"]
        assert "Plotly.newPlot(" in html and len(html) < 20_000   # the figure only: plotly.js is on the page
    finally:
        pio.renderers.default = before
