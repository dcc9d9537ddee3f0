"""The paper's Table 7 ablation on synthetic data or the how-to testbed: its rows, noise levels, held-out
videos and the training run of one (row, noise level, seed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..data.howto import NOISE_LEVELS as HOWTO_NOISE_LEVELS, howto_config, make_howto
from ..data.howto_grammar import TASKS
from ..data.synthetic import SyntheticConfig, make_synthetic
from ..train import TrainConfig

# Loss of each row of the paper's Table 7 (NortonConfig fields; "infonce" = VideoCLIP's plain loss).
ABLATION_ROWS: dict[str, dict[str, Any] | str] = {
    "A": "infonce",                                               # InfoNCE only (beta 0, no L_video)
    "B": {"beta": 0.3, "video_weight": 0.0, "prompt_ratio": None},  # + faulty-negative rectification
    "C": {"fine_similarity": "mean", "prompt_ratio": None},       # + L_video on mean pooling
    "D": {"fine_similarity": "max", "prompt_ratio": None},        # FILIP: hard max over tokens
    "E": {"alpha": 0.1, "prompt_ratio": None},                    # soft-maximum alpha 0.1
    "F": {"alpha": 0.2, "prompt_ratio": None},
    "G": {"alpha": 1.0, "prompt_ratio": None},
    "H": {"alpha": 1.0, "prompt_ratio": 0.1},                     # + alignable prompt bucket p 10%
    "I": {"alpha": 1.0, "prompt_ratio": 0.5},
    "J": {"alpha": 1.0, "prompt_ratio": 0.3},                     # Norton
}
ROW_LABELS = {
    "A": "InfoNCE", "B": "+FNE", "C": "+L_video mean", "D": "FILIP max", "E": "soft-max a=0.1",
    "F": "soft-max a=0.2", "G": "soft-max a=1", "H": "+bucket 10%", "I": "+bucket 50%", "J": "+bucket 30% (Norton)",
}
# SyntheticConfig overrides: every kind of noise at once, from mild to severe.
NOISE_LEVELS: dict[str, dict[str, Any]] = {
    "low": {"unalignable_rate": 0.1, "async_std": 1.0, "irrelevant_rate": 0.05, "unnarrated_rate": 0.1,
            "filler_rate": 0.1},
    "mid": {"unalignable_rate": 0.3, "async_std": 2.5, "irrelevant_rate": 0.1, "unnarrated_rate": 0.2,
            "filler_rate": 0.15},
    "high": {"unalignable_rate": 0.5, "async_std": 4.0, "irrelevant_rate": 0.2, "unnarrated_rate": 0.3,
             "filler_rate": 0.25},
}
HELDOUT_SEED = 10_000  # held-out videos: same concept bank, seeds no training run uses
# The ablation's model and batches: small enough for 90 CPU runs in about half an hour.
ABLATION_MODEL = {"preset": "tiny", "hidden_size": 32, "heads": 2, "intermediate_size": 64,
                  "video_layers": 1, "text_layers": 1}
ABLATION_SAMPLER = {"videos_per_batch": 4, "clips_per_video": 16, "clips_per_sequence": 8}  # N = 64, M = 8
ABLATION_DATASETS = {"synthetic": "norton.data.synthetic", "howto": "norton.data.howto (narrated how-to testbed)"}
# The model on the how-to testbed (384-d MiniLM features): the tiny dual encoder at hidden 64 with a random
# 1-layer text tower. Measured on one CPU thread (benchmarks/ablation_results.md): the pretrained MiniLM
# text tower costs 2-3 s per update at N = 64 (vs 0.1 s), so a run under a minute gets about 20 updates,
# and after 30 updates (lr 1e-4 .. 5e-4) it aligns worse than this model after 300-600.
ABLATION_MODEL_HOWTO = {"preset": "tiny", "video_feature_dim": 384, "hidden_size": 64, "heads": 2,
                        "intermediate_size": 128, "video_layers": 1, "text_layers": 1}


def _check_choice(name: str, value: str, options: dict) -> None:
    if value not in options:
        raise ValueError(f"{name}: expected one of {sorted(options)}, got {value!r}")


def ablation_loss(row: str, variant: str = "paper") -> dict[str, Any] | str:
    """TrainConfig.loss of a Table 7 row: the row's NortonConfig fields with `variant` (or 'infonce')."""
    _check_choice("row", row, ABLATION_ROWS)
    loss = ABLATION_ROWS[row]
    return loss if loss == "infonce" else {"variant": variant, "clips_per_sequence": 8, **loss}


