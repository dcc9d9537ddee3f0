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

from .kernels.dispatch import SOFT_MAX_PATHS, run_or_fall_back

# Elements of one chunk of the (chunk, N, W, F) frame-word tensor: 2**24 floats = 64 MiB in fp32.
CHUNK_ELEMENTS = 2**24


def pooled_cosine(pooled_text: Tensor, pooled_video: Tensor) -> Tensor:
    """Cosine similarity of pooled features: (N, D), (N, D) -> (N, N), rows captions."""
    return F.normalize(pooled_text, dim=-1) @ F.normalize(pooled_video, dim=-1).transpose(-1, -2)


def masked_mean(tokens: Tensor, mask: Tensor) -> Tensor:
    """Mean of tokens (N, S, H) over positions where mask (N, S) is True -> (N, H)."""
    weights = mask.to(tokens.dtype).unsqueeze(-1)  # (N, S, 1)
    return (tokens * weights).sum(1) / weights.sum(1)


def minmax(x: Tensor) -> Tensor:
    """Rescale a whole matrix to [0, 1] by its min and max (gradients reach the extremes)."""
    low, high = x.min(), x.max()
    return (x - low) / (high - low)


# exp((cos - 1) / alpha) >= exp(-2 / alpha) must stay a normal float; below this alpha (per dtype)
# the log-sum-exps subtract their own maxima instead.
SHIFTED_EXP_LIMIT = {torch.float32: 80.0, torch.float64: 700.0}
# The exponentials of all chunks are kept for the backward pass when they total at most this many
# entries (2**25 = 128 MiB in fp32); beyond it the backward pass recomputes them chunk by chunk.
SAVE_ELEMENTS = 2**25


def _caption_chunks(words_per_caption: list[int], rows_per_chunk: int) -> list[tuple[int, int, int, int]]:
    """Split captions into runs of at most rows_per_chunk words (at least one caption each):
    (first caption, end caption, first word row, end word row)."""
    chunks, a0, r0, rows = [], 0, 0, 0
    for a, count in enumerate(words_per_caption):
        if rows and rows + count > rows_per_chunk:
            chunks.append((a0, a, r0, r0 + rows))
            a0, r0, rows = a, r0 + rows, 0
        rows += count
    chunks.append((a0, len(words_per_caption), r0, r0 + rows))
    return chunks


def _chunk_exponentials(text: Tensor, video: Tensor, word_caption: Tensor, frame_clip: Tensor,
                        n_captions: int, n_clips: int, alpha: float) -> tuple[Tensor, ...]:
    """For a chunk of words (R, D) of n_captions captions against all frames (T_f, D):
    exponentials and their sums over each clip's frames (R, N) and over each caption's words
    (c, T_f), plus the log-sum-exps (R, N) and (c, T_f). E_words is E_frames when one shift fits."""
    s = text @ video.transpose(0, 1)  # (R, T_f) cosines of valid tokens only
    if s.dtype in (torch.float16, torch.bfloat16):
        s = s.float()
    rows = s.shape[0]
    if 2.0 / alpha < SHIFTED_EXP_LIMIT.get(s.dtype, 0.0):  # one shift for every sum: cos <= 1
        e_words = e_frames = s.sub_(1.0).div_(alpha).exp_()
        word_shift = frame_shift = 1.0 / alpha
    else:  # small alpha: subtract each (word, clip) and each (caption, frame) maximum
        s = s.div_(alpha)
        word_shift = s.new_full((rows, n_clips), -math.inf).scatter_reduce_(
            1, frame_clip.expand(rows, -1), s, "amax")                       # (R, N)
        frame_shift = s.new_full((n_captions, s.shape[1]), -math.inf).scatter_reduce_(
            0, word_caption[:, None].expand_as(s), s, "amax")                # (c, T_f)
        e_words = (s - word_shift[:, frame_clip]).exp_()
        e_frames = s.sub_(frame_shift[word_caption]).exp_()
    word_sums = s.new_zeros(rows, n_clips).index_add_(1, frame_clip, e_words)
    frame_sums = s.new_zeros(n_captions, s.shape[1]).index_add_(0, word_caption, e_frames)
    word_lse = word_sums.log() + word_shift
    frame_lse = frame_sums.log() + frame_shift
    return e_words, e_frames, word_sums, frame_sums, word_lse, frame_lse


