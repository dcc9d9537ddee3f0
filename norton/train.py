"""Train a dual encoder with the Norton loss (or plain InfoNCE): AMP, checkpoints, exact resume, DDP."""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import re
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import yaml
from torch import Tensor, nn
from tqdm.auto import tqdm

from .checkpoint import (capture_rng_state, import_mmpt_checkpoint, load_checkpoint, read_checkpoint,
                         restore_rng_state, save_checkpoint)
from .config import ConfigFile, NortonConfig, coerce_fields
from .files import atomic_write
from .data.sampling import ClipBatch, SamplerConfig, sample_batch
from .data.embeddings import EMBEDDING_DIM
from .data.howto import HowToConfig, make_howto
from .data.synthetic import SyntheticConfig, make_synthetic
from .data.videos import LongVideo, load_feature_store
from .losses import NortonLoss, NortonOutput, rectified_clip_loss, sequence_blocks
from .metrics import retrieval_ranks
from .model import DualEncoder, ModelConfig
from .ot import SINKHORN_BACKENDS, bucket_sinkhorn
from .similarity import SOFT_MAX_PATHS

DATA_SOURCES = ("synthetic", "features", "howto")
OPTIMIZERS = ("adam", "adamw")
LR_SCHEDULES = ("constant", "linear")
AMP_MODES = ("none", "bf16", "fp16")
INFONCE = "infonce"
CHECKPOINT_DIR = "checkpoints"
METRICS_FILE = "metrics.jsonl"
# keys that may differ between a run and its resumption without a warning
RESUMABLE_CHANGES = ("steps", "resume", "progress", "log_every", "checkpoint_every", "keep_checkpoints", "out_dir",
                     "threads", "init_checkpoint")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")  # what YAML 1.1 leaves a string: 1e-5


# ----------------------------------------------------------------------------- configuration

@dataclass
class DataConfig:
    """Where the long videos come from."""

    source: str = "synthetic"   # "synthetic" (generated, with ground truth), "features" (a feature store)
                                # or "howto" (the narrated how-to testbed, norton.data.howto, 384-d MiniLM features)
    synthetic: dict[str, Any] = field(default_factory=dict)  # SyntheticConfig fields (source="synthetic")
    howto: dict[str, Any] = field(default_factory=dict)      # HowToConfig fields (source="howto")
    features: str | None = None  # feature-store folder (source="features")
    captions: str | None = None  # HowTo100M JSON or subtitle folder; None = the store's captions.json
    merge: bool = False          # join ASR fragments into sentences


