"""DDP on CPU (gloo, 2 processes): gathered negatives give the single-process loss and gradients; sharded data;
Slurm jobs through submitit (its local cluster)."""
import json
import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from norton import NortonConfig, NortonLoss
from norton.similarity import masked_mean
from norton.checkpoint import read_checkpoint
from norton.train import BatchStream, Distributed, TrainConfig, gather_loss_inputs, latest_checkpoint, train
from shards_helpers import write_store

REPO = Path(__file__).resolve().parents[1]
WORLD = 2
N, K, D_IN, D = 8, 4, 5, 6          # pairs per rank, clips per sequence, input and feature widths
VIDEO_LEN, TEXT_LEN = (6, 4), (3, 5)  # token positions on rank 0 and rank 1 (padding differs)


def global_inputs():
    """Raw inputs of the concatenated batch (2N pairs), padded to the longest rank, and the encoder."""
    g = torch.Generator().manual_seed(0)
    video_x = torch.randn(WORLD * N, max(VIDEO_LEN), D_IN, generator=g, dtype=torch.float64)
    text_x = torch.randn(WORLD * N, max(TEXT_LEN), D_IN, generator=g, dtype=torch.float64)
    video_mask = torch.zeros(WORLD * N, max(VIDEO_LEN), dtype=torch.bool)
    text_mask = torch.zeros(WORLD * N, max(TEXT_LEN), dtype=torch.bool)
    for rank in range(WORLD):
        rows = slice(rank * N, (rank + 1) * N)
        lengths_v = torch.randint(1, VIDEO_LEN[rank] + 1, (N,), generator=g)
        lengths_t = torch.randint(1, TEXT_LEN[rank] + 1, (N,), generator=g)
        video_mask[rows] = torch.arange(max(VIDEO_LEN)) < lengths_v[:, None]
        text_mask[rows] = torch.arange(max(TEXT_LEN)) < lengths_t[:, None]
        video_x[rows, VIDEO_LEN[rank]:] = 0  # beyond this rank's own padding: what the gather pads
        text_x[rows, TEXT_LEN[rank]:] = 0
    torch.manual_seed(1)
    encoder = nn.Linear(D_IN, D, bias=False).double()
    return video_x, text_x, video_mask, text_mask, encoder


def encode(encoder, video_x, text_x, video_mask, text_mask):
    """The loss inputs: a linear map of every token, masked means as pooled features."""
    video_tokens, text_tokens = encoder(video_x), encoder(text_x)
    return (masked_mean(text_tokens, text_mask), masked_mean(video_tokens, video_mask),
            text_tokens, video_tokens, text_mask, video_mask)


def make_loss() -> NortonLoss:
    return NortonLoss(NortonConfig(clips_per_sequence=K, sinkhorn_iters=20)).double()


TRAIN = {
    "data": {"synthetic": {"num_videos": 8}},
    "model": {"preset": "tiny", "hidden_size": 32, "intermediate_size": 64, "video_layers": 1, "text_layers": 1},
    "loss": {"clips_per_sequence": 4},
    "sampler": {"videos_per_batch": 2, "clips_per_video": 8, "clips_per_sequence": 4, "max_words": 12},
    "steps": 2, "checkpoint_every": 2, "log_every": 1, "device": "cpu", "progress": False,
    "gather_negatives": True,
}


# the same run streamed from a sharded store, batches made by a DataLoader worker on each rank
SHARDED = {"data": {"source": "shards", "shards": "set-in-the-worker", "workers": 1, "streams": 2}}


