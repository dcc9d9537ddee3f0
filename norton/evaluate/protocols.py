"""The zero-shot protocols: clip and video-paragraph retrieval, HTM-Align, alignment against synthetic truth.

All on the model's mean-pooled outputs (docs/evaluation.md):
- clip retrieval: each caption against the clip under its [start, end] (first 32 s at most, and at
  most the model's max_video_len positions); raw dot products; captions sharing a span share a clip.
- video-paragraph retrieval: a video's captions (in time order) against every video's segments
  (background removed: the caption spans) or non-overlapping 16-s windows (background kept), by
  caption average, DTW and OTAM (norton.metrics).
- HTM-Align: per-second cosine between the video token outputs of sliding windows and the pooled
  sentence, averaged over overlapping windows; R@1 and ROC-AUC (norton.metrics).
Synthetic videos add alignment R@1 / alignability ROC-AUC of every method of norton.align.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from tqdm.auto import tqdm

from .. import metrics as M
from ..align import Alignment, align, score_alignments
from ..data.synthetic import unit_rows
from ..data.videos import GroundTruth, LongVideo
from .encoding import Encoder, EvalMode, encode_captions, encode_clips, max_rows

MAX_CLIP_SECONDS = 32       # clip retrieval: features cut to the caption's span, at most this long
PARAGRAPH_WINDOW_SECONDS = 16  # background kept: non-overlapping windows of this length
ALIGN_WINDOW_SECONDS = 32   # HTM-Align sliding windows (stride a quarter of it)
ALIGN_METHODS = ("timestamps", "argmax", "dtw", "drop_dtw", "ot", "ot_bucket")


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
    truth = require_truth(video)
    return annotate(video, truth.start, truth.end, truth.alignable)


def require_truth(video: LongVideo) -> GroundTruth:
    """The video's ground truth; ValueError naming the video if it has none."""
    if video.truth is None:
        raise ValueError(f"video {video.video_id!r} has no ground truth (synthetic data or --htm-align needed)")
    return video.truth


def check_videos(videos: Sequence[LongVideo]) -> list[LongVideo]:
    """The videos as a list; ValueError if there is none or one has no captions."""
    videos = list(videos)
    if not videos:
        raise ValueError("videos: expected at least one video")
    for video in videos:
        if len(video.captions) == 0:
            raise ValueError(f"video {video.video_id!r} has no captions")
    return videos


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
        truth = require_truth(video)
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
    videos = check_videos(videos)
    if htm_align is None:
        htm_align = all(v.truth is not None for v in videos)
    with EvalMode(model):
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
    videos = check_videos(videos)
    for video in videos:
        require_truth(video)
    unknown = sorted(set(methods) - set(ALIGN_METHODS))
    if unknown:
        raise ValueError(f"methods: unknown {unknown}; expected some of {ALIGN_METHODS}")
    with EvalMode(model):
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
