"""Training: config files and overrides, a learning CPU run, exact resume, NaN stop, the CLI."""
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import norton.train as train_module
import norton.train.trainer as trainer_module
from conftest import REPO
from norton import NortonConfig, NortonLoss
from norton.checkpoint import load_model, read_checkpoint
from norton.cli import main
from norton.data.sampling import sample_batch
from norton.train import (BatchStream, TrainConfig, Trainer, Distributed, latest_checkpoint, loss_terms,
                          lr_factor, read_metrics, train)

# a very small model and data set: a few hundred ms per step on one CPU thread
SMALL_MODEL = {"preset": "tiny", "hidden_size": 32, "heads": 2, "intermediate_size": 64,
               "video_layers": 1, "text_layers": 1}
SMALL = {
    "data": {"synthetic": {"num_videos": 12, "seed": 0}},
    "model": SMALL_MODEL,
    "loss": {"clips_per_sequence": 4},
    "sampler": {"videos_per_batch": 2, "clips_per_video": 8, "clips_per_sequence": 4, "max_words": 12},
    "lr": 1e-3, "device": "cpu", "progress": False, "log_every": 1,
}


def small_config(tmp_path, name="run", **changes) -> TrainConfig:
    return TrainConfig.from_dict({**SMALL, "out_dir": str(tmp_path / name), **changes})


# ----------------------------------------------------------------------------- config

@pytest.mark.parametrize("name", ["teach", "paper"])
def test_shipped_configs_round_trip_through_yaml(name, tmp_path):
    config = TrainConfig.load(REPO / "configs" / f"{name}.yaml")
    again = TrainConfig.from_yaml(config.to_yaml())
    assert again == config and again.to_dict() == config.to_dict()
    (tmp_path / "c.yaml").write_text(config.to_yaml())
    assert TrainConfig.load(tmp_path / "c.yaml") == config


def test_paper_config_has_the_paper_hyper_parameters():
    config = TrainConfig.load(REPO / "configs" / "paper.yaml")
    assert (config.optimizer, config.lr, config.betas, config.warmup_steps, config.grad_clip, config.amp) == (
        "adam", 1e-5, (0.9, 0.98), 1000, 2.0, "fp16")
    sampler, model, loss = config.sampler_config(), config.model_config(), config.loss_config()
    assert (sampler.videos_per_batch, sampler.clips_per_video, sampler.clips_per_sequence) == (64, 16, 8)
    assert model.preset == "videoclip" and model.layernorm_only and model.video_feature_dim == 512
    assert (loss.beta, loss.video_weight, loss.eps_video, loss.prompt_ratio) == (0.3, 0.1, 0.1, 0.3)
    assert (config.data.source, config.data.workers, config.data.streams) == ("shards", 4, 8)


@pytest.mark.parametrize("values, path", [
    ({"stepz": 3}, "'stepz'"),
    ({"loss": {"betaa": 0.1}}, "'loss.betaa'"),
    ({"model": {"preset": "tiny", "hidden": 8}}, "'model.hidden'"),
    ({"sampler": {"clips": 4}}, "'sampler.clips'"),
    ({"data": {"sourc": "synthetic"}}, "'data.sourc'"),
    ({"data": {"synthetic": {"num_video": 3}}}, "'data.synthetic.num_video'"),
])
def test_unknown_keys_are_errors_naming_their_path(values, path):
    with pytest.raises(ValueError, match=path):
        TrainConfig.from_dict(values)


