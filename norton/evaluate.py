"""Evaluate a dual encoder zero-shot: clip and video-paragraph retrieval, HTM-Align, synthetic ground truth.

Protocols (docs: norton-method.md §8), all on the model's mean-pooled outputs:
- clip retrieval: each caption against the clip under its [start, end] (first 32 s at most, and at
  most the model's max_video_len positions); raw dot products; captions sharing a span share a clip.
- video-paragraph retrieval: a video's captions (in time order) against every video's segments
  (background removed: the caption spans) or non-overlapping 16-s windows (background kept), by
  caption average, DTW and OTAM (norton.metrics).
- HTM-Align: per-second cosine between the video token outputs of sliding windows and the pooled
  sentence, averaged over overlapping windows; R@1 and ROC-AUC (norton.metrics).
Synthetic videos add alignment R@1 / alignability ROC-AUC of every method of norton.align.
Also here: the Table 7 ablation on synthetic data (rows, noise levels) and its mean +- std table.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from . import metrics as M
from .align import Alignment, align, score_alignments
from .data.synthetic import SyntheticConfig, make_synthetic, unit_rows
from .data.videos import LongVideo
from .model import TowerOutput

MAX_CLIP_SECONDS = 32       # clip retrieval: features cut to the caption's span, at most this long
PARAGRAPH_WINDOW_SECONDS = 16  # background kept: non-overlapping windows of this length
ALIGN_WINDOW_SECONDS = 32   # HTM-Align sliding windows (stride a quarter of it)
ENCODE_BATCH = 256          # clips or captions per forward pass
ALIGN_METHODS = ("timestamps", "argmax", "dtw", "drop_dtw", "ot", "ot_bucket")


class Encoder(Protocol):
    """What evaluation needs of a model (DualEncoder, or a stub in tests)."""

    config: Any  # has max_video_len: the most video positions encode_video accepts

    def encode_text(self, captions: list[str]) -> TowerOutput: ...

    def encode_video(self, video_features: torch.Tensor, video_mask: torch.Tensor) -> TowerOutput: ...


# ----------------------------------------------------------------------------- encoding


def _device(model: Encoder) -> torch.device:
    parameter = next(iter(getattr(model, "parameters", lambda: iter(()))()), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def max_rows(model: Encoder, fps: float, seconds: float) -> int:
    """Feature rows of a clip of `seconds`, capped by the model's max_video_len."""
    return max(1, min(int(round(seconds * fps)), int(model.config.max_video_len)))


