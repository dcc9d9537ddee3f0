"""The training run's configuration: TrainConfig (one YAML file) and its data section."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..config import ConfigFile, NortonConfig, coerce_fields
from ..data.loader import LoaderConfig
from ..data.sampling import SamplerConfig
from ..data.embeddings import EMBEDDING_DIM
from ..data.howto import HowToConfig
from ..data.synthetic import SyntheticConfig
from ..model import ModelConfig
from ..kernels.dispatch import Backends

DATA_SOURCES = ("synthetic", "features", "howto", "shards")
OPTIMIZERS = ("adam", "adamw")
LR_SCHEDULES = ("constant", "linear")
AMP_MODES = ("none", "bf16", "fp16")
INFONCE = "infonce"
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")  # what YAML 1.1 leaves a string: 1e-5


@dataclass
class DataConfig:
    """Where the long videos come from, and (sharded store) how batches are made from them."""

    source: str = "synthetic"   # "synthetic" (generated, with ground truth), "features" (a feature-store folder,
                                # loaded into memory), "howto" (the narrated how-to testbed, norton.data.howto,
                                # 384-d MiniLM features) or "shards" (a sharded store, streamed: norton.data.shards)
    synthetic: dict[str, Any] = field(default_factory=dict)  # SyntheticConfig fields (source="synthetic")
    howto: dict[str, Any] = field(default_factory=dict)      # HowToConfig fields (source="howto")
    features: str | None = None  # feature-store folder (source="features")
    captions: str | None = None  # HowTo100M JSON or subtitle folder; None = the store's captions.json
    merge: bool = False          # join ASR fragments into sentences
    shards: str | None = None    # sharded-store folder (source="shards")
    workers: int = 0             # source="shards": DataLoader worker processes making batches (0 = in the loop)
    prefetch: int = 2            # batches each worker keeps ready
    streams: int = 4             # shard streams per rank; workers must divide it (norton.data.loader)

    def loader_config(self) -> LoaderConfig:
        return LoaderConfig(workers=self.workers, prefetch=self.prefetch, streams=self.streams)


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
                              ("data.source", DATA_SOURCES)):
            if _lookup(self, name) not in options:
                raise bad(name, f"one of {options}")
        try:
            self.backends()
        except ValueError as error:
            raise ValueError(f"TrainConfig.{error}") from None
        if self.data.source == "features" and not self.data.features:
            raise bad("data.features", "a feature-store folder when data.source is 'features'")
        if self.data.source == "shards" and not self.data.shards:
            raise bad("data.shards", "a sharded-store folder when data.source is 'shards'")
        for name in ("workers", "prefetch", "streams"):
            if not _is_int(getattr(self.data, name)) or getattr(self.data, name) < (0 if name == "workers" else 1):
                raise bad(f"data.{name}", "an integer >= 0" if name == "workers" else "a positive integer")
        if self.data.workers and self.data.source != "shards":
            raise bad("data.workers", "0 unless data.source is 'shards' (the other sources are held in memory)")
        try:
            self.data.loader_config()
        except ValueError as error:
            raise ValueError(f"TrainConfig.data: {error}") from None
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

    def backends(self) -> Backends:
        """How the loss computes the soft maximum and the OT plans (checked by Backends itself)."""
        return Backends(self.similarity_path, self.sinkhorn_backend)

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