@dataclass
class TrainConfig(ConfigFile):
    """Everything a training run needs; sub-configs are dicts of the fields that differ from defaults."""

    data: DataConfig = field(default_factory=DataConfig)
    model: dict[str, Any] = field(default_factory=lambda: {"preset": "tiny"})  # ModelConfig: preset + overrides
    loss: dict[str, Any] | str = field(default_factory=dict)  # NortonConfig fields, or "infonce"
    sampler: dict[str, Any] = field(default_factory=dict)     # SamplerConfig fields
    optimizer: str = "adam"            # "adam" | "adamw"
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.98)
    weight_decay: float = 0.0
    warmup_steps: int = 0              # linear warmup from 0 to lr
    lr_schedule: str = "constant"      # after warmup: "constant" or "linear" decay to 0 at `steps`
    steps: int = 100                   # total optimizer updates
    grad_clip: float | None = 2.0      # max global gradient norm; None = no clipping
    amp: str = "none"                  # "none" | "bf16" | "fp16" (CUDA only; fp16 uses a GradScaler)
    similarity_path: str = "auto"      # soft maximum: "auto" | "fused" (Triton) | "chunked" | "reference"
    sinkhorn_backend: str = "auto"     # both OT solves: "auto" | "fused" (Triton) | "torch"
    device: str = "auto"               # "auto" (CUDA when available), "cpu", "cuda", "cuda:1", ...
    seed: int = 0
    log_every: int = 10                # metrics.jsonl record every this many steps (and at the last)
    checkpoint_every: int = 100        # checkpoint every this many steps (and at the last)
    keep_checkpoints: int = 2          # newest checkpoints kept in out_dir/checkpoints
    out_dir: str = "runs/train"
    resume: bool = False               # continue from the newest checkpoint in out_dir
    gather_negatives: bool = False     # DDP: the loss sees every rank's batch (all_gather with gradients)
    progress: bool = True              # tqdm progress bar
    threads: int | None = None         # torch CPU threads (1 is fastest for small models on a busy box)
    init_checkpoint: str | None = None  # starting weights: a norton checkpoint or a released MMPT .pt (trusted!)

    def __post_init__(self) -> None:
        if isinstance(self.data, dict):
            self.data = DataConfig(**_known(self.data, DataConfig, "data"))
        for name in ("lr", "weight_decay", "grad_clip"):  # YAML 1.1 reads 1e-5 (no dot) as a string
            setattr(self, name, _as_number(getattr(self, name)))
        self.betas = tuple(_as_number(b) for b in self.betas)
        self._validate()

    def _validate(self) -> None:
        def bad(name: str, expected: str) -> ValueError:
            return ValueError(f"TrainConfig.{name} must be {expected}, got {_lookup(self, name)!r}")

        for name, options in (("optimizer", OPTIMIZERS), ("lr_schedule", LR_SCHEDULES), ("amp", AMP_MODES),
                              ("similarity_path", SOFT_MAX_PATHS),
                              ("sinkhorn_backend", SINKHORN_BACKENDS), ("data.source", DATA_SOURCES)):
            if _lookup(self, name) not in options:
                raise bad(name, f"one of {options}")
        if self.data.source == "features" and not self.data.features:
            raise bad("data.features", "a feature-store folder when data.source is 'features'")
        for name in ("steps", "log_every", "checkpoint_every", "keep_checkpoints"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "a positive integer")
        if self.threads is not None and (not _is_int(self.threads) or self.threads < 1):
            raise bad("threads", "a positive integer or null")
        if not _is_int(self.warmup_steps) or self.warmup_steps < 0:
            raise bad("warmup_steps", "an integer >= 0")
        if not _is_number(self.lr) or self.lr <= 0:
            raise bad("lr", "a number > 0")
        if not _is_number(self.weight_decay) or self.weight_decay < 0:
            raise bad("weight_decay", "a number >= 0")
        if len(self.betas) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in self.betas):
            raise bad("betas", "two numbers in [0, 1)")
        if self.grad_clip is not None and (not _is_number(self.grad_clip) or self.grad_clip <= 0):
            raise bad("grad_clip", "a number > 0 or null")
        if not isinstance(self.loss, dict) and self.loss != INFONCE:
            raise bad("loss", f"a mapping of NortonConfig fields or {INFONCE!r}")
        model, sampler = self.model_config(), self.sampler_config()
        loss = self.loss_config()
        if loss is not None and loss.clips_per_sequence != sampler.clips_per_sequence:
            raise ValueError(f"loss.clips_per_sequence ({loss.clips_per_sequence}) must equal "
                             f"sampler.clips_per_sequence ({sampler.clips_per_sequence})")
        if sampler.max_clip_seconds > model.max_video_len:
            raise ValueError(f"sampler.max_clip_seconds ({sampler.max_clip_seconds}) exceeds "
                             f"model.max_video_len ({model.max_video_len})")
        feature_dim = self.synthetic_config().feature_dim
        if self.data.source == "synthetic":
            if feature_dim != model.video_feature_dim:
                raise ValueError(f"data.synthetic.feature_dim ({feature_dim}) must equal "
                                 f"model.video_feature_dim ({model.video_feature_dim})")
        self.howto_config()
        if self.data.source == "howto" and model.video_feature_dim != EMBEDDING_DIM:
            raise ValueError(f"data.source 'howto' has {EMBEDDING_DIM}-d features; model.video_feature_dim is "
                             f"{model.video_feature_dim}")

    # the sub-configs, built (and so validated) from their dicts
    def model_config(self) -> ModelConfig:
        return _build(ModelConfig.from_dict, self.model, ModelConfig, "model")

    def loss_config(self) -> NortonConfig | None:
        """The NortonConfig, or None for plain InfoNCE."""
        if self.loss == INFONCE:
            return None
        return _build(NortonConfig.from_dict, self.loss, NortonConfig, "loss")

    def sampler_config(self) -> SamplerConfig:
        return _build(lambda values: SamplerConfig(**values), self.sampler, SamplerConfig, "sampler")

    def synthetic_config(self) -> SyntheticConfig:
        return _build(SyntheticConfig.from_dict, self.data.synthetic, SyntheticConfig, "data.synthetic")

    def howto_config(self) -> HowToConfig:
        return _build(lambda values: HowToConfig(**values), self.data.howto, HowToConfig, "data.howto")

    # serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain values (tuples as lists), as written to YAML."""
        values = dataclasses.asdict(self)
        values["betas"] = list(self.betas)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a dict; an unknown key anywhere is a ValueError naming its dotted path."""
        if not isinstance(values, dict):
            raise ValueError(f"a training config must be a mapping, got {type(values).__name__}")
        return cls(**_known(values, cls, ""))

    def override(self, assignments: list[str] | dict[str, Any]) -> TrainConfig:
        """A copy with dotted keys set: ['loss.beta=0.5', 'steps=10'] or {'loss.beta': 0.5}."""
        values = self.to_dict()
        items = parse_assignments(assignments) if isinstance(assignments, list) else assignments.items()
        for key, value in items:
            set_dotted(values, key, value)
        return self.from_dict(values)


def _as_number(value: Any) -> Any:
    """A numeric string ('1e-5') as a float; anything else unchanged."""
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        return float(value)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _lookup(config: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        config = getattr(config, part)
    return config


def _field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init}


def _known(values: dict[str, Any], cls: type, path: str) -> dict[str, Any]:
    """values with every key checked to be a field of the dataclass cls and every value coerced to the
    field's type (norton.config.coerce_fields); errors name path.key."""
    if not isinstance(values, dict):
        raise ValueError(f"config section {path!r} must be a mapping, got {values!r}")
    unknown = sorted(set(values) - _field_names(cls))
    if unknown:
        names = ", ".join(repr(f"{path}.{k}" if path else k) for k in unknown)
        raise ValueError(f"unknown config key {names}; known keys{' of ' + path if path else ''}: "
                         f"{sorted(_field_names(cls))}")
    return coerce_fields(values, cls, path)


