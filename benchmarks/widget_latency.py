"""Time the plan viewer's updates (slider moves and video switches) for n x n videos; prints a table in ms."""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from norton.align import AlignSettings
from norton.explore import VideoTokens


def random_video(video_id: str, size: int, rng: np.random.Generator, dim: int = 32, frames: int = 4,
                 words: int = 10) -> VideoTokens:
    """A size x size video of random tokens: `size` captions, `size` clips of `frames` seconds."""
    text_mask = torch.from_numpy(np.arange(words)[None] < rng.integers(2, words + 1, size=(size, 1)))
    clip_times = np.stack([np.arange(size) * frames, (np.arange(size) + 1) * frames], 1).astype(float)
    starts = np.sort(rng.uniform(0, size * frames - 3, size))
    return VideoTokens(
        video_id=video_id, captions=[f"caption {i}" for i in range(size)],
        text_tokens=torch.from_numpy(rng.normal(size=(size, words, dim)).astype(np.float32)), text_mask=text_mask,
        clip_tokens=torch.from_numpy(rng.normal(size=(size, frames, dim)).astype(np.float32)),
        clip_mask=torch.ones(size, frames, dtype=torch.bool),
        caption_times=np.stack([starts, starts + 3], 1), clip_times=clip_times)


def time_updates(viewer, repeats: int) -> dict[str, float]:
    """Median milliseconds of one update per control (each move goes to a fresh value)."""
    moves = {
        "eps": (viewer.eps, [0.05, 0.2]), "alpha": (viewer.alpha, [0.3, 2.0]),
        "iterations": (viewer.n_iters, [30, 80]), "prompt ratio": (viewer.prompt_ratio, [0.2, 0.5]),
        "video": (viewer.video, list(viewer.videos)[::-1]),
    }
    result = {}
    for name, (control, values) in moves.items():
        times = []
        for r in range(repeats):
            control.value = values[r % len(values)] if name != "alpha" else values[r % 2] * (1 + 0.01 * r)
            times.append(viewer.last_update_s * 1000)
        result[name] = statistics.median(times)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from widgets.viewers import PlanViewer

    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        videos = [random_video(f"v{k}", size, rng) for k in range(2)]
        for views in (("plan",), ("plan", "timeline", "bucket")):
            viewer = PlanViewer(videos, AlignSettings(), views=views)
            start = time.perf_counter()
            viewer.refresh()
            first = (time.perf_counter() - start) * 1000
            rows.append((f"{size}x{size}", "+".join(views), first, time_updates(viewer, args.repeats)))
    names = list(rows[0][3])
    header = "| size | views | refresh | " + " | ".join(names) + " |"
    print(header)
    print("|" + "---|" * (len(names) + 3))
    for size, views, first, times in rows:
        print(f"| {size} | {views} | {first:.0f} | " + " | ".join(f"{times[n]:.0f}" for n in names) + " |")
    print(f"\nmedian ms per update over {args.repeats} moves, torch threads = {args.threads}; "
          "'video' switches between two videos of the same size")


if __name__ == "__main__":
    main()
