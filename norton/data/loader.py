"""Training batches from a sharded store, made off the training loop by DataLoader workers, exactly resumable.

Batch i of a rank is a pure function of (seed, rank, i) and the store's index: which videos (ShardPlan) and
which clips (a generator seeded with (seed, rank, i)). Resuming at batch i therefore needs only i, and the
batches are the same with 0, 1, 2 or 4 workers.

Shuffling: every epoch the shards are permuted (one seed for all ranks) and dealt to the ranks, and each
rank's shards to its `streams`; within a stream the videos of its shards are fully permuted. Batch i comes
from stream i % streams. With W workers (W divides streams), worker w serves the streams congruent to
w mod W, so every rank and worker reads disjoint shards. A stream drops the videos of an epoch that do not
fill a batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from norton.data.sampling import ClipBatch, SamplerConfig, collate, sample_video
from norton.data.shards import ShardedStore

EMPTY_EPOCHS_LIMIT = 100  # consecutive epochs a stream may get no whole batch before that is an error


@dataclass
class LoaderConfig:
    """How batches are made from a sharded store."""

    workers: int = 0          # DataLoader worker processes; 0 = in the training process
    prefetch: int = 2         # batches each worker keeps ready
    streams: int = 4          # shard streams per rank: batch i comes from stream i % streams; workers divide it
    pin_memory: bool = True   # page-locked batches when the model is on CUDA

    def __post_init__(self) -> None:
        if self.workers < 0 or self.prefetch < 1 or self.streams < 1:
            raise ValueError(f"LoaderConfig: need workers >= 0, prefetch >= 1, streams >= 1, got {self}")
        if self.workers and self.streams % self.workers:
            raise ValueError(f"LoaderConfig: workers ({self.workers}) must divide streams ({self.streams}) so "
                             "that each worker reads its own shards")


class ShardPlan:
    """Which videos (global indices) make batch i of one rank."""

    def __init__(self, shard_sizes: list[int], videos_per_batch: int, seed: int, *, rank: int = 0,
                 world_size: int = 1, streams: int = 4, shuffle: bool = True,
                 uncaptioned: list[list[int]] | None = None):
        if len(shard_sizes) < world_size * streams:
            raise ValueError(f"the store has {len(shard_sizes)} shard(s); {world_size} rank(s) x {streams} stream(s) "
                             f"need at least {world_size * streams}: write smaller shards (videos_per_shard) or "
                             "lower data.streams")
        self.sizes = np.asarray(shard_sizes, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.uncaptioned = uncaptioned or [[] for _ in shard_sizes]
        self.usable = self.sizes - np.array([len(rows) for rows in self.uncaptioned], dtype=np.int64)
        self.videos_per_batch, self.seed, self.shuffle = videos_per_batch, seed, shuffle
        self.rank, self.world_size, self.streams = rank, world_size, streams
        self.cursors: dict[int, tuple[int, int, np.ndarray]] = {}  # stream -> (epoch, its first batch, videos)

    def stream_shards(self, epoch: int, stream: int) -> np.ndarray:
        """The shards stream `stream` of this rank reads in `epoch`."""
        count = len(self.sizes)
        order = np.random.default_rng([self.seed, 2, epoch]).permutation(count) if self.shuffle else np.arange(count)
        return order[self.rank::self.world_size][stream::self.streams]

    def epoch_batches(self, epoch: int, stream: int) -> int:
        return int(self.usable[self.stream_shards(epoch, stream)].sum()) // self.videos_per_batch

    def epoch_videos(self, epoch: int, stream: int) -> np.ndarray:
        """The global indices of the stream's captioned videos in `epoch`, permuted."""
        parts = []
        for shard in self.stream_shards(epoch, stream):
            rows = np.arange(self.sizes[shard])
            if self.uncaptioned[shard]:
                rows = np.setdiff1d(rows, self.uncaptioned[shard])
            parts.append(self.offsets[shard] + rows)
        videos = np.concatenate(parts)
        if self.shuffle:
            videos = np.random.default_rng([self.seed, 3, epoch, self.rank, stream]).permutation(videos)
        return videos

    def batch(self, index: int) -> np.ndarray:
        """The global indices of the videos of batch `index` (videos_per_batch of them)."""
        stream, number = index % self.streams, index // self.streams
        epoch, first, videos = self.cursors.get(stream, (0, 0, None))
        if number < first:
            epoch, first, videos = 0, 0, None
        empty = 0
        while True:
            count = self.epoch_batches(epoch, stream)
            if number < first + count:
                break
            empty = empty + 1 if count == 0 else 0
            if empty >= EMPTY_EPOCHS_LIMIT:
                raise ValueError(f"stream {stream} of rank {self.rank} got no whole batch of {self.videos_per_batch} "
                                 f"videos in {EMPTY_EPOCHS_LIMIT} epochs: the shards are too small for the batch; "
                                 "write larger shards or lower data.streams")
            epoch, first, videos = epoch + 1, first + count, None
        if videos is None:
            videos = self.epoch_videos(epoch, stream)
            self.cursors[stream] = (epoch, first, videos)
        begin = (number - first) * self.videos_per_batch
        return videos[begin:begin + self.videos_per_batch]