def pad_clips(clips: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """(T_i, D) arrays -> zero-padded features (N, T, D) float32 and mask (N, T) bool."""
    longest = max(len(c) for c in clips)
    features = np.zeros((len(clips), longest, clips[0].shape[1]), np.float32)
    mask = np.zeros((len(clips), longest), bool)
    for i, clip in enumerate(clips):
        features[i, :len(clip)] = clip
        mask[i, :len(clip)] = True
    return torch.from_numpy(features), torch.from_numpy(mask)


@torch.no_grad()
def encode_clips(model: Encoder, clips: Sequence[np.ndarray], *, frames: bool = False,
                 batch_size: int = ENCODE_BATCH, progress: bool = False) -> list[np.ndarray]:
    """Pooled outputs (H,) of each (T_i, D) clip, or with `frames` its per-row token outputs (T_i, H)."""
    device, out = _device(model), []
    for begin in tqdm(range(0, len(clips), batch_size), desc="encoding clips", disable=not progress, leave=False):
        batch = clips[begin:begin + batch_size]
        features, mask = pad_clips(batch)
        encoded = model.encode_video(features.to(device), mask.to(device))
        if frames:  # positions 1..T are the frames ([CLS] first, [SEP] last)
            tokens = encoded.tokens[:, 1:-1].float().cpu().numpy()
            out += [tokens[i, :len(clip)] for i, clip in enumerate(batch)]
        else:
            out += list(encoded.pooled.float().cpu().numpy())
    return out


@torch.no_grad()
def encode_captions(model: Encoder, texts: Sequence[str], *, batch_size: int = ENCODE_BATCH,
                    progress: bool = False) -> np.ndarray:
    """(N, H) pooled text outputs."""
    out = []
    for begin in tqdm(range(0, len(texts), batch_size), desc="encoding captions", disable=not progress,
                      leave=False):
        out.append(model.encode_text(list(texts[begin:begin + batch_size])).pooled.float().cpu().numpy())
    return np.concatenate(out)


class _EvalMode:
    """Context: model.eval() inside, its previous training flag restored after."""

    def __init__(self, model: Encoder) -> None:
        self.model, self.was_training = model, getattr(model, "training", False)

    def __enter__(self) -> None:
        if hasattr(self.model, "eval"):
            self.model.eval()

    def __exit__(self, *exc_info: Any) -> None:
        if hasattr(self.model, "train"):
            self.model.train(self.was_training)


# ----------------------------------------------------------------------------- annotated view of a video


@dataclass
class Annotated:
    """What the retrieval protocols see of one video: query captions and the segments they describe."""

    video: LongVideo
    texts: list[str]        # query captions, time order
    segment: np.ndarray     # (n,) index into spans of each caption's segment
    spans: np.ndarray       # (s, 2) distinct segment [start, end] seconds, time order


def annotate(video: LongVideo, starts: np.ndarray, ends: np.ndarray, keep: np.ndarray) -> Annotated | None:
    """The captions where `keep` with their spans; identical spans become one segment. None if none kept."""
    index = np.flatnonzero(keep)
    if len(index) == 0:
        return None
    pairs = np.stack([np.asarray(starts, float)[index], np.asarray(ends, float)[index]], axis=1)
    spans, segment = np.unique(pairs, axis=0, return_inverse=True)
    return Annotated(video, [video.captions.text[i] for i in index], segment.reshape(-1), spans)


def annotate_by_captions(video: LongVideo) -> Annotated | None:
    """Every caption with its own (ASR or annotated) times, as for YouCookII annotations."""
    n = len(video.captions)
    return annotate(video, video.captions.start, video.captions.end, np.ones(n, bool))


def annotate_by_truth(video: LongVideo) -> Annotated | None:
    """The alignable captions with their true spans (videos with ground truth)."""
    truth = _truth(video)
    return annotate(video, truth.start, truth.end, truth.alignable)


def _truth(video: LongVideo):
    if video.truth is None:
        raise ValueError(f"video {video.video_id!r} has no ground truth (synthetic data or --htm-align needed)")
    return video.truth


def span_rows(start: float, end: float, fps: float, num_rows: int, limit: int) -> tuple[int, int]:
    """Rows [lo, hi) under [start, end] seconds: at least one row, at most `limit`, inside the video."""
    lo = min(max(int(math.floor(start * fps)), 0), num_rows - 1)
    hi = min(max(lo + 1, int(math.ceil(end * fps))), num_rows, lo + limit)
    return lo, hi


def segment_clips(model: Encoder, item: Annotated) -> list[np.ndarray]:
    """Feature rows of each segment (its first 32 s at most)."""
    video = item.video
    limit = max_rows(model, video.fps, MAX_CLIP_SECONDS)
    bounds = [span_rows(s, e, video.fps, len(video.features), limit) for s, e in item.spans]
    return [video.features[lo:hi] for lo, hi in bounds]


def window_clips(model: Encoder, video: LongVideo) -> list[np.ndarray]:
    """Non-overlapping 16-s windows over the whole video (the last one may be shorter)."""
    size = max_rows(model, video.fps, PARAGRAPH_WINDOW_SECONDS)
    return [video.features[start:start + size] for start in range(0, len(video.features), size)]


# ----------------------------------------------------------------------------- retrieval


def retrieval_evaluation(model: Encoder, items: Sequence[Annotated], *, protocol_kw: dict | None = None,
                         progress: bool = False) -> dict[str, Any]:
    """Clip retrieval and video-paragraph retrieval (background removed and kept) of annotated videos."""
    if not items:
        raise ValueError("retrieval: no video with at least one query caption")
    texts = [t for item in items for t in item.texts]
    captions = encode_captions(model, texts, progress=progress)  # (Q, H)
    segments = encode_clips(model, [c for item in items for c in segment_clips(model, item)], progress=progress)
    video_windows = [window_clips(model, item.video) for item in items]
    windows = encode_clips(model, [c for clips in video_windows for c in clips], progress=progress)
    segment_offsets = np.cumsum([0] + [len(item.spans) for item in items])
    targets = np.concatenate([item.segment + offset for item, offset in zip(items, segment_offsets)])
    clip = M.retrieval_metrics(captions @ np.stack(segments).T, targets)

    paragraphs = np.split(captions, np.cumsum([len(item.texts) for item in items])[:-1])
    per_video_segments = np.split(np.stack(segments), segment_offsets[1:-1])
    per_video_windows = np.split(np.stack(windows), np.cumsum([len(c) for c in video_windows])[:-1])
    protocol_kw = protocol_kw or {}
    removed = M.video_paragraph_retrieval(paragraphs, per_video_segments, M.ParagraphProtocol(**protocol_kw),
                                          progress=progress)
    kept = M.video_paragraph_retrieval(paragraphs, per_video_windows,
                                       M.ParagraphProtocol(background=True, **protocol_kw), progress=progress)
    return {
        "clip_retrieval": {**clip.to_dict(), "num_queries": len(texts), "num_clips": len(segments)},
        "paragraph_background_removed": {name: r.to_dict() for name, r in removed.items()},
        "paragraph_background_kept": {name: r.to_dict() for name, r in kept.items()},
    }


# ----------------------------------------------------------------------------- per-second similarity


def covering_windows(num_rows: int, num_captions: int, window: int) -> list[M.AlignWindow]:
    """Sliding windows (stride window // 4) over the whole video, each scoring every caption."""
    stride = max(1, window // 4)
    starts = range(0, max(1, num_rows - window // 2), stride)
    return [M.AlignWindow(s, min(num_rows, s + window), np.arange(num_captions)) for s in starts]


def per_second_similarity(model: Encoder, video: LongVideo, sentences: np.ndarray,
                          windows: Sequence[M.AlignWindow]) -> np.ndarray:
    """(n, T) cosine of each row's video token output (per window) and each pooled sentence, stitched.

    Rows no window scored for a caption are -inf. `sentences` (n, H) are the captions' pooled outputs.
    """
    sentences = unit_rows(sentences)
    tokens = encode_clips(model, [video.features[w.start:w.end] for w in windows], frames=True)
    sims = [sentences[w.captions] @ unit_rows(frame).T for w, frame in zip(windows, tokens)]
    return M.stitch_window_similarities(windows, sims, len(sentences), len(video.features))


def htm_align_evaluation(model: Encoder, videos: Sequence[LongVideo], *, progress: bool = False
                         ) -> dict[str, Any]:
    """HTM-Align R@1 / ROC-AUC: TAN's 32-s windows (8-s stride) chosen from non-alignable captions' ASR times."""
    sims, starts, ends, flags = [], [], [], []
    for video in tqdm(videos, desc="HTM-Align", disable=not progress, leave=False):
        truth = _truth(video)
        begin, finish = truth.start * video.fps, truth.end * video.fps  # in feature rows
        window = max_rows(model, video.fps, ALIGN_WINDOW_SECONDS)
        windows = M.htm_align_windows(len(video.features), begin, finish, truth.alignable, window=window)
        if not windows:
            continue
        sentences = encode_captions(model, video.captions.text)
        sims.append(per_second_similarity(model, video, sentences, windows))
        starts.append(begin)
        ends.append(finish)
        flags.append(truth.alignable)
    if not sims:
        raise ValueError("HTM-Align: no video has a window (each needs a non-alignable caption)")
    return {**M.htm_align_metrics(sims, starts, ends, flags).to_dict(), "num_videos": len(sims)}


# ----------------------------------------------------------------------------- public entry points


def evaluate_model(model: Encoder, videos: Sequence[LongVideo], *, htm_align: bool | None = None,
                   protocol_kw: dict | None = None, progress: bool = True) -> dict[str, Any]:
    """Zero-shot metrics of a model on real (or any) videos: clip and video-paragraph retrieval from the
    captions' own spans, plus HTM-Align when the videos carry ground truth (`htm_align` None = when all do).

    `protocol_kw`: extra ParagraphProtocol fields (e.g. tempclr_sign_quirk=True, tempclr_padding=True).
    """
    videos = _check_videos(videos)
    if htm_align is None:
        htm_align = all(v.truth is not None for v in videos)
    with _EvalMode(model):
        items = [a for a in (annotate_by_captions(v) for v in videos) if a is not None]
        result = {"num_videos": len(videos), **retrieval_evaluation(model, items, protocol_kw=protocol_kw,
                                                                    progress=progress)}
        if htm_align:
            result["htm_align"] = htm_align_evaluation(model, videos, progress=progress)
    return result


def method_alignments(similarity: np.ndarray, video: LongVideo, methods: Sequence[str]) -> dict[str, Alignment]:
    """Each norton.align method's Alignment of a (n, T) per-second similarity, in seconds (ASR times where needed)."""
    rows = np.arange(similarity.shape[1], dtype=np.float64)
    clip_times = np.stack([rows, rows + 1], axis=1) / video.fps
    caption_times = np.stack([video.captions.start, video.captions.end], axis=1)
    out = {}
    for method in methods:
        kw = {"caption_times": caption_times} if method in ("timestamps", "ot_bucket") else {}
        out[method] = align(method, similarity, clip_times=clip_times, **kw)
    return out


def evaluate_synthetic(model: Encoder, videos: Sequence[LongVideo], *, methods: Sequence[str] = ALIGN_METHODS,
                       protocol_kw: dict | None = None, progress: bool = True) -> dict[str, Any]:
    """Metrics on held-out videos with ground truth (synthetic): alignment and retrieval against the truth.

    alignment: per-second similarity (windows of max_video_len rows, stride 1/4, covering the whole
    video, every caption scored); R@1 = argmax second of an alignable caption inside its true span;
    ROC-AUC of alignable vs not with the max similarity as score. alignment_methods: for each
    norton.align method run on that similarity (its default settings), norton.metrics.score_alignment:
    R@1 (a dropped caption is a miss), R@1 over kept captions, drop rates, ROC-AUC of its
    alignability ("timestamps" is the no-model baseline of trusting the ASR times). Retrieval: the alignable
    captions against their true step segments (clip, background removed) or 16-s windows.
    """
    videos = _check_videos(videos)
    for video in videos:
        _truth(video)
    unknown = sorted(set(methods) - set(ALIGN_METHODS))
    if unknown:
        raise ValueError(f"methods: unknown {unknown}; expected some of {ALIGN_METHODS}")
    with _EvalMode(model):
        sims, labels, aligned = [], [], {m: [] for m in methods}
        for video in tqdm(videos, desc="alignment", disable=not progress, leave=False):
            sentences = encode_captions(model, video.captions.text)
            windows = covering_windows(len(video.features), len(sentences), int(model.config.max_video_len))
            sim = per_second_similarity(model, video, sentences, windows)
            sims.append(sim)
            labels.append(video.truth.alignable)
            for method, alignment in method_alignments(sim, video, methods).items():
                aligned[method].append(alignment)
        fps = [v.fps for v in videos]
        alignment = M.htm_align_metrics(sims, [v.truth.start * f for v, f in zip(videos, fps)],
                                        [v.truth.end * f for v, f in zip(videos, fps)], labels)
        per_method = {m: score_alignments(aligned[m], videos).to_dict() for m in methods}
        items = [a for a in (annotate_by_truth(v) for v in videos) if a is not None]
        retrieval = retrieval_evaluation(model, items, protocol_kw=protocol_kw, progress=progress)
    return {"num_videos": len(videos), "alignment": alignment.to_dict(), "alignment_methods": per_method,
            **retrieval}


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    return M.roc_auc(labels, scores) if 0 < labels.sum() < len(labels) else math.nan


def _check_videos(videos: Sequence[LongVideo]) -> list[LongVideo]:
    videos = list(videos)
    if not videos:
        raise ValueError("videos: expected at least one video")
    for video in videos:
        if len(video.captions) == 0:
            raise ValueError(f"video {video.video_id!r} has no captions")
    return videos


# ----------------------------------------------------------------------------- the synthetic ablation (Table 7)

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
    from .data.howto import NOISE_LEVELS as HOWTO_NOISE_LEVELS, howto_config

    _check_choice("noise", noise, HOWTO_NOISE_LEVELS)
    return howto_config(noise, num_videos=num_videos, seed=seed)


def global_step_concepts(data):
    """A HowToDataset whose truth concepts are task-qualified steps (task index * 1000 + step, -1 kept).

    The testbed labels a caption / second by its step index inside its own task, so step 3 of two
    different tasks would count as the same concept across videos (pair_relevance, faulty negatives).
    """
    from .data.howto_grammar import TASKS

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
        from .data.howto import make_howto

        return global_step_concepts(make_howto(howto_noise_config(noise, num_videos=num_videos, seed=HELDOUT_SEED)))
    return make_synthetic(noise_config(noise, num_videos=num_videos, seed=HELDOUT_SEED))


def ablation_train_config(row: str, noise: str, *, seed: int, steps: int, num_videos: int, out_dir: str | Path,
                          lr: float = 2e-3, variant: str = "paper", dataset: str = "synthetic"):
    """The norton.train TrainConfig of one ablation run (row x noise level x seed) on synthetic videos, or on
    the narrated how-to testbed (dataset 'howto': ABLATION_MODEL_HOWTO, data seed = run seed)."""
    from .train import TrainConfig

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


def pair_relevance(videos: Sequence[LongVideo], draws: Sequence) -> np.ndarray:
    """(N, N) share of clip j's seconds showing a concept named by caption window i (synthetic truth).

    `draws` are (video index, ClipDraw) of the N pairs; a window's concepts are those of its alignable captions.
    """
    named, shown = [], []
    for v, draw in draws:
        truth = videos[v].truth
        window = slice(draw.first_caption, draw.last_caption + 1)
        concepts = truth.caption_concept[window][truth.alignable[window]]
        named.append(set(concepts.tolist()))
        shown.append(truth.second_concept[draw.clip_start:draw.clip_end])
    return np.array([[np.isin(seconds, list(c)).mean() if c else 0.0 for seconds in shown] for c in named])


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two flattened arrays (NaN when one is constant)."""
    x, y = np.ravel(x), np.ravel(y)
    return float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else math.nan


def _r2_on(y: np.ndarray, *predictors: np.ndarray) -> float:
    """R^2 of the least-squares fit of y on the predictors (with intercept), all flattened."""
    design = np.column_stack([np.ones(np.size(y)), *(np.ravel(p) for p in predictors)])
    y = np.ravel(y)
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(1 - (residual ** 2).sum() / ((y - y.mean()) ** 2).sum())


def block_relevance(relevance: np.ndarray, video_index: np.ndarray, k: int) -> dict[str, float]:
    """Mean pair relevance of paragraph x video blocks: own, the other sequences of the same video, other videos."""
    m = len(relevance) // k
    blocks = relevance.reshape(m, k, m, k).mean(axis=(1, 3))  # (M, M) paragraph i x video j
    video = np.asarray(video_index)[::k][:m]                   # source video of each sequence
    same = (video[:, None] == video[None, :]) & ~np.eye(m, dtype=bool)
    return {"block_relevance_own": float(np.diag(blocks).mean()),
            "block_relevance_same_video": float(blocks[same].mean()) if same.any() else math.nan,
            "block_relevance_other_video": float(blocks[video[:, None] != video[None, :]].mean())}


def batch_diagnostics(encoded, out, relevance: np.ndarray, config, video_index: np.ndarray) -> dict[str, float]:
    """The numbers of loss_diagnostics for one batch: encoder outputs, NortonOutput, (N, N) pair relevance,
    (N,) source video of each pair."""
    from .losses import sequence_blocks
    from .ot import bucket_sinkhorn
    from .similarity import pooled_cosine, soft_max_similarity

    n = len(relevance)
    aligned, off = relevance.diagonal() >= 0.5, ~np.eye(n, dtype=bool)
    faulty = (relevance >= 0.5) & off
    plan, fused = out.clip_plan.numpy(), out.fused_similarity.numpy()  # rows captions
    dots = (encoded.pooled_text @ encoded.pooled_video.T).numpy()      # the scores of the FNE plan
    cosine = pooled_cosine(encoded.pooled_text, encoded.pooled_video).numpy()
    fine = soft_max_similarity(encoded.text_tokens, encoded.video_tokens, encoded.text_mask, encoded.video_mask,
                               config.alpha, mask_padding=config.mask_padding,
                               minmax_normalize=config.minmax_normalize).numpy()
    log_frames = np.log(encoded.video_mask.sum(1).numpy())[None, :].repeat(n, 0)  # (N, N) per clip
    log_words = np.log(encoded.text_mask.sum(1).numpy())[:, None].repeat(n, 1)   # (N, N) per caption
    own = sequence_blocks(out.fused_similarity, config.clips_per_sequence).diagonal(dim1=0, dim2=1).permute(2, 0, 1)
    p = out.bucket_value if out.bucket_value is not None else torch.quantile(out.fused_similarity.diagonal(), 0.3)
    solved = bucket_sinkhorn(own, p, config.eps_video, marginals=config.bucket_marginals)  # paragraph i x video i
    share = (solved.row_bucket_mass / (solved.row_bucket_mass + solved.plan.sum(-1))).flatten().numpy()
    both = 0 < aligned.sum() < n
    return {
        "misaligned_rate": 1 - aligned.mean(),
        "faulty_negative_rate": faulty.sum() / off.sum(),
        "fne_diagonal_mass": plan.diagonal().mean(),
        "fne_mass_on_faulty": (plan * faulty).sum() / (plan * off).sum(),
        "dot_product_range": (dots.max(1) - dots.min(1)).mean(),
        "cosine_relevance_corr": _pearson(cosine, relevance),
        "fine_relevance_corr": _pearson(fine, relevance),
        "fused_relevance_corr": _pearson(fused, relevance),
        "fine_length_r2": _r2_on(fine, log_frames, log_words),
        "similarity_aligned": fused.diagonal()[aligned].mean() if aligned.any() else math.nan,
        "similarity_misaligned": fused.diagonal()[~aligned].mean() if (~aligned).any() else math.nan,
        "similarity_negatives": fused[off & ~faulty].mean(),
        "bucket_value": float(p),
        "bucket_share_aligned": share[aligned].mean() if aligned.any() else math.nan,
        "bucket_share_misaligned": share[~aligned].mean() if (~aligned).any() else math.nan,
        "bucket_misaligned_auc": M.roc_auc(~aligned, share) if both else math.nan,
        "bucket_caption_length_corr": _pearson(share, log_words[:, 0]),
        **block_relevance(relevance, video_index, config.clips_per_sequence),
    }


@torch.no_grad()
def loss_diagnostics(model, videos: Sequence[LongVideo], *, loss_config=None, sampler=None,
                     batches: int = 4, seed: int = 0) -> dict[str, float]:
    """How Norton's parts see held-out batches of a trained DualEncoder (synthetic truth needed), batch means.

    A pair is aligned / a faulty negative when at least half its clip shows what its caption window
    names (pair_relevance). Rectification (FNE): the plan's diagonal mass, the share of its
    off-diagonal mass on faulty negatives (vs their rate), the row range of the raw dot products
    it is solved on (eps = 1). Similarities: Pearson correlation with the relevance of the pooled
    cosine, the fine-grained soft-maximum and the fused S, and the R^2 of the fine one explained by
    log clip and caption lengths alone. Bucket: each caption's share of mass sent to the bucket
    in its own paragraph x video block, for aligned vs misaligned pairs, as a detector of misaligned
    pairs (ROC-AUC) and against caption length. Video-paragraph negatives: mean relevance of a
    paragraph's own block, of the other sequences of its video, of other videos. The loss is
    `loss_config` (default: Norton, row J) whatever the model was trained with.
    """
    from .config import NortonConfig
    from .data.sampling import SamplerConfig, collate, sample_video
    from .losses import NortonLoss

    videos = _check_videos(videos)
    for video in videos:
        _truth(video)
    loss_config = loss_config or NortonConfig()
    sampler = sampler or SamplerConfig(**ABLATION_SAMPLER)
    loss, rng = NortonLoss(loss_config), np.random.default_rng(seed)
    size = min(sampler.videos_per_batch, len(videos))
    totals: dict[str, list[float]] = {}
    with _EvalMode(model):
        for _ in range(batches):
            indices = rng.choice(len(videos), size=size, replace=False).tolist()
            draws = [sample_video(videos[i], sampler, rng) for i in indices]
            batch = collate([videos[i] for i in indices], draws, indices, sampler)
            relevance = pair_relevance(videos, [(i, d) for i, ds in zip(indices, draws) for d in ds])
            encoded = model(batch.video_features, batch.video_mask, batch.captions)
            values = batch_diagnostics(encoded, loss(*encoded.loss_inputs()), relevance, loss_config,
                                       batch.video_index.numpy())
            for name, value in values.items():
                totals.setdefault(name, []).append(float(value))
    return {name: float(np.nanmean(v)) if not np.isnan(v).all() else math.nan for name, v in totals.items()}


# ----------------------------------------------------------------------------- the mean +- std table


DEFAULT_TABLE = {  # column title -> results.csv column (metrics flattened with '.')
    "align R@1": "metrics.alignment.R@1",
    "align AUC": "metrics.alignment.ROC-AUC",
    "OT+bucket R@1": "metrics.alignment_methods.ot_bucket.R@1",
    "clip R@1": "metrics.clip_retrieval.R@1",
    "clip R@5": "metrics.clip_retrieval.R@5",
    "video DTW R@1 w/o B": "metrics.paragraph_background_removed.dtw.R@1",
    "video DTW R@1 w B": "metrics.paragraph_background_kept.dtw.R@1",
}


def read_results(path: str | Path) -> list[dict[str, str]]:
    """The finished rows of a sweep's results.csv."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results table not found: {path}")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r for r in rows if r.get("status", "done") == "done"]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else 0.0


def _number(value: Any) -> float:
    """A results.csv cell as a float (empty = NaN)."""
    return math.nan if value in ("", None) else float(value)


def summary_table(rows: Sequence[dict[str, Any]], columns: dict[str, str] | None = None, *, row_key: str = "params.row",
                  group_key: str = "params.noise", scale: float = 100.0, digits: int = 1,
                  baseline: str | None = None, seed_key: str = "params.seed") -> str:
    """Markdown: one table per group (noise level), one line per row, 'mean ± std' per column, seeds last.

    Values are multiplied by `scale` (fractions -> percent) and shown with `digits` decimals; rows
    and groups keep first-seen order. With `baseline` (a row name) each cell is instead the paired
    difference to that row's run with the same seed in the same group (same data, weights, batches).
    """
    columns = columns or DEFAULT_TABLE
    if not rows:
        raise ValueError("summary_table: no finished runs")
    keys = [row_key, group_key, *columns.values()] + ([seed_key] if baseline else [])
    missing = sorted({c for c in keys if c not in rows[0]})
    if missing:
        raise ValueError(f"summary_table: column(s) {missing} not in the results (have {sorted(rows[0])})")
    out = []
    for group in dict.fromkeys(r[group_key] for r in rows):
        members = [r for r in rows if r[group_key] == group]
        reference = {r[seed_key]: r for r in members if baseline is not None and str(r[row_key]) == baseline}
        title = f"### {group_key.removeprefix('params.')} = {group}" + (f" (difference to {baseline})" if baseline else "")
        out += [title, "", "| row | " + " | ".join(columns) + " | seeds |", "|---" * (len(columns) + 2) + "|"]
        for name in dict.fromkeys(r[row_key] for r in members):
            runs = [r for r in members if r[row_key] == name and (baseline is None or r[seed_key] in reference)]
            cells = []
            for column in columns.values():
                values = [_number(r[column]) - (_number(reference[r[seed_key]][column]) if baseline else 0.0)
                          for r in runs]
                values = [v * scale for v in values if not math.isnan(v)]
                cells.append("n/a" if not values else "{:+.{d}f} ± {:.{d}f}".format(*mean_std(values), d=digits)
                             if baseline else "{:.{d}f} ± {:.{d}f}".format(*mean_std(values), d=digits))
            label = ROW_LABELS.get(str(name), "")
            out.append(f"| {name}{' ' + label if label else ''} | " + " | ".join(cells) + f" | {len(runs)} |")
        out.append("")
    return "\n".join(out)


def summarize_sweep(results_csv: str | Path, out: str | Path | None = None,
                    columns: dict[str, str] | None = None, baseline: str | None = "A") -> str:
    """Read a sweep's results.csv, return (and write to `out`) the mean ± std markdown tables.

    The first table per noise level has the metrics; with `baseline` a second one has every row's
    paired difference to the baseline row (same seed), which is what separates rows reliably.
    """
    rows = read_results(results_csv)
    table = summary_table(rows, columns)
    if baseline is not None and any(str(r.get("params.row")) == baseline for r in rows):
        table += "\n" + summary_table(rows, columns, baseline=baseline)
    if out is not None:
        Path(out).write_text(table + "\n")
    return table


# ----------------------------------------------------------------------------- command line


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", nargs="?", help="norton checkpoint (.pt), or a released MMPT one with --mmpt")
    parser.add_argument("--data", help="feature store folder (norton extract)")
    parser.add_argument("--captions", help="HowTo100M JSON or subtitle folder (default: the store's captions.json)")
    parser.add_argument("--htm-align", help="HTM-Align annotations JSON: its captions, plus R@1 / ROC-AUC")
    parser.add_argument("--out", default="metrics.json", help="where the metrics JSON goes (default metrics.json)")
    parser.add_argument("--mmpt", action="store_true", help="CHECKPOINT is a released VideoCLIP/Norton (MMPT) file")
    parser.add_argument("--preset", default="videoclip", help="model preset for --mmpt (default videoclip)")
    parser.add_argument("--allow-pickle", action="store_true", help="--mmpt: unpickle fairseq objects (trusted files)")
    parser.add_argument("--released-protocol", action="store_true",
                        help="video-paragraph DTW/OTAM with the released code's padding and OTAM sign quirk")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    parser.add_argument("--summarize", metavar="RESULTS_CSV",
                        help="instead: print the mean ± std table of an ablation sweep's results.csv (--out: .md)")


def load_for_evaluation(args: argparse.Namespace):
    """The model named by the command line arguments."""
    from .checkpoint import import_mmpt_checkpoint, load_model
    from .model import DualEncoder, ModelConfig

    if not args.mmpt:
        return load_model(args.checkpoint)[0]
    model = DualEncoder(ModelConfig.from_preset(args.preset, pretrained=False))
    report = import_mmpt_checkpoint(args.checkpoint, model, allow_pickle=args.allow_pickle)
    print(f"imported {args.checkpoint}: {report.summary()}")
    return model


def run(args: argparse.Namespace) -> int:
    from .data.videos import load_feature_store

    if args.summarize:
        out = None if args.out == "metrics.json" else args.out
        print(summarize_sweep(args.summarize, out))
        return 0
    if not args.checkpoint or not args.data:
        raise SystemExit("norton evaluate: CHECKPOINT and --data are required (or use --summarize)")
    model = load_for_evaluation(args).to(args.device)
    collection = load_feature_store(args.data, captions=args.captions, htm_align=args.htm_align,
                                    feature_dim=model.config.video_feature_dim)
    if not len(collection):
        raise SystemExit(f"norton evaluate: no usable video in {args.data} (skipped: {collection.skipped[:3]})")
    protocol_kw = {"tempclr_sign_quirk": True, "tempclr_padding": True} if args.released_protocol else None
    result = evaluate_model(model, collection.videos, htm_align=args.htm_align is not None, protocol_kw=protocol_kw)
    result["skipped_videos"] = len(collection.skipped)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    clip = result["clip_retrieval"]
    print(f"{result['num_videos']} videos; clip retrieval R@1 {clip['R@1']:.3f} R@5 {clip['R@5']:.3f}; "
          f"video-paragraph DTW R@1 {result['paragraph_background_removed']['dtw']['R@1']:.3f}")
    if "htm_align" in result:
        print(f"HTM-Align R@1 {result['htm_align']['R@1']:.3f} ROC-AUC {result['htm_align']['ROC-AUC']:.3f}")
    print(f"metrics: {args.out}")
    return 0