class _SoftMaxSums(torch.autograd.Function):
    """Per (caption, clip): sums over valid words of alpha*LSE over frames, and over valid frames
    of alpha*LSE over words; computed on packed valid tokens, in chunks of whole captions."""

    @staticmethod
    def forward(ctx, text: Tensor, video: Tensor, word_caption: Tensor, frame_clip: Tensor,
                words_per_caption: list[int], n_clips: int, alpha: float, chunk_elements: int,
                save_elements: int) -> tuple[Tensor, Tensor]:
        rows_per_chunk = max(1, chunk_elements // max(1, video.shape[0]))
        chunks = _caption_chunks(words_per_caption, rows_per_chunk)
        dtype = torch.float32 if text.dtype in (torch.float16, torch.bfloat16) else text.dtype
        t2v = text.new_zeros(len(words_per_caption), n_clips, dtype=dtype)
        v2t = torch.zeros_like(t2v)
        save = text.shape[0] * video.shape[0] <= save_elements
        saved = []
        for a0, a1, r0, r1 in chunks:
            local_caption = word_caption[r0:r1] - a0
            parts = _chunk_exponentials(text[r0:r1], video, local_caption, frame_clip, a1 - a0, n_clips, alpha)
            word_lse, frame_lse = parts[4], parts[5]
            t2v[a0:a1].index_add_(0, local_caption, word_lse)
            v2t[a0:a1].index_add_(1, frame_clip, frame_lse)
            if save:
                saved.append(parts[:4])
        ctx.save_for_backward(text, video, word_caption, frame_clip)
        ctx.chunks, ctx.saved, ctx.n_clips, ctx.alpha = chunks, saved, n_clips, alpha
        return alpha * t2v, alpha * v2t

    @staticmethod
    def backward(ctx, grad_t2v: Tensor, grad_v2t: Tensor):
        text, video, word_caption, frame_clip = ctx.saved_tensors
        grad_text = torch.empty_like(text)
        # summed over chunks: in fp32 for half-precision inputs
        grad_video = torch.zeros_like(video, dtype=torch.promote_types(video.dtype, torch.float32))
        for index, (a0, a1, r0, r1) in enumerate(ctx.chunks):
            local_caption = word_caption[r0:r1] - a0
            if ctx.saved:
                e_words, e_frames, word_sums, frame_sums = ctx.saved[index]
            else:
                e_words, e_frames, word_sums, frame_sums, _, _ = _chunk_exponentials(
                    text[r0:r1], video, local_caption, frame_clip, a1 - a0, ctx.n_clips, ctx.alpha)
            # d(alpha*LSE(cos/alpha))/d cos is the softmax: over a clip's frames, over a caption's words
            per_word = grad_t2v[a0:a1][local_caption] / word_sums                   # (R, N)
            per_frame = grad_v2t[a0:a1].index_select(1, frame_clip) / frame_sums    # (c, T_f)
            weights = per_word.index_select(1, frame_clip)                          # (R, T_f)
            if e_words is e_frames:  # one shift: e * (per_word + per_frame), in place
                weights.add_(per_frame.index_select(0, local_caption)).mul_(e_words)
            else:
                weights.mul_(e_words).addcmul_(e_frames, per_frame.index_select(0, local_caption))
            weights = weights.to(text.dtype)
            grad_text[r0:r1] = weights @ video
            grad_video += weights.transpose(0, 1) @ text[r0:r1]
        ctx.saved = None
        return grad_text, grad_video.to(video.dtype), None, None, None, None, None, None, None


def require_tokens(name: str, mask: Tensor) -> None:
    """Raise ValueError naming the first row of a (N, S) bool mask with no valid token."""
    empty = (~mask.any(-1)).nonzero()
    if len(empty):
        raise ValueError(f"{name} row {int(empty[0])} has no valid token")


def _use_fused(path: str, tokens: Tensor, alpha: float) -> bool:
    """Whether soft_max_scores takes the Triton kernels: 'auto' on CUDA where they apply."""
    if path not in SOFT_MAX_PATHS:
        raise ValueError(f"path must be one of {SOFT_MAX_PATHS}, got {path!r}")
    if path == "chunked" or (path == "auto" and tokens.device.type != "cuda"):
        return False
    try:
        from .kernels.soft_max import unsupported_reason  # imports triton (an extra)
    except ImportError as error:  # no triton
        if path == "fused":
            raise ValueError(f"path='fused' needs triton: {error}") from None
        return False
    reason = unsupported_reason(tokens, alpha)
    if reason and path == "fused":
        raise ValueError(f"path='fused' {reason}")
    return reason is None


def soft_max_scores(text_tokens: Tensor, video_tokens: Tensor, text_mask: Tensor, video_mask: Tensor,
                    alpha: float, *, mask_padding: bool = True, path: str = "auto",
                    chunk_elements: int = CHUNK_ELEMENTS, save_elements: int = SAVE_ELEMENTS,
                    fused_options: dict | None = None) -> tuple[Tensor, Tensor]:
    """(t2v, v2t), each (N_captions, N_clips), of the soft-maximum similarity; see the module doc.

    Works on the valid tokens only (T_w words, T_f frames), so padding costs nothing. `path`:
    "fused" runs the Triton kernels of norton.kernels.soft_max (CUDA; tiles in registers, nothing of size
    T_w x T_f kept); "chunked" goes through chunks of whole captions of at most `chunk_elements`
    entries (a few such buffers alive at once: about 4 * chunk_elements * 4 bytes), keeping their
    exponentials for backward when T_w * T_f <= `save_elements` and recomputing them otherwise;
    "auto" is fused where it applies (CUDA, fp32/fp16/bf16, alpha > 0.025), chunked elsewhere;
    "reference" materialises the whole tensor (soft_max_scores_reference). `fused_options`
    (blocks, weight_elements) go to norton.kernels.soft_max.fused_soft_max_sums.
    """
    require_tokens("text_mask", text_mask)
    require_tokens("video_mask", video_mask)
    if path == "reference":
        return soft_max_scores_reference(text_tokens, video_tokens, text_mask, video_mask, alpha,
                                         mask_padding=mask_padding)
    n_captions, words = text_tokens.shape[:2]
    n_clips, frames = video_tokens.shape[:2]
    text = F.normalize(text_tokens[text_mask], dim=-1)      # (T_w, D), caption-major
    video = F.normalize(video_tokens[video_mask], dim=-1)   # (T_f, D), clip-major
    word_caption = text_mask.nonzero()[:, 0]
    frame_clip = video_mask.nonzero()[:, 0]
    n_t, n_v = text_mask.sum(-1), video_mask.sum(-1)
    def chunked() -> tuple[Tensor, Tensor]:
        return _SoftMaxSums.apply(text, video, word_caption, frame_clip, n_t.tolist(), n_clips,
                                  float(alpha), chunk_elements, save_elements)

    if _use_fused(path, text, float(alpha)):  # "auto" falls back on a kernel failure, and stays there
        from .kernels.soft_max import fused_soft_max_sums
        t2v, v2t = run_or_fall_back(
            path == "fused", f"fused soft-maximum kernels on {text.device}", "using the chunked path",
            lambda: fused_soft_max_sums(text, video, word_caption, frame_clip, n_t, n_v, float(alpha),
                                        **(fused_options or {})),
            chunked)
    else:
        t2v, v2t = chunked()
    n_t = n_t.to(t2v.dtype)[:, None]                        # (N, 1) words per caption
    n_v = n_v.to(t2v.dtype)[None, :]                        # (1, N) frames per clip
    if not mask_padding:  # the released code's padding leak, in closed form
        t2v = t2v + (words - n_t) * alpha * n_v.log()
        v2t = v2t + (frames - n_v) * alpha * n_t.log()
    return (t2v / n_t).to(text_tokens.dtype), (v2t / n_v).to(text_tokens.dtype)


def hard_max_scores(text_tokens: Tensor, video_tokens: Tensor, text_mask: Tensor, video_mask: Tensor
                    ) -> tuple[Tensor, Tensor]:
    """FILIP's (t2v, v2t): means over valid words of the max cosine over a clip's valid frames,
    and over valid frames of the max over a caption's words; (N_captions, N_clips) each.

    The limit alpha -> 0 of the soft maximum without its length term. Chunked over captions like
    soft_max_scores, but through autograd: the T_w x T_f cosines are kept for the backward pass.
    """
    require_tokens("text_mask", text_mask)
    require_tokens("video_mask", video_mask)
    text = F.normalize(text_tokens[text_mask], dim=-1)      # (T_w, D)
    video = F.normalize(video_tokens[video_mask], dim=-1)   # (T_f, D)
    word_caption = text_mask.nonzero()[:, 0]
    frame_clip = video_mask.nonzero()[:, 0]
    n_t = text_mask.sum(-1)
    n_clips = video_tokens.shape[0]
    rows_per_chunk = max(1, CHUNK_ELEMENTS // max(1, video.shape[0]))
    t2v, v2t = [], []
    for a0, a1, r0, r1 in _caption_chunks(n_t.tolist(), rows_per_chunk):
        s = text[r0:r1] @ video.transpose(0, 1)              # (R, T_f)
        local_caption = word_caption[r0:r1] - a0
        best_frame = s.new_full((r1 - r0, n_clips), -math.inf).scatter_reduce(
            1, frame_clip.expand(r1 - r0, -1), s, "amax")    # (R, N)
        best_word = s.new_full((a1 - a0, s.shape[1]), -math.inf).scatter_reduce(
            0, local_caption[:, None].expand_as(s), s, "amax")  # (c, T_f)
        t2v.append(best_frame.new_zeros(a1 - a0, n_clips).index_add(0, local_caption, best_frame))
        v2t.append(best_word.new_zeros(a1 - a0, n_clips).index_add(1, frame_clip, best_word))
    n_v = video_mask.sum(-1)
    return torch.cat(t2v) / n_t[:, None].to(text.dtype), torch.cat(v2t) / n_v[None, :].to(text.dtype)


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
                        minmax_normalize: bool = False, path: str = "auto") -> Tensor:
    """Soft-maximum frame-word similarity S_fine (N_captions, N_clips) = mean of t2v and v2t."""
    t2v, v2t = soft_max_scores(text_tokens, video_tokens, text_mask, video_mask, alpha,
                               mask_padding=mask_padding, path=path)
    if minmax_normalize:
        t2v, v2t = minmax(t2v), minmax(v2t)
    return (t2v + v2t) / 2
