"""Extract one feature per second from every video in a folder into a resumable feature store."""
from __future__ import annotations

import argparse
import os
import queue
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from tqdm.auto import tqdm

from norton import decode as videolib
from norton.data.captions import Captions, merge_fragments, read_subtitles
from norton.data.shards import ShardWriter
from norton.data.store import FeatureStoreWriter, PartialFeatures
from norton.encoders import ENCODER_FORMS, VideoEncoder, build_encoder, merge_seconds

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".avi")
SUBTITLE_EXTENSIONS = (".srt", ".vtt")
STORE_FORMATS = ("folder", "shards")


@dataclass
class ExtractSummary:
    """What one extraction run did."""

    out_dir: str
    extracted: list[str] = field(default_factory=list)  # written in this run
    skipped: list[str] = field(default_factory=list)  # already in the store
    failed: dict[str, str] = field(default_factory=dict)  # video id -> reason, this run
    # video id -> what reading its subtitle file lost (skipped cues, a guessed encoding) or which partial
    # chunks were unusable and redone, this run
    warnings: dict[str, list[str]] = field(default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)  # video id -> seconds taken from its finished chunks

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


# --- chunks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkPlan:
    """A video's sample times split into chunks of `chunk_seconds` whole seconds (the last may be shorter).

    Chunk k covers seconds [k * chunk_seconds, (k + 1) * chunk_seconds): it is decoded, encoded and saved
    on its own, so a long video never has more than one chunk of features and one batch of frames in
    memory, and an interrupted video resumes at its first unfinished chunk."""

    times: np.ndarray  # (n,) sample times of the whole video
    starts: np.ndarray  # (K + 1,) index into times where chunk k starts; starts[K] = n
    seconds: list[np.ndarray]  # the whole seconds of chunk k (one feature each), ascending

    @property
    def rows(self) -> list[int]:
        return [len(chunk) for chunk in self.seconds]

    @property
    def num_seconds(self) -> int:
        return sum(self.rows)

    def chunk_times(self, index: int) -> np.ndarray:
        return self.times[self.starts[index] : self.starts[index + 1]]


def plan_chunks(duration: float, frames_per_second: int, chunk_seconds: int) -> ChunkPlan:
    """The chunks of a video of `duration` seconds sampled at `frames_per_second`."""
    if chunk_seconds < 1:
        raise ValueError(f"chunk_seconds must be >= 1, got {chunk_seconds}")
    times = videolib.sample_times(duration, frames_per_second)
    seconds = np.floor(times + 1e-9).astype(np.int64)  # as the encoders pool them
    chunk_of = seconds // chunk_seconds
    count = int(chunk_of[-1]) + 1 if len(chunk_of) else 0
    starts = np.searchsorted(chunk_of, np.arange(count + 1))
    return ChunkPlan(times, starts, [np.unique(seconds[starts[k] : starts[k + 1]]) for k in range(count)])


# --- decoding workers -----------------------------------------------------------------------------


@dataclass
class Message:
    """From a decoding worker to the encoding loop: kind is start | frames | chunk | end | error | exit."""

    kind: str
    video_id: str = ""
    batch: videolib.FrameBatch | None = None  # frames messages: one encoder batch of one chunk
    chunk: int = -1  # frames and chunk messages (chunk: its frames are all sent)
    captions: Captions | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)  # start messages: subtitle and partial-state notes
    plan: ChunkPlan | None = None  # start messages
    partial: PartialFeatures | None = None  # start messages
    done: set[int] = field(default_factory=set)  # start messages: chunks already in the partial state


