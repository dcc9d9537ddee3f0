"""The sharded store (norton.data.shards) and its batches (norton.data.loader): round trip, kills, errors,
the batch plan's invariants, worker-count independence and exact resume."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from norton.checkpoint import read_checkpoint
from norton.data.captions import Captions
from norton.data.loader import LoaderConfig, ShardPlan, ShardStream
from norton.data.sampling import SamplerConfig
from norton.data.shards import INDEX, ShardedStore, ShardWriter
from shards_helpers import write_store

REPO = Path(__file__).resolve().parents[1]
SAMPLER = SamplerConfig(videos_per_batch=3, clips_per_video=4, clips_per_sequence=2, max_words=12)


def test_a_store_reads_back_what_was_written(tmp_path):
    written = write_store(tmp_path / "s", 11, per_shard=4)
    store = ShardedStore(tmp_path / "s")
    assert store.shard_sizes == [4, 4, 3] and len(store) == 11
    index = json.loads((tmp_path / "s" / INDEX).read_text())
    assert index["videos"] == 11 and index["seconds"] == sum(f.shape[0] for f, _ in written.values())
    for position, video in enumerate(store):
        features, captions = written[video.video_id]
        assert video.video_id == f"v{position:04d}"
        assert video.features.dtype == np.float16 and not video.features.flags.writeable  # a view of the map
        np.testing.assert_array_equal(video.features, features.astype(np.float16))
        assert video.captions == captions
    assert store.by_id("v0007").captions == written["v0007"][1]
    assert store.video(10).video_id == "v0010"
    with pytest.raises(IndexError, match="out of range"):
        store.video(11)
    with pytest.raises(KeyError, match="no video 'nope'"):
        store.by_id("nope")


def test_a_writer_resumes_and_keeps_every_whole_video_a_kill_left(tmp_path):
    root = tmp_path / "s"
    script = textwrap.dedent(f"""
        import sys, time, numpy as np
        sys.path.insert(0, {str(REPO)!r})
        from norton.data.captions import Captions
        from norton.data.shards import ShardWriter
        writer = ShardWriter({str(root)!r}, encoder="test", feature_dim=8, videos_per_shard=4)
        for i in range(6):
            writer.write(f"v{{i}}", np.full((10, 8), i, np.float32), captions=Captions([0.0], [2.0], ["a b"]))
        print("written", flush=True)
        time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "written"
    process.send_signal(signal.SIGKILL)  # no close(): v4 and v5 are only in the partial shard
    process.wait()
    partial = root / "shards" / "00001.partial"
    with open(partial, "ab") as handle:
        handle.write(b"\x07" * 13)  # and a message the kill cut short
    writer = ShardWriter(root, encoder="test", feature_dim=8, videos_per_shard=4)
    assert [writer.done(f"v{i}") for i in range(7)] == [True] * 6 + [False]
    with pytest.raises(ValueError, match="'v2' is already in the store"):
        writer.write("v2", np.zeros((10, 8)), captions=Captions([0.0], [1.0], ["x"]))
    writer.write("v6", np.full((10, 8), 6, np.float32), captions=Captions([0.0], [2.0], ["a b"]))
    writer.close()
    store = ShardedStore(root)
    assert store.shard_sizes == [4, 3]
    assert [int(video.features[0, 0]) for video in store] == list(range(7))
    assert not partial.exists()


