"""Checkpoints: our own (atomic save, exact resume with RNG states) and import of released MMPT ones."""
from __future__ import annotations

import pickle
import random
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .files import atomic_write
from .model import DualEncoder, ModelConfig

FORMAT = "norton-checkpoint-v1"


# ----------------------------------------------------------------------------- RNG states

def capture_rng_state() -> dict[str, Any]:
    """States of python's, numpy's global and torch's (CPU and CUDA) generators, as plain values."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Put back the generator states captured by capture_rng_state."""
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    numpy_state = state["numpy"]
    np.random.set_state((numpy_state["name"], numpy_state["keys"].numpy().astype(np.uint32),
                         numpy_state["pos"], numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ----------------------------------------------------------------------------- our checkpoints

@dataclass
class Checkpoint:
    """What a norton checkpoint holds."""

    model_state: dict[str, torch.Tensor]
    model_config: dict[str, Any]
    loss_config: dict[str, Any] | None
    optimizer_state: dict[str, Any] | None
    step: int
    rng_state: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def _config_dict(config: Any) -> dict[str, Any] | None:
    if config is None or isinstance(config, dict):
        return config
    return config.to_dict()


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temporary file beside path, fsync, then os.replace: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        torch.save(obj, handle)
    return path


def save_checkpoint(path: str | Path, model: nn.Module, *, loss_config: Any = None,
                    optimizer: torch.optim.Optimizer | None = None, step: int = 0,
                    extra: dict[str, Any] | None = None) -> Path:
    """Save model weights + ModelConfig, the loss config, optimizer state, step and RNG states.

    `extra` holds anything else a resume needs (scheduler, grad scaler, data position), as tensors and
    plain Python values. A DDP-wrapped model is unwrapped.
    """
    model = getattr(model, "module", model)
    if not isinstance(getattr(model, "config", None), ModelConfig):
        raise ValueError("save_checkpoint: model must be a DualEncoder (it needs model.config: ModelConfig)")
    payload = {
        "format": FORMAT,
        "model": model.state_dict(),
        "model_config": model.config.to_dict(),
        "loss_config": _config_dict(loss_config),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "rng": capture_rng_state(),
        "extra": dict(extra or {}),
    }
    return atomic_torch_save(payload, path)


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read a norton checkpoint file (tensors and plain values only) without applying it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise ValueError(f"cannot read checkpoint {path}: {err}") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a norton checkpoint ({FORMAT}); released VideoCLIP/Norton "
                         "files are imported with import_mmpt_checkpoint")
    return Checkpoint(payload["model"], payload["model_config"], payload["loss_config"],
                      payload["optimizer"], payload["step"], payload["rng"], payload["extra"])


def load_checkpoint(path: str | Path, model: nn.Module | None = None,
                    optimizer: torch.optim.Optimizer | None = None, *, restore_rng: bool = True,
                    map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read a checkpoint, load it into model/optimizer when given, and restore the RNG states."""
    checkpoint = read_checkpoint(path, map_location)
    if model is not None:
        try:
            getattr(model, "module", model).load_state_dict(checkpoint.model_state)
        except RuntimeError as err:
            raise ValueError(f"checkpoint {path} does not fit the model: {err}") from err
    if optimizer is not None:
        if checkpoint.optimizer_state is None:
            raise ValueError(f"checkpoint {path} has no optimizer state")
        optimizer.load_state_dict(checkpoint.optimizer_state)
    if restore_rng:
        restore_rng_state(checkpoint.rng_state)
    return checkpoint


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[DualEncoder, Checkpoint]:
    """Rebuild the DualEncoder from the config saved in a checkpoint and load its weights (no RNG restore)."""
    checkpoint = read_checkpoint(path, map_location)
    config = ModelConfig.from_dict(checkpoint.model_config)
    model = DualEncoder(config.replace(pretrained=False))  # the weights come from the file
    model.config = config
    load_checkpoint(path, model, restore_rng=False, map_location=map_location)
    return model, checkpoint


# ----------------------------------------------------------------------------- released MMPT checkpoints

# MMPT (fairseq examples/MMPT, MMFusionSeparate) -> ours. Both BERTs keep transformers' names; the
# video token MLP is `videomlp` there and `token_mlp` here.
MMPT_RENAMES = (("video_encoder.videomlp.", "video_encoder.token_mlp."),)
# Keys that exist in MMPT files but have no use here, with the reason.
MMPT_IGNORED = (
    (re.compile(r"(^|\.)pooler\."), "BERT pooler: VideoCLIP pools by masked means"),
    (re.compile(r"embeddings\.(position_ids|token_type_ids)$"), "index buffer of transformers 3.x"),
    (re.compile(r"embeddings\.seg_embeddings\."), "MMPT seg_embeddings: created, never used"),
)
LEGACY_LAYERNORM = {"LayerNorm.gamma": "LayerNorm.weight", "LayerNorm.beta": "LayerNorm.bias"}


@dataclass
class ImportReport:
    """Where every tensor of an imported checkpoint went (names are ours unless said otherwise)."""

    loaded: list[str] = field(default_factory=list)           # our parameters filled
    missing: list[str] = field(default_factory=list)          # our parameters left as they were
    unexpected: list[str] = field(default_factory=list)       # checkpoint keys with no destination
    shape_mismatch: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)          # checkpoint keys known to be unused

    @property
    def problems(self) -> list[str]:
        return ([f"missing: {k}" for k in self.missing] + [f"unexpected: {k}" for k in self.unexpected]
                + [f"shape mismatch: {k} checkpoint {a} vs model {b}" for k, a, b in self.shape_mismatch])

    def summary(self) -> str:
        return (f"loaded {len(self.loaded)}, missing {len(self.missing)}, unexpected {len(self.unexpected)}, "
                f"shape mismatch {len(self.shape_mismatch)}, ignored {len(self.ignored)}")


class _Unresolved:
    """Stands in for a pickled object whose class is not importable here (fairseq, omegaconf...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _LenientUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Unresolved,), {"__module__": module})


_lenient_pickle = types.SimpleNamespace(__name__="lenient_pickle", Unpickler=_LenientUnpickler,
                                        load=lambda f, **kw: _LenientUnpickler(f, **kw).load())


def _read_foreign(path: Path, allow_pickle: bool) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if not allow_pickle:
            raise ValueError(f"{path} holds Python objects besides tensors (fairseq args/cfg/meters); "
                             "if you trust the file, import it with allow_pickle=True") from err
    except Exception as err:
        raise ValueError(f"cannot read checkpoint {path}: {err}") from err
    try:
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_lenient_pickle)
    except Exception as err:
        raise ValueError(f"cannot read checkpoint {path}: {err}") from err