class Decoders:
    """Worker threads that decode videos chunk by chunk, in batches of whole seconds, into a bounded queue."""

    def __init__(self, jobs: list[VideoJob], encoder: VideoEncoder, writer: FeatureStoreWriter, *, workers: int,
                 backend: str, merge: bool, chunk_seconds: int):
        self.jobs = iter(jobs)
        self.lock = threading.Lock()
        self.messages: queue.Queue[Message] = queue.Queue(maxsize=2 * workers)
        self.stop = threading.Event()
        self.abandoned: set[str] = set()  # videos the encoding loop gave up on
        self.encoder, self.writer, self.backend, self.merge = encoder, writer, backend, merge
        self.chunk_seconds = chunk_seconds
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
        fps = self.encoder.frames_per_second_needed
        plan = plan_chunks(info.duration, fps, self.chunk_seconds)
        if not plan.seconds:
            raise videolib.VideoError(f"video {job.path} gave no frames")
        stat = job.path.stat()
        identity = {"chunk_seconds": self.chunk_seconds, "frames_per_second": fps,
                    "frame_size": self.encoder.frame_size, "backend": info.backend, "num_seconds": plan.num_seconds,
                    "source": {"name": job.path.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}}
        partial = self.writer.partial(job.video_id, identity=identity, rows=plan.rows)
        done = partial.done_chunks(on_note=notes.append)
        if not self.send(Message("start", job.video_id, captions=captions, warnings=notes, plan=plan,
                                 partial=partial, done=done)):
            return
        todo = [k for k in range(len(plan.seconds)) if k not in done]
        if todo:
            with videolib.FrameReader(job.path, resize=self.encoder.frame_size, backend=info.backend) as reader:
                for k in todo:
                    for batch in reader.frames_at(plan.chunk_times(k), batch_size=self.encoder.seconds_per_batch * fps):
                        if job.video_id in self.abandoned or not self.send(
                                Message("frames", job.video_id, batch=batch, chunk=k)):
                            return
                    if not self.send(Message("chunk", job.video_id, chunk=k)):
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


@dataclass
class InProgress:
    """A video being encoded: its plan, finished chunks and the batches of its current chunk."""

    captions: Captions | None
    plan: ChunkPlan
    partial: PartialFeatures
    last: int  # the last chunk to do: kept in memory, written only with the whole video
    held: dict[int, np.ndarray] = field(default_factory=dict)
    seconds: list[np.ndarray] = field(default_factory=list)  # of the current chunk's encoded batches
    features: list[np.ndarray] = field(default_factory=list)


