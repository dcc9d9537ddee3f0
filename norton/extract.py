"""Extract one feature per second from every video in a folder into a resumable feature store."""
from __future__ import annotations

import argparse
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from tqdm.auto import tqdm

from norton import video as videolib
from norton.data.captions import Captions, merge_fragments, read_subtitles
from norton.data.store import FeatureStoreWriter
from norton.encoders import ENCODER_FORMS, VideoEncoder, build_encoder, merge_seconds

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".avi")
SUBTITLE_EXTENSIONS = (".srt", ".vtt")


@dataclass
class ExtractSummary:
    """What one extraction run did."""

    out_dir: str
    extracted: list[str] = field(default_factory=list)  # written in this run
    skipped: list[str] = field(default_factory=list)  # already in the store
    failed: dict[str, str] = field(default_factory=dict)  # video id -> reason, this run
    # video id -> what reading its subtitle file lost (skipped cues, a guessed encoding), this run
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class VideoJob:
    """One video to extract."""

    video_id: str
    path: Path
    duplicate_of: Path | None = None  # another file with the same stem (this one is then failed)


def find_videos(video_dir: str | os.PathLike) -> list[VideoJob]:
    """Video files directly in `video_dir` (by extension, sorted); the id of a video is its file stem.

    A later file with an already used stem keeps its file name as id and is failed (never overwrites)."""
    video_dir = Path(video_dir)
    if not video_dir.is_dir():
        raise FileNotFoundError(f"video folder not found: {video_dir}")
    jobs: list[VideoJob] = []
    seen: dict[str, Path] = {}
    for path in sorted(video_dir.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() not in VIDEO_EXTENSIONS or not path.is_file():
            continue
        first = seen.get(path.stem)
        jobs.append(VideoJob(path.stem if first is None else path.name, path, duplicate_of=first))
        seen.setdefault(path.stem, path)
    return jobs


def find_subtitles(video_path: Path) -> Path | None:
    """A subtitle file next to the video with the same stem (.srt preferred over .vtt), if any."""
    for extension in SUBTITLE_EXTENSIONS:
        for candidate in (video_path.with_suffix(extension), video_path.with_suffix(extension.upper())):
            if candidate.is_file():
                return candidate
    return None


def load_captions(video_path: Path, duration: float, merge: bool,
                  on_warning: Callable[[str], object] | None = None) -> Captions | None:
    """Captions from the video's subtitle file (optionally merged into sentences), validated; None if absent.

    What reading the file lost (a skipped cue, a guessed encoding) goes to on_warning (else warnings.warn);
    a file with no valid cue, or not text, raises ValueError naming it (that video is then failed)."""
    subtitle_path = find_subtitles(video_path)
    if subtitle_path is None:
        return None
    captions = read_subtitles(subtitle_path, on_warning=on_warning)
    if merge:
        captions = merge_fragments(captions)
    if len(captions) == 0:
        return None
    return captions.sorted().validate(duration, name=str(subtitle_path))


# --- decoding workers -----------------------------------------------------------------------------


@dataclass
class Message:
    """From a decoding worker to the encoding loop: kind is start | chunk | end | error | exit."""

    kind: str
    video_id: str = ""
    batch: videolib.FrameBatch | None = None
    captions: Captions | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)  # from reading the subtitle file (start messages)


class Decoders:
    """Worker threads that decode videos into chunks of whole seconds and feed a bounded queue."""

    def __init__(self, jobs: list[VideoJob], encoder: VideoEncoder, *, workers: int, backend: str,
                 merge: bool):
        self.jobs = iter(jobs)
        self.lock = threading.Lock()
        self.messages: queue.Queue[Message] = queue.Queue(maxsize=2 * workers)
        self.stop = threading.Event()
        self.abandoned: set[str] = set()  # videos the encoding loop gave up on
        self.encoder, self.backend, self.merge = encoder, backend, merge
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(workers)]
        for thread in self.threads:
            thread.start()

    def next_job(self) -> VideoJob | None:
        with self.lock:
            return next(self.jobs, None)

    def send(self, message: Message) -> bool:
        """Put a message, giving up (False) once asked to stop."""
        while not self.stop.is_set():
            try:
                self.messages.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work(self) -> None:
        while not self.stop.is_set() and (job := self.next_job()) is not None:
            try:
                self.decode(job)
            except Exception as error:  # any failure of one video is recorded, the others go on
                self.send(Message("error", job.video_id, reason=describe(error)))
        self.send(Message("exit"))

    def decode(self, job: VideoJob) -> None:
        if job.duplicate_of is not None:
            raise ValueError(f"{job.path}: video id {job.path.stem!r} is already used by {job.duplicate_of}")
        info = videolib.probe(job.path, self.backend)
        notes: list[str] = []  # collected here: warnings.catch_warnings is not thread-safe
        captions = load_captions(job.path, info.duration, self.merge, on_warning=notes.append)
        if not self.send(Message("start", job.video_id, captions=captions, warnings=notes)):
            return
        fps = self.encoder.frames_per_second_needed
        times = videolib.sample_times(info.duration, fps)
        for batch in videolib.iter_frames_at(job.path, times, resize=self.encoder.frame_size, backend=info.backend,
                                             batch_size=self.encoder.seconds_per_batch * fps):
            if job.video_id in self.abandoned or not self.send(Message("chunk", job.video_id, batch=batch)):
                return
        self.send(Message("end", job.video_id))

    def __iter__(self) -> Iterator[Message]:
        """Messages until every worker has exited."""
        running = len(self.threads)
        while running:
            message = self.messages.get()
            if message.kind == "exit":
                running -= 1
            else:
                yield message

    def close(self) -> None:
        """Stop the workers and wait for them."""
        self.stop.set()
        for thread in self.threads:
            thread.join()


