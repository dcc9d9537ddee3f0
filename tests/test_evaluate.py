"""Evaluation: hand-built videos with a one-hot stub encoder (known metrics), a tiny model, the CLI, the ablation table."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from norton import evaluate as E
from norton.evaluate import diagnostics as D
from norton import metrics as M
from norton.checkpoint import save_checkpoint
from norton.cli import main
from norton.config import NortonConfig
from norton.data.captions import Captions
from norton.data.sampling import ClipDraw
from norton.data.synthetic import SyntheticConfig, make_synthetic
from norton.data.videos import GroundTruth, LongVideo, save_feature_store
from norton.losses import NortonLoss
from norton.model import DualEncoder, ModelConfig, TowerOutput
from norton.similarity import pooled_cosine

torch.set_num_threads(1)
DIM = 6  # concepts 0..5 are the one-hot directions


class OneHotEncoder:
    """Stub model: a frame's token is its feature; caption 'c2 c4' is the mean of one-hot e2, e4."""

    def __init__(self, max_video_len: int = 8) -> None:
        self.config = SimpleNamespace(max_video_len=max_video_len)

    def encode_text(self, captions: list[str]) -> TowerOutput:
        vectors = torch.zeros(len(captions), DIM)
        for i, caption in enumerate(captions):
            for word in caption.split():
                vectors[i, int(word[1:])] += 1 / len(caption.split())
        return TowerOutput(vectors[:, None], torch.ones(len(captions), 1, dtype=torch.bool), vectors)

    def encode_video(self, video_features: torch.Tensor, video_mask: torch.Tensor) -> TowerOutput:
        n = len(video_features)
        edge = torch.zeros(n, 1, DIM)
        tokens = torch.cat([edge, video_features, edge], 1)
        valid = torch.cat([torch.zeros(n, 1, dtype=torch.bool), video_mask, torch.zeros(n, 1, dtype=torch.bool)], 1)
        pooled = (video_features * video_mask[..., None]).sum(1) / video_mask.sum(1, keepdim=True)
        return TowerOutput(tokens, valid, pooled)


def one_hot_features(second_concept: list[int]) -> np.ndarray:
    """(T, DIM) features: one-hot of the concept shown, zeros for background (-1)."""
    features = np.zeros((len(second_concept), DIM), np.float32)
    for t, c in enumerate(second_concept):
        if c >= 0:
            features[t, c] = 1.0
    return features


def video_one() -> LongVideo:
    """24 s: background 0-3, concept 0 at 4-9, concept 1 at 10-15, concept 2 at 16-19, background 20-23.

    Captions (index: text, alignable, true span, ASR span):
      0: c1, no,  -, [9, 11]    shows up although unalignable
      1: c0, yes, [4, 10], [4, 10]
      2: c1, yes, [10, 16], [0.5, 3]   ASR far off
      3: c2, yes, [0, 4], [16, 20]     annotated at the wrong place (its concept is at 16-19)
      4: c5, no,  -, [9, 11]    never shown
    """
    concepts = [-1] * 4 + [0] * 6 + [1] * 6 + [2] * 4 + [-1] * 4
    asr = [(9, 11), (4, 10), (0.5, 3), (16, 20), (9, 11)]
    truth_spans = [(9, 11), (4, 10), (10, 16), (0, 4), (9, 11)]
    captions = Captions([float(s) for s, _ in asr], [float(e) for _, e in asr], ["c1", "c0", "c1", "c2", "c5"])
    truth = GroundTruth(alignable=np.array([False, True, True, True, False]),
                        start=np.array([s for s, _ in truth_spans], float), end=np.array([e for _, e in truth_spans], float),
                        caption_concept=np.array([-1, 0, 1, 2, -1]), second_concept=np.array(concepts))
    return LongVideo("one", one_hot_features(concepts), captions, truth)


def video_two() -> LongVideo:
    """12 s: concept 3 at 0-5, concept 4 at 6-11; captions c3, c4 aligned with their steps."""
    concepts = [3] * 6 + [4] * 6
    captions = Captions([0.0, 6.0], [6.0, 12.0], ["c3", "c4"])
    truth = GroundTruth(alignable=np.array([True, True]), start=np.array([0.0, 6.0]), end=np.array([6.0, 12.0]),
                        caption_concept=np.array([3, 4]), second_concept=np.array(concepts))
    return LongVideo("two", one_hot_features(concepts), captions, truth)


