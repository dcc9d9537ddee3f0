"""Checkpoints: exact save/load round trip with optimizer and RNG, atomic writes, MMPT import mapping."""
from __future__ import annotations

import argparse
import os
import random
import sys
import types

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers import BertConfig, BertModel  # noqa: E402

import norton.checkpoint as checkpoint_module  # noqa: E402
from norton import NortonConfig  # noqa: E402
from norton.checkpoint import (  # noqa: E402
    import_mmpt_checkpoint, load_checkpoint, load_model, save_checkpoint,
)
from norton.model import DualEncoder, ModelConfig  # noqa: E402

torch.set_num_threads(1)
CAPTIONS = ["pour the water", "whisk two eggs", "bake for twenty minutes"]
CONFIG = ModelConfig(video_layers=1, text_layers=1)


def build(seed: int, config: ModelConfig = CONFIG) -> DualEncoder:
    torch.manual_seed(seed)
    return DualEncoder(config)


def train_step(model: DualEncoder, optimizer: torch.optim.Optimizer) -> None:
    """One step with dropout on, so that the result depends on the torch RNG."""
    features = torch.randn(3, 4, 32)
    out = model(features, torch.ones(3, 4, dtype=torch.bool), CAPTIONS)
    optimizer.zero_grad()
    (out.pooled_video @ out.pooled_text.T).logsumexp(1).mean().backward()
    optimizer.step()


def draws() -> tuple:
    return random.random(), tuple(np.random.rand(3)), torch.rand(3)


def test_round_trip_resumes_exactly(tmp_path) -> None:
    model = build(0).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):
        train_step(model, optimizer)
    path = save_checkpoint(tmp_path / "ckpt.pt", model, loss_config=NortonConfig(beta=0.2), optimizer=optimizer,
                           step=2, extra={"epoch": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]  # no temporary left behind
    expected_draws = draws()
    train_step(model, optimizer)
    expected_params = {k: v.clone() for k, v in model.state_dict().items()}

    random.seed(99), np.random.seed(99), torch.manual_seed(99)
    fresh = build(1).train()
    fresh_optimizer = torch.optim.Adam(fresh.parameters(), lr=1e-3)
    loaded = load_checkpoint(path, fresh, fresh_optimizer)
    assert loaded.step == 2 and loaded.extra == {"epoch": 1}
    assert loaded.loss_config == NortonConfig(beta=0.2).to_dict()
    assert ModelConfig.from_dict(loaded.model_config) == CONFIG
    got_draws = draws()
    assert got_draws[:2] == expected_draws[:2] and torch.equal(got_draws[2], expected_draws[2])
    train_step(fresh, fresh_optimizer)  # same data, same dropout masks, same Adam moments
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, expected_params[key]), key


def test_load_model_rebuilds_from_saved_config(tmp_path) -> None:
    model = build(0).eval()
    save_checkpoint(tmp_path / "m.pt", model)
    rebuilt, checkpoint = load_model(tmp_path / "m.pt")
    assert rebuilt.config == CONFIG and checkpoint.optimizer_state is None
    features, mask = torch.randn(3, 4, 32), torch.ones(3, 4, dtype=torch.bool)
    torch.testing.assert_close(rebuilt.eval()(features, mask, CAPTIONS).pooled_text,
                               model(features, mask, CAPTIONS).pooled_text)


def test_failed_save_keeps_previous_file(tmp_path, monkeypatch) -> None:
    model = build(0)
    path = save_checkpoint(tmp_path / "c.pt", model, step=1)

    def broken_save(obj, handle) -> None:
        handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, step=2)
    monkeypatch.undo()
    assert load_checkpoint(path, restore_rng=False).step == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