def describe(error: BaseException) -> str:
    """A one-line reason for the manifest."""
    return f"{type(error).__name__}: {error}".splitlines()[0]


# --- extraction loop ------------------------------------------------------------------------------


def extract_features(
    video_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    encoder: str | VideoEncoder = "clip",
    *,
    workers: int = 2,
    backend: str = "auto",
    device: str = "cpu",
    frames_per_second: int | None = None,
    merge_captions: bool = False,
    feature_dtype: str = "float16",
    progress: bool = True,
) -> ExtractSummary:
    """Encode every video of `video_dir` (one feature per second) into the feature store `out_dir`."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if feature_dtype not in ("float16", "float32"):
        raise ValueError(f"feature_dtype must be 'float16' or 'float32', got {feature_dtype!r}")
    videolib.resolve_backend(backend)
    jobs = find_videos(video_dir)
    if isinstance(encoder, str):
        encoder = build_encoder(encoder, device=device, frames_per_second=frames_per_second)
    writer = FeatureStoreWriter(out_dir, encoder=encoder.name, feature_dim=encoder.feature_dim, fps=1.0)
    summary = ExtractSummary(out_dir=str(out_dir))
    finished = [job.duplicate_of is None and writer.done(job.video_id) for job in jobs]
    todo = [job for job, done in zip(jobs, finished) if not done]
    summary.skipped = [job.video_id for job, done in zip(jobs, finished) if done]
    if not todo:
        return summary
    paths = {job.video_id: job.path for job in todo if job.duplicate_of is None}
    decoders = Decoders(todo, encoder, workers=min(workers, len(todo)), backend=backend, merge=merge_captions)
    pending: dict[str, tuple[Captions | None, list, list]] = {}  # video id -> (captions, seconds, features)
    bar = tqdm(total=len(todo), desc="extract", unit="video", disable=not progress)

    def fail(video_id: str, reason: str) -> None:
        if video_id in summary.failed:  # a decode error can follow an encode error of the same video
            return
        decoders.abandoned.add(video_id)
        pending.pop(video_id, None)
        writer.fail(video_id, reason)
        summary.failed[video_id] = reason
        bar.update(1)

    try:
        for message in decoders:
            video_id = message.video_id
            if message.kind == "error":
                fail(video_id, message.reason)
            elif message.kind == "start":
                pending[video_id] = (message.captions, [], [])
                if message.warnings:
                    summary.warnings[video_id] = message.warnings
            elif message.kind == "chunk" and video_id in pending:
                try:
                    encoded = encoder.encode(message.batch.frames, message.batch.timestamps)
                except Exception as error:  # a frame the encoder cannot take fails this video only
                    fail(video_id, describe(error))
                    continue
                pending[video_id][1].append(encoded.seconds)
                pending[video_id][2].append(encoded.features)
            elif message.kind == "end" and video_id in pending:
                captions, seconds, features = pending.pop(video_id)
                try:
                    if not features:
                        raise videolib.VideoError(f"video {paths[video_id]} gave no frames")
                    array = merge_seconds(seconds, features).astype(feature_dtype)
                    writer.write(video_id, array, captions=captions, source=str(paths[video_id]))
                except Exception as error:
                    fail(video_id, describe(error))
                    continue
                summary.extracted.append(video_id)
                bar.update(1)
    finally:
        decoders.close()
        bar.close()
    return summary


# --- command line ---------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `norton extract`."""
    parser.add_argument("video_dir", help=f"folder of videos ({', '.join(VIDEO_EXTENSIONS)}); "
                                          "subtitles with the same stem (.srt/.vtt) become captions")
    parser.add_argument("--out", required=True, help="feature store folder (created, or resumed if it exists)")
    parser.add_argument("--encoder", default="clip", help=f"one of {ENCODER_FORMS} (default: clip)")
    parser.add_argument("--fps", type=int, default=None,
                        help="frames sampled per second for frame encoders (default 1; s3d always uses 30)")
    parser.add_argument("--workers", type=int, default=2, help="decoding threads (default 2)")
    parser.add_argument("--device", default="cpu", help="torch device of the encoder (default cpu)")
    parser.add_argument("--backend", default="auto", choices=videolib.BACKENDS, help="video decoder (default auto)")
    parser.add_argument("--merge-fragments", action="store_true", help="merge ASR subtitle fragments into sentences")
    parser.add_argument("--float32", action="store_true", help="store float32 features (default float16)")


def run(args: argparse.Namespace) -> int:
    """Run the extraction; 0 if every video succeeded, 1 if some failed (usage errors: norton.cli, exit 2)."""
    summary = extract_features(
        args.video_dir, args.out, args.encoder, workers=args.workers, backend=args.backend,
        device=args.device, frames_per_second=args.fps, merge_captions=args.merge_fragments,
        feature_dtype="float32" if args.float32 else "float16",
    )
    print(f"extracted {len(summary.extracted)}, skipped {len(summary.skipped)} already done, "
          f"failed {len(summary.failed)} -> {summary.out_dir}")
    for video_id, notes in summary.warnings.items():
        for note in notes:
            print(f"  warning {video_id}: {note}")
    for video_id, reason in summary.failed.items():
        print(f"  failed {video_id}: {reason}")
    return 0 if summary.ok else 1