# ----------------------------------------------------------------------------- hand-built cases


def test_synthetic_metrics_of_the_stub_are_the_hand_derived_ones():
    result = E.evaluate_synthetic(OneHotEncoder(), [video_one(), video_two()], progress=False)
    # argmax seconds: caption 1 -> 4 (in [4, 10]), 2 -> 10 (in [10, 16]), 3 -> 16 (not in [0, 4]);
    # video two: 0 -> 0, 1 -> 6, both inside. 4 of 5 alignable captions hit.
    assert result["alignment"]["R@1"] == pytest.approx(4 / 5)
    # alignability = max cosine: positives 1,1,1,1,1; negatives 1 (c1 is shown) and 0 (c5 is not)
    assert result["alignment"]["ROC-AUC"] == pytest.approx((5 * 0.5 + 5 * 1) / 10)
    assert result["alignment"]["num_alignable"] == 5 and result["alignment"]["num_captions"] == 7
    methods = result["alignment_methods"]
    assert methods["argmax"]["R@1"] == pytest.approx(4 / 5)
    # trusting ASR: caption 1 -> second 4 (hit), 2 -> second 1 (miss), 3 -> 16 (miss), video two: both hit
    assert methods["timestamps"]["R@1"] == pytest.approx(3 / 5)
    # clip retrieval: segments [4,10]=e0, [10,16]=e1, [0,4]=0, [0,6]=e3, [6,12]=e4; c2 scores 0 everywhere
    # (pessimistic tie: rank 5), the others rank 1
    clip = result["clip_retrieval"]
    assert (clip["R@1"], clip["R@5"], clip["MedR"]) == (pytest.approx(4 / 5), 1.0, 1.0)
    assert (clip["num_queries"], clip["num_clips"]) == (5, 5)
    for protocol in ("paragraph_background_removed", "paragraph_background_kept"):
        for method in ("caption_average", "dtw", "otam"):
            assert result[protocol][method]["R@1"] == 1.0, (protocol, method)


def test_identical_true_spans_share_one_clip():
    video = video_two()
    video.captions = Captions([0.0, 1.0, 6.0], [3.0, 6.0, 12.0], ["c3", "c3", "c4"])
    video.truth = GroundTruth(np.array([True, True, True]), np.array([0.0, 0.0, 6.0]), np.array([6.0, 6.0, 12.0]))
    item = E.annotate_by_truth(video)
    assert item.spans.tolist() == [[0.0, 6.0], [6.0, 12.0]] and item.segment.tolist() == [0, 0, 1]
    clip = E.evaluate_synthetic(OneHotEncoder(), [video], methods=("argmax",), progress=False)["clip_retrieval"]
    assert clip["R@1"] == 1.0 and clip["num_clips"] == 2


def test_evaluate_model_htm_align_matches_the_hand_derived_values():
    # every window scores every caption (both non-alignable captions sit mid-video), so the stitched
    # similarity is the exact per-second cosine: the same R@1 / ROC-AUC as on video one alone above
    result = E.evaluate_model(OneHotEncoder(), [video_one()], progress=False)
    htm = result["htm_align"]
    assert htm["R@1"] == pytest.approx(2 / 3)
    assert htm["ROC-AUC"] == pytest.approx((3 * 0.5 + 3 * 1) / 6)
    assert (htm["num_alignable"], htm["num_captions"], htm["num_videos"]) == (3, 5, 1)
    clip = result["clip_retrieval"]  # the captions' own spans; [9, 11] appears twice: one clip
    assert clip["num_queries"] == 5 and clip["num_clips"] == 4
    assert "htm_align" not in E.evaluate_model(OneHotEncoder(), [video_one()], htm_align=False, progress=False)


