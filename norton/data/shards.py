"""Sharded feature store for HowTo100M-size data: Arrow IPC shards, one record batch per video.

ROOT/index.json       format, feature_dim, fps, dtype, encoder and one entry per finished shard
                      (file, videos, seconds, the rows of videos without captions)
ROOT/shards/NNNNN.arrow   a finished shard: Arrow IPC file, memory-mapped, random access by row
ROOT/shards/NNNNN.partial the shard being written: Arrow IPC stream, one message appended per video
ROOT/failed.jsonl     one line per video that could not be written (appended)
ROOT/partial/<id>.partial/ finished chunks of a long video still being extracted (norton.data.store.PartialFeatures)

Bookkeeping is O(1) per video (an appended stream message); the index is rewritten once per shard.
Opening reads only index.json; a video's features and captions are read with it, lazily.
A kill loses nothing that was appended: the complete messages of the partial shard are kept.
"""
from __future__ import annotations

import json
import os
import shutil
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from norton.data.captions import Captions, load_json, write_json_atomic
from norton.data.store import PARTIAL_SUFFIX, PartialFeatures, check_video_id
from norton.data.videos import LongVideo
from norton.files import atomic_write

FORMAT = "norton-shards"
VERSION = 1
INDEX = "index.json"
SHARDS = "shards"
FAILED = "failed.jsonl"
PARTIAL_VIDEOS = "partial"
DTYPES = ("float16", "float32")
OPEN_SHARDS = 64  # memory maps a reader keeps open (least recently used are closed)


def arrow():
    """pyarrow, imported when a sharded store is used."""
    import pyarrow

    return pyarrow


def schema():
    pa = arrow()
    return pa.schema([("video_id", pa.string()), ("num_seconds", pa.int32()), ("features", pa.binary()),
                      ("caption_start", pa.list_(pa.float64())), ("caption_end", pa.list_(pa.float64())),
                      ("caption_text", pa.list_(pa.string())), ("source", pa.string())])


def is_sharded_store(root: str | os.PathLike) -> bool:
    """True when ROOT holds a sharded store's index.json."""
    return (Path(root) / INDEX).is_file()


def read_index(root: Path) -> dict:
    """Load and check ROOT/index.json."""
    path = root / INDEX
    if not path.is_file():
        raise FileNotFoundError(f"sharded store index not found: {path}")
    index = load_json(path)
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ValueError(f"{path}: not a sharded store index (expected \"format\": \"{FORMAT}\")")
    if index.get("version") != VERSION:
        raise ValueError(f"{path}: unsupported version {index.get('version')!r}, expected {VERSION}")
    for key, kind in (("feature_dim", int), ("fps", (int, float)), ("dtype", str), ("shards", list)):
        if not isinstance(index.get(key), kind):
            raise ValueError(f"{path}: field {key!r} is missing or has the wrong type")
    if index["dtype"] not in DTYPES:
        raise ValueError(f"{path}: dtype {index['dtype']!r}, expected one of {DTYPES}")
    for number, shard in enumerate(index["shards"]):
        if not isinstance(shard, dict) or not isinstance(shard.get("file"), str) or not isinstance(shard.get("videos"), int):
            raise ValueError(f"{path}: shard entry {number} needs 'file' (str) and 'videos' (int), got {shard!r}")
        if not isinstance(shard.get("uncaptioned", []), list):
            raise ValueError(f"{path}: shard entry {number}: 'uncaptioned' must be a list of rows")
    return index


def video_record(video_id: str, features: np.ndarray, captions: Captions, source: str | None):
    """One video as a one-row Arrow record batch."""
    pa = arrow()
    return pa.record_batch([
        pa.array([video_id]), pa.array([features.shape[0]], pa.int32()),
        pa.array([np.ascontiguousarray(features).tobytes()], pa.binary()),
        pa.array([list(map(float, captions.start))], pa.list_(pa.float64())),
        pa.array([list(map(float, captions.end))], pa.list_(pa.float64())),
        pa.array([list(captions.text)], pa.list_(pa.string())), pa.array([source], pa.string()),
    ], schema=schema())


