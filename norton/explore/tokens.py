"""One video as the explorer sees it: consecutive clips of `clip_seconds` and its captions, as tokens.

Everything in norton.explore is view-independent (numpy/torch only); `widgets/` draws it. Rows of
every matrix are captions, columns clips.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from ..data.captions import read_subtitles
from ..data.store import FeatureStore, load_features
from ..data.videos import GroundTruth, LongVideo
from ..oracle import TextEncoder

ClipEncoder = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]  # (m, F, Dv), (m, F) -> (m, F', D), (m, F')


@dataclass
class VideoTokens:
    """One video as the explorer sees it: captions and clips as token features, times and ground truth."""

    video_id: str
    captions: list[str]          # n caption texts
    text_tokens: Tensor          # (n, W, D)
    text_mask: Tensor            # (n, W) bool
    clip_tokens: Tensor          # (m, F, D)
    clip_mask: Tensor            # (m, F) bool
    caption_times: np.ndarray    # (n, 2) ASR [start, end] seconds
    clip_times: np.ndarray       # (m, 2) [start, end] seconds
    truth: GroundTruth | None = None  # restricted to the n captions
    clip_truth: np.ndarray | None = None  # (m,) share of each clip's seconds some alignable caption describes

    @property
    def shape(self) -> tuple[int, int]:
        """(captions, clips)."""
        return len(self.captions), len(self.clip_times)


def clip_windows(num_rows: int, clip_seconds: float, fps: float = 1.0, max_clips: int | None = None) -> np.ndarray:
    """(m, 2) feature-row ranges [start, end) of consecutive clips of `clip_seconds` (the last may be shorter)."""
    if not clip_seconds > 0:
        raise ValueError(f"clip_seconds must be > 0, got {clip_seconds}")
    if num_rows < 1:
        raise ValueError("the video has no feature rows to cut into clips")
    length = max(1, int(round(clip_seconds * fps)))
    starts = np.arange(0, num_rows, length)
    if max_clips is not None:
        if max_clips < 1:
            raise ValueError(f"max_clips must be >= 1, got {max_clips}")
        starts = starts[:max_clips]
    return np.stack([starts, np.minimum(starts + length, num_rows)], axis=1)


def clip_truth_shares(truth: GroundTruth | None, windows: np.ndarray, fps: float) -> np.ndarray | None:
    """(m,) share of each clip's rows that show what some alignable caption describes; None without truth.

    Per-second concepts (synthetic) when known, else the alignable captions' true spans.
    """
    if truth is None or not truth.alignable.any():
        return None if truth is None else np.zeros(len(windows))
    shares = []
    for start, end in windows:
        if truth.second_concept is not None and truth.caption_concept is not None:
            described = truth.caption_concept[truth.alignable]
            shown = truth.second_concept[start:end]
            shares.append(float(np.isin(shown, described).mean()))
        else:
            centres = (np.arange(start, end) + 0.5) / fps
            inside = (centres[:, None] >= truth.start[truth.alignable]) & (centres[:, None] <= truth.end[truth.alignable])
            shares.append(float(inside.any(axis=1).mean()))
    return np.array(shares)


def _subset_truth(truth: GroundTruth | None, keep: np.ndarray) -> GroundTruth | None:
    if truth is None:
        return None
    return replace(truth, alignable=truth.alignable[keep], start=truth.start[keep], end=truth.end[keep],
                   caption_concept=None if truth.caption_concept is None else truth.caption_concept[keep])


def video_tokens(video: LongVideo, encode_text: TextEncoder, *, clip_seconds: float = 4.0,
                 encode_clips: ClipEncoder | None = None, max_clips: int | None = None,
                 max_captions: int | None = None) -> VideoTokens:
    """Cut `video` into clips and encode clips and captions; only captions whose ASR midpoint lies in the clips stay.

    Without `encode_clips` a clip's tokens are its per-second features (the oracle view).
    """
    windows = clip_windows(video.features.shape[0], clip_seconds, video.fps, max_clips)
    clip_times = windows / video.fps
    starts = np.asarray(video.captions.start, dtype=float)
    ends = np.asarray(video.captions.end, dtype=float)
    middles = (starts + ends) / 2
    keep = np.flatnonzero((middles >= clip_times[0, 0]) & (middles <= clip_times[-1, 1]))
    if max_captions is not None:
        keep = keep[:max_captions]
    if len(keep) == 0:
        raise ValueError(f"video {video.video_id!r}: no caption falls inside the first {len(windows)} clips")
    captions = [video.captions.text[i] for i in keep]
    for i, text in zip(keep, captions):
        if not text.strip():
            raise ValueError(f"video {video.video_id!r}: caption {i} is empty")
    frames = torch.zeros(len(windows), int((windows[:, 1] - windows[:, 0]).max()), video.features.shape[1])
    frame_mask = torch.zeros(frames.shape[:2], dtype=torch.bool)
    for j, (start, end) in enumerate(windows):
        frames[j, :end - start] = torch.from_numpy(np.asarray(video.features[start:end], dtype=np.float32))
        frame_mask[j, :end - start] = True
    with torch.no_grad():
        clip_tokens, clip_mask = (frames, frame_mask) if encode_clips is None else encode_clips(frames, frame_mask)
        text_tokens, text_mask = encode_text(captions)
    if text_tokens.shape[-1] != clip_tokens.shape[-1]:
        raise ValueError(f"text tokens have dimension {text_tokens.shape[-1]} but clip tokens "
                         f"{clip_tokens.shape[-1]}: the encoders do not share a space")
    return VideoTokens(
        video_id=video.video_id, captions=captions, text_tokens=text_tokens.float(),
        text_mask=text_mask.bool(), clip_tokens=clip_tokens.float(), clip_mask=clip_mask.bool(),
        caption_times=np.stack([starts[keep], ends[keep]], axis=1), clip_times=clip_times,
        truth=_subset_truth(video.truth, keep), clip_truth=clip_truth_shares(video.truth, windows, video.fps))


def model_encoders(model) -> tuple[TextEncoder, ClipEncoder]:
    """The text and clip encoders of a norton.model.DualEncoder (eval mode, no gradient)."""
    model.eval()

    def encode_text(captions: list[str]) -> tuple[Tensor, Tensor]:
        out = model.encode_text(list(captions))
        return out.tokens, out.mask

    def encode_clips(frames: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        out = model.encode_video(frames, mask)
        return out.tokens, out.mask

    return encode_text, encode_clips


def load_real_video(feature_path: str | os.PathLike, subtitle_path: str | os.PathLike = "",
                    video_id: str = "") -> LongVideo:
    """One real video: features from a (T, D) .npy file (1 row per second) or a feature store folder
    (`video_id`, default its first video), captions from an .srt/.vtt file or else the store's captions."""
    path = Path(feature_path)
    captions = None
    if path.is_dir():
        store = FeatureStore(path)
        if not store.video_ids:
            raise ValueError(f"feature store {path} holds no video")
        video_id = video_id or store.video_ids[0]
        if video_id not in store:
            raise ValueError(f"feature store {path} has no video {video_id!r}; it has {store.video_ids[:5]}...")
        features, fps, captions = np.asarray(store.features(video_id), np.float32), store.fps, store.captions(video_id)
    else:
        features, fps = np.asarray(load_features(path), np.float32), 1.0
        video_id = video_id or path.stem
    if subtitle_path:
        captions = read_subtitles(subtitle_path)
    if captions is None or len(captions) == 0:
        raise ValueError(f"no captions for video {video_id!r}: give a subtitle_path (.srt or .vtt)")
    if not np.isfinite(features).all():
        raise ValueError(f"{path}: features contain NaN or inf")
    captions.validate(duration=features.shape[0] / fps, name=str(subtitle_path or path))
    return LongVideo(video_id, features, captions.sorted(), None, fps)


def clip_thumbnails(video_path: str | os.PathLike, clip_times: np.ndarray, height: int = 48,
                    backend: str = "auto") -> np.ndarray:
    """(m, height, W, 3) uint8: the frame at the middle of each clip (norton.decode.thumbnails)."""
    from ..decode import thumbnails

    middles = np.asarray(clip_times, dtype=float).mean(axis=1)
    return thumbnails(video_path, times=middles, height=height, backend=backend).frames


def stack_videos(items: Sequence[VideoTokens]) -> dict[str, VideoTokens]:
    """Videos by id, refusing duplicates and an empty list."""
    if not items:
        raise ValueError("no videos to explore")
    result = {}
    for item in items:
        if item.video_id in result:
            raise ValueError(f"video id {item.video_id!r} appears twice")
        result[item.video_id] = item
    return result