def test_clip_retrieval_over_caption_spans_by_hand():
    result = E.evaluate_model(OneHotEncoder(), [video_one()], htm_align=False, progress=False)["clip_retrieval"]
    # segment pooled features: [0.5,3] -> rows 0..2 background = 0; [4,10] -> e0; [9,11] -> rows 9,10 = (e0+e1)/2;
    # [16,20] -> e2. Queries: c1@[9,11]: 0.5 is the best (rank 1); c0@[4,10]: 1 (rank 1);
    # c1@[0.5,3]: its clip scores 0 while [9,11] scores 0.5 -> rank 2 + ties with the two other zeros = 4;
    # c2@[16,20]: rank 1; c5@[9,11]: all 0 -> rank 4. R@1 = 3/5.
    assert result["R@1"] == pytest.approx(3 / 5)
    assert result["MedR"] == 1.0 and result["R@5"] == 1.0


def test_covering_windows_cover_every_second_and_respect_the_model_length():
    for num_rows in (1, 3, 8, 13, 40):
        windows = E.covering_windows(num_rows, 2, 8)
        covered = np.zeros(num_rows, bool)
        for w in windows:
            assert 0 <= w.start < w.end <= num_rows and w.end - w.start <= 8
            covered[w.start:w.end] = True
        assert covered.all(), num_rows


def test_clip_spans_are_cut_to_the_model_length_and_the_video():
    assert E.span_rows(3.2, 50.0, 1.0, 40, 16) == (3, 19)
    assert E.span_rows(39.5, 39.6, 1.0, 40, 16) == (39, 40)
    assert E.span_rows(45.0, 47.0, 1.0, 40, 16) == (39, 40)  # beyond the end: the last row
    assert E.span_rows(2.0, 2.0, 2.0, 40, 16) == (4, 5)       # empty span: one row (fps 2)


def test_pair_relevance_by_hand():
    video = video_one()
    draws = [(0, ClipDraw(1, 2, 4.0, 16.0, 4, 12)),   # captions c0, c1 (concepts 0, 1) x seconds 4-11
             (0, ClipDraw(3, 4, 16.0, 20.0, 0, 4))]   # caption c2 (c5 is unalignable) x background
    relevance = E.pair_relevance([video], draws)
    # clip 0 = 0,0,0,0,0,0,1,1 -> window 0 names both: 1; window 1 names concept 2: 0
    # clip 1 = background -> 0 for both
    np.testing.assert_allclose(relevance, [[1.0, 0.0], [0.0, 0.0]])


# ----------------------------------------------------------------------------- errors


def test_bad_inputs_are_rejected_with_clear_errors():
    no_truth = video_two()
    no_truth.truth = None
    with pytest.raises(ValueError, match="'two' has no ground truth"):
        E.evaluate_synthetic(OneHotEncoder(), [no_truth], progress=False)
    with pytest.raises(ValueError, match="at least one video"):
        E.evaluate_model(OneHotEncoder(), [], progress=False)
    with pytest.raises(ValueError, match="methods"):
        E.evaluate_synthetic(OneHotEncoder(), [video_two()], methods=("argmax", "magic"), progress=False)
    with pytest.raises(ValueError, match="row"):
        E.ablation_loss("Z")
    with pytest.raises(ValueError, match="noise"):
        E.noise_config("extreme", num_videos=1, seed=0)


# ----------------------------------------------------------------------------- a real (tiny, random) model


@pytest.fixture(scope="module")
def tiny_model() -> DualEncoder:
    torch.manual_seed(0)
    return DualEncoder(ModelConfig(hidden_size=32, heads=2, intermediate_size=64, video_layers=1, text_layers=1))


@pytest.fixture(scope="module")
def small_data():
    return make_synthetic(SyntheticConfig(num_videos=4, seed=3, unalignable_rate=0.3))


def _check_recalls(block: dict) -> None:
    assert 0 <= block["R@1"] <= block["R@5"] <= block["R@10"] <= 1 and block["MedR"] >= 1


