"""Train a dual encoder with the Norton loss (or plain InfoNCE): AMP, checkpoints, exact resume, DDP, sharded data.

config       TrainConfig / DataConfig: one YAML file per run
distributed  torchrun ranks, the process group, negatives gathered with gradients
data         the per-rank batch streams: in-memory videos (BatchStream) or a sharded store (norton.data.loader)
diagnostics  what a run reports besides its loss
runs         a run folder's checkpoints and metrics.jsonl
trainer      Trainer (one update, save/restore) and train()
command      `norton train`
"""
from .command import configure, run
from .config import DATA_SOURCES, INFONCE, DataConfig, TrainConfig, parse_assignments, set_dotted
from .data import BatchStream, load_videos
from .diagnostics import alignment_diagnostics, batch_metrics
from .distributed import Distributed, all_gather_with_grad, gather_loss_inputs, init_distributed
from .runs import (CHECKPOINT_DIR, METRICS_FILE, checkpoint_path, latest_checkpoint, list_checkpoints, read_metrics,
                   remove_partial_checkpoints, resumable_checkpoint)
from .trainer import LossTerms, Trainer, TrainResult, loss_terms, lr_factor, train

__all__ = [
    "configure", "run", "DATA_SOURCES", "INFONCE", "DataConfig", "TrainConfig", "parse_assignments", "set_dotted",
    "BatchStream", "load_videos", "alignment_diagnostics", "batch_metrics", "Distributed",
    "all_gather_with_grad", "gather_loss_inputs", "init_distributed", "CHECKPOINT_DIR", "METRICS_FILE",
    "checkpoint_path", "latest_checkpoint", "list_checkpoints", "read_metrics", "remove_partial_checkpoints",
    "resumable_checkpoint", "LossTerms", "Trainer", "TrainResult", "loss_terms", "lr_factor", "train",
]
