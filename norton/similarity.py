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


# Padding is folded into the matmul: two extra coordinates give every (word, frame) pair that
# involves a padded token a cosine of -PAD_SCORE, whose exponential is exactly 0.
PAD_SCORE = 1e4
# exp((cos - 1) / alpha) >= exp(-2 / alpha) must stay a normal float; below this alpha (per dtype)
# the log-sum-exps are taken with the max-subtracting torch.logsumexp instead.
SHIFTED_EXP_LIMIT = {torch.float32: 80.0, torch.float64: 700.0}


def _with_padding_coordinates(text: Tensor, video: Tensor, text_mask: Tensor, video_mask: Tensor
                              ) -> tuple[Tensor, Tensor]:
    """(N, W, D+2) and (N, F, D+2) tokens whose dot product is the cosine, or -PAD_SCORE at padding."""
    pad_word, pad_frame = (~text_mask).to(text.dtype), (~video_mask).to(video.dtype)
    text = torch.cat([text, (1 - pad_word)[..., None], -PAD_SCORE * pad_word[..., None]], -1)
    video = torch.cat([video, -PAD_SCORE * pad_frame[..., None], torch.ones_like(pad_frame)[..., None]], -1)
    return text, video


class _SoftMaxSums(torch.autograd.Function):
    """Sums of masked log-sum-exps over the frame-word tensor, chunked; recomputed in backward."""

    @staticmethod
    def forward(ctx, text: Tensor, video: Tensor, text_mask: Tensor, video_mask: Tensor,
                alpha: float, chunk: int) -> tuple[Tensor, Tensor]:
        ctx.save_for_backward(text, video, text_mask, video_mask)
        ctx.alpha, ctx.chunk = alpha, chunk
        text_ext, video_ext = _with_padding_coordinates(text, video, text_mask, video_mask)
        t2v, v2t = [], []
        for start in range(0, text.shape[0], chunk):
            sl = slice(start, start + chunk)
            words, frames = _chunk_lse(text_ext[sl], video_ext, alpha)  # (c, W, N), (c, N, F)
            t2v.append(words.masked_fill(~text_mask[sl, :, None], 0).sum(1))
            v2t.append(frames.masked_fill(~video_mask[None], 0).sum(-1))
        return alpha * torch.cat(t2v), alpha * torch.cat(v2t)

    @staticmethod
    def backward(ctx, grad_t2v: Tensor, grad_v2t: Tensor):
        text, video, text_mask, video_mask = ctx.saved_tensors
        alpha, chunk = ctx.alpha, ctx.chunk
        text_ext, video_ext = _with_padding_coordinates(text, video, text_mask, video_mask)
        n, frames_per_clip, dim = video_ext.shape
        video_flat = video_ext.reshape(n * frames_per_clip, dim)
        grad_text = torch.empty_like(text)
        grad_video = torch.zeros_like(video_flat)
        for start in range(0, text.shape[0], chunk):
            sl = slice(start, start + chunk)
            # d(alpha*LSE_f(cos/alpha))/d cos = softmax over frames; likewise softmax over words
            weights = _chunk_softmax_sum(text_ext[sl], video_ext, alpha, grad_t2v[sl], grad_v2t[sl])
            weights = weights.reshape(-1, n * frames_per_clip)   # (c*W, N*F)
            grad_text[sl] = (weights @ video_flat).view(-1, text.shape[1], dim)[..., :-2]
            grad_video += weights.transpose(0, 1) @ text_ext[sl].reshape(-1, dim)
        return grad_text, grad_video.view(n, frames_per_clip, dim)[..., :-2], None, None, None, None


def _chunk_scores(text: Tensor, video: Tensor) -> Tensor:
    """Cosines (c, W, N, F) of a chunk of captions against every clip (-PAD_SCORE at padding)."""
    c, words, dim = text.shape
    n, frames, _ = video.shape
    s = text.reshape(c * words, dim) @ video.reshape(n * frames, dim).transpose(0, 1)
    return s.view(c, words, n, frames)


def _shifted_exp(s: Tensor, alpha: float) -> Tensor | None:
    """exp((s - 1) / alpha) in place (cosines <= 1 cannot overflow), or None when it could underflow."""
    if 2.0 / alpha >= SHIFTED_EXP_LIMIT.get(s.dtype, 0.0):
        return None
    return s.sub_(1.0).div_(alpha).exp_()


def _chunk_lse(text: Tensor, video: Tensor, alpha: float) -> tuple[Tensor, Tensor]:
    """log-sum-exp of cos/alpha over frames (c, W, N) and over words (c, N, F); -inf for padding."""
    s = _chunk_scores(text, video)
    e = _shifted_exp(s, alpha)
    if e is None:
        s = s / alpha
        return torch.logsumexp(s, 3), torch.logsumexp(s, 1)
    return e.sum(3).log_().add_(1.0 / alpha), e.sum(1).log_().add_(1.0 / alpha)


def _chunk_softmax_sum(text: Tensor, video: Tensor, alpha: float, grad_t2v: Tensor,
                       grad_v2t: Tensor) -> Tensor:
    """(c, W, N, F): softmax over frames * grad_t2v + softmax over words * grad_v2t (0 at padding)."""
    s = _chunk_scores(text, video)
    e = _shifted_exp(s, alpha)
    if e is None:  # padded tokens are zero vectors, so whatever weight they get moves nothing
        s = s / alpha
        return (torch.softmax(s, 3) * grad_t2v[:, None, :, None]
                + torch.softmax(s, 1) * grad_v2t[:, None, :, None])
    per_word = grad_t2v[:, None, :] / e.sum(3)    # (c, W, N); padded words: x / 0
    per_frame = grad_v2t[:, :, None] / e.sum(1)   # (c, N, F); padded frames: x / 0
    per_word = torch.nan_to_num(per_word, nan=0.0, posinf=0.0, neginf=0.0)
    per_frame = torch.nan_to_num(per_frame, nan=0.0, posinf=0.0, neginf=0.0)
    return e.mul_(per_word[..., None] + per_frame[:, None])


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