def test_bad_input_is_named(tmp_path):
    root = tmp_path / "s"
    write_store(root, 3, per_shard=2)
    with pytest.raises(ValueError, match="feature_dim=8 but 16 was requested"):
        ShardWriter(root, encoder="test", feature_dim=16)
    writer = ShardWriter(root, encoder="test", feature_dim=8)
    with pytest.raises(ValueError, match=r"features of 'bad': expected shape \(T>=1, 8\)"):
        writer.write("bad", np.zeros((4, 7)))
    with pytest.raises(ValueError, match="NaN"):
        writer.write("bad", np.full((4, 8), np.nan))
    with pytest.raises(ValueError, match="captions of 'bad': caption 0: start 3.0 is after end 1.0"):
        writer.write("bad", np.zeros((4, 8)), captions=Captions([3.0], [1.0], ["x"]))
    writer.close()
    (root / "shards" / "00001.arrow").write_bytes(b"not arrow")
    with pytest.raises(ValueError, match=r"00001\.arrow: unreadable shard"):
        ShardedStore(root).video(2)
    (root / INDEX).write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match=r"index\.json: not a sharded store index"):
        ShardedStore(root)
    with pytest.raises(FileNotFoundError, match="index not found"):
        ShardedStore(tmp_path / "missing")


def test_the_batch_plan_deals_disjoint_shards_and_covers_each_epoch_once():
    sizes = [7, 9, 8, 6, 10, 8, 7, 9]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    plans = [ShardPlan(sizes, 3, seed=5, rank=rank, world_size=2, streams=2) for rank in range(2)]
    for epoch in range(3):
        shards = [set(plan.stream_shards(epoch, s).tolist()) for plan in plans for s in range(2)]
        assert set().union(*shards) == set(range(8)) and sum(map(len, shards)) == 8  # a partition
        for plan in plans:
            for stream in range(2):
                videos = plan.epoch_videos(epoch, stream)
                expected = {v for shard in plan.stream_shards(epoch, stream)
                            for v in range(offsets[shard], offsets[shard + 1])}
                assert sorted(videos.tolist()) == sorted(expected)
    # batches of one stream-epoch are disjoint slices of its permutation; a remainder is dropped
    plan = ShardPlan(sizes, 3, seed=5, streams=2)
    count = plan.epoch_batches(0, 0)
    seen = np.concatenate([plan.batch(2 * k) for k in range(count)])
    assert len(set(seen.tolist())) == len(seen) == 3 * count
    assert set(seen.tolist()) <= set(plan.epoch_videos(0, 0).tolist())
    again = ShardPlan(sizes, 3, seed=5, streams=2)
    assert np.array_equal(again.batch(2 * count + 1), plan.batch(2 * count + 1))  # a pure function of the index
    with pytest.raises(ValueError, match="8 shard.*3 rank.*3 stream.*need at least 9"):
        ShardPlan(sizes, 3, seed=0, world_size=3, streams=3)


def batches(root, workers, start=0, count=8, rank=0, world_size=1):
    stream = ShardStream(str(root), SAMPLER, seed=1, rank=rank, world_size=world_size,
                         loader=LoaderConfig(workers=workers, streams=2))
    stream.load_state_dict({"source": "shards", "batches": start})
    try:
        return [next(stream) for _ in range(count)]
    finally:
        stream.close()


def same_batch(a, b):
    return (a.video_ids == b.video_ids and a.captions == b.captions and torch.equal(a.video_features, b.video_features)
            and torch.equal(a.clip_start, b.clip_start))


def test_batches_are_the_same_with_any_worker_count_and_after_a_resume(tmp_path):
    uncaptioned = {3, 11, 12}
    write_store(tmp_path / "s", 26, per_shard=5, uncaptioned=uncaptioned)
    reference = batches(tmp_path / "s", workers=0, count=10)
    assert all(same_batch(a, b) for a, b in zip(reference, batches(tmp_path / "s", workers=2, count=10)))
    assert all(same_batch(a, b) for a, b in zip(reference[4:], batches(tmp_path / "s", workers=1, start=4, count=6)))
    used = {video_id for batch in reference for video_id in batch.video_ids}
    assert not used & {f"v{i:04d}" for i in uncaptioned}  # videos without captions are never drawn
    assert len(reference[0]) == SAMPLER.videos_per_batch * SAMPLER.clips_per_video
    assert reference[0].video_features.dtype == torch.float32
    ranks = [batches(tmp_path / "s", workers=0, count=2, rank=r, world_size=2) for r in range(2)]
    first_epoch = [{v for batch in rank for v in batch.video_ids} for rank in ranks]
    assert not first_epoch[0] & first_epoch[1]  # ranks read disjoint shards


