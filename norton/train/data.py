"""The training batches: an endless, exactly resumable stream of ClipBatches for each rank (in memory or sharded)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..data.loader import ShardStream
from ..data.sampling import ClipBatch, SamplerConfig, sample_batch
from ..data.howto import make_howto
from ..data.synthetic import make_synthetic
from ..data.videos import LongVideo, load_feature_store
from .config import TrainConfig
from .distributed import Distributed


class BatchStream:
    """Endless seeded ClipBatches; its position is part of a checkpoint so a resumed run sees the same batches.

    One shuffle per epoch, shared by all ranks (same seed); rank r takes every world_size-th video of
    it, and draws its clips with its own generator. With several ranks, or drop_last, a last batch
    with fewer than videos_per_batch videos is skipped so every rank has the same batch size.
    """

    def __init__(self, videos: list[LongVideo], config: SamplerConfig, seed: int, ctx: Distributed = Distributed()):
        self.videos, self.config, self.ctx = videos, config, ctx
        self.drop_last = config.drop_last or ctx.enabled
        shard = len(videos) // ctx.world_size
        if shard == 0 or (self.drop_last and shard < config.videos_per_batch):
            raise ValueError(f"{len(videos)} videos cannot fill one batch of {config.videos_per_batch} videos "
                             f"per rank on {ctx.world_size} rank(s)")
        self.order_rng = np.random.default_rng([seed, 0])
        self.clip_rng = np.random.default_rng([seed, 1, ctx.rank])
        self.epoch, self.position, self.order = 0, 0, None

    def _new_epoch(self) -> None:
        count = len(self.videos)
        order = self.order_rng.permutation(count) if self.config.shuffle else np.arange(count)
        self.order = order[self.ctx.rank::self.ctx.world_size][:count // self.ctx.world_size].tolist()
        self.position = 0

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> ClipBatch:
        size = self.config.videos_per_batch
        if self.order is None:
            self._new_epoch()
        remaining = len(self.order) - self.position
        if remaining == 0 or (self.drop_last and remaining < size):
            self._new_epoch()
            self.epoch += 1
        indices = self.order[self.position:self.position + size]
        self.position += len(indices)
        return sample_batch(self.videos, indices, self.config, self.clip_rng)

    def close(self) -> None:
        """Nothing to stop: the batches are made in this process."""

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position, "order": self.order,
                "order_rng": self.order_rng.bit_generator.state, "clip_rng": self.clip_rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("source") == "shards":
            raise ValueError("the checkpoint's data position is of a sharded store (was the data source changed?)")
        self.epoch, self.position, self.order = state["epoch"], state["position"], state["order"]
        self.order_rng.bit_generator.state = state["order_rng"]
        self.clip_rng.bit_generator.state = state["clip_rng"]


def make_stream(config: TrainConfig, ctx: Distributed, device: torch.device) -> BatchStream | ShardStream:
    """This rank's batches: streamed from a sharded store (data.source "shards"), else from videos in memory."""
    if config.data.source != "shards":
        return BatchStream(load_videos(config), config.sampler_config(), config.seed, ctx)
    stream = ShardStream(config.data.shards, config.sampler_config(), config.seed, rank=ctx.rank,
                         world_size=ctx.world_size, loader=config.data.loader_config(),
                         pin_memory=device.type == "cuda")
    expected = config.model_config().video_feature_dim
    if stream.store.feature_dim != expected:
        raise ValueError(f"{config.data.shards}: the store holds {stream.store.feature_dim}-dimensional features, "
                         f"model.video_feature_dim is {expected}")
    return stream


def load_videos(config: TrainConfig) -> list[LongVideo]:
    """The training videos named by config.data."""
    data = config.data
    if data.source == "synthetic":
        return make_synthetic(config.synthetic_config()).videos
    if data.source == "howto":
        return make_howto(config.howto_config()).videos
    collection = load_feature_store(data.features, captions=data.captions, merge=data.merge,
                                    feature_dim=config.model_config().video_feature_dim)
    if not len(collection):
        raise ValueError(f"no usable video in feature store {data.features} (skipped: {collection.skipped[:5]})")
    return collection.videos
