"""The soft maximum (paper Eq. 5) of one caption-clip pair: which words and frames dominate."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .tokens import VideoTokens


@dataclass
class SoftMaxDetail:
    """Frame-word similarities of one caption-clip pair and which words and frames dominate."""

    cosine: np.ndarray         # (W, F) cosine of each valid word and frame
    frame_weights: np.ndarray  # (W, F) softmax over frames, per word (rows sum to 1)
    word_weights: np.ndarray   # (W, F) softmax over words, per frame (columns sum to 1)
    word_scores: np.ndarray    # (W,) alpha * logsumexp over frames of cos / alpha
    frame_scores: np.ndarray   # (F,) alpha * logsumexp over words of cos / alpha
    alpha: float

    @property
    def t2v(self) -> float:
        return float(self.word_scores.mean())

    @property
    def v2t(self) -> float:
        return float(self.frame_scores.mean())

    @property
    def similarity(self) -> float:
        """S_fine of the pair: (t2v + v2t) / 2."""
        return (self.t2v + self.v2t) / 2


def soft_max_detail(text_tokens: Tensor, video_tokens: Tensor, alpha: float) -> SoftMaxDetail:
    """Detail of Eq. 5 for one pair: text_tokens (W, D) and video_tokens (F, D), valid tokens only."""
    if text_tokens.dim() != 2 or video_tokens.dim() != 2 or text_tokens.shape[-1] != video_tokens.shape[-1]:
        raise ValueError(f"expected (W, D) and (F, D) tokens, got {tuple(text_tokens.shape)} and "
                         f"{tuple(video_tokens.shape)}")
    if len(text_tokens) == 0 or len(video_tokens) == 0:
        raise ValueError("a pair needs at least one word and one frame")
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    text = torch.nn.functional.normalize(text_tokens.double(), dim=-1)
    video = torch.nn.functional.normalize(video_tokens.double(), dim=-1)
    cosine = text @ video.T  # (W, F)
    scaled = cosine / alpha
    return SoftMaxDetail(
        cosine=cosine.numpy(), frame_weights=torch.softmax(scaled, 1).numpy(),
        word_weights=torch.softmax(scaled, 0).numpy(), word_scores=(alpha * torch.logsumexp(scaled, 1)).numpy(),
        frame_scores=(alpha * torch.logsumexp(scaled, 0)).numpy(), alpha=float(alpha))


def pair_detail(tokens: VideoTokens, caption: int, clip: int, alpha: float = 1.0) -> SoftMaxDetail:
    """SoftMaxDetail of caption `caption` and clip `clip` of a video."""
    n, m = tokens.shape
    if not (0 <= caption < n and 0 <= clip < m):
        raise ValueError(f"caption must be in [0, {n}) and clip in [0, {m}), got {caption}, {clip}")
    return soft_max_detail(tokens.text_tokens[caption][tokens.text_mask[caption]],
                           tokens.clip_tokens[clip][tokens.clip_mask[clip]], alpha)