def test_workers_must_divide_the_streams():
    with pytest.raises(ValueError, match=r"workers \(3\) must divide streams \(4\)"):
        LoaderConfig(workers=3, streams=4)


def test_the_data_scale_benchmark_runs_at_a_tiny_size(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "data_scale.py"), "--sizes", "300", "600",
                          "--seconds", "20", "--dim", "8", "--videos-per-shard", "50", "--batch-videos", "4",
                          "--workers", "0", "1", "--batches", "3", "--step-ms", "5", "--probe-videos", "60",
                          "--work", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    rows = [line.split("|")[1:-1] for line in out.stdout.splitlines() if line.startswith(("| 300 ", "| 600 "))]
    assert [(int(row[0]), int(row[3])) for row in rows] == [(300, 0), (300, 1), (600, 0), (600, 1)]
    assert all(float(row[6]) > 0 and 50 < float(row[8]) < 2048 for row in rows)  # batches/s, rank RSS in MB
    assert "extrapolated to HowTo100M" in out.stdout


@pytest.mark.slow
def test_a_sharded_training_run_killed_with_sigkill_resumes_bit_identically_with_workers(tmp_path):
    write_store(tmp_path / "s", 24, per_shard=4, dim=16)
    common = ["--set", f"data.shards={tmp_path / 's'}", "--set", "data.source=shards", "--set", "data.workers=2",
              "--set", "steps=6", "--set", "checkpoint_every=3", "--set", "progress=false", "--set", "threads=1",
              "--config", str(REPO / "tests" / "data" / "shards_train.yaml")]

    def command(out):
        return [sys.executable, "-m", "norton.cli", "train", "--set", f"out_dir={out}", *common]

    straight = subprocess.run(command(tmp_path / "straight"), capture_output=True, text=True, timeout=300, cwd=REPO)
    assert straight.returncode == 0, straight.stderr
    killed = subprocess.Popen(command(tmp_path / "killed") + ["--set", "steps=1000"], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoint = tmp_path / "killed" / "checkpoints" / "step_00000003.pt"
    deadline = time.time() + 240
    while not checkpoint.exists() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)  # the trainer and its DataLoader workers
    killed.wait()
    assert checkpoint.exists()
    for later in sorted(checkpoint.parent.glob("step_*.pt"))[1:]:  # the kill point is step 3
        later.unlink()
    resumed = subprocess.run(command(tmp_path / "killed") + ["--set", "steps=6", "--resume"],
                             capture_output=True, text=True, timeout=300, cwd=REPO)
    assert resumed.returncode == 0, resumed.stderr
    a = read_checkpoint(tmp_path / "straight" / "checkpoints" / "step_00000006.pt")
    b = read_checkpoint(tmp_path / "killed" / "checkpoints" / "step_00000006.pt")
    assert a.model_state.keys() == b.model_state.keys()
    for name, value in a.model_state.items():
        assert torch.equal(value, b.model_state[name]), name


def test_a_packed_batch_unpacks_to_the_same_batch():
    from norton.data.loader import PackedBatch
    from norton.data.sampling import sample_batch
    from norton.data.synthetic import SyntheticConfig, make_synthetic

    videos = make_synthetic(SyntheticConfig(num_videos=3, seed=4)).videos  # with ground truth: `aligned` is set
    batch = sample_batch(videos, [0, 1, 2], SAMPLER, np.random.default_rng(0))
    batch.captions[1] = "naïve café, 東京 — ok"  # not ASCII
    again = PackedBatch.pack(batch).unpack()
    assert again.captions == batch.captions and again.video_ids == batch.video_ids
    for name, value in vars(batch).items():
        if isinstance(value, torch.Tensor):
            got = getattr(again, name)
            assert got.dtype == value.dtype and torch.equal(got, value), name