def test_tiny_model_gives_sane_synthetic_metrics_and_keeps_its_mode(tiny_model, small_data):
    tiny_model.train()
    result = E.evaluate_synthetic(tiny_model, small_data.videos, progress=False)
    assert tiny_model.training  # restored after evaluation in eval mode
    truth = [v.truth for v in small_data.videos]
    assert result["alignment"]["num_alignable"] == sum(int(t.alignable.sum()) for t in truth)
    assert result["alignment"]["num_captions"] == sum(len(t.alignable) for t in truth)
    for method, values in result["alignment_methods"].items():
        assert 0 <= values["R@1"] <= 1 and 0 <= values["ROC-AUC"] <= 1, method
    _check_recalls(result["clip_retrieval"])
    for protocol in ("paragraph_background_removed", "paragraph_background_kept"):
        for values in result[protocol].values():
            _check_recalls(values)
            assert values["MedR"] <= len(small_data.videos)
    # dropout is off during evaluation: a second pass gives the same numbers
    assert E.evaluate_synthetic(tiny_model, small_data.videos, progress=False) == result


def test_per_second_similarity_is_the_cosine_of_frame_outputs(tiny_model, small_data):
    video = small_data.videos[0]
    tiny_model.eval()
    sentences = E.encode_captions(tiny_model, video.captions.text[:2])
    window = M.AlignWindow(0, 10, np.arange(2))
    stitched = E.per_second_similarity(tiny_model, video, sentences, [window])
    with torch.no_grad():
        out = tiny_model.encode_video(torch.from_numpy(video.features[None, :10]), torch.ones(1, 10, dtype=torch.bool))
        text = tiny_model.encode_text(video.captions.text[:2]).pooled
    expected = torch.nn.functional.normalize(text, dim=-1) @ torch.nn.functional.normalize(out.tokens[0, 1:-1], dim=-1).T
    np.testing.assert_allclose(stitched[:, :10], expected.numpy(), rtol=1e-4, atol=1e-5)
    assert np.isneginf(stitched[:, 10:]).all()  # seconds no window scored


def test_cli_evaluates_a_checkpoint_on_a_feature_store(tiny_model, small_data, tmp_path, capsys):
    store, annotations = tmp_path / "store", tmp_path / "htm.json"
    save_feature_store(small_data.videos, store, encoder="synthetic", htm_align=annotations)
    checkpoint = save_checkpoint(tmp_path / "model.pt", tiny_model)
    out = tmp_path / "metrics.json"
    assert main(["evaluate", str(checkpoint), "--data", str(store), "--htm-align", str(annotations),
                 "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["num_videos"] == len(small_data.videos) and metrics["skipped_videos"] == 0
    assert metrics["clip_retrieval"]["num_queries"] == sum(len(v.captions) for v in small_data.videos)
    assert 0 <= metrics["htm_align"]["R@1"] <= 1
    assert "HTM-Align R@1" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "missing.pt"), "--data", str(store)]) == 2  # one line on stderr
    with pytest.raises(FileNotFoundError):
        main(["evaluate", str(tmp_path / "missing.pt"), "--data", str(store), "--debug"])


def test_loss_diagnostics_are_rates_and_shares(tiny_model, small_data):
    values = E.loss_diagnostics(tiny_model, small_data.videos, batches=1)
    for name in ("faulty_negative_rate", "fne_mass_on_faulty", "fne_diagonal_mass", "bucket_share_aligned",
                 "misaligned_rate", "fine_length_r2", "bucket_misaligned_auc"):
        assert 0 <= values[name] <= 1 or np.isnan(values[name]), name
    for name in ("cosine_relevance_corr", "fine_relevance_corr", "bucket_caption_length_corr"):
        assert -1 <= values[name] <= 1 or np.isnan(values[name]), name
    assert values["dot_product_range"] > 0


def test_block_relevance_by_hand():
    # 3 sequences of k=2 pairs: sequences 0 and 1 from video 0, sequence 2 from video 5
    relevance = np.zeros((6, 6))
    relevance[0:2, 0:2] = 1.0   # paragraph 0 x its own clips
    relevance[0:2, 2:4] = 0.5   # paragraph 0 x the other half of its video
    relevance[4:6, 0:2] = 0.25  # paragraph 2 x video 0's first half
    values = E.block_relevance(relevance, np.array([0, 0, 0, 0, 5, 5]), 2)
    assert values["block_relevance_own"] == pytest.approx(1 / 3)
    assert values["block_relevance_same_video"] == pytest.approx(0.5 / 2)  # blocks (0,1)=0.5, (1,0)=0
    assert values["block_relevance_other_video"] == pytest.approx(0.25 / 4)  # (0,2),(1,2),(2,0)=.25,(2,1)


