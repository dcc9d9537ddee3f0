"""Evaluate a dual encoder zero-shot, run the Table 7 ablation's diagnostics, summarise its sweeps.

- `protocols`: clip and video-paragraph retrieval, HTM-Align, alignment against synthetic truth
  (`evaluate_model`, `evaluate_synthetic`); `encoding` batches a model's outputs for them.
- `ablation`: the Table 7 rows, noise levels, held-out videos and one run's TrainConfig.
- `diagnostics`: how Norton's parts see held-out batches (`loss_diagnostics`).
- `tables`: the mean +- std tables of a sweep's results.csv (`summarize_sweep`).
- `cli`: `norton evaluate` (`configure`, `run`).
Every public name is importable from `norton.evaluate` itself.
"""
from .ablation import (ABLATION_DATASETS, ABLATION_MODEL, ABLATION_MODEL_HOWTO, ABLATION_ROWS, ABLATION_SAMPLER,
                       HELDOUT_SEED, NOISE_LEVELS, ROW_LABELS, ablation_loss, ablation_train_config,
                       global_step_concepts, heldout_videos, howto_noise_config, noise_config)
from .cli import configure, load_for_evaluation, run
from .diagnostics import batch_diagnostics, block_relevance, loss_diagnostics, pair_relevance
from .encoding import ENCODE_BATCH, Encoder, EvalMode, encode_captions, encode_clips, max_rows, pad_clips
from .protocols import (ALIGN_METHODS, ALIGN_WINDOW_SECONDS, MAX_CLIP_SECONDS, PARAGRAPH_WINDOW_SECONDS, Annotated,
                        annotate, annotate_by_captions, annotate_by_truth, check_videos, covering_windows,
                        evaluate_model, evaluate_synthetic, htm_align_evaluation, method_alignments,
                        per_second_similarity, require_truth, retrieval_evaluation, segment_clips, span_rows,
                        window_clips)
from .tables import DEFAULT_TABLE, mean_std, read_results, summarize_sweep, summary_table

__all__ = [
    "ABLATION_DATASETS", "ABLATION_MODEL", "ABLATION_MODEL_HOWTO", "ABLATION_ROWS", "ABLATION_SAMPLER", "HELDOUT_SEED",
    "NOISE_LEVELS", "ROW_LABELS", "ablation_loss", "ablation_train_config", "global_step_concepts", "heldout_videos",
    "howto_noise_config", "noise_config",
    "configure", "load_for_evaluation", "run",
    "batch_diagnostics", "block_relevance", "loss_diagnostics", "pair_relevance",
    "ENCODE_BATCH", "Encoder", "EvalMode", "encode_captions", "encode_clips", "max_rows", "pad_clips",
    "ALIGN_METHODS", "ALIGN_WINDOW_SECONDS", "MAX_CLIP_SECONDS", "PARAGRAPH_WINDOW_SECONDS", "Annotated", "annotate",
    "annotate_by_captions", "annotate_by_truth", "check_videos", "covering_windows", "evaluate_model",
    "evaluate_synthetic", "htm_align_evaluation", "method_alignments", "per_second_similarity", "require_truth",
    "retrieval_evaluation", "segment_clips", "span_rows", "window_clips",
    "DEFAULT_TABLE", "mean_std", "read_results", "summarize_sweep", "summary_table",
]