@pytest.mark.parametrize("values, match", [
    ({"optimizer": "sgd"}, "optimizer"),
    ({"amp": "fp8"}, "amp"),
    ({"steps": 0}, "steps"),
    ({"loss": "triplet"}, "loss"),
    ({"loss": {"beta": 2.0}}, "loss.*beta"),
    ({"data": {"source": "features"}}, "data.features"),
    ({"sampler": {"clips_per_sequence": 4, "clips_per_video": 8}}, "clips_per_sequence"),
    ({"data": {"synthetic": {"feature_dim": 16}}}, "feature_dim"),
])
def test_invalid_values_are_rejected(values, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig.from_dict(values)


def test_set_overrides_parse_yaml_scalars_into_dotted_keys():
    base = TrainConfig.load(REPO / "configs" / "teach.yaml")
    config = base.override(["loss.beta=0.5", "model.preset=minilm", "model.video_feature_dim=32", "steps=7",
                            "betas=[0.9, 0.999]", "grad_clip=null", "data.synthetic.num_videos=20",
                            "out_dir=runs/x=1", "loss.prompt_ratio=null"])
    assert config.loss_config().beta == 0.5 and config.loss_config().prompt_ratio is None
    assert config.model_config().preset == "minilm" and config.model_config().hidden_size == 384
    assert config.steps == 7 and isinstance(config.steps, int)
    assert config.betas == (0.9, 0.999) and config.grad_clip is None
    assert config.synthetic_config().num_videos == 20 and config.out_dir == "runs/x=1"
    assert base.steps == 300  # the original is untouched
    assert base.override(["loss=infonce"]).loss_config() is None
    assert base.override(["lr=1e-5"]).lr == 1e-5  # YAML 1.1 would leave '1e-5' a string
    assert TrainConfig.from_yaml("lr: 3e-4").lr == 3e-4
    with pytest.raises(ValueError, match="KEY=VALUE"):
        base.override(["steps"])
    with pytest.raises(ValueError, match="'lr' is"):
        base.override(["lr.x=1"])
    with pytest.raises(ValueError, match="'loss.bta'"):
        base.override(["loss.bta=0.1"])


def test_learning_rate_warms_up_linearly_then_stays_or_decays(tmp_path):
    constant = small_config(tmp_path, warmup_steps=4, steps=10)
    assert [lr_factor(s, constant) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    linear = small_config(tmp_path, warmup_steps=2, steps=10, lr_schedule="linear")
    assert [lr_factor(s, linear) for s in (2, 6, 10)] == [1.0, 0.5, 0.0]


def test_infonce_is_the_plain_symmetric_clip_caption_loss():
    torch.manual_seed(0)
    n, d = 8, 6
    pooled_video, pooled_text = torch.randn(n, d), torch.randn(n, d)
    video_tokens, text_tokens = torch.randn(n, 5, d), torch.randn(n, 4, d)
    masks = torch.ones(n, 5, dtype=torch.bool), torch.ones(n, 4, dtype=torch.bool)
    inputs = (pooled_video, pooled_text, video_tokens, text_tokens, *masks)
    logits = pooled_text @ pooled_video.T  # rows captions
    reference = F.cross_entropy(logits, torch.arange(n)) + F.cross_entropy(logits.T, torch.arange(n))
    terms = loss_terms(None, inputs)
    torch.testing.assert_close(terms.total, reference)
    assert terms.video == 0 and terms.bucket_value is None
    norton = NortonLoss(NortonConfig(beta=0.0, video_weight=0.0, clips_per_sequence=4))
    torch.testing.assert_close(loss_terms(norton, inputs).total, reference)


def test_batch_stream_resumes_at_the_same_batch(tmp_path):
    config = small_config(tmp_path)
    videos = train_module.load_videos(config)
    stream = BatchStream(videos, config.sampler_config(), seed=3)
    for _ in range(7):  # crosses an epoch boundary: 12 videos, 2 per batch
        next(stream)
    state = stream.state_dict()
    expected = [next(stream) for _ in range(3)]
    again = BatchStream(videos, config.sampler_config(), seed=3)
    again.load_state_dict(state)
    for want, got in zip(expected, (next(again) for _ in range(3))):
        assert got.video_ids == want.video_ids and got.captions == want.captions
        assert torch.equal(got.video_features, want.video_features)
    # every video is seen once per epoch
    fresh = BatchStream(videos, config.sampler_config(), seed=3)
    seen = [vid for _ in range(6) for vid in next(fresh).video_ids]
    assert sorted(seen) == sorted(v.video_id for v in videos)


# ----------------------------------------------------------------------------- training runs

def fixed_batch_loss(trainer: Trainer, batch) -> float:
    trainer.model.eval()
    with torch.no_grad():
        encoded = trainer.model(batch.video_features, batch.video_mask, batch.captions)
        return loss_terms(trainer.loss_fn, encoded.loss_inputs()).total.item()


def test_short_cpu_run_lowers_the_loss(tmp_path):
    config = small_config(tmp_path, steps=40, checkpoint_every=40, log_every=20,
                          data={"synthetic": {"num_videos": 24, "seed": 0}})
    import numpy as np
    probe_videos = train_module.load_videos(config)
    batch = sample_batch(probe_videos, [0, 1, 2, 3], config.sampler_config(), np.random.default_rng(99))
    before = fixed_batch_loss(Trainer(config, Distributed()), batch)
    result = train(config)
    trained = Trainer(config, Distributed())
    trained.model.load_state_dict(result.model.state_dict())
    trained.loss_fn.load_state_dict(result.loss_fn.state_dict())
    after = fixed_batch_loss(trained, batch)
    assert after < 0.9 * before, (before, after)
    records = read_metrics(config.out_dir)
    assert [r["step"] for r in records] == [20, 40]
    assert {"loss", "loss_clip", "loss_video", "lr", "grad_norm", "seconds", "bucket_value",
            "cos_aligned", "cos_misaligned"} <= set(records[-1])
    assert result.checkpoint == latest_checkpoint(config.out_dir) and result.checkpoint.name == "step_00000040.pt"
    with pytest.raises(FileExistsError, match="resume"):
        train(config)


class Killed(Exception):
    pass


def test_resume_after_a_kill_ends_with_bitwise_equal_weights(tmp_path):
    straight = train(small_config(tmp_path, "straight", steps=6, checkpoint_every=3))

    def kill_at_5(record):
        if record["step"] == 5:
            raise Killed

    interrupted = small_config(tmp_path, "interrupted", steps=6, checkpoint_every=3)
    with pytest.raises(Killed):
        train(interrupted, callback=kill_at_5)
    assert latest_checkpoint(interrupted.out_dir).name == "step_00000003.pt"
    resumed = train(interrupted.override({"resume": True}))
    assert [r["step"] for r in resumed.history] == [4, 5, 6]
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name
    assert torch.equal(straight.loss_fn.log_logit_scale, resumed.loss_fn.log_logit_scale)
    assert straight.loss_fn.log_logit_scale.item() != pytest.approx(NortonLoss().log_logit_scale.item(), abs=0)
    # metrics of the killed run's step 4-5 were replaced, not duplicated
    assert [r["loss"] for r in read_metrics(straight.out_dir)] == [r["loss"] for r in read_metrics(resumed.out_dir)]
    assert [r["step"] for r in read_metrics(resumed.out_dir)] == [1, 2, 3, 4, 5, 6]


def test_nan_loss_stops_with_the_step_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = trainer_module.loss_terms

    def poisoned(loss_fn, inputs):
        calls["n"] += 1
        terms = real(loss_fn, inputs)
        if calls["n"] == 5:
            terms.total = terms.total * float("nan")
        return terms

    monkeypatch.setattr(trainer_module, "loss_terms", poisoned)
    config = small_config(tmp_path, steps=8, checkpoint_every=2)
    with pytest.raises(FloatingPointError, match=r"loss is nan at step 5.*step_00000004\.pt"):
        train(config)
    assert latest_checkpoint(config.out_dir).name == "step_00000004.pt"
    model, checkpoint = load_model(latest_checkpoint(config.out_dir))
    assert checkpoint.step == 4 and all(torch.isfinite(p).all() for p in model.parameters())
    assert [r["step"] for r in read_metrics(config.out_dir)] == [1, 2, 3, 4]


def test_amp_needs_cuda(tmp_path):
    with pytest.raises(ValueError, match="amp"):
        train(small_config(tmp_path, amp="bf16", steps=1))


def test_cli_trains_the_teach_config_for_two_steps(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["train", "--config", str(REPO / "configs" / "teach.yaml"), "--set", "steps=2",
                 "--set", f"out_dir={out}", "--set", "data.synthetic.num_videos=8", "--set", "progress=false",
                 "--set", "loss=infonce"])
    assert code == 0
    assert "trained to step 2" in capsys.readouterr().out
    checkpoint = read_checkpoint(latest_checkpoint(out))
    assert checkpoint.step == 2 and checkpoint.extra["train_config"]["loss"] == "infonce"
    assert json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["loss_video"] == 0
    assert TrainConfig.load(out / "config.yaml").steps == 2


def test_batch_metrics_report_retrieval_and_bucket_shares_on_held_out_videos(tmp_path):
    config = small_config(tmp_path, data={"synthetic": {"num_videos": 5, "seed": 7}})
    videos = train_module.load_videos(config)
    model = Trainer(config, Distributed()).model
    scores = train_module.batch_metrics(model, videos, config.sampler_config(), config.loss_config())
    assert scores["pairs"] == 2 * 2 * 8  # two full batches of 2 videos x 8 clips; the fifth video is left out
    assert 0 < scores["aligned_pairs"] < scores["pairs"]
    assert 0 <= scores["clip_r1"] <= 1
    assert all(0 <= scores[k] <= 1 for k in ("bucket_share_aligned", "bucket_share_misaligned"))
    assert model.training  # put back as it was
    videos[2].truth = None
    with pytest.raises(ValueError, match="ground truth"):
        train_module.batch_metrics(model, videos, config.sampler_config())


def test_init_checkpoint_loads_norton_and_released_mmpt_weights(tmp_path):
    first = train(small_config(tmp_path, "first", steps=1))
    trained = {k: v.clone() for k, v in first.model.state_dict().items()}
    started = Trainer(small_config(tmp_path, init_checkpoint=str(first.checkpoint)), Distributed()).model
    assert all(torch.equal(v, trained[k]) for k, v in started.state_dict().items())
    # the same weights under the released MMPT names (mmmodel. prefix, videomlp for the token MLP)
    released = {"mmmodel." + k.replace("video_encoder.token_mlp.", "video_encoder.videomlp."): v
                for k, v in trained.items()}
    torch.save({"model": released}, tmp_path / "checkpoint_best.pt")
    imported = Trainer(small_config(tmp_path, init_checkpoint=str(tmp_path / "checkpoint_best.pt")),
                       Distributed()).model
    assert all(torch.equal(v, trained[k]) for k, v in imported.state_dict().items())
    wider = small_config(tmp_path, init_checkpoint=str(first.checkpoint),
                         model={**SMALL_MODEL, "hidden_size": 64})
    with pytest.raises(ValueError, match="does not fit"):
        Trainer(wider, Distributed())


def test_similarity_path_is_validated_and_the_fused_kernels_train_alike(tmp_path):
    pytest.importorskip("triton", reason="triton is not installed: the fused path is not tested here")
    with pytest.raises(ValueError, match="similarity_path"):
        small_config(tmp_path, similarity_path="fast")
    with pytest.raises(ValueError, match="sinkhorn_backend"):
        small_config(tmp_path, sinkhorn_backend="cuda")
    losses = {}
    for path in ("fused", "chunked"):
        config = small_config(tmp_path, name=path, steps=2, similarity_path=path)
        train(config)
        losses[path] = [record["loss"] for record in read_metrics(config.out_dir)]
    assert len(losses["fused"]) == 2
    assert losses["fused"] == pytest.approx(losses["chunked"], rel=1e-4)


def test_config_values_are_coerced_or_named_by_their_dotted_key():
    config = TrainConfig.from_yaml("loss: {eps_video: 5e-2, temperature: 7e-2}\nresume: 'no'\nlr: 1e-5\nsteps: 3")
    assert config.loss_config().eps_video == 0.05 and config.loss_config().temperature == 0.07
    assert config.resume is False and config.lr == 1e-5 and config.steps == 3
    for text, message in (("seed: zero", "seed: expected int, got 'zero'"),
                          ("loss: {beta: high}", "loss.beta: expected float, got 'high'"),
                          ("progress: maybe", "progress: expected bool, got 'maybe'"),
                          ("sampler: {clips_per_video: x}", "sampler.clips_per_video: expected int, got 'x'")):
        with pytest.raises(ValueError, match=message):
            TrainConfig.from_yaml(text)


def test_resume_errors_on_an_empty_out_dir_and_survives_partial_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no run to continue"):
        train(small_config(tmp_path, "misspelt", steps=2, resume=True))
    straight = train(small_config(tmp_path, "straight", steps=6, checkpoint_every=2, keep_checkpoints=3))
    config = small_config(tmp_path, "run", steps=4, checkpoint_every=2, keep_checkpoints=3)
    train(config)  # checkpoints at steps 2 and 4
    out = Path(config.out_dir)
    newest = latest_checkpoint(out)
    newest.write_bytes(newest.read_bytes()[:1000])  # truncated, as by a full disk
    (out / "checkpoints" / ".step_00000006.pt.tmp-12345").write_bytes(b"partial")  # a write a kill interrupted
    with open(out / "metrics.jsonl", "a") as handle:
        handle.write('{"step": 5, "lo')  # a record a kill cut short
    with pytest.warns(UserWarning) as caught:
        resumed = train(config.override({"resume": True, "steps": 6}))
    messages = " ".join(str(w.message) for w in caught)
    assert newest.name in messages and ".tmp-12345" in messages and "partial last record" in messages
    assert [r["step"] for r in resumed.history] == [3, 4, 5, 6]  # from the older checkpoint, step 2
    assert not list((out / "checkpoints").glob(".*tmp*"))
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name
    assert [r["step"] for r in read_metrics(out)] == [1, 2, 3, 4, 5, 6]
    (out / "metrics.jsonl").write_text('{"step": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(ValueError, match="metrics.jsonl:2: not a JSON record"):
        read_metrics(out)


def test_a_start_that_fails_keeps_the_previous_config_yaml(tmp_path, monkeypatch):
    config = small_config(tmp_path, "run", steps=2)
    train(config)
    written = (Path(config.out_dir) / "config.yaml").read_text()

    def fail(self):
        raise RuntimeError("the first step fails")

    monkeypatch.setattr(Trainer, "train_step", fail)
    with pytest.raises(RuntimeError, match="first step"):
        train(config.override({"resume": True, "steps": 4, "log_every": 2}))
    assert (Path(config.out_dir) / "config.yaml").read_text() == written
