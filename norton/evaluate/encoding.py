"""Encoding for evaluation: a model's pooled and per-frame outputs of clips and captions, in batches."""
from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..model import TowerOutput

ENCODE_BATCH = 256          # clips or captions per forward pass


class Encoder(Protocol):
    """What evaluation needs of a model (DualEncoder, or a stub in tests)."""

    config: Any  # has max_video_len: the most video positions encode_video accepts

    def encode_text(self, captions: list[str]) -> TowerOutput: ...

    def encode_video(self, video_features: torch.Tensor, video_mask: torch.Tensor) -> TowerOutput: ...



def _device(model: Encoder) -> torch.device:
    parameter = next(iter(getattr(model, "parameters", lambda: iter(()))()), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def max_rows(model: Encoder, fps: float, seconds: float) -> int:
    """Feature rows of a clip of `seconds`, capped by the model's max_video_len."""
    return max(1, min(int(round(seconds * fps)), int(model.config.max_video_len)))


def pad_clips(clips: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """(T_i, D) arrays -> zero-padded features (N, T, D) float32 and mask (N, T) bool."""
    longest = max(len(c) for c in clips)
    features = np.zeros((len(clips), longest, clips[0].shape[1]), np.float32)
    mask = np.zeros((len(clips), longest), bool)
    for i, clip in enumerate(clips):
        features[i, :len(clip)] = clip
        mask[i, :len(clip)] = True
    return torch.from_numpy(features), torch.from_numpy(mask)


@torch.no_grad()
def encode_clips(model: Encoder, clips: Sequence[np.ndarray], *, frames: bool = False,
                 batch_size: int = ENCODE_BATCH, progress: bool = False) -> list[np.ndarray]:
    """Pooled outputs (H,) of each (T_i, D) clip, or with `frames` its per-row token outputs (T_i, H)."""
    device, out = _device(model), []
    for begin in tqdm(range(0, len(clips), batch_size), desc="encoding clips", disable=not progress, leave=False):
        batch = clips[begin:begin + batch_size]
        features, mask = pad_clips(batch)
        encoded = model.encode_video(features.to(device), mask.to(device))
        if frames:  # positions 1..T are the frames ([CLS] first, [SEP] last)
            tokens = encoded.tokens[:, 1:-1].float().cpu().numpy()
            out += [tokens[i, :len(clip)] for i, clip in enumerate(batch)]
        else:
            out += list(encoded.pooled.float().cpu().numpy())
    return out


@torch.no_grad()
def encode_captions(model: Encoder, texts: Sequence[str], *, batch_size: int = ENCODE_BATCH,
                    progress: bool = False) -> np.ndarray:
    """(N, H) pooled text outputs."""
    out = []
    for begin in tqdm(range(0, len(texts), batch_size), desc="encoding captions", disable=not progress,
                      leave=False):
        out.append(model.encode_text(list(texts[begin:begin + batch_size])).pooled.float().cpu().numpy())
    return np.concatenate(out)



class EvalMode:
    """Context: model.eval() inside, its previous training flag restored after."""

    def __init__(self, model: Encoder) -> None:
        self.model, self.was_training = model, getattr(model, "training", False)

    def __enter__(self) -> None:
        if hasattr(self.model, "eval"):
            self.model.eval()

    def __exit__(self, *exc_info: Any) -> None:
        if hasattr(self.model, "train"):
            self.model.train(self.was_training)
