"""Diagnostics of the Table 7 sweep on the narrated how-to testbed (benchmarks/ablation_results.md).

    python benchmarks/ablation_howto_diagnostics.py runs/ablation_howto [--noise mid] [--heldout 40]

Prints markdown:
1. component-by-component paired differences (same seed: same data, weights and batches);
2. per row, the seed means of the `diagnostics` each run stored in its metrics.json (4 held-out batches);
3. re-measured on the trained checkpoints of every row (6 held-out batches, seed 123, Norton's row-J loss
   whatever the row trained with): norton.evaluate.loss_diagnostics at alpha 1 and 0.01, the entropy of the
   rectification plan (FNE) relative to a uniform row, and the bucket's share by caption kind
   (the testbed's CAPTION_KINDS: a pair counts for the kind that holds most of its caption window's words),
   raw and as the residual of a least-squares fit of the share on log caption tokens (pooled over the row's pairs).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

import numpy as np
import torch

from norton.checkpoint import load_model
from norton.config import NortonConfig
from norton.data.howto import ALIGNABLE_KINDS, CAPTION_KINDS
from norton.data.sampling import SamplerConfig, collate, sample_video
from norton.evaluate import ABLATION_SAMPLER, EvalMode, heldout_videos, loss_diagnostics, read_results
from norton.losses import NortonLoss

STEPS = [("B", "A", "FNE"), ("C", "B", "L_video, mean"), ("D", "C", "FILIP max"), ("E", "C", "soft-max 0.1"),
         ("F", "C", "soft-max 0.2"), ("G", "C", "soft-max 1"), ("H", "G", "bucket 10%"), ("I", "G", "bucket 50%"),
         ("J", "G", "bucket 30%"), ("J", "A", "Norton vs InfoNCE")]
COLUMNS = {"align R@1": "metrics.alignment.R@1", "align AUC": "metrics.alignment.ROC-AUC",
           "OT+bucket R@1": "metrics.alignment_methods.ot_bucket.R@1", "clip R@5": "metrics.clip_retrieval.R@5",
           "DTW w/o B": "metrics.paragraph_background_removed.dtw.R@1",
           "DTW w B": "metrics.paragraph_background_kept.dtw.R@1"}
STORED = ["misaligned_rate", "faulty_negative_rate", "fne_diagonal_mass", "fne_mass_on_faulty", "dot_product_range",
          "cosine_relevance_corr", "fine_relevance_corr", "fused_relevance_corr", "fine_length_r2",
          "bucket_share_aligned", "bucket_share_misaligned", "bucket_misaligned_auc", "bucket_caption_length_corr",
          "block_relevance_own", "block_relevance_same_video", "block_relevance_other_video"]


def mean_std(values):
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "n/a"
    return f"{statistics.fmean(values):+.1f} ± {statistics.stdev(values) if len(values) > 1 else 0:.1f}"


def paired_table(rows, noise):
    rows = [r for r in rows if r["params.noise"] == noise]
    by = {(r["params.row"], r["params.seed"]): r for r in rows}
    seeds = sorted({r["params.seed"] for r in rows})
    out = ["| step | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for new, old, name in STEPS:
        cells = []
        for column in COLUMNS.values():
            cells.append(mean_std([100 * (float(by[new, s][column]) - float(by[old, s][column]))
                                   for s in seeds if (new, s) in by and (old, s) in by]))
        out.append(f"| {new} vs {old} ({name}) | " + " | ".join(cells) + " |")
    return "\n".join(out)


def stored_table(run_dirs):
    per_row: dict[str, list[dict]] = {}
    for run in run_dirs:
        metrics = json.loads((run / "metrics.json").read_text())
        per_row.setdefault(metrics["row"], []).append(metrics["diagnostics"])
    out = ["| row | " + " | ".join(STORED) + " |", "|---" * (len(STORED) + 1) + "|"]
    for row in sorted(per_row):
        cells = [f"{statistics.fmean(d[k] for d in per_row[row] if k in d and not math.isnan(d[k])):.3f}"
                 if any(k in d and not math.isnan(d[k]) for d in per_row[row]) else "n/a" for k in STORED]
        out.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def majority_kind(kinds, texts):
    words: dict[str, int] = {}
    for kind, text in zip(kinds, texts):
        words[kind] = words.get(kind, 0) + len(text.split())
    return max(words, key=words.get)


@torch.no_grad()
def plan_and_kinds(model, data, *, batches=6, seed=123):
    """Row entropy of the FNE plan / log N, and per pair (bucket share with the row-J loss, log caption tokens,
    majority caption kind, window class: all / none / some captions alignable)."""
    config = NortonConfig()
    sampler = SamplerConfig(**ABLATION_SAMPLER)
    loss, rng = NortonLoss(config), np.random.default_rng(seed)
    videos = data.videos
    entropy, records = [], []
    with EvalMode(model):
        for _ in range(batches):
            indices = rng.choice(len(videos), size=sampler.videos_per_batch, replace=False).tolist()
            draws = [sample_video(videos[i], sampler, rng) for i in indices]
            batch = collate([videos[i] for i in indices], draws, indices, sampler)
            encoded = model(batch.video_features, batch.video_mask, batch.captions)
            out = loss(*encoded.loss_inputs())
            plan = out.clip_plan / out.clip_plan.sum(1, keepdim=True)
            n = plan.shape[0]
            entropy.append(float((-(plan * plan.clamp_min(1e-30).log()).sum(1) / math.log(n)).mean()))
            share = out.caption_bucket_share.numpy()
            log_tokens = np.log(encoded.text_mask.sum(1).numpy())
            pairs = [(i, d) for i, ds in zip(indices, draws) for d in ds]
            for value, length, (v, draw) in zip(share, log_tokens, pairs):
                window = slice(draw.first_caption, draw.last_caption + 1)
                kinds = data.kinds(videos[v])[window]
                alignable = np.isin(kinds, ALIGNABLE_KINDS)
                key = "all alignable" if alignable.all() else "none alignable" if not alignable.any() else "mixed"
                records.append((float(value), float(length), majority_kind(kinds, videos[v].captions.text[window]),
                                key))
    return float(np.mean(entropy)), records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir")
    parser.add_argument("--noise", default="mid")
    parser.add_argument("--heldout", type=int, default=40)
    parser.add_argument("--rows", default="ABCDEFGHIJ", help="rows whose checkpoints are re-measured")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sweep = Path(args.sweep_dir)
    print(f"## Paired differences (noise {args.noise}, points)\n")
    print(paired_table(read_results(sweep / "results.csv"), args.noise))
    runs = sorted(p.parent for p in sweep.glob("*/done.json"))
    runs = [r for r in runs if json.loads((r / "metrics.json").read_text())["noise"] == args.noise]
    print("\n## Stored diagnostics (seed means, 4 batches per run)\n")
    print(stored_table(runs))
    data = heldout_videos(args.noise, args.heldout, "howto")
    keys = ["fne_diagonal_mass", "fne_mass_on_faulty", "faulty_negative_rate", "dot_product_range",
            "cosine_relevance_corr", "fine_relevance_corr", "fine_length_r2", "bucket_share_aligned",
            "bucket_share_misaligned", "bucket_misaligned_auc", "bucket_caption_length_corr"]
    print("\n## Re-measured on the checkpoints (6 batches, seed 123; seed means)\n")
    header = ["row", "alpha", *keys, "plan entropy / log N"]
    print("| " + " | ".join(header) + " |\n" + "|---" * len(header) + "|")
    kind_rows = []
    for row in args.rows:
        mine = [r for r in runs if json.loads((r / "metrics.json").read_text())["row"] == row]
        if not mine:
            continue
        models = [load_model(sorted((r / "train" / "checkpoints").glob("step_*.pt"))[-1])[0] for r in mine]
        for alpha in (1.0, 0.01):
            values = [loss_diagnostics(m, data.videos, loss_config=NortonConfig(alpha=alpha), batches=6, seed=123)
                      for m in models]
            extra = [plan_and_kinds(m, data) for m in models] if alpha == 1.0 else None
            cells = [f"{statistics.fmean(v[k] for v in values):.3f}" for k in keys]
            cells.append(f"{statistics.fmean(e[0] for e in extra):.3f}" if extra else "")
            print(f"| {row} | {alpha} | " + " | ".join(cells) + " |")
            if extra:
                kind_rows.append((row, [r for e in extra for r in e[1]]))
    print("\n## Bucket share (row-J loss, alpha 1) by majority caption kind of the pair's window and by window class:"
          " mean share / mean residual after a fit on log caption tokens (pairs)\n")
    names = [*CAPTION_KINDS, "all alignable", "mixed", "none alignable"]
    print("| row | " + " | ".join(names) + " |\n" + "|---" * (len(names) + 1) + "|")
    for row, records in kind_rows:
        share = np.array([r[0] for r in records])
        design = np.column_stack([np.ones(len(records)), [r[1] for r in records]])
        residual = share - design @ np.linalg.lstsq(design, share, rcond=None)[0]
        cells = []
        for name in names:
            mask = np.array([name in (r[2], r[3]) for r in records])
            cells.append(f"{share[mask].mean():.3f} / {residual[mask].mean():+.3f} ({mask.sum()})" if mask.any()
                         else "n/a")
        print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