def _build(factory: Callable[[dict], Any], values: dict[str, Any], cls: type, path: str) -> Any:
    """factory(values) with unknown keys reported by dotted path and other errors prefixed by it."""
    _known(values, cls, path)
    try:
        return factory(dict(values))
    except (TypeError, ValueError) as err:
        raise ValueError(f"config section {path!r}: {err}") from err


def parse_assignments(items: list[str]) -> list[tuple[str, Any]]:
    """['a.b=1', 'c=x'] -> [('a.b', 1), ('c', 'x')]; values are parsed as YAML scalars/flow values."""
    parsed = []
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE (e.g. loss.beta=0.5), got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as err:
            raise ValueError(f"--set {item!r}: value is not valid YAML: {err}") from err
        parsed.append((key.strip(), _as_number(value)))
    return parsed


def set_dotted(values: dict[str, Any], key: str, value: Any) -> None:
    """values['a']['b'] = value for key 'a.b' (missing sections are created, a scalar on the way is an error)."""
    parts = key.split(".")
    node = values
    for depth, part in enumerate(parts[:-1]):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"cannot set {key!r}: {'.'.join(parts[:depth + 1])!r} is {node!r}, not a mapping")
    node[parts[-1]] = value


# ----------------------------------------------------------------------------- distributed

@dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job (rank 0 of 1 without one)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        """Read torchrun's RANK / WORLD_SIZE / LOCAL_RANK."""
        return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                   int(os.environ.get("LOCAL_RANK", 0)))


def init_distributed(ctx: Distributed, device: torch.device) -> None:
    """Join the process group (nccl on CUDA, gloo on CPU) unless already joined or alone."""
    if ctx.enabled and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=ctx.rank,
                                world_size=ctx.world_size)


class _GatherWithGrad(torch.autograd.Function):
    """all_gather along dim 0 whose backward sums every rank's gradient and returns this rank's slice."""

    @staticmethod
    def forward(ctx: Any, tensor: Tensor) -> Tensor:
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, 0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)  # every rank's loss depends on every slice
        size = grad.shape[0] // dist.get_world_size()
        rank = dist.get_rank()
        return grad[rank * size:(rank + 1) * size]