def mmpt_state_dict(checkpoint: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The model tensors of a fairseq/MMPT checkpoint dict, `mmmodel.` wrapper prefix removed."""
    state = checkpoint
    for key in ("state_dict", "model"):
        if isinstance(state.get(key), Mapping):
            state = state[key]
    tensors = {k.removeprefix("mmmodel."): v for k, v in state.items() if torch.is_tensor(v)}
    if not tensors:
        raise ValueError("no tensors found in the checkpoint (expected a fairseq dict with 'model')")
    return tensors


def mmpt_key_to_ours(key: str) -> str | None:
    """Our parameter name for an MMPT key, or None when the key is known to be unused."""
    if any(pattern.search(key) for pattern, _ in MMPT_IGNORED):
        return None
    for old, new in MMPT_RENAMES + tuple(LEGACY_LAYERNORM.items()):
        key = key.replace(old, new)
    return key


def import_mmpt_checkpoint(source: str | Path | Mapping[str, Any], model: nn.Module, *,
                           strict: bool = False, allow_pickle: bool = False) -> ImportReport:
    """Load a released VideoCLIP/Norton (MMPT) checkpoint into a DualEncoder and report every key.

    source: a path or an already loaded dict. strict=True raises (before touching the model) when any
    key is missing, unexpected or of another shape. allow_pickle=True lets torch unpickle the fairseq
    objects stored beside the weights (unknown classes become placeholders): only for trusted files.
    """
    if isinstance(source, (str, Path)):
        source = _read_foreign(Path(source), allow_pickle)
    if not isinstance(source, Mapping):
        raise ValueError(f"an MMPT checkpoint must be a dict, got {type(source).__name__}")
    model = getattr(model, "module", model)
    ours = model.state_dict()
    report, to_load = ImportReport(), {}
    for key, tensor in mmpt_state_dict(source).items():
        target = mmpt_key_to_ours(key)
        if target is None:
            report.ignored.append(key)
        elif target not in ours:
            report.unexpected.append(key)
        elif tuple(tensor.shape) != tuple(ours[target].shape):
            report.shape_mismatch.append((key, tuple(tensor.shape), tuple(ours[target].shape)))
        else:
            to_load[target] = tensor.to(ours[target].dtype)
    report.loaded = sorted(to_load)
    mismatched = {mmpt_key_to_ours(k) for k, _, _ in report.shape_mismatch}
    report.missing = sorted(k for k in ours if k not in to_load and k not in mismatched)
    if strict and report.problems:
        raise ValueError("MMPT checkpoint does not match the model:\n  " + "\n  ".join(report.problems))
    model.load_state_dict(to_load, strict=False)
    return report
