"""Does the sharded data path stay flat from 10 k to 100 k videos, and keep up with a GPU step?

For each store size: writes a synthetic sharded store (T seconds x D float16 features, C captions per video),
then, in a fresh process per worker count (so that RSS is the rank's own): opens it, starts a ShardStream
(N = batch_videos x clips pairs per batch) and takes batches while the "training loop" spends --step-ms per
step (a sleep: a GPU step leaves the CPU free). Prints write ms per video (mean, with the shards' finishing,
and median), open ms,
time to the first batch, batches/s with no loop work, the loop's wait per batch, and peak RSS of the rank;
then a probe at HowTo100M's own dimensions and the extrapolation to HowTo100M, with its assumptions.

    python benchmarks/data_scale.py                       # 10 k and 100 k videos (about 15 minutes here)
    python benchmarks/data_scale.py --sizes 2000 --batches 10
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from norton.data.captions import Captions  # noqa: E402
from norton.data.shards import ShardWriter  # noqa: E402

# HowTo100M as Norton trained on it (the paper: 1.2 M videos, 136 M captions; S3D 512-d at 1 feature per second)
HOWTO = {"videos": 1_200_000, "captions": 136_000_000, "seconds": 390, "dim": 512}


def write_store(root: Path, count: int, seconds: int, dim: int, captions: int, per_shard: int, seed: int = 0):
    """Write `count` synthetic videos; returns the per-video write seconds (generation excluded)."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((seconds + 8 + 16, dim)).astype(np.float16)  # every slice below is whole
    words = [f"word{k}" for k in range(200)]
    costs = np.zeros(count)
    with ShardWriter(root, encoder="synthetic", feature_dim=dim, videos_per_shard=per_shard) as writer:
        for index in range(count):
            length = seconds + int(rng.integers(-8, 9))
            shift = int(rng.integers(0, 16))
            features = base[shift:shift + length]
            starts = np.sort(rng.uniform(0, length - 4, captions))
            text = [" ".join(rng.choice(words, 8)) for _ in range(captions)]
            caps = Captions(starts.tolist(), (starts + rng.uniform(1, 4, captions)).tolist(), text)
            begin = time.perf_counter()
            writer.write(f"video{index:08d}", features, captions=caps)
            costs[index] = time.perf_counter() - begin
        begin = time.perf_counter()
    costs[-1] += time.perf_counter() - begin  # the last shard's close
    return costs


def child(args: argparse.Namespace) -> None:
    """One rank: open the store, take batches with `--workers`, report timings and peak RSS as JSON."""
    import torch

    from norton.data.loader import LoaderConfig, ShardStream
    from norton.data.sampling import SamplerConfig

    torch.set_num_threads(1)
    begin = time.perf_counter()
    sampler = SamplerConfig(videos_per_batch=args.batch_videos, clips_per_video=16, clips_per_sequence=8)
    stream = ShardStream(args.root, sampler, seed=0, loader=LoaderConfig(workers=args.workers[0], streams=4))
    opened = time.perf_counter() - begin
    next(stream)
    first = time.perf_counter() - begin
    begin = time.perf_counter()
    for _ in range(args.batches):  # as fast as the loader can
        next(stream)
    free_rate = args.batches / (time.perf_counter() - begin)
    waits = []
    for _ in range(args.batches):  # a loop that spends step_ms on each step
        time.sleep(args.step_ms / 1e3)
        begin = time.perf_counter()
        next(stream)
        waits.append(time.perf_counter() - begin)
    stream.close()
    print(json.dumps({"open": opened, "first": first, "rate": free_rate, "wait": float(np.median(waits)),
                      "wait_max": float(np.max(waits)),
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10}))  # KiB on Linux