def worker(rank: int, init_file: str, out_dir: str) -> None:
    """Rank `rank` of 2: the gather check on hand-made features, then a 2-step training run."""
    torch.set_num_threads(1)
    os.environ.update({"RANK": str(rank), "WORLD_SIZE": str(WORLD), "LOCAL_RANK": str(rank)})
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        check_gather(rank, out_dir)
        result = train(TrainConfig.from_dict({**TRAIN, "out_dir": os.path.join(out_dir, "run")}))
        torch.save({"params": [p.detach() for p in result.model.parameters()],
                    "temperature": result.loss_fn.log_logit_scale.detach(), "history": result.history},
                   os.path.join(out_dir, f"train{rank}.pt"))
        sharded = train(TrainConfig.from_dict({**TRAIN, **SHARDED, "out_dir": os.path.join(out_dir, "sharded")}
                                              ).override({"data.shards": os.path.join(out_dir, "shards")}))
        torch.save({"params": [p.detach() for p in sharded.model.parameters()], "history": sharded.history},
                   os.path.join(out_dir, f"sharded{rank}.pt"))
    finally:
        dist.destroy_process_group()


def check_gather(rank: int, out_dir: str) -> None:
    """Loss and gradients of this rank's part of the global batch, with negatives gathered."""
    video_x, text_x, video_mask, text_mask, encoder = global_inputs()
    rows = slice(rank * N, (rank + 1) * N)
    # this rank only has its own rows, padded to its own lengths
    video_x = video_x[rows, :VIDEO_LEN[rank]].clone().requires_grad_()
    text_x = text_x[rows, :TEXT_LEN[rank]].clone().requires_grad_()
    model = nn.parallel.DistributedDataParallel(encoder)
    inputs = encode(model, video_x, text_x, video_mask[rows, :VIDEO_LEN[rank]], text_mask[rows, :TEXT_LEN[rank]])
    loss_fn = make_loss()
    loss = loss_fn(*gather_loss_inputs(inputs)).total
    loss.backward()
    torch.save({"loss": loss.detach(), "video_grad": video_x.grad, "text_grad": text_x.grad,
                "weight_grad": model.module.weight.grad}, os.path.join(out_dir, f"rank{rank}.pt"))


@pytest.fixture(scope="module")
def ddp_dir(tmp_path_factory):
    """Run the two ranks once (process start-up dominates the cost); their results lie in this folder."""
    out = tmp_path_factory.mktemp("ddp")
    write_store(out / "shards", 16, per_shard=2, dim=32)  # 8 shards: 2 ranks x 2 streams need 4
    mp.spawn(worker, args=(str(out / "init"), str(out)), nprocs=WORLD, join=True)
    return out


def test_gathered_loss_and_gradients_equal_the_single_process_ones(ddp_dir):
    tmp_path = ddp_dir

    video_x, text_x, video_mask, text_mask, encoder = global_inputs()
    video_x.requires_grad_()
    text_x.requires_grad_()
    reference = make_loss()(*encode(encoder, video_x, text_x, video_mask, text_mask)).total
    reference.backward()

    for rank in range(WORLD):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        rows = slice(rank * N, (rank + 1) * N)
        torch.testing.assert_close(got["loss"], reference.detach())
        # every rank backpropagates the same loss: inputs receive world_size x the single-process gradient ...
        torch.testing.assert_close(got["video_grad"], WORLD * video_x.grad[rows, :VIDEO_LEN[rank]])
        torch.testing.assert_close(got["text_grad"], WORLD * text_x.grad[rows, :TEXT_LEN[rank]])
        # ... and DDP's averaging makes parameter gradients exactly the single-process ones
        torch.testing.assert_close(got["weight_grad"], encoder.weight.grad)
    assert video_x.grad[N:].abs().sum() > 0 and video_x.grad[:N].abs().sum() > 0


def test_gather_needs_an_initialised_process_group():
    assert not dist.is_initialized()
    with pytest.raises((RuntimeError, ValueError)):
        gather_loss_inputs(encode(nn.Linear(D_IN, D).double(), *global_inputs()[:4]))