def stream_batches(path: Path) -> Iterator:
    """The complete record batches of an Arrow IPC stream, in order (a kill may have cut the last one)."""
    pa = arrow()
    with pa.memory_map(str(path)) as source:
        try:
            reader = pa.ipc.open_stream(source)
        except (pa.ArrowInvalid, OSError, EOFError):
            return  # killed before the schema message was whole: nothing to keep
        while True:
            try:
                yield reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError, EOFError):
                return  # a truncated tail


class ShardWriter:
    """Creates a sharded store or resumes one; a single writer per store.

    write() appends the video to the partial shard (one stream message); a full shard (videos_per_shard)
    is turned into an Arrow IPC file and listed in the index. close() (or leaving the `with` block)
    finishes the partial shard too. Interface shared with FeatureStoreWriter: done, write, fail, partial.
    """

    def __init__(self, root: str | os.PathLike, *, encoder: str, feature_dim: int, fps: float = 1.0,
                 dtype: str = "float16", videos_per_shard: int = 1024):
        if videos_per_shard < 1:
            raise ValueError(f"videos_per_shard must be >= 1, got {videos_per_shard}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
        self.root = Path(root)
        self.videos_per_shard = videos_per_shard
        if (self.root / INDEX).exists():
            self.index = read_index(self.root)
            for key, value in (("encoder", encoder), ("feature_dim", feature_dim), ("fps", fps), ("dtype", dtype)):
                if self.index.get(key) != value:
                    raise ValueError(f"{self.root / INDEX}: cannot resume, store has {key}={self.index.get(key)!r} "
                                     f"but {value!r} was requested")
        else:
            self.index = {"format": FORMAT, "version": VERSION, "feature_dim": feature_dim, "fps": fps,
                          "dtype": dtype, "encoder": encoder, "videos": 0, "seconds": 0, "shards": []}
            self.root.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.root / INDEX, self.index)
        (self.root / SHARDS).mkdir(exist_ok=True)
        self.number = len(self.index["shards"])  # the partial shard's number
        self.sink = self.stream = None
        self.count = self.seconds = 0
        self._done: set[str] | None = None
        self.open_partial()

    # -- the partial shard
    def partial_path(self) -> Path:
        return self.root / SHARDS / f"{self.number:05d}.partial"

    def shard_file(self, number: int) -> str:
        return f"{SHARDS}/{number:05d}.arrow"

    def open_partial(self) -> None:
        """Open the partial shard for appending, keeping the complete videos a kill left in it."""
        pa = arrow()
        path = self.partial_path()
        for stale in (self.root / SHARDS).glob("*.partial"):
            if stale != path:  # a shard finished and indexed before the kill removed it
                stale.unlink()
        for stale in (self.root / SHARDS).glob(".*.tmp-*"):
            stale.unlink()
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        self.sink = pa.OSFile(str(tmp), "wb")
        self.stream = pa.ipc.new_stream(self.sink, schema())
        self.count = self.seconds = 0
        self.kept_ids, self.uncaptioned = [], []
        if path.exists():  # rewritten without a cut-off tail, then appended to
            for row, batch in enumerate(stream_batches(path)):
                self.stream.write_batch(batch)
                self.kept_ids.append(batch.column(0)[0].as_py())
                self.seconds += batch.column(1)[0].as_py()
                if not batch.column(5)[0].as_py():
                    self.uncaptioned.append(row)
        self.count = len(self.kept_ids)
        self.sink.flush()
        os.replace(tmp, path)

    def append(self, batch) -> None:
        """Append one video's record batch to the partial shard (one stream message)."""
        self.stream.write_batch(batch)
        self.sink.flush()

    def finish_shard(self) -> None:
        """Turn the partial shard into an indexed Arrow IPC file and start the next one."""
        pa = arrow()
        self.stream.close()
        self.sink.close()
        self.sink = self.stream = None
        if self.count:
            with atomic_write(self.root / self.shard_file(self.number)) as handle:
                with pa.ipc.new_file(handle, schema()) as writer:
                    for batch in stream_batches(self.partial_path()):
                        writer.write_batch(batch)
            self.index["shards"].append({"file": self.shard_file(self.number), "videos": self.count,
                                         "seconds": self.seconds, "uncaptioned": self.uncaptioned})
            self.index["videos"] += self.count
            self.index["seconds"] += self.seconds
            write_json_atomic(self.root / INDEX, self.index)
            self.partial_path().unlink()
            self.number += 1
        self.count = self.seconds = 0

    # -- the writer's interface
    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Finish the partial shard (if it holds videos) so that readers see every written video."""
        if self.sink is None:
            return
        self.finish_shard()
        if self.partial_path().exists():
            self.partial_path().unlink()

    def done_ids(self) -> set[str]:
        """The ids of every video written (finished shards and the partial one); read once, then kept."""
        if self._done is None:
            self._done = set(self.kept_ids)
            for shard in self.index["shards"]:
                self._done.update(read_video_ids(self.root / shard["file"]))
        return self._done

    def done(self, video_id: str) -> bool:
        return video_id in self.done_ids()

    def write(self, video_id: str, features: np.ndarray, *, captions: Captions | None = None,
              source: str | None = None) -> None:
        """Append one video's (T, D) features and captions to the partial shard."""
        check_video_id(video_id)
        features = np.asarray(features)
        dim = self.index["feature_dim"]
        if features.ndim != 2 or features.shape[0] == 0 or features.shape[1] != dim:
            raise ValueError(f"features of {video_id!r}: expected shape (T>=1, {dim}), got {features.shape}")
        if not np.all(np.isfinite(features)):
            raise ValueError(f"features of {video_id!r}: contain NaN or infinite values")
        captions = captions if captions is not None else Captions()
        captions.validate(duration=features.shape[0] / self.index["fps"], name=f"captions of {video_id!r}")
        if self.done(video_id):
            raise ValueError(f"{self.root}: video {video_id!r} is already in the store")
        self.append(video_record(video_id, features.astype(self.index["dtype"], copy=False), captions, source))
        self._done.add(video_id)
        if not len(captions):
            self.uncaptioned.append(self.count)
        self.count += 1
        self.seconds += int(features.shape[0])
        shutil.rmtree(self.partial_folder(video_id), ignore_errors=True)
        if self.count >= self.videos_per_shard:
            self.finish_shard()
            self.open_partial()

    def fail(self, video_id: str, reason: str) -> None:
        """Record (append to failed.jsonl) that a video could not be processed."""
        with open(self.root / FAILED, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"video_id": video_id, "reason": str(reason)}) + "\n")

    def partial_folder(self, video_id: str) -> Path:
        return self.root / PARTIAL_VIDEOS / f"{check_video_id(video_id)}{PARTIAL_SUFFIX}"

    def partial(self, video_id: str, *, identity: dict, rows: list[int]) -> PartialFeatures:
        """The finished chunks of a long video in progress (as FeatureStoreWriter.partial)."""
        identity = {"encoder": self.index.get("encoder"), "feature_dim": self.index["feature_dim"], **identity}
        return PartialFeatures(self.partial_folder(video_id), identity=identity, rows=rows,
                               feature_dim=self.index["feature_dim"])