def test_load_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="absent.pt"):
        load_checkpoint(tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="junk.pt"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"model": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a norton checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    save_checkpoint(tmp_path / "small.pt", build(0))
    with pytest.raises(ValueError, match="does not fit"):
        load_checkpoint(tmp_path / "small.pt", build(0, CONFIG.replace(hidden_size=32)))
    with pytest.raises(ValueError, match="no optimizer state"):
        model = build(0)
        load_checkpoint(tmp_path / "small.pt", model, torch.optim.SGD(model.parameters(), lr=0.1))


# ----------------------------------------------------------------------------- MMPT import

def bert_tensors(prefix: str, layers: int, hidden: int, inter: int, vocab: int, positions: int) -> dict:
    """transformers 3.x BertModel state-dict names and shapes (with pooler and position_ids buffer)."""
    shapes = {
        "embeddings.word_embeddings.weight": (vocab, hidden),
        "embeddings.position_embeddings.weight": (positions, hidden),
        "embeddings.token_type_embeddings.weight": (2, hidden),
        "embeddings.LayerNorm.weight": (hidden,), "embeddings.LayerNorm.bias": (hidden,),
        "pooler.dense.weight": (hidden, hidden), "pooler.dense.bias": (hidden,),
    }
    for i in range(layers):
        layer = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[layer + name + ".weight"], shapes[layer + name + ".bias"] = (hidden, hidden), (hidden,)
        shapes[layer + "intermediate.dense.weight"], shapes[layer + "intermediate.dense.bias"] = (inter, hidden), (inter,)
        shapes[layer + "output.dense.weight"], shapes[layer + "output.dense.bias"] = (hidden, inter), (hidden,)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[layer + norm + ".weight"], shapes[layer + norm + ".bias"] = (hidden,), (hidden,)
    tensors = {prefix + k: torch.randn(shape) for k, shape in shapes.items()}
    tensors[prefix + "embeddings.position_ids"] = torch.arange(positions)[None]
    return tensors


def mmpt_checkpoint(config: ModelConfig, vocab: int = 30522) -> dict:
    """A fairseq checkpoint of MMFusionSeparate (MMBertForEncoder video + BertModel text), tiny sizes."""
    h, inter = config.hidden_size, config.intermediate_size
    state = {
        "mmmodel.video_encoder.videomlp.linear1.weight": torch.randn(h, config.video_feature_dim),
        "mmmodel.video_encoder.videomlp.linear1.bias": torch.randn(h),
        "mmmodel.video_encoder.videomlp.LayerNorm.weight": torch.randn(h),
        "mmmodel.video_encoder.videomlp.LayerNorm.bias": torch.randn(h),
        "mmmodel.video_encoder.videomlp.linear2.weight": torch.randn(h, h),
        "mmmodel.video_encoder.videomlp.linear2.bias": torch.randn(h),
    }
    state |= bert_tensors("mmmodel.video_encoder.bert.", config.video_layers, h, inter, vocab,
                          config.max_position_embeddings)
    state |= bert_tensors("mmmodel.text_encoder.", config.text_layers, h, inter, vocab,
                          config.max_position_embeddings)
    return {"args": None, "model": {k: v.half() if v.is_floating_point() else v for k, v in state.items()}}


def our_name(mmpt_key: str) -> str:
    return mmpt_key.removeprefix("mmmodel.").replace(".videomlp.", ".token_mlp.")


def mmpt_video_reference(state: dict, config: ModelConfig, features: torch.Tensor, mask: torch.Tensor,
                         cls_id: int, sep_id: int) -> torch.Tensor:
    """MMPT's video forward rebuilt from the raw checkpoint tensors: MLP, [CLS] v [SEP], positions."""
    w = {k.removeprefix("mmmodel.video_encoder."): v.float() for k, v in state.items()}
    hidden = F.gelu(F.linear(features, w["videomlp.linear1.weight"], w["videomlp.linear1.bias"]))
    hidden = F.layer_norm(hidden, hidden.shape[-1:], w["videomlp.LayerNorm.weight"], w["videomlp.LayerNorm.bias"])
    frames = F.linear(hidden, w["videomlp.linear2.weight"], w["videomlp.linear2.bias"])
    bert = BertModel(BertConfig(vocab_size=w["bert.embeddings.word_embeddings.weight"].shape[0],
                                hidden_size=config.hidden_size, num_hidden_layers=config.video_layers,
                                num_attention_heads=config.heads, intermediate_size=config.intermediate_size),
                     add_pooling_layer=False).eval()
    bert.load_state_dict({k.removeprefix("bert."): v for k, v in w.items()
                          if k.startswith("bert.") and "pooler" not in k and "position_ids" not in k})
    n, t = mask.shape
    words = w["bert.embeddings.word_embeddings.weight"]
    embeds = torch.cat([words[cls_id].expand(n, 1, -1), frames, words[sep_id].expand(n, 1, -1)], 1)
    positions = list(range(t + 1)) + [config.max_video_len + 1]
    attention = torch.cat([torch.ones(n, 1), mask.float(), torch.ones(n, 1)], 1)
    with torch.no_grad():
        return bert(inputs_embeds=embeds, attention_mask=attention, position_ids=torch.tensor([positions] * n),
                    token_type_ids=torch.zeros(n, t + 2, dtype=torch.long)).last_hidden_state


def test_mmpt_import_puts_every_tensor_in_place() -> None:
    model = build(0).eval()
    checkpoint = mmpt_checkpoint(CONFIG)
    report = import_mmpt_checkpoint(checkpoint, model, strict=True)
    ours = model.state_dict()
    expected = {our_name(k): v for k, v in checkpoint["model"].items()
                if "pooler" not in k and "position_ids" not in k}
    assert sorted(expected) == sorted(ours) == report.loaded
    for key, value in expected.items():
        assert torch.equal(ours[key], value.float()), key
    assert report.missing == report.unexpected == report.shape_mismatch == []
    assert sorted(report.ignored) == sorted(k.removeprefix("mmmodel.") for k in checkpoint["model"]
                                            if "pooler" in k or "position_ids" in k)
    features = torch.randn(2, 5, 32)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    reference = mmpt_video_reference(checkpoint["model"], CONFIG, features, mask,
                                      model.tokenizer.cls_token_id, model.tokenizer.sep_token_id)
    attended = torch.cat([torch.ones(2, 1, dtype=torch.bool), mask, torch.ones(2, 1, dtype=torch.bool)], 1)
    got = model.encode_video(features, mask).tokens
    torch.testing.assert_close(got[attended], reference[attended], atol=1e-5, rtol=1e-4)


def test_mmpt_import_reports_unmatched_keys() -> None:
    model = build(0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = mmpt_checkpoint(CONFIG)["model"]
    state["mmmodel.video_encoder.videoconv.conv1d_0.weight"] = torch.randn(32, 32, 17)
    state["mmmodel.text_encoder.embeddings.word_embeddings.weight"] = torch.randn(100, 64)
    del state["mmmodel.video_encoder.bert.encoder.layer.0.output.dense.bias"]
    state["mmmodel.video_encoder.bert.embeddings.LayerNorm.gamma"] = state.pop(
        "mmmodel.video_encoder.bert.embeddings.LayerNorm.weight")
    with pytest.raises(ValueError, match="videoconv") as error:
        import_mmpt_checkpoint({"model": state}, model, strict=True)
    assert "layer.0.output.dense.bias" in str(error.value) and "word_embeddings" in str(error.value)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # untouched

    report = import_mmpt_checkpoint({"model": state}, model)
    assert report.unexpected == ["video_encoder.videoconv.conv1d_0.weight"]
    assert report.missing == ["video_encoder.bert.encoder.layer.0.output.dense.bias"]
    assert report.shape_mismatch == [("text_encoder.embeddings.word_embeddings.weight", (100, 64), (30522, 64))]
    ours = model.state_dict()
    assert torch.equal(ours["text_encoder.embeddings.word_embeddings.weight"],
                       before["text_encoder.embeddings.word_embeddings.weight"])
    assert torch.equal(ours["video_encoder.bert.embeddings.LayerNorm.weight"],
                       state["mmmodel.video_encoder.bert.embeddings.LayerNorm.gamma"].float())


def test_mmpt_import_from_file_with_python_objects(tmp_path) -> None:
    model = build(0)
    checkpoint = mmpt_checkpoint(CONFIG)
    checkpoint["args"] = argparse.Namespace(arch="mmarch")
    fairseq_like = types.ModuleType("not_installed_fairseq_meters")

    class Meter:  # pickled by reference to a module that will be gone when loading
        def __init__(self) -> None:
            self.sum = 3.0

    Meter.__module__, Meter.__qualname__ = "not_installed_fairseq_meters", "Meter"
    fairseq_like.Meter = Meter
    sys.modules["not_installed_fairseq_meters"] = fairseq_like
    checkpoint["extra_state"] = {"meter": Meter()}
    torch.save(checkpoint, tmp_path / "checkpoint_best.pt")
    del sys.modules["not_installed_fairseq_meters"]

    with pytest.raises(ValueError, match="allow_pickle=True"):
        import_mmpt_checkpoint(tmp_path / "checkpoint_best.pt", model)
    report = import_mmpt_checkpoint(tmp_path / "checkpoint_best.pt", model, allow_pickle=True)
    assert not report.problems and len(report.loaded) == len(model.state_dict())
    with pytest.raises(FileNotFoundError):
        import_mmpt_checkpoint(tmp_path / "absent.pt", model)
