"""Clip-caption sampling as in the paper (VideoCLIP overlapped windows), batched video-major."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from norton.data.videos import LongVideo

if TYPE_CHECKING:
    import torch


@dataclass
class SamplerConfig:
    """How clip-caption pairs are drawn from each video and grouped into batches."""

    clips_per_video: int = 16  # C draws per video (with replacement)
    clips_per_sequence: int = 8  # K consecutive clips form one sequence ("long video"/paragraph)
    videos_per_batch: int = 4  # the paper uses 64 (N = 1024 pairs)
    min_words: int = 8  # a caption window grows until it reaches randint(min_words, max_words) words
    max_words: int = 32
    min_clip_seconds: int = 3  # a clip lasts randint(min_clip_seconds, max_clip_seconds) seconds
    max_clip_seconds: int = 16
    shuffle: bool = True  # shuffle the video order every epoch
    drop_last: bool = False  # drop a last batch with fewer than videos_per_batch videos

    def __post_init__(self) -> None:
        if self.clips_per_video < 1 or self.clips_per_sequence < 1 or self.videos_per_batch < 1:
            raise ValueError("SamplerConfig: clips_per_video, clips_per_sequence and videos_per_batch must be >= 1")
        if self.clips_per_video % self.clips_per_sequence != 0:
            raise ValueError(f"SamplerConfig: clips_per_video ({self.clips_per_video}) must be a multiple of "
                             f"clips_per_sequence ({self.clips_per_sequence})")
        if not 1 <= self.min_words <= self.max_words:
            raise ValueError(f"SamplerConfig: need 1 <= min_words <= max_words, got {self.min_words}, {self.max_words}")
        if not 1 <= self.min_clip_seconds <= self.max_clip_seconds:
            raise ValueError("SamplerConfig: need 1 <= min_clip_seconds <= max_clip_seconds, "
                             f"got {self.min_clip_seconds}, {self.max_clip_seconds}")


@dataclass
class ClipDraw:
    """One sampled pair: a window of consecutive captions and a clip of frames around it."""

    first_caption: int  # window = captions[first_caption : last_caption + 1]
    last_caption: int
    caption_start: float  # seconds, span of the window
    caption_end: float
    clip_start: int  # feature rows [clip_start, clip_end)
    clip_end: int

    def sort_key(self) -> tuple[float, int, float, int]:
        """The paper's order: (text_start, video_start, text_end, video_end)."""
        return self.caption_start, self.clip_start, self.caption_end, self.clip_end


@dataclass
class ClipBatch:
    """N = videos * clips_per_video clip-caption pairs, video-major then in time order."""

    video_features: torch.Tensor  # (N, Tmax, D) float32, zero padded
    video_mask: torch.Tensor  # (N, Tmax) bool, True = real second
    captions: list[str]  # N caption windows
    video_index: torch.Tensor  # (N,) long, index of the pair's video in the sampled sequence of videos
    sequence_index: torch.Tensor  # (N,) long, pair i belongs to sequence i // clips_per_sequence
    clip_start: torch.Tensor  # (N,) float seconds
    clip_end: torch.Tensor  # (N,) float seconds
    caption_start: torch.Tensor  # (N,) float seconds
    caption_end: torch.Tensor  # (N,) float seconds
    video_ids: list[str]  # the batch's videos in order
    aligned: torch.Tensor | None = None  # (N,) float in [0, 1], NaN where a video has no ground truth

    def __len__(self) -> int:
        return len(self.captions)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> ClipBatch:
        """A copy with every tensor moved to `device`."""
        moved = {name: value.to(device, non_blocking=non_blocking) if hasattr(value, "to") else value
                 for name, value in vars(self).items()}
        return ClipBatch(**moved)

    def pin_memory(self) -> ClipBatch:
        """A copy in page-locked memory (DataLoader(pin_memory=True) calls this), for non-blocking copies to CUDA."""
        return ClipBatch(**{name: value.pin_memory() if hasattr(value, "pin_memory") else value
                            for name, value in vars(self).items()})


def grow_caption_window(video: LongVideo, centre: int, target_words: int, rng: np.random.Generator,
                        words: list[int] | None = None) -> tuple[int, int]:
    """Extend [centre, centre] randomly left or right over captions until it has target_words words.

    `words`: the captions' word counts, when the caller has them (sample_video counts them once per video)."""
    words = [len(text.split()) for text in video.captions.text] if words is None else words
    first = last = centre
    count = words[centre]
    while count < target_words and (first > 0 or last < len(words) - 1):
        go_left = first > 0 and (last == len(words) - 1 or rng.random() < 0.5)
        if go_left:
            first -= 1
            count += words[first]
        else:
            last += 1
            count += words[last]
    return first, last