def noise_config(noise: str, *, num_videos: int, seed: int) -> SyntheticConfig:
    """SyntheticConfig of a noise level (concept bank shared by every level and seed)."""
    _check_choice("noise", noise, NOISE_LEVELS)
    return SyntheticConfig(num_videos=num_videos, seed=seed, **NOISE_LEVELS[noise])


def howto_noise_config(noise: str, *, num_videos: int, seed: int):
    """HowToConfig of a noise level of the how-to testbed (norton.data.howto.NOISE_LEVELS; 'mid' = defaults)."""
    _check_choice("noise", noise, HOWTO_NOISE_LEVELS)
    return howto_config(noise, num_videos=num_videos, seed=seed)


def global_step_concepts(data):
    """A HowToDataset whose truth concepts are task-qualified steps (task index * 1000 + step, -1 kept).

    The testbed labels a caption / second by its step index inside its own task, so step 3 of two
    different tasks would count as the same concept across videos (pair_relevance, faulty negatives).
    """
    task_index = {task.name: i for i, task in enumerate(TASKS)}
    for video in data.videos:
        offset, truth = task_index[data.scripts[video.video_id].task] * 1000, video.truth
        truth.caption_concept = np.where(truth.caption_concept >= 0, truth.caption_concept + offset, -1)
        truth.second_concept = np.where(truth.second_concept >= 0, truth.second_concept + offset, -1)
    return data


def heldout_videos(noise: str, num_videos: int, dataset: str = "synthetic"):
    """The fixed held-out set of a noise level (seed HELDOUT_SEED): a SyntheticDataset, or a HowToDataset
    (concepts task-qualified, global_step_concepts) for dataset 'howto'."""
    _check_choice("dataset", dataset, ABLATION_DATASETS)
    if dataset == "howto":
        return global_step_concepts(make_howto(howto_noise_config(noise, num_videos=num_videos, seed=HELDOUT_SEED)))
    return make_synthetic(noise_config(noise, num_videos=num_videos, seed=HELDOUT_SEED))


def ablation_train_config(row: str, noise: str, *, seed: int, steps: int, num_videos: int, out_dir: str | Path,
                          lr: float = 2e-3, variant: str = "paper", dataset: str = "synthetic"):
    """The norton.train TrainConfig of one ablation run (row x noise level x seed) on synthetic videos, or on
    the narrated how-to testbed (dataset 'howto': ABLATION_MODEL_HOWTO, data seed = run seed)."""
    _check_choice("dataset", dataset, ABLATION_DATASETS)
    if dataset == "howto":
        data = {"source": "howto", "howto": howto_noise_config(noise, num_videos=num_videos, seed=seed).to_dict()}
        model = dict(ABLATION_MODEL_HOWTO)
    else:
        data = {"source": "synthetic", "synthetic": noise_config(noise, num_videos=num_videos, seed=seed).to_dict()}
        model = dict(ABLATION_MODEL)
    return TrainConfig.from_dict({
        "data": data, "model": model, "loss": ablation_loss(row, variant), "sampler": dict(ABLATION_SAMPLER),
        "optimizer": "adamw", "lr": lr, "weight_decay": 0.01, "warmup_steps": min(10, steps), "steps": steps,
        "device": "cpu", "seed": seed, "log_every": max(1, steps // 20), "checkpoint_every": steps,
        "keep_checkpoints": 1, "out_dir": str(out_dir), "progress": False,
    })