def test_r2_and_correlation_helpers_by_hand():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert D._r2_on(2 * x + 1, x) == pytest.approx(1.0)
    assert D._r2_on(np.array([1.0, -1.0, -1.0, 1.0]), x) == pytest.approx(0.0, abs=1e-12)  # no linear part
    assert M.pearson(x, -x) == pytest.approx(-1.0) and np.isnan(M.pearson(x, np.ones(4)))


# ----------------------------------------------------------------------------- the ablation


def test_every_row_builds_a_training_config(tmp_path):
    for row in E.ABLATION_ROWS:
        config = E.ablation_train_config(row, "high", seed=1, steps=5, num_videos=10, out_dir=tmp_path / row)
        assert config.synthetic_config().unalignable_rate == E.NOISE_LEVELS["high"]["unalignable_rate"]
        loss = config.loss_config()
        assert (loss is None) == (row == "A")
        if loss is not None:
            assert loss.beta == 0.3 and (loss.video_weight == 0) == (row == "B")
            assert (loss.prompt_ratio is not None) == (row in "HIJ")


def test_howto_ablation_config_uses_the_howto_source_and_its_model(tmp_path):
    from norton.data.howto import NOISE_LEVELS as HOWTO_NOISE

    config = E.ablation_train_config("J", "high", seed=2, steps=5, num_videos=10, out_dir=tmp_path, dataset="howto")
    assert config.data.source == "howto"
    howto = config.howto_config()
    assert (howto.num_videos, howto.seed, howto.feature_noise) == (10, 2, HOWTO_NOISE["high"]["feature_noise"])
    assert config.model == E.ABLATION_MODEL_HOWTO and config.model_config().video_feature_dim == 384
    assert config.loss_config().prompt_ratio == 0.3
    synthetic = E.ablation_train_config("J", "high", seed=2, steps=5, num_videos=10, out_dir=tmp_path)
    assert synthetic.data.source == "synthetic" and synthetic.model == E.ABLATION_MODEL
    with pytest.raises(ValueError, match="dataset"):
        E.ablation_train_config("J", "high", seed=2, steps=5, num_videos=10, out_dir=tmp_path, dataset="howto2")
    with pytest.raises(ValueError, match="noise"):
        E.heldout_videos("extreme", 2, "howto")


