"""Feature store: write/read round trip, resume semantics, failures, and error messages."""
from __future__ import annotations

import json

import numpy as np
import pytest

from norton.data.captions import Captions
from norton.data.store import FeatureStore, FeatureStoreWriter


def test_round_trip_with_captions_and_source(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 4)).astype(np.float32)
    b = rng.normal(size=(3, 4)).astype(np.float16)
    writer = FeatureStoreWriter(tmp_path, encoder="s3d", feature_dim=4)
    writer.write("a", a, captions=Captions([0.0], [2.0], ["hi"]), source="/videos/a.mp4")
    writer.write("b", b)
    store = FeatureStore(tmp_path)
    assert store.video_ids == ["a", "b"] and store.feature_dim == 4 and store.encoder == "s3d"
    np.testing.assert_array_equal(store.features("a"), a)
    assert store.features("b").dtype == np.float16
    np.testing.assert_array_equal(store.features("b"), b)
    assert store.captions("a") == Captions([0.0], [2.0], ["hi"])
    assert store.captions("b") is None
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["videos"]["a"] == {"features": "features/a.npy", "num_seconds": 5, "source": "/videos/a.mp4"}
    assert manifest["fps"] == 1.0 and manifest["format"] == "norton-feature-store"
    assert not list(tmp_path.rglob("*.tmp*"))


def test_resume_keeps_done_videos_and_checks_settings(tmp_path):
    writer = FeatureStoreWriter(tmp_path, encoder="s3d", feature_dim=2)
    writer.write("a", np.ones((2, 2), np.float32), captions=Captions([0.0], [1.0], ["x"]))
    writer.fail("b", "decode error")
    resumed = FeatureStoreWriter(tmp_path, encoder="s3d", feature_dim=2)
    assert resumed.done("a") and not resumed.done("b")
    resumed.write("c", np.zeros((1, 2), np.float32), captions=Captions([0.0], [1.0], ["y"]))
    store = FeatureStore(tmp_path)
    assert store.video_ids == ["a", "c"]
    assert store.failed == {"b": "decode error"}
    assert store.captions("a").text == ["x"] and store.captions("c").text == ["y"]  # earlier captions kept
    with pytest.raises(ValueError, match="encoder"):
        FeatureStoreWriter(tmp_path, encoder="clip", feature_dim=2)
    with pytest.raises(ValueError, match="feature_dim"):
        FeatureStoreWriter(tmp_path, encoder="s3d", feature_dim=3)


def test_done_false_when_file_vanished_and_retry_clears_failure(tmp_path):
    writer = FeatureStoreWriter(tmp_path, encoder="e", feature_dim=2)
    writer.fail("a", "timeout")
    writer.write("a", np.ones((2, 2)))  # a retry that succeeds
    assert FeatureStore(tmp_path).failed == {}
    assert FeatureStore(tmp_path).features("a").dtype == np.float32  # float64 input stored as float32
    (tmp_path / "features" / "a.npy").unlink()
    assert not writer.done("a")



def test_flush_every_batches_manifest_updates(tmp_path):
    with FeatureStoreWriter(tmp_path, encoder="e", feature_dim=2, flush_every=3) as writer:
        for name in ("a", "b"):
            writer.write(name, np.ones((2, 2), np.float32), captions=Captions([0.0], [1.0], [name]))
        assert FeatureStore(tmp_path).video_ids == []  # not yet recorded on disk
        assert writer.done("a")
        writer.fail("c", "bad")  # the third change flushes
        assert FeatureStore(tmp_path).video_ids == ["a", "b"]
        writer.write("d", np.ones((2, 2), np.float32))
    store = FeatureStore(tmp_path)  # leaving the block flushed the rest
    assert store.video_ids == ["a", "b", "d"] and store.failed == {"c": "bad"}
    assert store.captions("b").text == ["b"]
    with pytest.raises(ValueError, match="flush_every"):
        FeatureStoreWriter(tmp_path, encoder="e", feature_dim=2, flush_every=0)