def read_video_ids(path: Path) -> list[str]:
    """The video ids of one finished shard, in row order."""
    pa = arrow()
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        return [reader.get_batch(i).column("video_id")[0].as_py() for i in range(reader.num_record_batches)]


@dataclass(frozen=True)
class VideoRef:
    """Where a video is: shard number and row in it."""

    shard: int
    row: int


class ShardedStore:
    """Read access to a sharded store: O(#shards) to open, one video (features + captions) at a time.

    Features are zero-copy read-only views of the memory-mapped shard, in the store's dtype."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.index = read_index(self.root)
        self.feature_dim: int = self.index["feature_dim"]
        self.fps: float = float(self.index["fps"])
        self.dtype = np.dtype(self.index["dtype"])
        self.encoder: str | None = self.index.get("encoder")
        self.shard_sizes: list[int] = [shard["videos"] for shard in self.index["shards"]]
        self.uncaptioned: list[list[int]] = [shard.get("uncaptioned", []) for shard in self.index["shards"]]
        self.offsets = np.concatenate([[0], np.cumsum(self.shard_sizes)]).astype(np.int64)  # (S+1,)
        self.readers: OrderedDict[int, object] = OrderedDict()
        self._locations: dict[str, VideoRef] | None = None

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getstate__(self) -> dict:  # DataLoader workers reopen their own memory maps
        return {**self.__dict__, "readers": OrderedDict()}

    def reader(self, shard: int):
        """The open Arrow file reader of a shard (least recently used ones are closed)."""
        if shard in self.readers:
            self.readers.move_to_end(shard)
            return self.readers[shard]
        pa = arrow()
        path = self.root / self.index["shards"][shard]["file"]
        try:
            reader = pa.ipc.open_file(pa.memory_map(str(path)))
        except (OSError, pa.ArrowInvalid) as error:
            raise ValueError(f"{path}: unreadable shard ({error})") from error
        if reader.num_record_batches != self.shard_sizes[shard]:
            raise ValueError(f"{path}: holds {reader.num_record_batches} videos, the index says "
                             f"{self.shard_sizes[shard]}")
        self.readers[shard] = reader
        while len(self.readers) > OPEN_SHARDS:
            self.readers.popitem(last=False)
        return reader

    def video_at(self, shard: int, row: int) -> LongVideo:
        """The video at `row` of `shard`: features (T, D) as a read-only view, captions as lists."""
        batch = self.reader(shard).get_batch(row)
        video_id = batch.column(0)[0].as_py()
        seconds = batch.column(1)[0].as_py()
        data = batch.column(2)[0].as_buffer()
        if data.size != seconds * self.feature_dim * self.dtype.itemsize:
            raise ValueError(f"{self.root / self.index['shards'][shard]['file']}: video {video_id!r} holds "
                             f"{data.size} bytes of features, expected {seconds} x {self.feature_dim} {self.dtype}")
        features = np.frombuffer(data, dtype=self.dtype).reshape(seconds, self.feature_dim)
        features.flags.writeable = False  # the map is read-only: a write would crash, not raise
        captions = Captions(batch.column(3)[0].as_py(), batch.column(4)[0].as_py(), batch.column(5)[0].as_py())
        return LongVideo(video_id, features, captions, None, self.fps)

    def video(self, index: int) -> LongVideo:
        """The video at global position `index` (shards in order)."""
        if not 0 <= index < len(self):
            raise IndexError(f"{self.root}: video index {index} out of range (store holds {len(self)})")
        shard = int(np.searchsorted(self.offsets, index, side="right")) - 1
        return self.video_at(shard, index - int(self.offsets[shard]))

    def __iter__(self) -> Iterator[LongVideo]:
        for shard, size in enumerate(self.shard_sizes):
            for row in range(size):
                yield self.video_at(shard, row)

    # -- by id (reads every shard's ids once: for tools, not for training)
    def locations(self) -> dict[str, VideoRef]:
        if self._locations is None:
            self._locations = {video_id: VideoRef(shard, row)
                               for shard, entry in enumerate(self.index["shards"])
                               for row, video_id in enumerate(read_video_ids(self.root / entry["file"]))}
        return self._locations

    @property
    def video_ids(self) -> list[str]:
        return list(self.locations())

    def __contains__(self, video_id: str) -> bool:
        return video_id in self.locations()

    def by_id(self, video_id: str) -> LongVideo:
        if video_id not in self:
            raise KeyError(f"{self.root / INDEX}: no video {video_id!r} in the store")
        ref = self.locations()[video_id]
        return self.video_at(ref.shard, ref.row)

    def failed(self) -> dict[str, str]:
        """Videos recorded as failed (the last reason of each), minus those written since."""
        path = self.root / FAILED
        if not path.is_file():
            return {}
        failed = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                entry = json.loads(line)
                failed[entry["video_id"]] = entry["reason"]
            except (ValueError, KeyError, TypeError):
                warnings.warn(f"{path}:{number}: unreadable line skipped")
        return {video_id: reason for video_id, reason in failed.items() if video_id not in self}
