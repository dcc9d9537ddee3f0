"""NortonConfig: the loss hyper-parameters and the switches between the released code and the paper."""
from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

VARIANTS = ("paper", "official")
BUCKET_MARGINALS = ("uniform", "dustbin")
FINE_SIMILARITIES = ("soft_max", "max", "mean")

# Each switch is a place where the released code departs from the paper (docs/method.md: the five switches).
# `variant` picks their defaults; any of them can be overridden alone.
VARIANT_SWITCHES: dict[str, dict[str, Any]] = {
    "paper": {
        "mask_padding": True,            # soft-maximum over valid frames/words only
        "minmax_normalize": False,       # similarities enter the OT as they are
        "bucket_marginals": "uniform",   # uniform marginals on the (K+1) x (K+1) augmented problem
        "renormalize_plan_mass": False,  # logits = <Q, S> / tau with the cropped plan as solved
        "learnable_temperature": True,   # tau is a parameter, initialised at `temperature`
    },
    "official": {
        "mask_padding": False,           # padded words/frames leak in as alpha*log(n) terms
        "minmax_normalize": True,        # min-max over the batch of S_mean, t2v and v2t
        "bucket_marginals": "dustbin",   # SuperGlue marginals: real rows/cols 1 each, bucket K
        "renormalize_plan_mass": True,   # every cropped block rescaled to total mass K
        "learnable_temperature": False,  # the released Parameter is never registered, so never trained
    },
}
SWITCHES = tuple(VARIANT_SWITCHES["paper"])


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
INTEGER = re.compile(r"[+-]?\d+")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def coerce_value(value: Any, annotation: Any, key: str) -> Any:
    """`value` as the field type `annotation` wants (YAML 1.1 reads 5e-2 as a string, 'no' may be quoted);
    a ValueError names the dotted `key`, the value and the expected type."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any or (isinstance(annotation, type) and dataclasses.is_dataclass(annotation)):
        return value  # nested sections check themselves
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        for option in sorted(options, key=lambda a: not isinstance(value, typing.get_origin(a) or a)):
            try:
                return coerce_value(value, option, key)
            except ValueError:
                continue
        raise ValueError(f"{key}: expected {' or '.join(map(_type_name, args))}, got {value!r}")
    expected = origin or annotation
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
            return int(value)
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
            return float(value)
    elif expected is str:
        if isinstance(value, str):
            return value
    elif expected in (tuple, list) and isinstance(value, (list, tuple)):
        if expected is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ValueError(f"{key}: expected {len(args)} values ({_type_name(annotation)}), got {value!r}")
            return tuple(coerce_value(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        item = args[0] if args else Any
        items = [coerce_value(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if expected is tuple else items
    elif expected is dict:
        if isinstance(value, dict):
            return value
    else:
        return value  # a type this check does not know: the dataclass validates it
    raise ValueError(f"{key}: expected {_type_name(annotation)}, got {value!r} ({type(value).__name__})")


def coerce_fields(values: dict[str, Any], cls: type, path: str = "") -> dict[str, Any]:
    """The dict with every known field of dataclass `cls` coerced to its annotated type (coerce_value)."""
    hints = typing.get_type_hints(cls)
    prefix = f"{path}." if path else ""
    return {name: coerce_value(value, hints[name], prefix + name) if name in hints else value
            for name, value in values.items()}


class ConfigFile:
    """JSON/YAML round trips for a config dataclass that defines to_dict() and from_dict()."""

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str):
        values = yaml.safe_load(text) or {}
        if not isinstance(values, dict):
            raise ValueError(f"{cls.__name__} YAML must be a mapping, got {type(values).__name__}")
        return cls.from_dict(values)

    @classmethod
    def load(cls, path: str | Path):
        """Read a .json or .yaml/.yml file."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{cls.__name__} file not found: {path}")
        text = path.read_text()
        try:
            return cls.from_json(text) if path.suffix == ".json" else cls.from_yaml(text)
        except (yaml.YAMLError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}") from None


