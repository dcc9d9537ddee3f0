"""Clip-caption similarities: cosine of pooled features and the soft-maximum frame-word similarity.

All matrices are (N_captions, N_clips): rows captions, columns clips.

Soft-maximum (paper Eq. 5), with s[a,b,w,f] the cosine of word w of caption a and frame f of clip b:
    t2v[a,b] = 1/n_t(a) * sum_w alpha * log sum_f exp(s[a,b,w,f] / alpha)   (words -> frames)
    v2t[a,b] = 1/n_v(b) * sum_f alpha * log sum_w exp(s[a,b,w,f] / alpha)   (frames -> words)
    S_fine   = (t2v + v2t) / 2
With `mask_padding` the sums and log-sum-exps run over valid tokens only (paper). Without it they
reproduce the released code, where every padded word adds alpha*log n_v(b) to t2v's sum and every
padded frame adds alpha*log n_t(a) to v2t's (those are the values its zero-filled cosines produce).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

# Elements of one chunk of the (chunk, N, W, F) frame-word tensor: 2**24 floats = 64 MiB in fp32.
CHUNK_ELEMENTS = 2**24


def pooled_cosine(pooled_text: Tensor, pooled_video: Tensor) -> Tensor:
    """Cosine similarity of pooled features: (N, D), (N, D) -> (N, N), rows captions."""
    return F.normalize(pooled_text, dim=-1) @ F.normalize(pooled_video, dim=-1).transpose(-1, -2)


def minmax(x: Tensor) -> Tensor:
    """Rescale a whole matrix to [0, 1] by its min and max (gradients reach the extremes)."""
    low, high = x.min(), x.max()
    return (x - low) / (high - low)


class _SoftMaxSums(torch.autograd.Function):
    """Sums of masked log-sum-exps over the frame-word tensor, chunked; recomputed in backward."""

    @staticmethod
    def forward(ctx, text: Tensor, video: Tensor, text_mask: Tensor, video_mask: Tensor,
                alpha: float, chunk: int) -> tuple[Tensor, Tensor]:
        ctx.save_for_backward(text, video, text_mask, video_mask)
        ctx.alpha, ctx.chunk = alpha, chunk
        t2v, v2t = [], []
        for start in range(0, text.shape[0], chunk):
            sl = slice(start, start + chunk)
            s = _scaled_scores(text[sl], video, text_mask[sl], video_mask, alpha)
            words = torch.logsumexp(s, dim=3)   # (c, N, W): word -> its best frames
            frames = torch.logsumexp(s, dim=2)  # (c, N, F): frame -> its best words
            t2v.append(words.masked_fill(~text_mask[sl, None, :], 0).sum(-1))
            v2t.append(frames.masked_fill(~video_mask[None], 0).sum(-1))
        return alpha * torch.cat(t2v), alpha * torch.cat(v2t)

    @staticmethod
    def backward(ctx, grad_t2v: Tensor, grad_v2t: Tensor):
        text, video, text_mask, video_mask = ctx.saved_tensors
        alpha, chunk = ctx.alpha, ctx.chunk
        grad_text = torch.empty_like(text)
        grad_video = torch.zeros_like(video)
        for start in range(0, text.shape[0], chunk):
            sl = slice(start, start + chunk)
            s = _scaled_scores(text[sl], video, text_mask[sl], video_mask, alpha)
            # d(alpha*LSE_f(s/alpha))/d cos = softmax over frames; likewise softmax over words.
            g = torch.softmax(s, dim=3) * grad_t2v[sl, :, None, None]
            g = g + torch.softmax(s, dim=2) * grad_v2t[sl, :, None, None]
            g = g.masked_fill(~(text_mask[sl, None, :, None] & video_mask[None, :, None, :]), 0)
            grad_text[sl] = torch.einsum("abwf,bfd->awd", g, video)
            grad_video += torch.einsum("abwf,awd->bfd", g, text[sl])
        return grad_text, grad_video, None, None, None, None


def _scaled_scores(text: Tensor, video: Tensor, text_mask: Tensor, video_mask: Tensor,
                   alpha: float) -> Tensor:
    """cos/alpha for every (caption, clip, word, frame), -inf where a token is padding: (c, N, W, F)."""
    s = torch.einsum("awd,bfd->abwf", text, video) / alpha
    valid = text_mask[:, None, :, None] & video_mask[None, :, None, :]
    return s.masked_fill(~valid, -math.inf)


def soft_max_scores(text_tokens: Tensor, video_tokens: Tensor, text_mask: Tensor, video_mask: Tensor,
                    alpha: float, *, mask_padding: bool = True, chunk_elements: int = CHUNK_ELEMENTS
                    ) -> tuple[Tensor, Tensor]:
    """(t2v, v2t), each (N_captions, N_clips), of the soft-maximum similarity; see the module doc.

    Memory: the (N, N, W, F) frame-word tensor is never held whole; forward and backward work on
    chunks of caption rows of at most `chunk_elements` entries each (a few such buffers alive at
    once: about 4 * chunk_elements * itemsize bytes beyond inputs and outputs), recomputing the
    scores in the backward pass instead of storing them.
    """
    n_text, words = text_tokens.shape[:2]
    n_video, frames = video_tokens.shape[:2]
    text = F.normalize(text_tokens, dim=-1).masked_fill(~text_mask[..., None], 0)
    video = F.normalize(video_tokens, dim=-1).masked_fill(~video_mask[..., None], 0)
    chunk = max(1, chunk_elements // max(1, n_video * words * frames))
    t2v, v2t = _SoftMaxSums.apply(text, video, text_mask, video_mask, float(alpha), chunk)
    n_t = text_mask.sum(-1).to(t2v.dtype)[:, None]   # (N, 1) words per caption
    n_v = video_mask.sum(-1).to(t2v.dtype)[None, :]  # (1, N) frames per clip
    if not mask_padding:  # the released code's padding leak, in closed form
        t2v = t2v + (words - n_t) * alpha * n_v.log()
        v2t = v2t + (frames - n_v) * alpha * n_t.log()
    return t2v / n_t, v2t / n_v


def soft_max_scores_reference(text_tokens: Tensor, video_tokens: Tensor, text_mask: Tensor,
                              video_mask: Tensor, alpha: float, *, mask_padding: bool = True
                              ) -> tuple[Tensor, Tensor]:
    """The same (t2v, v2t) by materialising the whole (N, N, W, F) tensor (for tests and benchmarks)."""
    text = F.normalize(text_tokens, dim=-1)
    video = F.normalize(video_tokens, dim=-1)
    tm, vm = text_mask.to(text.dtype), video_mask.to(video.dtype)
    s = torch.einsum("awd,bfd->abwf", text, video) * tm[:, None, :, None] * vm[None, :, None, :]
    n_t, n_v = tm.sum(-1)[:, None], vm.sum(-1)[None, :]
    if mask_padding:
        valid = text_mask[:, None, :, None] & video_mask[None, :, None, :]
        s = (s / alpha).masked_fill(~valid, -math.inf)
        words = (alpha * torch.logsumexp(s, 3)).masked_fill(~text_mask[:, None, :], 0)
        frames = (alpha * torch.logsumexp(s, 2)).masked_fill(~video_mask[None], 0)
    else:  # released code: padded cosines are 0, their exp(0) = 1 subtracted inside the log
        e = (s / alpha).exp()
        words = alpha * (e.sum(3) - (vm.shape[-1] - n_v)[..., None]).log()
        frames = alpha * (e.sum(2) - (tm.shape[-1] - n_t)[..., None]).log()
    return words.sum(-1) / n_t, frames.sum(-1) / n_v


def soft_max_similarity(text_tokens: Tensor, video_tokens: Tensor, text_mask: Tensor,
                        video_mask: Tensor, alpha: float, *, mask_padding: bool = True,
                        minmax_normalize: bool = False, reference: bool = False) -> Tensor:
    """Soft-maximum frame-word similarity S_fine (N_captions, N_clips) = mean of t2v and v2t."""
    scores = soft_max_scores_reference if reference else soft_max_scores
    t2v, v2t = scores(text_tokens, video_tokens, text_mask, video_mask, alpha, mask_padding=mask_padding)
    if minmax_normalize:
        t2v, v2t = minmax(t2v), minmax(v2t)
    return (t2v + v2t) / 2
