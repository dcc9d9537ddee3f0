"""DualEncoder: shapes and masks, pooling, padding invariance, truncation, freezing, configs, presets."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from norton.model import (  # noqa: E402
    DualEncoder, ModelConfig, freeze_all_but_layernorm, minilm_dir,
)

torch.set_num_threads(1)
CAPTIONS = ["cut the onions", "add salt", "now stir the soup for about five minutes until it thickens"]


@pytest.fixture(scope="module")
def tiny() -> DualEncoder:
    torch.manual_seed(0)
    return DualEncoder(ModelConfig()).eval()


def video_batch(t: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    features = torch.randn(3, t, 32, generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([4, t, 1])
    mask = torch.arange(t)[None] < lengths[:, None]  # (3, t)
    return features, mask


def test_shapes_and_masks_follow_videoclip(tiny: DualEncoder) -> None:
    features, mask = video_batch()
    out = tiny(features, mask, CAPTIONS)
    ids = tiny.tokenize(CAPTIONS)["input_ids"]
    n_words = [len(tiny.tokenizer.tokenize(c)) for c in CAPTIONS]
    width = max(n_words) + 2
    assert out.video_tokens.shape == (3, 6 + 2, 64) and out.text_tokens.shape == (3, width, 64)
    assert out.pooled_video.shape == out.pooled_text.shape == (3, 64)
    expected_video = torch.cat([torch.zeros(3, 1, dtype=torch.bool), mask, torch.ones(3, 1, dtype=torch.bool)], 1)
    assert out.video_mask.dtype == torch.bool and torch.equal(out.video_mask, expected_video)
    for i, k in enumerate(n_words):
        row = torch.zeros(width, dtype=torch.bool)
        row[1:k + 2] = True  # words and [SEP]
        assert torch.equal(out.text_mask[i], row)
        assert ids[i, 0] == tiny.tokenizer.cls_token_id and ids[i, k + 1] == tiny.tokenizer.sep_token_id


def test_pooled_is_mean_over_valid_positions(tiny: DualEncoder) -> None:
    out = tiny(*video_batch(), CAPTIONS)
    for i in range(3):
        torch.testing.assert_close(out.pooled_video[i], out.video_tokens[i][out.video_mask[i]].mean(0))
        torch.testing.assert_close(out.pooled_text[i], out.text_tokens[i][out.text_mask[i]].mean(0))


def test_padding_values_and_padding_length_do_not_change_valid_outputs(tiny: DualEncoder) -> None:
    features, mask = video_batch()
    reference = tiny.encode_video(features, mask)
    garbage = features.clone()
    garbage[~mask] = 1e4 * torch.randn(int((~mask).sum()), 32)
    garbage[0, 5] = float("nan")  # padding of clip 0
    changed = tiny.encode_video(garbage, mask)
    valid = reference.mask
    torch.testing.assert_close(changed.tokens[valid], reference.tokens[valid])
    torch.testing.assert_close(changed.pooled, reference.pooled)
    # the video [SEP] sits at max_video_len + 1 whatever T is, so longer padding changes nothing either
    longer = tiny.encode_video(F.pad(features, (0, 0, 0, 5)), F.pad(mask, (0, 5)))
    torch.testing.assert_close(longer.pooled, reference.pooled)
    torch.testing.assert_close(longer.tokens[:, -1], reference.tokens[:, -1])


def test_text_padding_does_not_change_outputs(tiny: DualEncoder) -> None:
    alone = tiny.encode_text(CAPTIONS[1:2])
    batched = tiny.encode_text(CAPTIONS)
    torch.testing.assert_close(batched.pooled[1], alone.pooled[0], atol=1e-5, rtol=1e-5)


def test_truncation_to_max_text_len() -> None:
    torch.manual_seed(0)
    model = DualEncoder(ModelConfig(max_text_len=12)).eval()
    out = model.encode_text(["word " * 100, "short one"])
    ids = model.tokenize(["word " * 100])["input_ids"][0]
    assert out.tokens.shape[1] == 12
    assert int(out.mask[0].sum()) == 11  # 10 words + [SEP]
    assert ids[-1] == model.tokenizer.sep_token_id


def test_tokenized_dict_equals_strings(tiny: DualEncoder) -> None:
    from_strings = tiny.encode_text(CAPTIONS)
    from_dict = tiny.encode_text(tiny.tokenize(CAPTIONS))
    torch.testing.assert_close(from_dict.tokens, from_strings.tokens)
    assert torch.equal(from_dict.mask, from_strings.mask)


def test_bad_inputs_raise(tiny: DualEncoder) -> None:
    features, mask = video_batch()
    with pytest.raises(ValueError, match="video_features"):
        tiny.encode_video(features[..., :16], mask)
    with pytest.raises(ValueError, match="max_video_len"):
        tiny.encode_video(torch.randn(1, 17, 32), torch.ones(1, 17, dtype=torch.bool))
    with pytest.raises(ValueError, match="bool"):
        tiny.encode_video(features, mask.float())
    with pytest.raises(ValueError, match="at least one valid"):
        tiny.encode_video(features, torch.zeros_like(mask))
    nan_valid = features.clone()
    nan_valid[1, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        tiny.encode_video(nan_valid, mask)
    with pytest.raises(ValueError, match=r"captions\[1\]"):
        tiny.encode_text(["fine", "  "])
    with pytest.raises(ValueError, match="non-empty list"):
        tiny.encode_text([])
    with pytest.raises(ValueError, match="2 captions for 3 clips"):
        tiny(features, mask, CAPTIONS[:2])


def is_layernorm_name(name: str) -> bool:
    return name.rsplit(".", 2)[-2] == "LayerNorm"


def test_layernorm_only_freezes_everything_else() -> None:
    torch.manual_seed(0)
    model = DualEncoder(ModelConfig(layernorm_only=True))
    names = model.trainable_parameter_names()
    all_names = [n for n, _ in model.named_parameters()]
    assert names == [n for n in all_names if is_layernorm_name(n)]
    assert "video_encoder.token_mlp.LayerNorm.weight" in names
    assert "video_encoder.bert.embeddings.LayerNorm.bias" in names
    assert "text_encoder.encoder.layer.1.output.LayerNorm.weight" in names
    # 2 params per LayerNorm: video MLP + embeddings + 2 per layer; text embeddings + 2 per layer
    assert len(names) == 2 * (1 + 1 + 2 * 2) + 2 * (1 + 2 * 2)
    out = model(*video_batch(), CAPTIONS)
    (out.pooled_video * out.pooled_text).sum().backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == (name in names), name


def test_freeze_all_but_layernorm_on_a_plain_module() -> None:
    block = nn.Sequential(nn.Linear(3, 3))
    block.add_module("LayerNorm", nn.LayerNorm(3))
    block.add_module("norm", nn.LayerNorm(3))  # a LayerNorm of another name is frozen, as released
    assert freeze_all_but_layernorm(block) == ["LayerNorm.weight", "LayerNorm.bias"]
    assert not block[0].weight.requires_grad and not block.norm.weight.requires_grad


def test_config_round_trip_and_errors(tmp_path) -> None:
    config = ModelConfig.from_preset("minilm", max_video_len=20, layernorm_only=True)
    assert config.hidden_size == 384 and config.text_model == "minilm" and config.max_video_len == 20
    assert ModelConfig.from_dict(config.to_dict()) == config
    assert ModelConfig.from_yaml(config.to_yaml()) == config
    (tmp_path / "m.yaml").write_text(config.to_yaml())
    assert ModelConfig.load(tmp_path / "m.yaml") == config
    assert ModelConfig.from_yaml("preset: videoclip\n").hidden_size == 768
    assert ModelConfig.from_dict({}) == ModelConfig()
    with pytest.raises(ValueError, match="hidden_sise"):
        ModelConfig.from_dict({"hidden_sise": 8})
    with pytest.raises(ValueError, match="preset"):
        ModelConfig.from_preset("huge")
    with pytest.raises(ValueError, match="multiple of heads"):
        ModelConfig(hidden_size=30, heads=4)
    with pytest.raises(ValueError, match="video_init"):
        ModelConfig(video_init="bert")
    with pytest.raises(FileNotFoundError):
        ModelConfig.load(tmp_path / "absent.yaml")


def test_minilm_preset_uses_pretrained_weights() -> None:
    from transformers import AutoModel

    torch.manual_seed(0)
    model = DualEncoder(ModelConfig.from_preset("minilm", video_feature_dim=32, video_layers=1)).eval()
    reference = AutoModel.from_pretrained(str(minilm_dir())).eval()
    batch = model.tokenize(CAPTIONS)
    out = model(*video_batch(), batch)
    assert out.pooled_text.shape == out.pooled_video.shape == (3, 384)
    with torch.no_grad():
        expected = reference(**batch).last_hidden_state
    torch.testing.assert_close(out.text_tokens, expected)
    # video_init="text": the video BERT starts from MiniLM's embeddings and first layer
    torch.testing.assert_close(model.video_encoder.bert.encoder.layer[0].attention.self.query.weight,
                               reference.encoder.layer[0].attention.self.query.weight)


def test_text_projection_when_widths_differ() -> None:
    torch.manual_seed(0)
    model = DualEncoder(ModelConfig(text_model="minilm", pretrained=False, hidden_size=32)).eval()
    assert isinstance(model.text_projection, nn.Linear)
    assert model(*video_batch(), CAPTIONS).text_tokens.shape[-1] == 32
    with pytest.raises(ValueError, match="video_init='text'"):
        DualEncoder(ModelConfig(text_model="minilm", pretrained=False, hidden_size=32, video_init="text"))


def test_videoclip_preset_offline_builds_bert_base_sizes() -> None:
    with pytest.warns(UserWarning, match="random weights"):
        model = DualEncoder(ModelConfig.from_preset("videoclip", video_layers=1))
    assert model.text_encoder.config.hidden_size == 768 and model.text_encoder.config.num_hidden_layers == 12
    assert model.video_encoder.bert.embeddings.word_embeddings.weight.shape == (30522, 768)
    assert all(is_layernorm_name(n) for n in model.trainable_parameter_names())


def test_outputs_feed_norton_loss() -> None:
    from norton import NortonConfig, NortonLoss

    torch.manual_seed(0)
    model = DualEncoder(ModelConfig())
    features = torch.randn(16, 5, 32)
    mask = torch.ones(16, 5, dtype=torch.bool)
    mask[::3, 3:] = False
    out = model(features, mask, [f"step {i} of the recipe" for i in range(16)])
    loss = NortonLoss(NortonConfig(clips_per_sequence=8))(*out.loss_inputs())
    loss.total.backward()
    assert torch.isfinite(loss.total)
    assert model.video_encoder.token_mlp.linear1.weight.grad.abs().sum() > 0