def all_gather_with_grad(tensor: Tensor) -> Tensor:
    """(n, ...) on each rank -> (world_size * n, ...) rank-major, differentiable (see _GatherWithGrad).

    Every rank computes the same loss L on the gathered batch, so this rank's input receives
    world_size * dL/d(its slice); DDP's gradient averaging divides by world_size again, which makes
    parameter gradients those of one process training on the concatenated batch.
    """
    return _GatherWithGrad.apply(tensor)


def _max_over_ranks(value: int, device: torch.device) -> int:
    value_t = torch.tensor([value], device=device)
    dist.all_reduce(value_t, op=dist.ReduceOp.MAX)
    return int(value_t.item())


def _pad_positions(tensor: Tensor, length: int) -> Tensor:
    """Zero-pad dim 1 of (N, S, ...) to `length`."""
    if tensor.shape[1] == length:
        return tensor
    pad = tensor.new_zeros((tensor.shape[0], length - tensor.shape[1], *tensor.shape[2:]))
    return torch.cat([tensor, pad], 1)


def gather_loss_inputs(inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """NortonLoss inputs of every rank concatenated rank-major; tokens padded to the longest rank first."""
    pooled_video, pooled_text, video_tokens, text_tokens, video_mask, text_mask = inputs
    device = pooled_video.device
    video_len = _max_over_ranks(video_tokens.shape[1], device)
    text_len = _max_over_ranks(text_tokens.shape[1], device)
    video_tokens, video_mask = _pad_positions(video_tokens, video_len), _pad_positions(video_mask, video_len)
    text_tokens, text_mask = _pad_positions(text_tokens, text_len), _pad_positions(text_mask, text_len)
    masks = []
    for mask in (video_mask, text_mask):
        parts = [torch.empty_like(mask, dtype=torch.uint8) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, mask.to(torch.uint8).contiguous())  # gloo has no bool collectives
        masks.append(torch.cat(parts, 0).bool())
    features = [all_gather_with_grad(t) for t in (pooled_video, pooled_text, video_tokens, text_tokens)]
    return (*features, *masks)


# ----------------------------------------------------------------------------- data

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

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position, "order": self.order,
                "order_rng": self.order_rng.bit_generator.state, "clip_rng": self.clip_rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.position, self.order = state["epoch"], state["position"], state["order"]
        self.order_rng.bit_generator.state = state["order_rng"]
        self.clip_rng.bit_generator.state = state["clip_rng"]


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


# ----------------------------------------------------------------------------- loss

@dataclass
class LossTerms:
    """The scalars of one loss evaluation."""

    total: Tensor
    clip: Tensor
    video: Tensor
    bucket_value: Tensor | None


def loss_terms(loss_fn: NortonLoss | None, inputs: tuple[Tensor, ...]) -> LossTerms:
    """NortonLoss on the inputs, or plain clip-caption InfoNCE (beta=0, no video term) when loss_fn is None."""
    if loss_fn is None:
        clip, _ = rectified_clip_loss(inputs[0], inputs[1], beta=0.0)
        return LossTerms(clip, clip, torch.zeros_like(clip), None)
    out = loss_fn(*inputs)
    return LossTerms(out.total, out.clip, out.video, out.bucket_value)


def alignment_diagnostics(pooled_text: Tensor, pooled_video: Tensor, aligned: Tensor | None) -> dict[str, float]:
    """Mean cosine of pairs whose clip shows its caption (aligned >= 0.5) vs the rest; {} without truth."""
    if aligned is None or torch.isnan(aligned).all():
        return {}
    cosine = nn.functional.cosine_similarity(pooled_text.detach().float(), pooled_video.detach().float(), dim=-1)
    good = aligned.to(cosine.device) >= 0.5
    out = {}
    if good.any():
        out["cos_aligned"] = cosine[good].mean().item()
    if (~good).any():
        out["cos_misaligned"] = cosine[~good].mean().item()
    return out


def bucket_shares(out: NortonOutput, config: NortonConfig) -> Tensor:
    """(N,) share of each caption's mass that goes to the bucket when its paragraph meets its own video."""
    blocks = sequence_blocks(out.fused_similarity.detach(), config.clips_per_sequence)  # (M, M, K, K)
    own = blocks.diagonal(dim1=0, dim2=1).permute(2, 0, 1)                              # (M, K, K)
    solved = bucket_sinkhorn(own, out.bucket_value, config.eps_video, marginals=config.bucket_marginals,
                             n_iters=config.sinkhorn_iters)
    return solved.row_bucket_share.flatten()


@torch.no_grad()
def batch_metrics(model: DualEncoder, videos: list[LongVideo], sampler: SamplerConfig,
             loss_config: NortonConfig | None = None, *, seed: int = 0) -> dict[str, float]:
    """Held-out diagnostics over full batches of `videos` (which need ground truth).

    clip_r1: caption -> clip R@1 of pooled dot products among the batch's clips, over aligned pairs
    (clip shows its caption, aligned >= 0.5); cos_*: pooled cosine of aligned / misaligned pairs;
    bucket_share_*: share of a caption's mass the bucket takes (loss_config, prompt_ratio 0.3 if None).
    """
    config = loss_config or NortonConfig(clips_per_sequence=sampler.clips_per_sequence)
    if config.prompt_ratio is None:
        config = config.replace(prompt_ratio=0.3)
    device = next(model.parameters()).device
    loss_fn = NortonLoss(config).to(device)
    rng = np.random.default_rng(seed)
    size = sampler.videos_per_batch
    if len(videos) < size:
        raise ValueError(f"batch_metrics: {len(videos)} videos cannot fill a batch of {size}")
    was_training = model.training
    model.eval()
    ranks, cosines, shares, aligned = [], [], [], []
    for begin in range(0, len(videos) - size + 1, size):
        batch = sample_batch(videos, list(range(begin, begin + size)), sampler, rng).to(device)
        if batch.aligned is None or torch.isnan(batch.aligned).any():
            raise ValueError(f"batch_metrics: one of the videos {batch.video_ids} has no ground truth")
        encoded = model(batch.video_features, batch.video_mask, batch.captions)
        inputs = tuple(t.float() if t.is_floating_point() else t for t in encoded.loss_inputs())
        good = batch.aligned >= 0.5
        scores = inputs[1] @ inputs[0].T  # (N, N) rows captions
        if good.any():
            rows = good.nonzero()[:, 0]
            ranks.append(retrieval_ranks(scores[rows].cpu().numpy(), rows.cpu().numpy()))
        cosines.append(nn.functional.cosine_similarity(inputs[1], inputs[0], dim=-1).cpu())
        shares.append(bucket_shares(loss_fn(*inputs), config).cpu())
        aligned.append(good.cpu())
    model.train(was_training)
    cosine, share, good = torch.cat(cosines), torch.cat(shares), torch.cat(aligned)

    def mean(values: Tensor) -> float | None:
        return values.mean().item() if len(values) else None

    ranks = np.concatenate(ranks) if ranks else np.zeros(0)
    return {"pairs": len(good), "aligned_pairs": int(good.sum()),
            "clip_r1": float(np.mean(ranks <= 1)) if len(ranks) else None,
            "cos_aligned": mean(cosine[good]), "cos_misaligned": mean(cosine[~good]),
            "bucket_share_aligned": mean(share[good]), "bucket_share_misaligned": mean(share[~good])}


# ----------------------------------------------------------------------------- optimisation

def build_optimizer(config: TrainConfig, parameters: list[nn.Parameter]) -> torch.optim.Optimizer:
    kind = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return kind(parameters, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)


def lr_factor(step: int, config: TrainConfig) -> float:
    """Multiplier of lr at update `step` (0-based): linear warmup, then constant or linear decay to 0."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.lr_schedule == "linear":
        return max(0.0, (config.steps - step) / max(1, config.steps - config.warmup_steps))
    return 1.0


def resolve_device(name: str, ctx: Distributed) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"TrainConfig.device is {name!r} but CUDA is not available; use device=cpu")
        if ctx.enabled or device.index is None:
            device = torch.device("cuda", ctx.local_rank if ctx.enabled else torch.cuda.current_device())
        torch.cuda.set_device(device)
    return device


def load_initial_weights(model: DualEncoder, path: str | Path) -> None:
    """Weights from a norton checkpoint, or else from a released VideoCLIP/Norton (MMPT) file.

    An MMPT file holds pickled fairseq objects and is unpickled: name only files you trust.
    """
    try:
        state = read_checkpoint(path).model_state
    except ValueError as err:
        if "not a norton checkpoint" not in str(err):
            raise
        report = import_mmpt_checkpoint(path, model, allow_pickle=True)
        if report.problems:
            warnings.warn(f"init_checkpoint {path}: {report.summary()}; first problems: {report.problems[:5]}")
        return
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"init_checkpoint {path} does not fit the model: {err}") from err


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------- checkpoints and metrics

def checkpoint_path(out_dir: str | Path, step: int) -> Path:
    return Path(out_dir) / CHECKPOINT_DIR / f"step_{step:08d}.pt"


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Checkpoints in out_dir/checkpoints, oldest first."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    return sorted(folder.glob("step_*.pt")) if folder.is_dir() else []


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    found = list_checkpoints(out_dir)
    return found[-1] if found else None


def resumable_checkpoint(out_dir: str | Path) -> Path | None:
    """The newest checkpoint that reads back whole; newer unreadable ones (a truncated file) are skipped,
    each with a warning naming it."""
    for path in reversed(list_checkpoints(out_dir)):
        try:
            read_checkpoint(path)
        except ValueError as error:
            warnings.warn(f"{error}; resuming from an older checkpoint if there is one")
            continue
        return path
    return None


def remove_partial_checkpoints(out_dir: str | Path) -> list[Path]:
    """Delete the temporary files of checkpoint writes a kill interrupted (.step_*.pt.tmp-PID); returns them."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    stale = sorted(folder.glob(".step_*.pt.tmp-*")) if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def read_metrics(out_dir: str | Path) -> list[dict[str, Any]]:
    """The records of out_dir/metrics.jsonl; a partial last line (a kill mid-write) is dropped with a warning,
    a bad line elsewhere is a ValueError naming file:line."""
    path = Path(out_dir) / METRICS_FILE
    if not path.is_file():
        return []
    lines = [(number, line) for number, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    records = []
    for k, (number, line) in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            if k < len(lines) - 1:
                raise ValueError(f"{path}:{number}: not a JSON record ({error})") from None
            warnings.warn(f"{path}:{number}: partial last record dropped (the run was killed while writing it)")
    return records


def _truncate_metrics(out_dir: Path, step: int) -> None:
    """Drop records after `step` (written by a run that died after its last checkpoint)."""
    path = out_dir / METRICS_FILE
    if path.is_file():
        kept = [r for r in read_metrics(out_dir) if r["step"] <= step]
        path.write_text("".join(json.dumps(r) + "\n" for r in kept))


# ----------------------------------------------------------------------------- the loop

@dataclass
class TrainResult:
    """What a run produced."""

    out_dir: Path
    step: int                      # updates done
    final_loss: float | None       # loss of the last update of this call (None if nothing ran)
    checkpoint: Path | None        # newest checkpoint
    history: list[dict[str, Any]]  # every update's record of this call
    seconds: float                 # wall time of this call
    model: DualEncoder
    loss_fn: NortonLoss | None     # None for plain InfoNCE


class Trainer:
    """The state of one run: model, loss, optimizer, scheduler, scaler, data stream; steps and saves it."""

    def __init__(self, config: TrainConfig, ctx: Distributed, resume_from: Path | None = None) -> None:
        self.config, self.ctx = config, ctx
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device, ctx)
        if config.amp != "none" and self.device.type != "cuda":
            raise ValueError(f"TrainConfig.amp={config.amp!r} needs a CUDA device (device is {self.device}); "
                             "use amp=none on CPU")
        if config.gather_negatives and not ctx.enabled:
            warnings.warn("gather_negatives has no effect in a single process")
        init_distributed(ctx, self.device)
        seed_everything(config.seed)  # same initial weights on every rank
        self.model = DualEncoder(config.model_config())
        if config.init_checkpoint and resume_from is None:
            load_initial_weights(self.model, config.init_checkpoint)
        self.model.to(self.device)
        loss_config = config.loss_config()
        self.loss_fn = None if loss_config is None else NortonLoss(
            loss_config, similarity_path=config.similarity_path,
            sinkhorn_backend=config.sinkhorn_backend).to(self.device)
        torch.manual_seed(config.seed * 1_000_003 + ctx.rank)  # own dropout masks per rank
        self.network = self.model
        if ctx.enabled:
            self.network = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.parameters = [p for p in self.model.parameters() if p.requires_grad]
        if self.loss_fn is not None:
            self.parameters += [p for p in self.loss_fn.parameters() if p.requires_grad]
        self.optimizer = build_optimizer(config, self.parameters)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: lr_factor(s, config))
        self.scaler = torch.amp.GradScaler("cuda") if config.amp == "fp16" else None
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.amp)
        self.stream = BatchStream(load_videos(config), config.sampler_config(), config.seed, ctx)
        self.step, self.elapsed = 0, 0.0
        self.out_dir = Path(config.out_dir)
        if resume_from is not None:
            self.restore(resume_from)

    # -- persistence
    def save(self) -> Path | None:
        """Checkpoint the full state (every rank's data position and RNG); rank 0 writes it."""
        rank_state = {"data": self.stream.state_dict(), "rng": capture_rng_state()}
        ranks = [rank_state]
        if self.ctx.enabled:
            ranks = [None] * self.ctx.world_size
            dist.all_gather_object(ranks, rank_state)
        if not self.ctx.is_main:
            return None
        extra = {
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler else None,
            "loss_state": self.loss_fn.state_dict() if self.loss_fn is not None else {},
            "ranks": ranks, "elapsed": self.elapsed, "train_config": self.config.to_dict(),
        }
        path = save_checkpoint(checkpoint_path(self.out_dir, self.step), self.model,
                               loss_config=self.loss_fn.config if self.loss_fn is not None else None,
                               optimizer=self.optimizer, step=self.step, extra=extra)
        for old in list_checkpoints(self.out_dir)[:-self.config.keep_checkpoints]:
            old.unlink()
        return path

    def restore(self, path: Path) -> None:
        """Load a checkpoint written by save() into this trainer."""
        # read on CPU: RNG states must stay CPU tensors; weights and optimizer state follow the parameters
        checkpoint = load_checkpoint(path, self.model, self.optimizer, restore_rng=False, map_location="cpu")
        extra = checkpoint.extra
        if len(extra["ranks"]) != self.ctx.world_size:
            raise ValueError(f"checkpoint {path} was written by {len(extra['ranks'])} rank(s), "
                             f"this run has {self.ctx.world_size}")
        current = self.config.to_dict()
        changed = sorted(k for k, v in extra["train_config"].items()
                         if k not in RESUMABLE_CHANGES and current.get(k) != v)
        if changed:
            warnings.warn(f"resuming {path} with a different config for {changed}")
        self.scheduler.load_state_dict(extra["scheduler"])
        if self.scaler is not None and extra["scaler"]:
            self.scaler.load_state_dict(extra["scaler"])
        if self.loss_fn is not None:
            self.loss_fn.load_state_dict(extra["loss_state"])
        mine = extra["ranks"][self.ctx.rank]
        self.stream.load_state_dict(mine["data"])
        restore_rng_state(mine["rng"])
        self.step, self.elapsed = checkpoint.step, extra["elapsed"]

    # -- one update
    def train_step(self) -> dict[str, Any]:
        """Sample a batch, forward, backward, clip, step; return its metrics record."""
        begin = time.perf_counter()
        batch = next(self.stream).to(self.device)
        self.network.train()
        autocast = (torch.autocast(self.device.type, dtype=self.amp_dtype) if self.amp_dtype else nullcontext())
        with autocast:
            encoded = self.network(batch.video_features, batch.video_mask, batch.captions)
        inputs = tuple(t.float() if t.is_floating_point() else t for t in encoded.loss_inputs())
        if self.config.gather_negatives and self.ctx.enabled:
            inputs = gather_loss_inputs(inputs)
        terms = loss_terms(self.loss_fn, inputs)  # in float32, outside autocast
        self._check_finite(terms.total, "loss")
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(terms.total).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            terms.total.backward()
        self._average_loss_gradients()
        grad_norm = nn.utils.clip_grad_norm_(self.parameters, self.config.grad_clip or math.inf)
        if self.scaler is not None:  # an fp16 overflow skips the update, as GradScaler is meant to
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self._check_finite(grad_norm, "gradient norm")
            self.optimizer.step()
        lr = self.optimizer.param_groups[0]["lr"]
        self.scheduler.step()
        self.step += 1
        self.elapsed += time.perf_counter() - begin
        record = {"step": self.step, "loss": terms.total.item(), "loss_clip": terms.clip.item(),
                  "loss_video": terms.video.item(), "lr": lr, "grad_norm": float(grad_norm),
                  "seconds": round(self.elapsed, 4),
                  "bucket_value": None if terms.bucket_value is None else terms.bucket_value.item()}
        if self.step % self.config.log_every == 0 or self.step == self.config.steps:
            record.update(alignment_diagnostics(encoded.pooled_text, encoded.pooled_video, batch.aligned))
        return record

    def _average_loss_gradients(self) -> None:
        """DDP averages the model's gradients; the loss's own (the learnable temperature) are averaged here."""
        if not self.ctx.enabled or self.loss_fn is None:
            return
        for param in self.loss_fn.parameters():
            if param.grad is not None:
                dist.all_reduce(param.grad)
                param.grad /= self.ctx.world_size

    def _check_finite(self, value: Tensor, what: str) -> None:
        bad = (~torch.isfinite(value.detach())).float().reshape(1)
        if self.ctx.enabled:
            dist.all_reduce(bad, op=dist.ReduceOp.MAX)
        if bad.item():
            last = latest_checkpoint(self.out_dir)
            raise FloatingPointError(
                f"{what} is {value.item()} at step {self.step + 1}; training stopped. Last good checkpoint: "
                f"{last if last else 'none (no checkpoint was saved yet)'}")