def draw_clip(video: LongVideo, config: SamplerConfig, rng: np.random.Generator,
              words: list[int] | None = None) -> ClipDraw:
    """One draw: random centre caption, grown window, random second inside it, clip around it."""
    captions, num_rows = video.captions, video.features.shape[0]
    centre = int(rng.integers(len(captions)))
    first, last = grow_caption_window(video, centre, int(rng.integers(config.min_words, config.max_words + 1)), rng,
                                      words)
    caption_start = min(captions.start[first:last + 1])
    caption_end = max(captions.end[first:last + 1])
    low = min(int(math.floor(caption_start * video.fps)), num_rows - 1)
    high = min(max(low + 1, int(math.ceil(caption_end * video.fps))), num_rows)
    centre_row = int(rng.integers(low, high))
    length = int(round(rng.integers(config.min_clip_seconds, config.max_clip_seconds + 1) * video.fps))
    length = max(1, min(length, num_rows))
    clip_start = min(max(centre_row - length // 2, 0), num_rows - length)  # shifted inside the video
    return ClipDraw(first, last, float(caption_start), float(caption_end), clip_start, clip_start + length)


def sample_video(video: LongVideo, config: SamplerConfig, rng: np.random.Generator) -> list[ClipDraw]:
    """clips_per_video draws from one video, sorted in time."""
    if len(video.captions) == 0:
        raise ValueError(f"video {video.video_id!r} has no captions to sample")
    words = [len(text.split()) for text in video.captions.text]
    return sorted((draw_clip(video, config, rng, words) for _ in range(config.clips_per_video)), key=ClipDraw.sort_key)


def aligned_fraction(video: LongVideo, draw: ClipDraw) -> float:
    """Share of the clip's seconds that show what the caption window describes (NaN without truth).

    With per-second concepts (synthetic): seconds whose concept is one of the window's alignable
    captions' concepts. Otherwise (HTM-Align): seconds inside the true span of an alignable caption.
    """
    truth = video.truth
    if truth is None:
        return math.nan
    window = slice(draw.first_caption, draw.last_caption + 1)
    alignable = truth.alignable[window]
    if truth.second_concept is not None and truth.caption_concept is not None:
        concepts = truth.caption_concept[window][alignable]
        shown = truth.second_concept[draw.clip_start:draw.clip_end]
        return float(np.isin(shown, concepts).mean())
    seconds = (np.arange(draw.clip_start, draw.clip_end) + 0.5) / video.fps  # (L,) centres of the rows
    starts, ends = truth.start[window][alignable], truth.end[window][alignable]
    covered = (seconds[:, None] >= starts[None]) & (seconds[:, None] <= ends[None])
    return float(covered.any(axis=1).mean())


def collate(videos: Sequence[LongVideo], draws: list[list[ClipDraw]], video_indices: Sequence[int],
            config: SamplerConfig) -> ClipBatch:
    """Pad the drawn clips of several videos into one ClipBatch."""
    import torch

    pairs = [(v, video, draw) for v, (video, video_draws) in enumerate(zip(videos, draws)) for draw in video_draws]
    max_rows = max(draw.clip_end - draw.clip_start for _, _, draw in pairs)
    dim = videos[0].features.shape[1]
    features = np.zeros((len(pairs), max_rows, dim), dtype=np.float32)  # (N, Tmax, D)
    mask = np.zeros((len(pairs), max_rows), dtype=bool)  # (N, Tmax)
    for i, (_, video, draw) in enumerate(pairs):
        length = draw.clip_end - draw.clip_start
        features[i, :length] = video.features[draw.clip_start:draw.clip_end]
        mask[i, :length] = True
    has_truth = any(video.truth is not None for video in videos)

    def seconds(values: list[float]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float32)

    return ClipBatch(
        video_features=torch.from_numpy(features),
        video_mask=torch.from_numpy(mask),
        captions=[" ".join(video.captions.text[d.first_caption:d.last_caption + 1]) for _, video, d in pairs],
        video_index=torch.tensor([video_indices[v] for v, _, _ in pairs], dtype=torch.long),
        sequence_index=torch.arange(len(pairs)) // config.clips_per_sequence,
        clip_start=seconds([d.clip_start / video.fps for _, video, d in pairs]),
        clip_end=seconds([d.clip_end / video.fps for _, video, d in pairs]),
        caption_start=seconds([d.caption_start for _, _, d in pairs]),
        caption_end=seconds([d.caption_end for _, _, d in pairs]),
        video_ids=[video.video_id for video in videos],
        aligned=seconds([aligned_fraction(video, d) for _, video, d in pairs]) if has_truth else None,
    )


def sample_batch(videos: Sequence[LongVideo], indices: Sequence[int], config: SamplerConfig,
                 rng: np.random.Generator) -> ClipBatch:
    """A ClipBatch of the videos at `indices` (usable as a map-style dataset item)."""
    chosen = [videos[i] for i in indices]
    return collate(chosen, [sample_video(video, config, rng) for video in chosen], list(indices), config)


def iterate_batches(videos: Sequence[LongVideo], config: SamplerConfig | None = None, seed: int = 0,
                    epochs: int = 1) -> Iterator[ClipBatch]:
    """Seeded ClipBatches over `epochs` passes through `videos`."""
    config = config or SamplerConfig()
    if len(videos) == 0:
        raise ValueError("iterate_batches: no videos to sample from")
    rng = np.random.default_rng(seed)
    size = config.videos_per_batch
    for _ in range(epochs):
        order = rng.permutation(len(videos)) if config.shuffle else np.arange(len(videos))
        for begin in range(0, len(order), size):
            indices = order[begin:begin + size].tolist()
            if config.drop_last and len(indices) < size:
                break
            yield sample_batch(videos, indices, config, rng)
