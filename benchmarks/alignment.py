"""Per-video caption alignment on the narrated how-to testbed: every norton.align method, Norton's buckets, ablations.

For each level the testbed (norton.data.howto, MiniLM features) is built once per seed; every row aligns
every video's (captions x seconds) cosine similarity and is scored with norton.align.score_alignments
(R@1 with HTM-Align's hit rule, a dropped caption a miss). A number is the mean over seeds of the
per-seed score (captions pooled over the seed's videos), ± the std over seeds (ddof 1).
ms / video times the alignment call only: norton.align.align, or POT's solver plus its read-out; pooling
seconds into clips happens before the clock starts. Below each table: the default ot_bucket's drop
rate per caption kind (pooled over seeds) and, per seed, the issue's Done-when targets. Needs POT (dev extra).
Usage: python benchmarks/alignment.py [--levels low mid high distractors] [--seeds 0 1 2] [--videos 24]
       [--out results.md]
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import dataclass
from typing import Callable

# one BLAS thread, like torch's below: POT's solver runs on numpy, and BLAS threads fighting over the
# two cores made it up to 20x slower; this must be set before numpy loads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import ot  # noqa: E402
import torch  # noqa: E402

from norton.align import Alignment, align, plan_times, score_alignments, standardized  # noqa: E402
from norton.data.howto import CAPTION_KINDS, HowToDataset, howto_config, make_howto  # noqa: E402
from norton.metrics import AlignmentScore  # noqa: E402

# level -> (NOISE_LEVELS entry, overrides). "distractors" mimics an external benchmark: every caption is a
# real step sentence (no unshown steps, remarks, off-topic talk or recaps), a step's narration is shifted
# by N(0, 15 s) with no systematic lead, and half the captions are sentences of other videos' steps.
LEVELS = {
    "low": ("low", {}),
    "mid": ("mid", {}),
    "high": ("high", {}),
    "distractors": ("mid", dict(narration_shift_std=15.0, narration_lead=0.0, other_video_rate=0.5,
                                off_topic_rate=0.0, unshown_rate=0.0, remark_rate=0.0, recap_rate=0.0)),
}
METRICS = (("R@1", "recall_at_1"), ("R@1 kept", "recall_at_1_kept"), ("alignable dropped", "alignable_dropped"),
           ("unalignable dropped", "unalignable_dropped"), ("ROC-AUC", "roc_auc"))
# the released Norton code's bucket applied to one video; the paper's uses uniform marginals
RELEASED = dict(standardize=False, eps=0.1, bucket="ratio", prompt_ratio=0.3, multiplicity=1.0, window=None,
                marginals="dustbin")
PARTIAL_MASS, PARTIAL_REG = 0.5, 0.25
# the Done-when targets for the default ot_bucket on the mid testbed
MIN_UNALIGNABLE_DROPPED, MAX_ALIGNABLE_DROPPED, MIN_AUC = 0.6, 0.1, 0.9

Runner = Callable[[np.ndarray, np.ndarray], tuple[Alignment, float]]  # (similarity, caption times) -> (result, ms)


def timed(function: Callable[..., Alignment], *args, **kw) -> tuple[Alignment, float]:
    """function(*args, **kw) and its wall time in ms."""
    begin = time.perf_counter()
    result = function(*args, **kw)
    return result, (time.perf_counter() - begin) * 1e3


def method(name: str, **settings) -> Runner:
    """A row running align(name) on the per-second similarity (ASR times for the methods that take them)."""
    def run(similarity: np.ndarray, caption_times: np.ndarray) -> tuple[Alignment, float]:
        kw = {"caption_times": caption_times} if name in ("timestamps", "ot_bucket") else {}
        return timed(align, name, similarity, **kw, **settings)
    return run


def pool_seconds(similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, C) mean similarity over clips of L = round(T / n) seconds (the last may be shorter), and their times."""
    n, seconds = similarity.shape
    starts = np.arange(0, seconds, max(1, round(seconds / n)))
    ends = np.append(starts[1:], seconds)
    pooled = np.add.reduceat(similarity, starts, axis=1) / (ends - starts)
    return pooled, np.stack([starts, ends], axis=1).astype(np.float64)


def pooled_clips(**settings) -> Runner:
    """A row running align("ot_bucket") on the similarity pooled into caption-length clips."""
    def run(similarity: np.ndarray, caption_times: np.ndarray) -> tuple[Alignment, float]:
        pooled, clip_times = pool_seconds(similarity)
        return timed(align, "ot_bucket", pooled, caption_times=caption_times, clip_times=clip_times, **settings)
    return run


