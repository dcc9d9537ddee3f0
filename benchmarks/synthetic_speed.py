"""Print how fast synthetic videos are generated and sampled into clip batches (CPU)."""
from __future__ import annotations

import argparse
import time

import torch

from norton.data.sampling import SamplerConfig, iterate_batches
from norton.data.synthetic import SyntheticConfig, make_synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000], help="numbers of videos")
    parser.add_argument("--feature-dim", type=int, default=32)
    parser.add_argument("--videos-per-batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'videos':>8} {'seconds':>9} {'make videos/s':>14} {'sample videos/s':>16} {'pairs/s':>10}")
    for size in args.sizes:
        begin = time.perf_counter()
        dataset = make_synthetic(SyntheticConfig(num_videos=size, feature_dim=args.feature_dim))
        made = time.perf_counter() - begin
        seconds = sum(video.features.shape[0] for video in dataset)
        begin = time.perf_counter()
        pairs = sum(len(batch) for batch in iterate_batches(dataset.videos, SamplerConfig(
            videos_per_batch=args.videos_per_batch), seed=0))
        sampled = time.perf_counter() - begin
        print(f"{size:>8} {seconds:>9} {size / made:>14.0f} {size / sampled:>16.0f} {pairs / sampled:>10.0f}")


if __name__ == "__main__":
    main()
