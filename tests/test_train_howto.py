"""Training on the narrated how-to testbed (data.source 'howto'): a few CPU steps, and its config is validated."""
import zlib

import numpy as np
import pytest

import norton.train.data as train_data
from norton.data.howto import make_howto
from norton.train import TrainConfig, read_metrics, train

SMALL_HOWTO = {
    "data": {"source": "howto", "howto": {"num_videos": 4, "seed": 3, "steps_per_video": [3, 4],
                                          "step_seconds": [8, 12]}},
    "model": {"preset": "tiny", "video_feature_dim": 384, "hidden_size": 32, "heads": 2, "intermediate_size": 64,
              "video_layers": 1, "text_layers": 1},
    "loss": {"clips_per_sequence": 4},
    "sampler": {"videos_per_batch": 2, "clips_per_video": 8, "clips_per_sequence": 4, "max_words": 12},
    "lr": 1e-3, "device": "cpu", "progress": False, "log_every": 1, "steps": 3, "threads": 1,
}


def hashed_embed(texts):
    """A fast stand-in for MiniLM with its width: a fixed random unit vector per sentence."""
    rows = np.array([np.random.default_rng(zlib.crc32(t.encode())).normal(size=384) for t in texts], np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_howto_config_trains_a_few_steps_on_cpu(tmp_path, monkeypatch):
    seen = []

    def fake_make_howto(config):
        seen.append(config)
        return make_howto(config, embed=hashed_embed)

    monkeypatch.setattr(train_data, "make_howto", fake_make_howto)
    config = TrainConfig.from_dict({**SMALL_HOWTO, "out_dir": str(tmp_path / "run")})
    assert config.howto_config().num_videos == 4 and config.howto_config().step_seconds == (8, 12)
    assert TrainConfig.from_yaml(config.to_yaml()) == config
    result = train(config)
    assert result.step == 3 and np.isfinite(result.final_loss)
    assert len(seen) == 1 and seen[0].seed == 3
    records = read_metrics(config.out_dir)
    assert [r["step"] for r in records] == [1, 2, 3] and "cos_aligned" in records[-1]  # testbed truth reaches the batches


@pytest.mark.parametrize("howto, match", [
    ({"num_videos": 4, "sed": 1, "feature_nois": 0.5}, r"'data\.howto\.feature_nois', 'data\.howto\.sed'"),
    ({"step_seconds": [5, 2]}, r"data\.howto.*step_seconds"),
])
def test_bad_howto_keys_and_values_name_them(howto, match, tmp_path):
    values = {**SMALL_HOWTO, "data": {"source": "howto", "howto": howto}, "out_dir": str(tmp_path / "run")}
    with pytest.raises(ValueError, match=match):
        TrainConfig.from_dict(values)


def test_howto_needs_a_384_d_video_tower(tmp_path):
    values = {**SMALL_HOWTO, "model": {**SMALL_HOWTO["model"], "video_feature_dim": 32}, "out_dir": str(tmp_path)}
    with pytest.raises(ValueError, match="384"):
        TrainConfig.from_dict(values)