def partial_ot(similarity: np.ndarray, mass: float = PARTIAL_MASS, reg: float = PARTIAL_REG) -> Alignment:
    """POT's entropic partial OT of the z-scored similarity, uniform marginals, `mass` transported.

    A caption is dropped when its row carries less than half its marginal; alignability = its row's
    share of the marginal; its time = the centre of its argmax second.
    """
    n, seconds = similarity.shape
    plan = ot.partial.entropic_partial_wasserstein(np.full(n, 1 / n), np.full(seconds, 1 / seconds),
                                                   -standardized(similarity), reg, m=mass)
    share = plan.sum(axis=1) * n
    dropped = share < 0.5
    clip_times = np.stack([np.arange(seconds), np.arange(1, seconds + 1)], axis=1)
    return Alignment("partial_ot", np.where(dropped, -1, plan.argmax(axis=1)), share, plan,
                     plan_times(plan, clip_times), similarity)


def partial_ot_row(similarity: np.ndarray, caption_times: np.ndarray) -> tuple[Alignment, float]:
    return timed(partial_ot, similarity)


DEFAULT = "**ot_bucket: workbench default**"
PLAIN_OT = "ot plain (raw, eps 0.1)"
ROWS: tuple[tuple[str, Runner], ...] = (
    ("timestamps (ASR midpoint)", method("timestamps")),
    ("argmax", method("argmax")),
    ("dtw", method("dtw")),
    ("drop_dtw (quantile 0.5)", method("drop_dtw")),
    (PLAIN_OT, method("ot", standardize=False, eps=0.1)),
    ("ot plain (z-scored, eps 0.25)", method("ot")),
    (DEFAULT, method("ot_bucket")),
    ("released bucket per video (raw, ratio 0.3, k=1, no window)", method("ot_bucket", **RELEASED)),
    ("paper bucket per video (released, uniform marginals)",
     method("ot_bucket", **{**RELEASED, "marginals": "uniform"})),
    ("default, window=None", method("ot_bucket", window=None)),
    ("default, multiplicity=1", method("ot_bucket", multiplicity=1.0)),
    ("default, raw cosines, ratio p 0.3, eps 0.1", method("ot_bucket", standardize=False, bucket="ratio", eps=0.1)),
    ("default, ratio p 0.5", method("ot_bucket", bucket="ratio", prompt_ratio=0.5)),
    ("default, times=local_mean", method("ot_bucket", times="local_mean")),
    ("default, eps=0.1", method("ot_bucket", eps=0.1)),
    ("default, p=0.2", method("ot_bucket", bucket_value=0.2)),
    ("default, p=0.6", method("ot_bucket", bucket_value=0.6)),
    ("pooled clips (L = round(T/n) s), default, k=1", pooled_clips(multiplicity=1.0)),
    (f"partial OT (POT, mass {PARTIAL_MASS})", partial_ot_row),
)


@dataclass(frozen=True)
class SeedResult:
    """One seed of one level: each row's score and mean ms per video, and the default's drops per caption."""

    seed: int
    scores: dict[str, AlignmentScore]
    ms: dict[str, float]
    kinds: np.ndarray    # (captions,) kind of every caption of the seed's videos
    dropped: np.ndarray  # (captions,) bool, dropped by the default ot_bucket


def testbed(level: str, seed: int, videos: int) -> HowToDataset:
    noise, overrides = LEVELS[level]
    return make_howto(howto_config(noise, **overrides, num_videos=videos, seed=seed))


def caption_times(video) -> np.ndarray:
    return np.stack([video.captions.start, video.captions.end], axis=1)


def run_seed(dataset: HowToDataset) -> SeedResult:
    """Every row on every video of one testbed."""
    alignments = {name: [] for name, _ in ROWS}
    ms = {name: [] for name, _ in ROWS}
    for video in dataset:
        similarity, times = dataset.similarity(video), caption_times(video)
        for name, run in ROWS:
            result, elapsed = run(similarity, times)
            alignments[name].append(result)
            ms[name].append(elapsed)
    kinds = np.concatenate([dataset.kinds(video) for video in dataset])
    dropped = np.concatenate([a.dropped for a in alignments[DEFAULT]])
    scores = {name: score_alignments(found, dataset.videos) for name, found in alignments.items()}
    return SeedResult(dataset.config.seed, scores, {name: float(np.mean(values)) for name, values in ms.items()},
                      kinds, dropped)


def mean_std(values: list[float], digits: int = 3) -> str:
    """'mean ± std' over seeds (std 0 for one seed)."""
    std = np.std(values, ddof=1) if len(values) > 1 else 0.0
    return f"{np.mean(values):.{digits}f} ± {std:.{digits}f}"