def test_ddp_training_keeps_ranks_in_sync_and_checkpoints_every_rank(ddp_dir):
    ranks = [torch.load(ddp_dir / f"train{rank}.pt") for rank in range(WORLD)]
    for a, b in zip(ranks[0]["params"], ranks[1]["params"]):
        assert torch.equal(a, b)
    assert torch.equal(ranks[0]["temperature"], ranks[1]["temperature"])
    # with gathered negatives both ranks see the same loss
    assert [r["loss"] for r in ranks[0]["history"]] == pytest.approx([r["loss"] for r in ranks[1]["history"]])
    checkpoint = read_checkpoint(latest_checkpoint(ddp_dir / "run"))
    assert checkpoint.step == 2 and len(checkpoint.extra["ranks"]) == WORLD
    streams = [r["data"] for r in checkpoint.extra["ranks"]]
    assert streams[0]["clip_rng"] != streams[1]["clip_rng"]
    assert set(streams[0]["order"]).isdisjoint(streams[1]["order"])


def test_ddp_training_on_a_sharded_store_keeps_ranks_in_sync_and_resumable(ddp_dir):
    ranks = [torch.load(ddp_dir / f"sharded{rank}.pt") for rank in range(WORLD)]
    for a, b in zip(ranks[0]["params"], ranks[1]["params"]):
        assert torch.equal(a, b)
    assert [r["loss"] for r in ranks[0]["history"]] == pytest.approx([r["loss"] for r in ranks[1]["history"]])
    checkpoint = read_checkpoint(latest_checkpoint(ddp_dir / "sharded"))
    assert [r["data"] for r in checkpoint.extra["ranks"]] == [{"source": "shards", "batches": 2}] * WORLD


def test_ranks_draw_disjoint_equal_shards_of_each_epoch():
    config = TrainConfig.from_dict({**TRAIN, "data": {"synthetic": {"num_videos": 9}}})
    from norton.train import load_videos
    videos = load_videos(config)
    streams = [BatchStream(videos, config.sampler_config(), seed=0, ctx=Distributed(rank, 3, rank))
               for rank in range(3)]
    epoch = [next(s).video_ids for s in streams]
    assert all(len(ids) == 2 for ids in epoch)
    flat = [vid for ids in epoch for vid in ids]
    assert len(set(flat)) == 6
    with pytest.raises(ValueError, match="cannot fill one batch"):
        BatchStream(videos[:5], config.sampler_config(), seed=0, ctx=Distributed(0, 3, 0))


def test_a_slurm_job_through_submitit_trains_on_two_ranks_and_a_requeued_job_resumes(tmp_path, capsys):
    from norton.cli import main

    out = tmp_path / "run"
    command = ["train", "--config", str(REPO / "configs" / "teach.yaml"), "--set", f"out_dir={out}",
               "--set", "progress=false", "--set", "data.synthetic.num_videos=8", "--set", "threads=1",
               "--set", "gather_negatives=true", "--set", "log_every=1", "--slurm", "--gpus-per-node", "2", "--slurm-option", "cluster=local",
               "--wait"]
    assert main(command + ["--set", "steps=2"]) == 0
    assert "'step': 2" in capsys.readouterr().out
    assert len(read_checkpoint(latest_checkpoint(out)).extra["ranks"]) == WORLD
    assert main(command + ["--set", "steps=3"]) == 0  # as a requeued job: out_dir holds the run, so it resumes
    assert "'step': 3" in capsys.readouterr().out
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3]


def test_torchrun_trains_two_ranks_on_a_sharded_store(tmp_path):
    import subprocess
    import sys

    write_store(tmp_path / "shards", 16, per_shard=2, dim=16)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "norton.cli", "train", "--config", str(REPO / "tests" / "data" / "shards_train.yaml"),
               "--set", f"data.shards={tmp_path / 'shards'}", "--set", "data.workers=1", "--set", "steps=2",
               "--set", f"out_dir={out}", "--set", "progress=false", "--set", "threads=1",
               "--set", "gather_negatives=true"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("trained to step 2") == 1  # rank 0 reports
    checkpoint = read_checkpoint(latest_checkpoint(out))
    assert [r["data"] for r in checkpoint.extra["ranks"]] == [{"source": "shards", "batches": 2}] * WORLD
