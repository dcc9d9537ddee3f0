"""Decoding video files into frames: decord (PyAV fallback), bounded chunks, windows, thumbnails.

(The records of long videos, features and captions, are norton.data.videos.)
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NamedTuple, Sequence

import numpy as np

BACKENDS = ("auto", "decord", "av")
Resize = int | tuple[int, int] | None  # int: shorter side in pixels; (height, width): exact size


class VideoError(ValueError):
    """A video file that cannot be read (missing, empty, truncated, corrupt, no video stream)."""


class VideoNotFoundError(VideoError, FileNotFoundError):
    """A video path that does not exist or is not a file."""


@dataclass(frozen=True)
class VideoInfo:
    """What a container says about its first video stream."""

    path: str
    duration: float  # seconds, num_frames / fps
    fps: float  # average frame rate
    num_frames: int
    width: int
    height: int
    backend: str


class FrameBatch(NamedTuple):
    """A chunk of sampled frames: unpack as `timestamps, frames = batch`."""

    timestamps: np.ndarray  # (n,) float64 seconds, the requested sample times
    frames: np.ndarray  # (n, H, W, 3) uint8 RGB


def decord_available() -> bool:
    """True when decord imports."""
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str) -> str:
    """'auto' -> 'decord' if it imports else 'av'; validates the name."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "decord" if decord_available() else "av"
    if backend == "decord" and not decord_available():
        raise ImportError("backend='decord' was asked for but decord is not installed (pip install decord)")
    return backend


def check_video_file(path: str | os.PathLike) -> Path:
    """The path as a Path; VideoNotFoundError if missing, VideoError if empty."""
    path = Path(path)
    if not path.is_file():
        raise VideoNotFoundError(f"video file not found: {path}")
    if path.stat().st_size == 0:
        raise VideoError(f"video file is empty (0 bytes): {path}")
    return path


