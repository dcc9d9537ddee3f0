"""The long-video record used downstream, and loading a feature store into validated records."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm.auto import tqdm

from norton.data.captions import (
    AlignmentAnnotation,
    Captions,
    captions_from_entry,
    load_json,
    merge_fragments,
    read_htm_align,
    read_subtitles,
    write_htm_align,
)
from norton.data.store import FeatureStore, FeatureStoreWriter

logger = logging.getLogger(__name__)


@dataclass
class GroundTruth:
    """What really happens in a video: per-caption alignability and true spans (+ synthetic labels)."""

    alignable: np.ndarray  # (n_captions,) bool
    start: np.ndarray  # (n_captions,) seconds, true span of the caption (meaningful where alignable)
    end: np.ndarray  # (n_captions,) seconds
    caption_concept: np.ndarray | None = None  # (n_captions,) int, -1 = describes nothing shown (synthetic)
    second_concept: np.ndarray | None = None  # (T,) int, concept shown at each second, -1 = background


@dataclass
class LongVideo:
    """One video: per-second features, its timed captions and, when known, the ground truth."""

    video_id: str
    features: np.ndarray  # (T, D) float32, one row per 1/fps seconds
    captions: Captions
    truth: GroundTruth | None = None
    fps: float = 1.0

    @property
    def num_seconds(self) -> float:
        """Duration covered by the features, in seconds."""
        return self.features.shape[0] / self.fps


@dataclass
class VideoCollection:
    """Loaded videos plus the (video_id, reason) of every video that was skipped."""

    videos: list[LongVideo]
    feature_dim: int
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[LongVideo]:
        return iter(self.videos)

    def __getitem__(self, index: int) -> LongVideo:
        return self.videos[index]


def truth_from_annotation(annotation: AlignmentAnnotation) -> GroundTruth:
    """GroundTruth of an HTM-Align annotation (its annotated times are the true spans)."""
    return GroundTruth(
        alignable=np.array(annotation.alignable, dtype=bool),
        start=np.array(annotation.captions.start, dtype=np.float64),
        end=np.array(annotation.captions.end, dtype=np.float64),
    )


def read_caption_source(source: str | os.PathLike) -> dict[str, Captions | str]:
    """Captions per video from a HowTo100M JSON file or a folder of <video_id>.srt/.vtt files.

    A video whose entry cannot be parsed maps to the reason (a str) instead of Captions.
    """
    source = Path(source)
    result: dict[str, Captions | str] = {}
    if source.is_dir():
        for path in sorted(source.iterdir()):
            if path.suffix.lower() in (".srt", ".vtt"):
                try:
                    result[path.stem] = read_subtitles(path)
                except ValueError as error:
                    result[path.stem] = str(error)
        return result
    data = load_json(source)
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object {{video_id: {{start, end, text}}}}")
    for video_id, entry in data.items():
        try:
            result[video_id] = captions_from_entry(entry, f"{source}: video {video_id!r}")
        except ValueError as error:
            result[video_id] = str(error)
    return result


def load_video(store: FeatureStore, video_id: str, captions: Captions | str | None,
               truth: GroundTruth | None, merge: bool = False) -> LongVideo:
    """One validated LongVideo; raises ValueError/FileNotFoundError with the reason it is unusable."""
    if isinstance(captions, str):
        raise ValueError(captions)
    if captions is None or len(captions) == 0:
        raise ValueError("no captions")
    features = np.array(store.features(video_id), dtype=np.float32)  # (T, D) in memory, checked against the manifest
    if not np.all(np.isfinite(features)):
        raise ValueError("features contain NaN or infinite values")
    captions.validate(duration=features.shape[0] / store.fps, name=f"captions of {video_id!r}")
    if truth is None:
        captions = merge_fragments(captions) if merge else captions.sorted()
        return LongVideo(video_id, features, captions, None, store.fps)
    order = sorted(range(len(captions)), key=lambda i: (captions.start[i], captions.end[i]))
    truth = GroundTruth(truth.alignable[order], truth.start[order], truth.end[order])
    return LongVideo(video_id, features, captions.select(order), truth, store.fps)


def load_feature_store(
    root: str | os.PathLike,
    *,
    captions: str | os.PathLike | None = None,
    htm_align: str | os.PathLike | None = None,
    feature_dim: int | None = None,
    merge: bool = False,
    video_ids: list[str] | None = None,
) -> VideoCollection:
    """Load a feature store as validated LongVideos; unusable videos are skipped with a reason.

    Reasons: extraction failed, feature file missing/corrupt/of the wrong dimension, NaN features,
    no captions, captions with bad times (out of order, negative, beyond the video) or empty text.

    Captions come from `htm_align` annotations (which also give the ground truth and restrict the
    videos to the annotated ones), else from `captions` (HowTo100M JSON or a folder of subtitle
    files), else from the store's captions.json. `merge` joins ASR fragments into sentences.
    """
    if merge and htm_align is not None:
        raise ValueError("merge=True would break the HTM-Align caption/ground-truth correspondence")
    store = FeatureStore(root)
    if feature_dim is not None and feature_dim != store.feature_dim:
        raise ValueError(f"{root}: the store holds {store.feature_dim}-dimensional features, expected {feature_dim}")
    truths: dict[str, GroundTruth] = {}
    if htm_align is not None:
        annotations = read_htm_align(htm_align, validate=False)
        sources: dict[str, Captions | str] = {vid: a.captions for vid, a in annotations.items()}
        truths = {vid: truth_from_annotation(a) for vid, a in annotations.items()}
        wanted = [vid for vid in annotations if video_ids is None or vid in video_ids]
    else:
        sources = dict(store.all_captions()) if captions is None else read_caption_source(captions)
        wanted = store.video_ids + [vid for vid in store.failed if vid not in store]
        wanted = wanted if video_ids is None else list(video_ids)
    videos, skipped = [], []
    for video_id in tqdm(wanted, desc="loading videos", leave=False):
        try:
            if video_id in store.failed and video_id not in store:
                raise ValueError(f"feature extraction failed: {store.failed[video_id]}")
            if video_id not in store:
                raise ValueError("not in the feature store")
            videos.append(load_video(store, video_id, sources.get(video_id), truths.get(video_id), merge))
        except (ValueError, FileNotFoundError) as error:
            skipped.append((video_id, str(error)))
    if skipped:
        shown = "; ".join(f"{vid}: {reason}" for vid, reason in skipped[:5])
        logger.warning("%s: skipped %d of %d videos (%s%s)", root, len(skipped), len(wanted), shown,
                       "; ..." if len(skipped) > 5 else "")
    return VideoCollection(videos, store.feature_dim, skipped)


def annotation_of(video: LongVideo) -> AlignmentAnnotation:
    """HTM-Align style annotation of a video with ground truth: true spans where alignable, else ASR times."""
    truth, captions = video.truth, video.captions
    start = [float(truth.start[i]) if truth.alignable[i] else captions.start[i] for i in range(len(captions))]
    end = [float(truth.end[i]) if truth.alignable[i] else captions.end[i] for i in range(len(captions))]
    return AlignmentAnnotation(Captions(start, end, list(captions.text)), truth.alignable.tolist())


def save_feature_store(videos: list[LongVideo], root: str | os.PathLike, *, encoder: str,
                       htm_align: str | os.PathLike | None = None) -> None:
    """Write videos (e.g. synthetic ones) as a feature store, and their ground truth as HTM-Align JSON."""
    if not videos:
        raise ValueError("save_feature_store: no videos to save")
    with FeatureStoreWriter(root, encoder=encoder, feature_dim=videos[0].features.shape[1],
                            fps=videos[0].fps, flush_every=max(1, len(videos))) as writer:
        for video in tqdm(videos, desc="saving videos", leave=False):
            writer.write(video.video_id, video.features, captions=video.captions)
    if htm_align is not None:
        annotations = {video.video_id: annotation_of(video) for video in videos if video.truth is not None}
        write_htm_align(htm_align, annotations)
