"""`norton shards`: HowTo100M's released layout and folder stores imported into a sharded store."""
import json

import numpy as np
import pytest

from norton.cli import main
from norton.data.captions import Captions
from norton.data.convert import import_folder_store, import_howto100m, shuffled
from norton.data.shards import ShardedStore
from norton.data.store import FeatureStore
from norton.data.synthetic import SyntheticConfig, make_synthetic
from norton.data.videos import save_feature_store


@pytest.fixture
def howto_layout(tmp_path):
    """30 videos' (T, 16) .npy files in two sub-folders and a caption JSON of 32 videos (2 without features)."""
    rng = np.random.default_rng(0)
    captions, features = {}, {}
    for index in range(32):
        video_id = f"vid{index:03d}"
        seconds = 20 + index
        starts = np.sort(rng.uniform(0, seconds - 5, 4)).round(2)
        captions[video_id] = {"start": starts.tolist(), "end": (starts + 2).tolist(),
                              "text": [f"step {k} of {video_id}" for k in range(4)]}
        if index < 30:
            features[video_id] = rng.standard_normal((seconds, 16)).astype(np.float32)
            folder = tmp_path / "feat" / f"part{index % 2}"
            folder.mkdir(parents=True, exist_ok=True)
            np.save(folder / f"{video_id}.npy", features[video_id])
    np.save(tmp_path / "feat" / "part0" / "vid004.npy", np.zeros((24, 15), np.float32))  # the wrong dimension
    captions["vid005"]["end"][-1] = 500.0  # ASR beyond the features: clipped to 25 s
    captions["vid006"]["text"][0] = "  "   # an empty caption: dropped
    captions["vid007"]["start"] = [30.0, 1.0, 2.0, 3.0]  # starts after the features (27 s): dropped
    captions["vid007"]["end"] = [31.0, 2.0, 3.0, 4.0]
    (tmp_path / "captions.json").write_text(json.dumps(captions))
    return tmp_path, captions, features


def test_howto100m_layout_is_imported_shuffled_fitted_and_resumable(howto_layout, tmp_path):
    root, captions, features = howto_layout
    with pytest.warns(UserWarning, match=r"skipped video .vid004.*vid004\.npy: feature dimension 15, expected 16"):
        summary = import_howto100m(root / "feat", root / "captions.json", tmp_path / "store", videos_per_shard=8,
                                   shuffle_buffer=6, seed=1, progress=False)
    assert summary.written == 29 and list(summary.failed) == ["vid004"]
    assert summary.no_features == ["vid030", "vid031"]
    assert (summary.dropped_captions, summary.clipped_captions) == (2, 1)
    store = ShardedStore(tmp_path / "store")
    assert store.shard_sizes == [8, 8, 8, 5] and store.feature_dim == 16 and list(store.failed()) == ["vid004"]
    order = [video.video_id for video in store]
    assert sorted(order) == sorted(set(features) - {"vid004"}) and order != sorted(order)  # shuffled
    for video in store:
        np.testing.assert_array_equal(video.features, features[video.video_id].astype(np.float16))
    assert store.by_id("vid010").captions == Captions(**captions["vid010"])
    assert store.by_id("vid005").captions.end[-1] == 25.0
    assert store.by_id("vid006").captions.text == captions["vid006"]["text"][1:]
    assert store.by_id("vid007").captions.start == [1.0, 2.0, 3.0]
    with pytest.warns(UserWarning, match="skipped video 'vid004'"):  # still bad, said again
        again = import_howto100m(root / "feat", root / "captions.json", tmp_path / "store", videos_per_shard=8,
                                 shuffle_buffer=6, seed=1, progress=False)
    assert (again.written, again.already) == (0, 29) and ShardedStore(tmp_path / "store").shard_sizes == [8, 8, 8, 5]


def test_the_shuffle_buffer_permutes_every_item_once():
    items = list(range(50))
    mixed = list(shuffled(iter(items), buffer=7, seed=3))
    assert sorted(mixed) == items and mixed != items and mixed == list(shuffled(iter(items), buffer=7, seed=3))
    assert list(shuffled(iter(items), buffer=1, seed=3)) == items  # a buffer of one keeps the order


def test_a_folder_store_is_imported_as_it_is(tmp_path):
    videos = make_synthetic(SyntheticConfig(num_videos=5, seed=2)).videos
    save_feature_store(videos, tmp_path / "folder", encoder="synthetic")
    summary = import_folder_store(tmp_path / "folder", tmp_path / "store", videos_per_shard=2, progress=False)
    assert summary.written == 5 and not summary.failed
    folder, store = FeatureStore(tmp_path / "folder"), ShardedStore(tmp_path / "store")
    assert store.video_ids == folder.video_ids and store.shard_sizes == [2, 2, 1] and store.encoder == "synthetic"
    for video_id in folder.video_ids:
        np.testing.assert_array_equal(store.by_id(video_id).features, folder.features(video_id).astype(np.float16))
        assert store.by_id(video_id).captions.text == folder.captions(video_id).text


def test_the_command_line_names_what_is_wrong(howto_layout, tmp_path, capsys):
    root, _, _ = howto_layout
    assert main(["shards", "import-howto100m", "--features", str(root / "feat"), "--captions",
                 str(root / "nope.json"), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "caption JSON not found" in err and "nope.json" in err
    (root / "bad.json").write_text('{"vid000": {"start": [1.0], "end": [2')
    assert main(["shards", "import-howto100m", "--features", str(root / "feat"), "--captions",
                 str(root / "bad.json"), "--out", str(tmp_path / "s")]) == 2
    assert "bad.json: not valid JSON" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="vid004"):
        code = main(["shards", "import-howto100m", "--features", str(root / "feat"), "--captions",
                     str(root / "captions.json"), "--out", str(tmp_path / "s"), "--videos-per-shard", "10"])
    assert code == 1  # one video failed; the other 29 are in the store
    out = capsys.readouterr().out
    assert "written 29" in out and "29 videos" in out and "in 3 shards" in out
    assert main(["shards", "info", str(tmp_path / "s")]) == 0
    assert "1 failed" in capsys.readouterr().out
