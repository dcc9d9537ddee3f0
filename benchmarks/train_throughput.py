"""Print training steps/s and peak memory of the Norton loss vs plain clip-caption InfoNCE, as a table.

The dual encoder (default preset "videoclip", random weights) trains on synthetic per-second features
through norton.train's own step (sampling, forward, loss, backward, clipping, optimizer). Each
configuration runs in its own process so that peak memory is its own.

    python benchmarks/train_throughput.py --preset tiny --steps 5             # CPU, seconds
    python benchmarks/train_throughput.py --steps 20 --amp fp16               # CUDA, 64 videos x 16 clips
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

LOSSES = ("norton", "infonce")


def measure(spec: dict) -> dict:
    """Train `spec["steps"]` steps after `spec["warmup"]` untimed ones; return speed and peak memory."""
    import torch

    from norton.train import Distributed, TrainConfig, Trainer

    torch.set_num_threads(spec["threads"])
    model = {"preset": spec["preset"], "pretrained": False}
    config = TrainConfig.from_dict({
        "data": {"synthetic": {"num_videos": 4 * spec["videos_per_batch"], "feature_dim": spec["feature_dim"]}},
        "model": {**model, "video_feature_dim": spec["feature_dim"]},
        "loss": "infonce" if spec["loss"] == "infonce" else {"variant": spec["variant"]},
        "sampler": {"videos_per_batch": spec["videos_per_batch"], "clips_per_video": 16},
        "lr": 1e-5, "steps": spec["warmup"] + spec["steps"], "amp": spec["amp"], "device": spec["device"],
        "out_dir": "unused", "progress": False,
    })
    trainer = Trainer(config, Distributed())
    cuda = trainer.device.type == "cuda"
    for _ in range(spec["warmup"]):
        trainer.train_step()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
    begin = time.perf_counter()
    losses = [trainer.train_step()["loss"] for _ in range(spec["steps"])]
    if cuda:
        end.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(end) / 1000
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        seconds = time.perf_counter() - begin
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    pairs = spec["videos_per_batch"] * 16
    return {"loss": spec["loss"], "pairs": pairs, "steps_per_s": spec["steps"] / seconds,
            "pairs_per_s": pairs * spec["steps"] / seconds, "peak_mib": peak,
            "memory": "GPU allocated" if cuda else "process RSS",
            "first_loss": losses[0], "last_loss": losses[-1], "device": str(trainer.device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="videoclip", help="model preset (default videoclip)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps before timing")
    parser.add_argument("--videos-per-batch", type=int, default=None,
                        help="videos per batch of 16 clips (default: 64 on CUDA, 2 on CPU)")
    parser.add_argument("--feature-dim", type=int, default=512, help="per-second feature size (S3D: 512)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--amp", default="none", choices=("none", "bf16", "fp16"), help="CUDA only")
    parser.add_argument("--variant", default="official", choices=("paper", "official"), help="NortonConfig variant")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # random weights: never ask the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.child:
        print(json.dumps(measure(json.loads(args.child))))
        return

    import torch

    cuda = args.device.startswith("cuda") or (args.device == "auto" and torch.cuda.is_available())
    videos = args.videos_per_batch or (64 if cuda else 2)
    rows = []
    for loss in LOSSES:
        spec = {"loss": loss, "preset": args.preset, "steps": args.steps, "warmup": args.warmup,
                "videos_per_batch": videos, "feature_dim": args.feature_dim, "device": args.device,
                "amp": args.amp, "variant": args.variant, "threads": args.threads}
        done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{loss} run failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"preset {args.preset}, {videos} videos x 16 clips per batch, amp {args.amp}, "
          f"{args.steps} timed steps, device {rows[0]['device']}, peak memory = {rows[0]['memory']}")
    print(f"{'loss':>8} {'pairs':>6} {'steps/s':>9} {'pairs/s':>9} {'peak MiB':>9} {'loss first->last':>18}")
    for r in rows:
        print(f"{r['loss']:>8} {r['pairs']:>6} {r['steps_per_s']:>9.3f} {r['pairs_per_s']:>9.1f} "
              f"{r['peak_mib']:>9.0f} {r['first_loss']:>8.3f}->{r['last_loss']:<8.3f}")
    norton, infonce = rows
    print(f"Norton / InfoNCE: {infonce['steps_per_s'] / norton['steps_per_s']:.2f}x the time per step, "
          f"{norton['peak_mib'] / infonce['peak_mib']:.2f}x the peak memory")


if __name__ == "__main__":
    main()