class Progress:
    """A tqdm bar counting seconds of video over all the videos to do, with the current video in its postfix.

    A video's length comes from its header, probed by a background thread so that the bar starts at once
    (the total grows to its final value while the first video is encoded), or from its worker's plan,
    which is exact and wins. Its seconds are counted as its batches are encoded (a failed video counts
    all of its seconds when it fails)."""

    def __init__(self, jobs: list[VideoJob], frames_per_second: int, enabled: bool):
        self.lock = threading.Lock()
        self.expected: dict[str, int] = {}  # video id -> seconds it counts for
        self.exact: set[str] = set()  # videos whose length comes from their plan
        self.credited: dict[str, int] = {}
        self.bar = tqdm(total=0, desc="extract", unit="s", disable=not enabled)
        self.stop = threading.Event()
        self.prober = None
        if enabled:
            self.prober = threading.Thread(target=self.probe, args=(jobs, frames_per_second), daemon=True)
            self.prober.start()

    def probe(self, jobs: list[VideoJob], frames_per_second: int) -> None:
        """Seconds of each video from its header (PyAV: cheap); nothing for a file that does not open."""
        for job in jobs:
            if self.stop.is_set():
                return
            try:
                info = videolib.probe(job.path, "av")
                seconds = len(np.unique(np.floor(videolib.sample_times(info.duration, frames_per_second) + 1e-9)))
            except Exception:  # the worker reports what is wrong with the file
                continue
            self.expect(job.video_id, seconds)

    def expect(self, video_id: str, seconds: int, *, exact: bool = False) -> None:
        """The video has `seconds` seconds (`exact`: from its plan, which later header probes cannot change)."""
        with self.lock:
            if video_id in self.exact:
                return
            if exact:
                self.exact.add(video_id)
            change = seconds - self.expected.get(video_id, 0)
            self.expected[video_id] = seconds
            if change:
                self.bar.total += change
                self.bar.refresh()

    def advance(self, video_id: str, seconds: int) -> None:
        """Count `seconds` more of the video (at most what is left of it)."""
        with self.lock:
            done, total = self.credited.get(video_id, 0), self.expected.get(video_id, 0)
            seconds = max(0, min(seconds, total - done))
            self.credited[video_id] = done + seconds
            self.bar.set_postfix_str(f"{video_id} {done + seconds}/{total} s", refresh=False)
            if seconds:
                self.bar.update(seconds)

    def finish(self, video_id: str) -> None:
        """The video is written or failed: count what is left of it, and fix its length for good."""
        with self.lock:
            self.exact.add(video_id)
        self.advance(video_id, self.expected.get(video_id, 0))

    def close(self) -> None:
        self.stop.set()
        if self.prober is not None:
            self.prober.join()
        self.bar.close()


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
    chunk_seconds: int = 60,
    progress: bool = True,
    store_format: str = "folder",
    videos_per_shard: int = 1024,
) -> ExtractSummary:
    """Encode every video of `video_dir` (one feature per second) into the feature store `out_dir`:
    a folder store (store_format "folder", for the workbench) or a sharded store ("shards", for training at
    scale: norton.data.shards, `videos_per_shard` videos per Arrow shard).

    Each video is decoded and encoded in chunks of `chunk_seconds` seconds; the finished chunks of a video
    are kept in FEATURES/<id>.partial/ until it is complete, so an interrupted run resumes inside the video.
    The progress bar counts seconds of video."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if feature_dtype not in ("float16", "float32"):
        raise ValueError(f"feature_dtype must be 'float16' or 'float32', got {feature_dtype!r}")
    if store_format not in STORE_FORMATS:
        raise ValueError(f"store_format must be one of {STORE_FORMATS}, got {store_format!r}")
    if int(chunk_seconds) != chunk_seconds or chunk_seconds < 1:
        raise ValueError(f"chunk_seconds must be a positive integer, got {chunk_seconds}")
    chunk_seconds = int(chunk_seconds)
    videolib.resolve_backend(backend)
    jobs = find_videos(video_dir)
    if isinstance(encoder, str):
        encoder = build_encoder(encoder, device=device, frames_per_second=frames_per_second)
    if store_format == "shards":
        writer = ShardWriter(out_dir, encoder=encoder.name, feature_dim=encoder.feature_dim, fps=1.0,
                             dtype=feature_dtype, videos_per_shard=videos_per_shard)
    else:
        writer = FeatureStoreWriter(out_dir, encoder=encoder.name, feature_dim=encoder.feature_dim, fps=1.0)
    with writer:  # a sharded store's last, partial shard is finished on the way out, also after an error
        return encode_videos(jobs, encoder, writer, out_dir, workers=workers, backend=backend,
                             merge_captions=merge_captions, feature_dtype=feature_dtype,
                             chunk_seconds=chunk_seconds, progress=progress)


def encode_videos(jobs: list[VideoJob], encoder: VideoEncoder, writer: FeatureStoreWriter | ShardWriter,
                  out_dir: str | os.PathLike, *, workers: int, backend: str, merge_captions: bool,
                  feature_dtype: str, chunk_seconds: int, progress: bool) -> ExtractSummary:
    """The videos not yet in the store, decoded and encoded chunk by chunk, written as each one is complete."""
    summary = ExtractSummary(out_dir=str(out_dir))
    finished = [job.duplicate_of is None and writer.done(job.video_id) for job in jobs]
    todo = [job for job, done in zip(jobs, finished) if not done]
    summary.skipped = [job.video_id for job, done in zip(jobs, finished) if done]
    for video_id in summary.skipped:  # a run killed between writing a video and dropping its chunks
        shutil.rmtree(writer.partial_folder(video_id), ignore_errors=True)
    if not todo:
        return summary
    paths = {job.video_id: job.path for job in todo if job.duplicate_of is None}
    bar = Progress([job for job in todo if job.duplicate_of is None], encoder.frames_per_second_needed, progress)
    decoders = Decoders(todo, encoder, writer, workers=min(workers, len(todo)), backend=backend,
                        merge=merge_captions, chunk_seconds=chunk_seconds)
    pending: dict[str, InProgress] = {}

    def fail(video_id: str, reason: str) -> None:
        if video_id in summary.failed:  # a decode error can follow an encode error of the same video
            return
        decoders.abandoned.add(video_id)
        pending.pop(video_id, None)
        writer.fail(video_id, reason)  # its finished chunks stay: a rerun of the same file resumes from them
        summary.failed[video_id] = reason
        bar.finish(video_id)

    try:
        for message in decoders:
            video_id = message.video_id
            if message.kind == "error":
                fail(video_id, message.reason)
            elif message.kind == "start":
                plan, done = message.plan, message.done
                to_do = [k for k in range(len(plan.seconds)) if k not in done]
                pending[video_id] = InProgress(message.captions, plan, message.partial, to_do[-1] if to_do else -1)
                if message.warnings:
                    summary.warnings[video_id] = message.warnings
                if done:
                    summary.resumed[video_id] = sum(plan.rows[k] for k in done)
                bar.expect(video_id, plan.num_seconds, exact=True)
                bar.advance(video_id, summary.resumed.get(video_id, 0))
            elif message.kind == "frames" and video_id in pending:
                state = pending[video_id]
                try:
                    encoded = encoder.encode(message.batch.frames, message.batch.timestamps)
                except Exception as error:  # a frame the encoder cannot take fails this video only
                    fail(video_id, describe(error))
                    continue
                state.seconds.append(encoded.seconds)
                state.features.append(encoded.features)
                bar.advance(video_id, len(encoded.seconds))
            elif message.kind == "chunk" and video_id in pending:
                state = pending[video_id]
                try:
                    save_chunk(state, message.chunk, video_id)
                except Exception as error:
                    fail(video_id, describe(error))
            elif message.kind == "end" and video_id in pending:
                state = pending.pop(video_id)
                try:
                    chunks = [state.held.pop(k) if k in state.held else state.partial.load_chunk(k)
                              for k in range(len(state.plan.seconds))]
                    array = np.concatenate(chunks).astype(feature_dtype)
                    writer.write(video_id, array, captions=state.captions, source=str(paths[video_id]))
                except Exception as error:
                    fail(video_id, describe(error))
                    continue
                summary.extracted.append(video_id)
                bar.finish(video_id)
    finally:
        decoders.close()
        bar.close()
    return summary


def save_chunk(state: InProgress, index: int, video_id: str) -> None:
    """Chunk `index` is encoded: check it covers its seconds, then write it (or hold it, if it is the last)."""
    if not state.features:
        raise videolib.VideoError(f"chunk {index} of {video_id} gave no frames")
    seconds = np.concatenate(state.seconds)
    features = merge_seconds(state.seconds, state.features)
    state.seconds, state.features = [], []
    expected = state.plan.seconds[index]
    if not np.array_equal(seconds, expected):
        raise ValueError(f"chunk {index} of {video_id}: the encoder returned {len(seconds)} seconds "
                         f"({seconds[0]}..{seconds[-1]}), expected {len(expected)} ({expected[0]}..{expected[-1]})")
    if index == state.last:
        state.held[index] = features
    else:
        state.partial.write_chunk(index, features)


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
    parser.add_argument("--format", dest="store_format", default="folder", choices=STORE_FORMATS,
                        help="folder: one .npy per video (the workbench); shards: Arrow shards for training at "
                             "scale (norton.data.shards); default folder")
    parser.add_argument("--videos-per-shard", type=int, default=1024, help="with --format shards (default 1024)")
    parser.add_argument("--chunk-seconds", type=int, default=60,
                        help="seconds of video decoded and encoded at a time; finished chunks of a video are kept, "
                             "so an interrupted run resumes inside it (default 60)")


def run(args: argparse.Namespace) -> int:
    """Run the extraction; 0 if every video succeeded, 1 if some failed (usage errors: norton.cli, exit 2)."""
    summary = extract_features(
        args.video_dir, args.out, args.encoder, workers=args.workers, backend=args.backend,
        device=args.device, frames_per_second=args.fps, merge_captions=args.merge_fragments,
        feature_dtype="float32" if args.float32 else "float16", chunk_seconds=args.chunk_seconds,
        store_format=args.store_format, videos_per_shard=args.videos_per_shard,
    )
    print(f"extracted {len(summary.extracted)}, skipped {len(summary.skipped)} already done, "
          f"failed {len(summary.failed)} -> {summary.out_dir}")
    for video_id, seconds in summary.resumed.items():
        print(f"  resumed {video_id}: {seconds} s from finished chunks")
    for video_id, notes in summary.warnings.items():
        for note in notes:
            print(f"  warning {video_id}: {note}")
    for video_id, reason in summary.failed.items():
        print(f"  failed {video_id}: {reason}")
    return 0 if summary.ok else 1