def sizes_line(datasets: list[HowToDataset]) -> str:
    videos = [video for dataset in datasets for video in dataset]
    captions = sum(len(video.captions) for video in videos)
    alignable = sum(int(video.truth.alignable.sum()) for video in videos)
    duration = np.mean([video.num_seconds for video in videos])
    return (f"testbed: {len(datasets)} seeds x {len(datasets[0])} videos = {len(videos)} videos, {captions} captions "
            f"({captions / len(videos):.1f} per video), {alignable / captions:.1%} alignable, "
            f"mean duration {duration:.0f} s")


def table_lines(results: list[SeedResult]) -> list[str]:
    """The markdown table: one row per method, mean ± std over seeds."""
    lines = ["| method | " + " | ".join(label for label, _ in METRICS) + " | ms / video |",
             "|---" * (len(METRICS) + 2) + "|"]
    for name, _ in ROWS:
        cells = [mean_std([getattr(r.scores[name], field) for r in results]) for _, field in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mean_std([r.ms[name] for r in results], 1)} |")
    return lines


def kind_line(results: list[SeedResult]) -> str:
    """Share of each caption kind the default ot_bucket dropped, pooled over seeds (kinds absent left out)."""
    kinds = np.concatenate([r.kinds for r in results])
    dropped = np.concatenate([r.dropped for r in results])
    parts = [f"{kind} {dropped[kinds == kind].mean():.2f} (n={int((kinds == kind).sum())})"
             for kind in CAPTION_KINDS if (kinds == kind).any()]
    return "default ot_bucket, share dropped per caption kind: " + ", ".join(parts)


def target_misses(default: AlignmentScore, plain: AlignmentScore) -> list[str]:
    """The Done-when targets the default's score misses."""
    checks = (("unalignable dropped", default.unalignable_dropped >= MIN_UNALIGNABLE_DROPPED),
              ("alignable dropped", default.alignable_dropped <= MAX_ALIGNABLE_DROPPED),
              ("ROC-AUC", default.roc_auc >= MIN_AUC),
              ("R@1 kept vs plain OT", default.recall_at_1_kept >= plain.recall_at_1))
    return [name for name, met in checks if not met]


def target_line(result: SeedResult) -> str:
    default, plain = result.scores[DEFAULT], result.scores[PLAIN_OT]
    misses = target_misses(default, plain)
    verdict = "misses " + ", ".join(misses) if misses else "meets all"
    return (f"seed {result.seed}: unalignable dropped {default.unalignable_dropped:.3f}, alignable dropped "
            f"{default.alignable_dropped:.3f}, ROC-AUC {default.roc_auc:.3f}, R@1 kept {default.recall_at_1_kept:.3f}"
            f" vs plain OT R@1 {plain.recall_at_1:.3f}: {verdict}")


def level_lines(level: str, seeds: list[int], videos: int) -> list[str]:
    datasets = [testbed(level, seed, videos) for seed in seeds]
    results = [run_seed(dataset) for dataset in datasets]
    targets = (f"Done-when targets (default; unalignable dropped >= {MIN_UNALIGNABLE_DROPPED}, alignable dropped <= "
               f"{MAX_ALIGNABLE_DROPPED}, ROC-AUC >= {MIN_AUC}, R@1 kept >= plain OT R@1):")
    return [f"## {level}", "", sizes_line(datasets), "", *table_lines(results), "", kind_line(results), "",
            targets, "", *[f"- {target_line(r)}" for r in results], ""]


def warm_up() -> None:
    """Run every row once on a small testbed video so that first-call costs stay out of the timings."""
    dataset = testbed("mid", 0, 1)
    video = dataset[0]
    for _, run in ROWS:
        run(dataset.similarity(video), caption_times(video))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", nargs="+", default=list(LEVELS), choices=list(LEVELS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--videos", type=int, default=24, help="videos per seed")
    parser.add_argument("--out", help="also write the markdown here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warm_up()
    lines = [f"command: `python {shlex.join(sys.argv)}`",
             f"machine: {os.cpu_count()}-core CPU, torch {torch.__version__} ({torch.get_num_threads()} thread), "
             f"POT {ot.__version__}", ""]
    print("\n".join(lines), flush=True)
    begin = time.perf_counter()
    for level in args.levels:
        section = level_lines(level, args.seeds, args.videos)
        print("\n".join(section), flush=True)
        lines += section
    lines.append(f"total time {time.perf_counter() - begin:.0f} s")
    print(lines[-1])
    if args.out:
        with open(args.out, "w") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