def output_size(height: int, width: int, resize: Resize) -> tuple[int, int]:
    """(height, width) after resizing: an int scales the shorter side to it, keeping the aspect ratio."""
    if resize is None:
        return height, width
    if isinstance(resize, (tuple, list)):
        if len(resize) != 2 or min(resize) < 1:
            raise ValueError(f"resize must be a positive int or (height, width), got {resize!r}")
        return int(resize[0]), int(resize[1])
    if int(resize) < 1:
        raise ValueError(f"resize must be a positive int or (height, width), got {resize!r}")
    scale = int(resize) / min(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def sample_times(duration: float, fps: float = 1.0, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """Times k / fps inside [start, end) ∩ [0, duration): a grid shared by all windows of a video."""
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    end = duration if end is None else min(end, duration)
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"window must satisfy 0 <= start <= end, got start={start}, end={end}")
    first = math.ceil(start * fps - 1e-9)
    last = math.ceil(end * fps - 1e-9)  # exclusive
    return np.arange(first, max(first, last), dtype=np.float64) / fps


def frame_indices(times: np.ndarray, native_fps: float, num_frames: int) -> np.ndarray:
    """The frame shown at each time: floor(t * native_fps), clipped to the last frame."""
    indices = np.floor(np.asarray(times, dtype=np.float64) * native_fps + 1e-6).astype(np.int64)
    return np.clip(indices, 0, max(num_frames - 1, 0))


def probe(path: str | os.PathLike, backend: str = "auto") -> VideoInfo:
    """Duration, fps, frame count and size of a video; VideoError naming the file if unreadable."""
    backend = resolve_backend(backend)
    path = check_video_file(path)
    return _probe_decord(path) if backend == "decord" else _probe_av(path)


def iter_frames_at(
    path: str | os.PathLike,
    times: Sequence[float] | np.ndarray,
    *,
    batch_size: int = 32,
    resize: Resize = None,
    backend: str = "auto",
) -> Iterator[FrameBatch]:
    """Frames shown at the given (ascending) times, in chunks of at most `batch_size` frames."""
    times = _checked_times(times, batch_size)
    with FrameReader(path, resize=resize, backend=backend) as reader:
        yield from reader.frames_at(times, batch_size=batch_size)


class FrameReader:
    """One open video read call after call: `frames_at(times)` yields the frames shown at those times.

    Each call decodes on its own (decord from the keyframe before its first frame, PyAV from a fresh
    container), so what a call returns does not depend on the calls made before it: reading a video in
    chunks gives the same frames whether the chunks come in one run or over several (a resumed extraction).
    decord's header and keyframe index are read once for all calls."""

    def __init__(self, path: str | os.PathLike, *, resize: Resize = None, backend: str = "auto"):
        self.backend = resolve_backend(backend)
        self.path = check_video_file(path)
        self.resize = resize
        self.reader = _open_decord(self.path, resize) if self.backend == "decord" else None

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.reader = None  # decord stops its decoding thread when the reader is freed

    def frames_at(self, times: Sequence[float] | np.ndarray, *, batch_size: int = 32) -> Iterator[FrameBatch]:
        """Frames shown at the given (ascending) times, in chunks of at most `batch_size` frames."""
        times = _checked_times(times, batch_size)
        if self.backend == "decord":
            if self.reader is None:
                raise ValueError(f"FrameReader of {self.path} is closed")
            yield from _iter_decord(self.path, self.reader, times, batch_size)
        else:
            yield from _iter_av(self.path, times, batch_size, self.resize)


def _checked_times(times: Sequence[float] | np.ndarray, batch_size: int) -> np.ndarray:
    """`times` as a float64 array; ValueError unless 1-d, ascending and non-negative, or batch_size < 1."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or (times.size > 1 and np.any(np.diff(times) < 0)) or np.any(times < 0):
        raise ValueError("times must be a 1-d ascending array of non-negative seconds")
    return times


def iter_frames(
    path: str | os.PathLike,
    *,
    fps: float = 1.0,
    start: float = 0.0,
    end: float | None = None,
    batch_size: int = 32,
    resize: Resize = None,
    backend: str = "auto",
) -> Iterator[FrameBatch]:
    """Frames sampled at `fps` (times k / fps) inside the window [start, end), in bounded chunks."""
    info = probe(path, backend)
    times = sample_times(info.duration, fps, start, end)
    yield from iter_frames_at(path, times, batch_size=batch_size, resize=resize, backend=info.backend)


def read_frames(path: str | os.PathLike, **kwargs) -> FrameBatch:
    """All frames of `iter_frames(path, **kwargs)` in one batch (for short windows only)."""
    batches = list(iter_frames(path, **kwargs))
    if not batches:
        return FrameBatch(np.zeros(0), np.zeros((0, 0, 0, 3), np.uint8))
    return FrameBatch(np.concatenate([b.timestamps for b in batches]), np.concatenate([b.frames for b in batches]))


def thumbnails(
    path: str | os.PathLike, num: int = 8, *, times: Sequence[float] | np.ndarray | None = None,
    height: int = 64, backend: str = "auto"
) -> FrameBatch:
    """Small frames `height` pixels high: at the centres of `num` equal segments of the video, or at
    the given ascending `times` (seconds; those past the end show the last frame)."""
    if times is None and num < 1:
        raise ValueError(f"num must be >= 1, got {num}")
    info = probe(path, backend)
    if times is None:
        times, batch_size = (np.arange(num) + 0.5) * info.duration / num, num
    else:
        times, batch_size = np.minimum(np.asarray(times, dtype=float), max(info.duration - 1e-3, 0.0)), 32
    width = max(1, round(info.width * height / info.height))
    batches = list(iter_frames_at(path, times, batch_size=batch_size, resize=(height, width), backend=info.backend))
    return FrameBatch(np.concatenate([b.timestamps for b in batches]), np.concatenate([b.frames for b in batches]))


# --- decord ---------------------------------------------------------------------------------------


def _open_decord(path: Path, resize: Resize = None):
    """A decord reader (frames resized on decode), after PyAV has read the header and checked it."""
    import decord

    with _open_av(path) as container:  # FFmpeg's own error for a corrupt file, the size and promised frames
        context = container.streams.video[0].codec_context
        height, width = output_size(context.height, context.width, resize)
        header_fps, promised = _av_stream_facts(path, container)
    size = {} if resize is None else {"height": height, "width": width}
    try:
        reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1, **size)
    except (RuntimeError, decord.DECORDError) as error:
        raise VideoError(f"cannot read video {path}: {_first_line(error)}") from error
    check_complete(path, len(reader), promised, header_fps)
    return reader


def check_complete(path: Path, frames_found: int, frames_promised: int, fps: float) -> None:
    """VideoError when far fewer frames exist than the header promises (a truncated download)."""
    if frames_promised - frames_found > max(2 * fps, 0.05 * frames_promised):
        raise VideoError(f"video {path} has {frames_found} frames but its header promises {frames_promised} "
                         "(truncated?)")


def _probe_decord(path: Path) -> VideoInfo:
    reader = _open_decord(path)
    num_frames, fps = len(reader), float(reader.get_avg_fps())
    if num_frames == 0 or not fps > 0:
        raise VideoError(f"video {path} has no decodable frames (frames={num_frames}, fps={fps})")
    height, width = reader[0].shape[:2]
    return VideoInfo(str(path), num_frames / fps, fps, num_frames, int(width), int(height), "decord")


def _iter_decord(path: Path, reader, times: np.ndarray, batch_size: int) -> Iterator[FrameBatch]:
    import decord

    indices = frame_indices(times, float(reader.get_avg_fps()), len(reader))
    for lo in range(0, len(indices), batch_size):
        try:
            frames = reader.get_batch(indices[lo : lo + batch_size].tolist()).asnumpy()
            # After get_batch decord's decoding thread goes on decoding the rest of the video into memory
            # while the caller encodes the batch (the whole video, for a slow encoder: dmlc/decord#208).
            # Rewinding stops it and empties its queue; the next batch seeks from its keyframe.
            reader.seek(0)
        except (RuntimeError, decord.DECORDError) as error:
            raise VideoError(f"cannot decode frames of {path} near t={times[lo]:.2f}s: {_first_line(error)}") from error
        yield FrameBatch(times[lo : lo + batch_size], np.ascontiguousarray(frames, dtype=np.uint8))


# --- PyAV -----------------------------------------------------------------------------------------


def _open_av(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as error:
        raise VideoError(f"cannot read video {path}: {_first_line(error)}") from error
    if not container.streams.video:
        container.close()
        raise VideoError(f"video {path} has no video stream")
    return container


def _av_stream_facts(path: Path, container) -> tuple[float, int]:
    """(fps, num_frames) of the first video stream; num_frames estimated from the duration if absent."""
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 0.0
    if not fps > 0:
        raise VideoError(f"video {path} has no frame rate")
    num_frames = int(stream.frames or 0)
    if num_frames == 0:
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / 1_000_000
        else:
            seconds = 0.0
        num_frames = round(seconds * fps)
    if num_frames <= 0:
        raise VideoError(f"video {path} has no frames")
    return fps, num_frames


def _probe_av(path: Path) -> VideoInfo:
    with _open_av(path) as container:
        fps, num_frames = _av_stream_facts(path, container)
        context = container.streams.video[0].codec_context
        return VideoInfo(str(path), num_frames / fps, fps, num_frames, int(context.width), int(context.height), "av")


def _iter_av(path: Path, times: np.ndarray, batch_size: int, resize) -> Iterator[FrameBatch]:
    import av

    if times.size == 0:
        return
    with _open_av(path) as container:
        fps, num_frames = _av_stream_facts(path, container)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        wanted = frame_indices(times, fps, num_frames)
        sought = _av_seek(container, stream, int(wanted[0]), fps)
        height, width = output_size(stream.codec_context.height, stream.codec_context.width, resize)
        pending_times: list[float] = []
        pending_frames: list[np.ndarray] = []
        cursor, first_index = 0, 0  # next sample to emit; index of the first decoded frame
        try:
            for offset, frame in enumerate(container.decode(stream)):
                if offset == 0 and sought:
                    first_index = _av_frame_index(path, frame, stream, fps)
                index = first_index + offset
                if index < wanted[cursor]:
                    continue
                image = frame.to_ndarray(width=width, height=height, format="rgb24")
                while cursor < len(wanted) and wanted[cursor] <= index:
                    pending_times.append(times[cursor])
                    pending_frames.append(image)
                    cursor += 1
                    if len(pending_frames) == batch_size:
                        yield FrameBatch(np.asarray(pending_times), np.stack(pending_frames))
                        pending_times, pending_frames = [], []
                if cursor == len(wanted):
                    break
        except av.error.FFmpegError as error:
            raise VideoError(f"cannot decode {path}: {_first_line(error)}") from error
        if cursor == 0:
            raise VideoError(f"video {path} gave no frame at the requested times (decoding ended early)")
        if cursor < len(wanted):  # the header over-estimated the frame count by a little: repeat the last frame
            check_complete(path, index + 1, num_frames, fps)
            pending_times.extend(times[cursor:])
            pending_frames.extend([pending_frames[-1] if pending_frames else image] * (len(wanted) - cursor))
        for lo in range(0, len(pending_frames), batch_size):
            chunk = slice(lo, lo + batch_size)
            yield FrameBatch(np.asarray(pending_times[chunk]), np.stack(pending_frames[chunk]))


def _av_seek(container, stream, target_index: int, fps: float) -> bool:
    """Seek to a keyframe at or before `target_index` when it is more than 2 s in; True if it sought."""
    if target_index < 2 * fps or stream.time_base is None:
        return False
    target_pts = (stream.start_time or 0) + int((target_index / fps) / stream.time_base)
    container.seek(target_pts, stream=stream, backward=True, any_frame=False)
    return True


def _av_frame_index(path: Path, frame, stream, fps: float) -> int:
    """Index of a decoded frame from its presentation time (for decoding that starts after a seek)."""
    if frame.pts is None:
        raise VideoError(f"cannot locate a frame of {path} after seeking: it has no timestamp")
    return max(0, round(float((frame.pts - (stream.start_time or 0)) * stream.time_base) * fps))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