@dataclass
class NortonConfig(ConfigFile):
    """Hyper-parameters of the Norton loss; switches left as None take the variant's default."""

    variant: str = "paper"
    clips_per_sequence: int = 8        # K: consecutive clips forming one long video / paragraph
    eps_video: float = 0.1             # entropic weight of the video-paragraph OT
    eps_clip: float = 1.0              # entropic weight of the faulty-negative OT
    sinkhorn_iters: int = 50           # iterations of both Sinkhorn solves
    beta: float = 0.3                  # weight of the OT plan in the rectified clip-caption target
    alpha: float = 1.0                 # soft-maximum (log-sum-exp) temperature
    prompt_ratio: float | None = 0.3   # bucket value = this quantile of the aligned pairs; None = no bucket
    fusion_weight: float = 0.5         # S = (w * S_mean + S_fine) / (w + 1)
    video_weight: float = 0.1          # lambda: total = clip + lambda * video
    temperature: float = 0.07          # tau of the video-paragraph softmax
    # the clip-caption similarity of the video-paragraph OT: "soft_max" (Eq. 5, Norton), "max"
    # (FILIP: the hard max over tokens) or "mean" (pooled cosine only; Table 7 row C)
    fine_similarity: str = "soft_max"
    mask_padding: bool | None = None
    minmax_normalize: bool | None = None
    bucket_marginals: str | None = None
    renormalize_plan_mass: bool | None = None
    learnable_temperature: bool | None = None
    _explicit: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"NortonConfig.variant must be one of {VARIANTS}, got {self.variant!r}")
        self._explicit = frozenset(s for s in SWITCHES if getattr(self, s) is not None)
        for name, default in VARIANT_SWITCHES[self.variant].items():
            if getattr(self, name) is None:
                setattr(self, name, default)
        self._validate()

    def _validate(self) -> None:
        def bad(name: str, expected: str) -> ValueError:
            return ValueError(f"NortonConfig.{name} must be {expected}, got {getattr(self, name)!r}")

        if int(self.clips_per_sequence) != self.clips_per_sequence or self.clips_per_sequence < 1:
            raise bad("clips_per_sequence", "a positive integer")
        if int(self.sinkhorn_iters) != self.sinkhorn_iters or self.sinkhorn_iters < 1:
            raise bad("sinkhorn_iters", "a positive integer")
        for name in ("eps_video", "eps_clip", "alpha", "temperature"):
            if not float(getattr(self, name)) > 0:
                raise bad(name, "> 0")
        if not 0.0 <= self.beta <= 1.0:
            raise bad("beta", "in [0, 1]")
        if self.prompt_ratio is not None and not 0.0 < self.prompt_ratio <= 1.0:
            raise bad("prompt_ratio", "in (0, 1] or None")
        for name in ("fusion_weight", "video_weight"):
            if not float(getattr(self, name)) >= 0:
                raise bad(name, ">= 0")
        if self.bucket_marginals not in BUCKET_MARGINALS:
            raise bad("bucket_marginals", f"one of {BUCKET_MARGINALS}")
        if self.fine_similarity not in FINE_SIMILARITIES:
            raise bad("fine_similarity", f"one of {FINE_SIMILARITIES}")

    def to_dict(self) -> dict[str, Any]:
        """All fields as plain Python values; a switch not chosen explicitly is None (its variant's default),
        so from_dict(to_dict(c)) equals c and still follows a later change of variant."""
        return {f.name: None if f.name in SWITCHES and f.name not in self._explicit else getattr(self, f.name)
                for f in dataclasses.fields(self) if f.init}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> NortonConfig:
        """Build from a dict; an unknown key is a ValueError naming it."""
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown NortonConfig key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**coerce_fields(values, cls))

    def replace(self, **changes: Any) -> NortonConfig:
        """A copy with some fields changed; switches not set explicitly follow a changed variant."""
        return self.from_dict({**self.to_dict(), **changes})