def train(config: TrainConfig, callback: Callable[[dict[str, Any]], None] | None = None) -> TrainResult:
    """Run (or resume) training as configured; `callback(record)` is called after every update.

    Metrics go to out_dir/metrics.jsonl (every log_every steps and the last), checkpoints to
    out_dir/checkpoints/step_XXXXXXXX.pt (every checkpoint_every steps and the last).
    """
    begin = time.perf_counter()
    ctx = Distributed.from_env()
    out_dir = Path(config.out_dir)
    held = bool(list_checkpoints(out_dir)) or (out_dir / METRICS_FILE).exists()
    if not config.resume and held:
        raise FileExistsError(f"{out_dir} already holds a run; set resume=true to continue it or pick another out_dir")
    if config.resume and not held:
        raise FileNotFoundError(f"resume: {out_dir} holds no run to continue (no checkpoints, no {METRICS_FILE}); "
                                "check out_dir, or train without resume")
    if ctx.is_main:
        for stale in remove_partial_checkpoints(out_dir):
            warnings.warn(f"removed {stale}: a checkpoint write that was interrupted")
    latest = resumable_checkpoint(out_dir) if config.resume else None
    trainer = Trainer(config, ctx, resume_from=latest)
    if ctx.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        _truncate_metrics(out_dir, trainer.step)
    history: list[dict[str, Any]] = []
    checkpoint = latest
    bar = tqdm(total=config.steps, initial=trainer.step, desc="train", disable=not (config.progress and ctx.is_main))
    with bar:
        while trainer.step < config.steps:
            record = trainer.train_step()
            if not history and ctx.is_main:  # written once a step has run: a start that fails keeps the old one
                with atomic_write(out_dir / "config.yaml", "w") as handle:
                    handle.write(config.to_yaml())
            history.append(record)
            bar.update(1)
            bar.set_postfix(loss=f"{record['loss']:.4f}")
            if ctx.is_main and (trainer.step % config.log_every == 0 or trainer.step == config.steps):
                with open(out_dir / METRICS_FILE, "a") as handle:
                    handle.write(json.dumps(record) + "\n")
            if trainer.step % config.checkpoint_every == 0 or trainer.step == config.steps:
                checkpoint = trainer.save() or checkpoint
            if callback is not None:
                callback(record)
    if ctx.enabled:
        dist.barrier()
    return TrainResult(out_dir, trainer.step, history[-1]["loss"] if history else None,
                       latest_checkpoint(out_dir), history, time.perf_counter() - begin,
                       trainer.model, trainer.loss_fn)


# ----------------------------------------------------------------------------- command line

def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="training config YAML (e.g. configs/teach.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, dotted for sections (loss.beta=0.5); VALUE is YAML")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in out_dir")


def run(args: argparse.Namespace) -> int:
    config = TrainConfig.load(args.config).override(args.overrides)
    if args.resume:
        config = config.override({"resume": True})
    result = train(config)
    if Distributed.from_env().is_main:
        print(f"trained to step {result.step} in {result.seconds:.1f} s; final loss {result.final_loss}")
        print(f"metrics: {result.out_dir / METRICS_FILE}\ncheckpoint: {result.checkpoint}")
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0