@dataclass
class PackedBatch:
    """A ClipBatch on its way from a DataLoader worker, as two shared-memory tensors and a small header.

    What a worker sends in-band goes through a 64 KB pipe that its feeder thread fills between the GIL
    turns of the next batch's sampling: 200 KB of caption strings cost 20-40 ms there (measured). Each
    tensor sent alone costs a file-descriptor handshake (about 1.5 ms). So the features travel as one
    tensor, and every other field (the small tensors and the UTF-8 captions) as one byte buffer."""

    video_features: Tensor  # (N, Tmax, D)
    buffer: Tensor          # (bytes,) uint8: the fields of `layout`, each 8-byte aligned
    layout: list[tuple[str, str, tuple[int, ...], int]]  # (field, dtype, shape, offset); "captions" = UTF-8
    video_ids: list[str]

    @classmethod
    def pack(cls, batch: ClipBatch) -> PackedBatch:
        encoded = [text.encode() for text in batch.captions]
        fields = {name: value.numpy() for name, value in vars(batch).items()
                  if name not in ("video_features", "captions", "video_ids") and value is not None}
        fields["caption_ends"] = np.cumsum([len(text) for text in encoded], dtype=np.int64)
        fields["captions"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        layout, parts, offset = [], [], 0
        for name, array in fields.items():
            raw = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
            padded = -len(raw) % 8
            layout.append((name, array.dtype.str, array.shape, offset))
            parts += [raw, np.zeros(padded, np.uint8)]
            offset += len(raw) + padded
        return cls(batch.video_features, torch.from_numpy(np.concatenate(parts)), layout, batch.video_ids)

    def pin_memory(self) -> PackedBatch:
        """Page-locked (DataLoader's pin thread calls this), for non-blocking copies to CUDA."""
        return PackedBatch(self.video_features.pin_memory(), self.buffer.pin_memory(), self.layout, self.video_ids)

    def unpack(self) -> ClipBatch:
        raw = self.buffer.numpy()
        fields = {}
        for name, dtype, shape, offset in self.layout:
            dtype = np.dtype(dtype)
            size = int(np.prod(shape)) * dtype.itemsize
            fields[name] = raw[offset:offset + size].view(dtype).reshape(shape)
        text = fields.pop("captions").tobytes()
        ends = fields.pop("caption_ends").tolist()
        captions = [text[begin:end].decode() for begin, end in zip([0] + ends[:-1], ends)]
        tensors = {name: torch.from_numpy(array) for name, array in fields.items()}  # views of the buffer
        return ClipBatch(video_features=self.video_features, captions=captions, video_ids=self.video_ids,
                         **tensors)


def make_batch(store: ShardedStore, plan: ShardPlan, sampler: SamplerConfig, index: int) -> ClipBatch:
    """Batch `index`: its videos read from the store, their clips drawn with a generator of (seed, rank, index)."""
    indices = plan.batch(index).tolist()
    videos = [store.video(i) for i in indices]
    rng = np.random.default_rng([plan.seed, 1, plan.rank, index])
    return collate(videos, [sample_video(video, sampler, rng) for video in videos], indices, sampler)


class ShardBatches(IterableDataset):
    """The endless batches start, start + 1, ... of one rank; under DataLoader workers, each its share."""

    def __init__(self, store: ShardedStore, sampler: SamplerConfig, seed: int, *, rank: int = 0, world_size: int = 1,
                 streams: int = 4, start: int = 0):
        self.store, self.sampler, self.start = store, sampler, start
        self.plan = ShardPlan(store.shard_sizes, sampler.videos_per_batch, seed, rank=rank, world_size=world_size,
                              streams=streams, shuffle=sampler.shuffle, uncaptioned=store.uncaptioned)

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        if self.plan.streams % workers:
            raise ValueError(f"{workers} DataLoader workers do not divide {self.plan.streams} streams")
        index = self.start + worker  # the DataLoader hands out its workers' batches in turn
        while True:
            batch = make_batch(self.store, self.plan, self.sampler, index)
            yield batch if info is None else PackedBatch.pack(batch)
            index += workers


class ShardStream:
    """Endless ClipBatches of one rank from a sharded store, through a DataLoader; its state is the number of
    batches taken, so a resumed run continues with exactly the next batch."""

    def __init__(self, root: str, sampler: SamplerConfig, seed: int, *, rank: int = 0, world_size: int = 1,
                 loader: LoaderConfig | None = None, pin_memory: bool = False):
        self.store = ShardedStore(root)
        self.sampler, self.seed, self.rank, self.world_size = sampler, seed, rank, world_size
        self.loader = loader or LoaderConfig()
        self.pin_memory = pin_memory and self.loader.pin_memory
        self.taken = 0
        self.iterator = None
        self.dataset(0)  # checks the plan now, not at the first batch

    def dataset(self, start: int) -> ShardBatches:
        return ShardBatches(self.store, self.sampler, self.seed, rank=self.rank, world_size=self.world_size,
                            streams=self.loader.streams, start=start)

    def __iter__(self) -> ShardStream:
        return self

    def __next__(self) -> ClipBatch:
        if self.iterator is None:
            workers = self.loader.workers
            self.iterator = iter(DataLoader(  # its own generator: starting it must not draw from torch's global RNG
                self.dataset(self.taken), batch_size=None, num_workers=workers, pin_memory=self.pin_memory,
                prefetch_factor=self.loader.prefetch if workers else None, persistent_workers=False,
                generator=torch.Generator().manual_seed(self.seed)))
        batch = next(self.iterator)
        self.taken += 1
        return batch.unpack() if isinstance(batch, PackedBatch) else batch

    def close(self) -> None:
        """Stop the workers (a later next() starts them again where the stream is)."""
        self.iterator = None

    def state_dict(self) -> dict[str, Any]:
        return {"source": "shards", "batches": self.taken}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("source") != "shards":
            raise ValueError("the checkpoint's data position is not of a sharded store (was the data source changed?)")
        self.taken = int(state["batches"])
        self.iterator = None