def test_write_rejects_bad_input(tmp_path):
    writer = FeatureStoreWriter(tmp_path, encoder="e", feature_dim=3)
    with pytest.raises(ValueError, match=r"expected shape \(T>=1, 3\)"):
        writer.write("a", np.ones((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        writer.write("a", np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match="path separators"):
        writer.write("../evil", np.ones((4, 3)))
    with pytest.raises(ValueError, match="empty text"):
        writer.write("a", np.ones((4, 3)), captions=Captions([0.0], [1.0], [""]))


def test_reader_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        FeatureStore(tmp_path)
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(ValueError, match="manifest.json: not valid JSON"):
        FeatureStore(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a feature store manifest"):
        FeatureStore(tmp_path)


def test_corrupt_missing_and_wrong_dim_feature_files(tmp_path):
    writer = FeatureStoreWriter(tmp_path, encoder="e", feature_dim=3)
    for name in ("good", "corrupt", "missing", "truncated"):
        writer.write(name, np.ones((10, 3), np.float32))
    (tmp_path / "features" / "corrupt.npy").write_bytes(b"definitely not numpy")
    (tmp_path / "features" / "missing.npy").unlink()
    data = (tmp_path / "features" / "truncated.npy").read_bytes()
    (tmp_path / "features" / "truncated.npy").write_bytes(data[:-20])
    store = FeatureStore(tmp_path)
    assert store.features("good").shape == (10, 3)
    with pytest.raises(ValueError, match=r"corrupt\.npy: corrupt feature file"):
        store.features("corrupt")
    with pytest.raises(ValueError, match=r"truncated\.npy: corrupt feature file"):
        store.features("truncated")
    with pytest.raises(FileNotFoundError, match=r"missing\.npy"):
        store.features("missing")
    with pytest.raises(KeyError, match="unknown"):
        store.features("unknown")
    np.save(tmp_path / "features" / "good.npy", np.ones((10, 5), np.float32))
    with pytest.raises(ValueError, match=r"good\.npy: feature dimension 5, expected 3"):
        store.features("good")


# ---------------------------------------------------------------- loading a store as validated videos


def build_store(root):
    """A store with one good video and one video for each kind of problem."""
    writer = FeatureStoreWriter(root, encoder="e", feature_dim=3)
    features = np.arange(30, dtype=np.float32).reshape(10, 3)
    good = Captions([5.0, 1.0], [7.0, 2.0], ["second", "first"])  # unsorted on purpose
    for name in ("good", "corrupt", "wrongdim", "missingfile", "nocaptions", "nanfeatures"):
        writer.write(name, features, captions=good if name != "nocaptions" else None)
    writer.write("late", features, captions=Captions([1.0], [12.5], ["too late"]))  # > 10 s + 1 s tolerance
    writer.fail("broken", "could not decode")
    (root / "features" / "corrupt.npy").write_bytes(b"garbage")
    np.save(root / "features" / "wrongdim.npy", np.ones((10, 4), np.float32))
    np.save(root / "features" / "nanfeatures.npy", np.full((10, 3), np.nan, np.float32))
    (root / "features" / "missingfile.npy").unlink()
    captions = json.loads((root / "captions.json").read_text())
    captions["backwards"] = {"start": [3.0], "end": [1.0], "text": ["oops"]}
    captions["emptytext"] = {"start": [0.0], "end": [1.0], "text": ["  "]}
    (root / "captions.json").write_text(json.dumps(captions))
    writer.write("backwards", features)
    writer.write("emptytext", features)
    return features


def test_load_feature_store_skips_bad_videos_with_reasons(tmp_path, caplog):
    from norton.data.videos import load_feature_store

    features = build_store(tmp_path)
    with caplog.at_level("WARNING"):
        collection = load_feature_store(tmp_path)
    assert [video.video_id for video in collection] == ["good"]
    video = collection[0]
    np.testing.assert_array_equal(video.features, features)
    assert video.features.dtype == np.float32 and video.num_seconds == 10.0 and video.truth is None
    assert video.captions.text == ["first", "second"]  # sorted by time
    reasons = dict(collection.skipped)
    assert set(reasons) == {"corrupt", "wrongdim", "missingfile", "nocaptions", "nanfeatures", "late",
                            "broken", "backwards", "emptytext"}
    assert "corrupt feature file" in reasons["corrupt"]
    assert "feature dimension 4, expected 3" in reasons["wrongdim"]
    assert "not found" in reasons["missingfile"]
    assert reasons["nocaptions"] == "no captions"
    assert "NaN" in reasons["nanfeatures"]
    assert "beyond the video duration" in reasons["late"]
    assert "could not decode" in reasons["broken"]
    assert "after end" in reasons["backwards"]
    assert "empty text" in reasons["emptytext"]
    assert "skipped 9 of 10 videos" in caplog.text


def test_load_feature_store_with_subtitle_folder_and_merge(tmp_path):
    from norton.data.videos import load_feature_store

    writer = FeatureStoreWriter(tmp_path / "store", encoder="e", feature_dim=2)
    writer.write("vid", np.zeros((20, 2), np.float32))
    writer.write("other", np.zeros((20, 2), np.float32))
    subtitles = tmp_path / "subs"
    subtitles.mkdir()
    (subtitles / "vid.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nfirst we\n\n2\n00:00:02,200 --> 00:00:03,000\ncut it.\n\n"
        "3\n00:00:03,100 --> 00:00:04,000\nthen\n")
    (subtitles / "other.srt").write_text("1\n00:00:01,000 --> 00:0x:02,000\nbad\n")
    with pytest.warns(UserWarning, match=r"other\.srt:2: bad timestamp"):  # the bad cue is named, then skipped
        plain = load_feature_store(tmp_path / "store", captions=subtitles)
    assert [v.video_id for v in plain] == ["vid"] and plain[0].captions.text == ["first we", "cut it.", "then"]
    assert "bad timestamp" in dict(plain.skipped)["other"]
    with pytest.warns(UserWarning, match=r"other\.srt:2"):
        merged = load_feature_store(tmp_path / "store", captions=subtitles, merge=True)
    assert merged[0].captions.text == ["first we cut it.", "then"]
    assert merged[0].captions.start == [1.0, 3.1] and merged[0].captions.end == [3.0, 4.0]


def test_load_feature_store_with_htm_align_truth(tmp_path):
    from norton.data.videos import load_feature_store

    writer = FeatureStoreWriter(tmp_path / "store", encoder="e", feature_dim=2)
    writer.write("a", np.zeros((30, 2), np.float32))
    writer.write("unannotated", np.zeros((30, 2), np.float32))
    annotations = {"a": [[0, 20.0, 22.0, "hi all"], [1, 3.0, 9.5, "cut onion"]], "absent": [[1, 0.0, 1.0, "x"]]}
    (tmp_path / "htm.json").write_text(json.dumps(annotations))
    collection = load_feature_store(tmp_path / "store", htm_align=tmp_path / "htm.json")
    assert [v.video_id for v in collection] == ["a"]
    assert dict(collection.skipped) == {"absent": "not in the feature store"}
    video = collection[0]
    assert video.captions.text == ["cut onion", "hi all"]  # sorted, truth reordered with it
    assert video.truth.alignable.tolist() == [True, False]
    assert video.truth.start.tolist() == [3.0, 20.0] and video.truth.end.tolist() == [9.5, 22.0]
    with pytest.raises(ValueError, match="merge"):
        load_feature_store(tmp_path / "store", htm_align=tmp_path / "htm.json", merge=True)
    with pytest.raises(ValueError, match="2-dimensional features, expected 5"):
        load_feature_store(tmp_path / "store", feature_dim=5)


def test_synthetic_videos_round_trip_through_a_store(tmp_path):
    from norton.data.synthetic import SyntheticConfig, make_synthetic
    from norton.data.videos import load_feature_store, save_feature_store

    dataset = make_synthetic(SyntheticConfig(num_videos=4, seed=5))
    save_feature_store(dataset.videos, tmp_path / "store", encoder="synthetic", htm_align=tmp_path / "truth.json")
    loaded = load_feature_store(tmp_path / "store")
    assert loaded.skipped == [] and [v.video_id for v in loaded] == [v.video_id for v in dataset]
    for original, video in zip(dataset, loaded):
        np.testing.assert_array_equal(video.features, original.features)
        assert video.captions == original.captions
    annotated = load_feature_store(tmp_path / "store", htm_align=tmp_path / "truth.json")
    for original, video in zip(dataset, annotated):
        truth = original.truth
        expected = sorted(zip(np.where(truth.alignable, truth.start, original.captions.start).tolist(),
                              np.where(truth.alignable, truth.end, original.captions.end).tolist(),
                              original.captions.text, truth.alignable.tolist()))
        assert sorted(zip(video.truth.start.tolist(), video.truth.end.tolist(), video.captions.text,
                          video.truth.alignable.tolist())) == expected
        assert video.truth.start.tolist() == sorted(video.truth.start.tolist())
    only = load_feature_store(tmp_path / "store", video_ids=[dataset[2].video_id, "nope"])
    assert [v.video_id for v in only] == [dataset[2].video_id]
    assert only.skipped == [("nope", "not in the feature store")]