def test_howto_concepts_become_task_qualified_steps():
    import zlib

    from norton.data.howto import HowToConfig, make_howto

    def embed(texts):
        rows = np.array([np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    data = make_howto(HowToConfig(num_videos=6, seed=1), embed=embed)
    steps = {v.video_id: (v.truth.caption_concept.copy(), v.truth.second_concept.copy()) for v in data.videos}
    E.global_step_concepts(data)
    tasks = {data.scripts[v.video_id].task for v in data.videos}
    for video in data.videos:
        captions, seconds = steps[video.video_id]
        for old, new in ((captions, video.truth.caption_concept), (seconds, video.truth.second_concept)):
            assert np.array_equal(new < 0, old < 0) and np.array_equal(new[old >= 0] % 1000, old[old >= 0])
    task_of = {c // 1000 for v in data.videos for c in v.truth.second_concept if c >= 0}
    assert len(task_of) == len(tasks)  # one offset per task


def test_row_c_uses_the_pooled_cosine_alone_in_the_video_paragraph_similarity():
    generator = torch.Generator().manual_seed(0)
    n, k = 16, 8
    pooled_video, pooled_text = torch.randn(n, 8, generator=generator), torch.randn(n, 8, generator=generator)
    tokens_v, tokens_t = torch.randn(n, 5, 8, generator=generator), torch.randn(n, 4, 8, generator=generator)
    masks = torch.ones(n, 4, dtype=torch.bool), torch.ones(n, 5, dtype=torch.bool)
    config = NortonConfig.from_dict({**E.ablation_loss("C"), "clips_per_sequence": k})
    out = NortonLoss(config)(pooled_text, pooled_video, tokens_t, tokens_v, *masks)
    torch.testing.assert_close(out.fused_similarity, pooled_cosine(pooled_text, pooled_video))


def _results_rows() -> list[dict]:
    rows = []
    for noise, offset in (("low", 0.0), ("high", -0.3)):
        for row, base in (("A", 0.5), ("J", 0.6)):
            for seed, delta in enumerate((-0.1, 0.0, 0.1)):
                value = base + offset + delta
                rows.append({"status": "done", "params.row": row, "params.noise": noise, "params.seed": seed,
                             **dict.fromkeys(E.DEFAULT_TABLE.values(), 0.25), "metrics.alignment.R@1": value})
    return rows


def test_summary_table_reports_mean_and_sample_std_per_row_and_noise(tmp_path):
    columns = {"align R@1": "metrics.alignment.R@1", "clip R@1": "metrics.clip_retrieval.R@1"}
    table = E.summary_table(_results_rows(), columns)
    lines = table.splitlines()
    assert lines[0] == "### noise = low" and "### noise = high" in lines
    # A at low: 0.4, 0.5, 0.6 -> 50.0 ± 10.0 (sample std); J at high: 0.2, 0.3, 0.4 -> 30.0 ± 10.0
    assert "| A InfoNCE | 50.0 ± 10.0 | 25.0 ± 0.0 | 3 |" in lines
    high = lines[lines.index("### noise = high"):]
    assert "| J +bucket 30% (Norton) | 30.0 ± 10.0 | 25.0 ± 0.0 | 3 |" in high
    with pytest.raises(ValueError, match="metrics.nothing"):
        E.summary_table(_results_rows(), {"x": "metrics.nothing"})


def test_paired_differences_to_a_baseline_row_match_seed_by_seed():
    rows = _results_rows()
    for r in rows:  # J's seeds gain 0.05, 0.10, 0.15 over A's in both groups
        if r["params.row"] == "J":
            r["metrics.alignment.R@1"] += 0.05 * r["params.seed"]
    table = E.summary_table(rows, {"align R@1": "metrics.alignment.R@1"}, baseline="A")
    lines = table.splitlines()
    assert lines[0] == "### noise = low (difference to A)"
    # J - A per seed: 0.10, 0.15, 0.20 -> +15.0 ± 5.0; A against itself is 0
    assert "| J +bucket 30% (Norton) | +15.0 ± 5.0 | 3 |" in lines and "| A InfoNCE | +0.0 ± 0.0 | 3 |" in lines


def test_summarize_reads_a_sweep_results_csv(tmp_path, capsys):
    rows = _results_rows()
    rows.append({**rows[0], "status": "failed", "metrics.alignment.R@1": ""})  # failed runs are left out
    csv_path = tmp_path / "results.csv"
    columns = list(rows[0])
    csv_path.write_text(",".join(columns) + "\n" + "\n".join(",".join(str(r[c]) for c in columns) for r in rows))
    out = tmp_path / "table.md"
    assert main(["evaluate", "--summarize", str(csv_path), "--out", str(out)]) == 0
    assert "| 3 |" in out.read_text() and "| 4 |" not in out.read_text()
    assert "### noise = low" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="results table"):
        E.summarize_sweep(tmp_path / "none.csv")


def test_cli_imported_mmpt_checkpoint_gives_the_same_metrics_as_our_own(small_data, tmp_path):
    torch.manual_seed(1)
    model = DualEncoder(ModelConfig())  # the plain tiny preset, rebuilt by --mmpt --preset tiny
    store = tmp_path / "store"
    save_feature_store(small_data.videos[:2], store, encoder="synthetic")
    ours = save_checkpoint(tmp_path / "ours.pt", model)
    released = {"model": {"mmmodel." + k.replace("video_encoder.token_mlp.", "video_encoder.videomlp."): v
                          for k, v in model.state_dict().items()}}
    torch.save(released, tmp_path / "released.pt")
    for name, extra in (("ours", []), ("released", ["--mmpt", "--preset", "tiny"])):
        source = ours if name == "ours" else tmp_path / "released.pt"
        assert main(["evaluate", str(source), "--data", str(store), "--out", str(tmp_path / f"{name}.json"),
                     *extra]) == 0
    assert json.loads((tmp_path / "ours.json").read_text()) == json.loads((tmp_path / "released.json").read_text())