def measure(root: Path, workers: int, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", "--root", str(root), "--workers", str(workers),
               "--batches", str(args.batches), "--batch-videos", str(args.batch_videos), "--step-ms", str(args.step_ms)]
    out = subprocess.run(command, capture_output=True, text=True, check=False,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    if out.returncode:
        raise SystemExit(f"measuring {root} with {workers} workers failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def store_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seconds", type=int, default=100, help="mean video length T")
    parser.add_argument("--dim", type=int, default=32, help="feature dimension D (small: the disk here)")
    parser.add_argument("--captions", type=int, default=25)
    parser.add_argument("--videos-per-shard", type=int, default=1024)
    parser.add_argument("--batch-videos", type=int, default=64, help="videos per batch (x 16 clips = N)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2, 4])
    parser.add_argument("--batches", type=int, default=20, help="batches timed per setting")
    parser.add_argument("--step-ms", type=float, default=101.0,
                        help="the training loop's time per step (101 ms: VideoCLIP-size InfoNCE, fp16, H200)")
    parser.add_argument("--probe-videos", type=int, default=1024,
                        help="videos of the probe store at HowTo100M's dimensions (0: no probe)")
    parser.add_argument("--work", default=None, help="folder for the stores (default: a temporary one)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="norton-data-scale-"))
    n = args.batch_videos * 16
    print(f"synthetic stores: T ~ {args.seconds} s, D = {args.dim} float16, {args.captions} captions per video, "
          f"{args.videos_per_shard} videos per shard; N = {n} pairs per batch; loop step {args.step_ms:.0f} ms\n")
    print("| videos | write ms/video (mean / median) | store MB | workers | open ms | first batch s | "
          "batches/s (free) | loop wait ms/batch (median / max) | rank peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    probes = []
    try:
        for size in args.sizes:
            root = work / f"store-{size}"
            shutil.rmtree(root, ignore_errors=True)
            costs = write_store(root, size, args.seconds, args.dim, args.captions, args.videos_per_shard)
            write = f"{costs.mean() * 1e3:.3f} / {np.median(costs) * 1e3:.3f}"
            for workers in args.workers:
                result = measure(root, workers, args)
                print(f"| {size} | {write} | {store_bytes(root) / 2**20:.0f} | {workers} | {result['open'] * 1e3:.1f} | "
                      f"{result['first']:.2f} | {result['rate']:.1f} | {result['wait'] * 1e3:.1f} / "
                      f"{result['wait_max'] * 1e3:.1f} | {result['rss']:.0f} |", flush=True)
            shutil.rmtree(root, ignore_errors=True)
        if args.probe_videos:
            root = work / "probe-howto-dims"
            count = args.probe_videos
            costs = write_store(root, count, HOWTO["seconds"], HOWTO["dim"], HOWTO["captions"] // HOWTO["videos"],
                                args.videos_per_shard // 4)
            per_video = store_bytes(root) / count
            print(f"\nprobe at HowTo100M's dimensions ({count} videos, T ~ {HOWTO['seconds']} s, D = {HOWTO['dim']}, "
                  f"{HOWTO['captions'] // HOWTO['videos']} captions): write {costs.mean() * 1e3:.2f} ms/video, "
                  f"{per_video / 2**10:.0f} KB/video\n")
            print("| workers | first batch s | batches/s (free) | loop wait ms/batch (median / max) | rank peak RSS MB |")
            print("|---|---|---|---|---|")
            for workers in args.workers:
                result = measure(root, workers, args)
                probes.append((workers, result))
                print(f"| {workers} | {result['first']:.2f} | {result['rate']:.1f} | {result['wait'] * 1e3:.1f} / "
                      f"{result['wait_max'] * 1e3:.1f} | {result['rss']:.0f} |", flush=True)
            shards = HOWTO["videos"] / args.videos_per_shard
            print(f"\nextrapolated to HowTo100M ({HOWTO['videos']:,} videos, {HOWTO['captions']:,} captions, "
                  f"S3D {HOWTO['dim']}-d float16, {args.videos_per_shard} videos per shard):\n")
            print("| quantity | value | assumption |")
            print("|---|---|---|")
            print(f"| store size | {per_video * HOWTO['videos'] / 2**30:,.0f} GiB | the probe's bytes per video |")
            print(f"| shards | {shards:,.0f} | |")
            print(f"| write (one writer) | {costs.mean() * HOWTO['videos'] / 3600:.1f} h | the probe's ms/video, "
                  "flat in the store size (table above); extraction itself costs far more |")
            print(f"| index.json | {shards * 90 / 2**10:,.0f} KB | about 90 bytes per shard entry; opening reads only it |")
            print(f"| plan memory of a rank | {HOWTO['videos'] * 8 / 2**20:,.0f} MB at most | one int64 per video of "
                  "its streams' current epochs (less with more ranks) |")
            for workers, result in probes:
                print(f"| loop wait, {workers} workers | {result['wait'] * 1e3:.1f} ms/batch | the probe's N = {n} "
                      f"batches on this machine's cores, {args.step_ms:.0f} ms steps |")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
