"""The soft-maximum sums in Triton: kernels that never hold the frame-word cosine tensor.

The quantity is that of `similarity._SoftMaxSums`, on packed valid tokens (T_w words caption-major,
T_f frames clip-major): per (caption a, clip b)
    t2v[a, b] = alpha * sum over a's words of LSE over b's frames of cos / alpha
    v2t[a, b] = alpha * sum over b's frames of LSE over a's words of cos / alpha

Tiling. Consecutive captions are packed into tiles of at most BLOCK_W words and CA captions, and
clips into tiles of at most BLOCK_F frames and CB clips (greedily, by their actual lengths, so short
captions fill a tile), so a tile's words and frames are contiguous rows of the packed inputs and
every (caption, clip) pair lies in exactly one tile. A program computes its tile's
cosines (BLOCK_W x BLOCK_F, a loop over D), exponentiates them with the constant shift 1/alpha
(cos <= 1) and reduces them in registers to
    word_lse (T_w, N_clips)      LSE over each clip's frames, kept for backward
    frame_lse (N_captions, T_f)  LSE over each caption's words, kept for backward
    t2v, v2t (N_captions, N_clips), each entry written once.
Backward recomputes the cosines tile by tile and writes the weights
    G[w, f] = g_t2v[a, b] * softmax over b's frames + g_v2t[a, b] * softmax over a's words
for a group of caption tiles at a time (memory bounded by `weight_elements`), then
grad_text = G @ video and grad_video = G^T @ text are two matrix products.

The kernels run on CUDA, or on CPU under Triton's interpreter (TRITON_INTERPRET=1 set before this
module is imported), which the tests use.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
import triton
import triton.language as tl
from torch import Tensor


from .dispatch import device_reason, earlier_failure, full_fp32_products, next_power_of_two, remember_failure

DTYPES = (torch.float32, torch.float16, torch.bfloat16)
# The constant shift keeps exp((cos - 1) / alpha) >= exp(-2 / alpha) a normal fp32 number.
MIN_ALPHA = 2.0 / 80.0
# Entries of one group of the backward weight matrix (2**26 = 128 MiB in bf16, 256 MiB in fp32).
WEIGHT_ELEMENTS = 2**26


@dataclass(frozen=True)
class Blocks:
    """Tile sizes and launch settings of the kernels (powers of two, each at least 16).

    The defaults fill about 80 % of each tile with real tokens for captions of 4-31 words and clips
    of 4-18 frames, and compile for sm_90 without register spills (benchmarks/kernel_report.py).
    """

    words: int = 128   # BLOCK_W: rows of a tile (whole captions; grows to the longest caption)
    frames: int = 64   # BLOCK_F: columns of a tile (whole clips; grows to the longest clip)
    captions: int = 8  # CA: most captions in a tile (the kernels loop over them, unrolled)
    clips: int = 8     # CB: most clips in a tile
    dim: int = 64      # BLOCK_D: step of the loop over the feature dimension (halved for fp32)
    warps: int = 8
    stages: int = 3


    def dim_for(self, dtype: torch.dtype) -> int:
        """BLOCK_D for inputs of this dtype: fp32 tiles take twice the shared memory of half ones."""
        return self.dim if dtype != torch.float32 else max(16, self.dim // 2)


DEFAULT_BLOCKS = Blocks()
KernelError = triton.TritonError  # compilation, ptxas, out of resources


def unsupported_reason(tensor: Tensor, alpha: float) -> str | None:
    """Why the fused kernels cannot take this input, or None when they can."""
    if device_reason(tensor):
        return device_reason(tensor)
    if tensor.dtype not in DTYPES:
        return f"needs float32, float16 or bfloat16, got {tensor.dtype}"
    if not alpha > MIN_ALPHA:
        return f"needs alpha > {MIN_ALPHA} (one constant shift per exponential), got {alpha}"
    if (tensor.device.type == "cuda" and tensor.dtype == torch.bfloat16
            and torch.cuda.get_device_capability(tensor.device) < (8, 0)):
        return f"needs compute capability 8.0 or newer for bfloat16, got {torch.cuda.get_device_name(tensor.device)}"
    return earlier_failure("soft-max", tensor)



@triton.jit
def _tile_cosines(text_ptr, video_ptr, rows, row_ok, cols, col_ok, DIM: tl.constexpr,
                  BLOCK_W: tl.constexpr, BLOCK_F: tl.constexpr, BLOCK_D: tl.constexpr,
                  IEEE: tl.constexpr):
    """Cosines (BLOCK_W, BLOCK_F) in fp32 of unit rows `rows` of text and `cols` of video."""
    acc = tl.zeros((BLOCK_W, BLOCK_F), dtype=tl.float32)
    row_base = rows.to(tl.int64) * DIM
    col_base = cols.to(tl.int64) * DIM
    for k in range(0, DIM, BLOCK_D):
        d = k + tl.arange(0, BLOCK_D)
        d_ok = d < DIM
        a = tl.load(text_ptr + row_base[:, None] + d[None, :], mask=row_ok[:, None] & d_ok[None, :], other=0.0)
        b = tl.load(video_ptr + col_base[:, None] + d[None, :], mask=col_ok[:, None] & d_ok[None, :], other=0.0)
        if IEEE:
            acc += tl.dot(a, tl.trans(b), input_precision="ieee")
        else:
            acc += tl.dot(a, tl.trans(b))
    return acc


@triton.jit
def _tile_bounds(caption_start, clip_start, caption_tiles, clip_tiles, tile_w, tile_f,
                 BLOCK_W: tl.constexpr, BLOCK_F: tl.constexpr):
    """Tile (tile_w, tile_f): first caption and clip, how many of each, first word row and frame
    column, and its rows and columns with their validity."""
    cap0 = tl.load(caption_tiles + tile_w)
    clip0 = tl.load(clip_tiles + tile_f)
    n_cap = tl.load(caption_tiles + tile_w + 1) - cap0
    n_clip = tl.load(clip_tiles + tile_f + 1) - clip0
    r0 = tl.load(caption_start + cap0)
    r1 = tl.load(caption_start + cap0 + n_cap)
    f0 = tl.load(clip_start + clip0)
    f1 = tl.load(clip_start + clip0 + n_clip)
    rows = r0 + tl.arange(0, BLOCK_W)
    cols = f0 + tl.arange(0, BLOCK_F)
    return cap0, clip0, n_cap, n_clip, r0, f0, rows, rows < r1, cols, cols < f1


@triton.jit
def _forward_kernel(text, video, word_caption, frame_clip, caption_start, clip_start,
                    caption_tiles, clip_tiles, t2v, v2t, word_lse, frame_lse, n_clips, n_frames,
                    inv_alpha, DIM: tl.constexpr,
                    CA: tl.constexpr, CB: tl.constexpr, CA_POW2: tl.constexpr, CB_POW2: tl.constexpr,
                    BLOCK_W: tl.constexpr, BLOCK_F: tl.constexpr, BLOCK_D: tl.constexpr,
                    IEEE: tl.constexpr):
    cap0, clip0, n_cap, n_clip, _, _, rows, row_ok, cols, col_ok = _tile_bounds(
        caption_start, clip_start, caption_tiles, clip_tiles, tl.program_id(0), tl.program_id(1),
        BLOCK_W, BLOCK_F)
    s = _tile_cosines(text, video, rows, row_ok, cols, col_ok, DIM, BLOCK_W, BLOCK_F, BLOCK_D, IEEE)
    cap = tl.load(word_caption + rows, mask=row_ok, other=-1) - cap0   # caption within the tile
    clip = tl.load(frame_clip + cols, mask=col_ok, other=-1) - clip0   # clip within the tile
    e = tl.where(row_ok[:, None] & col_ok[None, :], tl.exp((s - 1.0) * inv_alpha), 0.0)

    # words -> frames: per (word, clip) sum over the clip's frames
    slot = tl.arange(0, CB_POW2)
    word_sums = tl.zeros((BLOCK_W, CB_POW2), dtype=tl.float32)
    for c in tl.static_range(CB):
        column = tl.sum(tl.where((clip == c)[None, :], e, 0.0), axis=1)
        word_sums += tl.where((slot == c)[None, :], column[:, None], 0.0)
    pair_ok = row_ok[:, None] & (slot < n_clip)[None, :]
    lse_w = tl.where(pair_ok, tl.log(tl.where(pair_ok, word_sums, 1.0)) + inv_alpha, 0.0)  # (BLOCK_W, CB_POW2)
    tl.store(word_lse + rows.to(tl.int64)[:, None] * n_clips + clip0 + slot[None, :], lse_w, mask=pair_ok)

    for a in tl.static_range(CA):
        caption_ok = a < n_cap
        t2v_row = tl.sum(tl.where((cap == a)[:, None], lse_w, 0.0), axis=0)   # (CB_POW2,)
        row_offset = (cap0 + a).to(tl.int64) * n_clips + clip0
        tl.store(t2v + row_offset + slot, t2v_row, mask=caption_ok & (slot < n_clip))
        # frames -> words: per (caption, frame) sum over the caption's words
        frame_ok = col_ok & caption_ok
        frame_sums = tl.sum(tl.where((cap == a)[:, None], e, 0.0), axis=0)           # (BLOCK_F,)
        lse_f = tl.where(frame_ok, tl.log(tl.where(frame_ok, frame_sums, 1.0)) + inv_alpha, 0.0)
        tl.store(frame_lse + (cap0 + a).to(tl.int64) * n_frames + cols, lse_f, mask=frame_ok)
        v2t_row = tl.zeros((CB_POW2,), dtype=tl.float32)
        for c in tl.static_range(CB):
            v2t_row += tl.where(slot == c, tl.sum(tl.where(clip == c, lse_f, 0.0)), 0.0)
        tl.store(v2t + row_offset + slot, v2t_row, mask=caption_ok & (slot < n_clip))


@triton.jit
def _weights_kernel(text, video, word_caption, frame_clip, caption_start, clip_start,
                    caption_tiles, clip_tiles, word_lse, frame_lse, grad_t2v, grad_v2t, weights,
                    first_tile, first_row, n_clips, n_frames, inv_alpha, DIM: tl.constexpr,
                    CA: tl.constexpr, CB: tl.constexpr, CA_POW2: tl.constexpr, CB_POW2: tl.constexpr,
                    BLOCK_W: tl.constexpr, BLOCK_F: tl.constexpr, BLOCK_D: tl.constexpr,
                    IEEE: tl.constexpr):
    cap0, clip0, n_cap, n_clip, r0, f0, rows, row_ok, cols, col_ok = _tile_bounds(
        caption_start, clip_start, caption_tiles, clip_tiles, first_tile + tl.program_id(0),
        tl.program_id(1), BLOCK_W, BLOCK_F)
    s = _tile_cosines(text, video, rows, row_ok, cols, col_ok, DIM, BLOCK_W, BLOCK_F, BLOCK_D, IEEE)
    local_w, local_f = tl.arange(0, BLOCK_W), tl.arange(0, BLOCK_F)
    slot, crow = tl.arange(0, CB_POW2), tl.arange(0, CA_POW2)   # clips / captions of the tile
    cap = tl.load(word_caption + rows, mask=row_ok, other=-1) - cap0
    clip = tl.load(frame_clip + cols, mask=col_ok, other=-1) - clip0
    pair_base = cap0.to(tl.int64) * n_clips + clip0
    # softmax weight = exp((s - 1)/alpha) * exp(1/alpha - LSE): the second factor, times the
    # upstream gradient, is one number per (word, clip) and per (caption, frame) of the tile
    per_word_ok = row_ok[:, None] & (slot < n_clip)[None, :]
    per_word = tl.load(grad_t2v + pair_base + cap[:, None] * n_clips + slot[None, :], mask=per_word_ok, other=0.0)
    lse = tl.load(word_lse + (r0.to(tl.int64) * n_clips + clip0) + local_w[:, None] * n_clips + slot[None, :],
                  mask=per_word_ok, other=0.0)
    per_word *= tl.exp(inv_alpha - lse)                                    # (BLOCK_W, CB_POW2)
    per_frame_ok = (crow < n_cap)[:, None] & col_ok[None, :]
    per_frame = tl.load(grad_v2t + pair_base + crow[:, None] * n_clips + clip[None, :], mask=per_frame_ok, other=0.0)
    lse = tl.load(frame_lse + (cap0.to(tl.int64) * n_frames + f0) + crow[:, None] * n_frames + local_f[None, :],
                  mask=per_frame_ok, other=0.0)
    per_frame *= tl.exp(inv_alpha - lse)                                   # (CA_POW2, BLOCK_F)
    # spread them over the tile by membership (selects, no gathers)
    factor = tl.zeros((BLOCK_W, BLOCK_F), dtype=tl.float32)
    for c in tl.static_range(CB):
        column = tl.sum(tl.where((slot == c)[None, :], per_word, 0.0), axis=1)
        factor += tl.where((clip == c)[None, :], column[:, None], 0.0)
    for a in tl.static_range(CA):
        row = tl.sum(tl.where((crow == a)[:, None], per_frame, 0.0), axis=0)
        factor += tl.where((cap == a)[:, None], row[None, :], 0.0)
    ok = row_ok[:, None] & col_ok[None, :]
    g = tl.where(ok, tl.exp((s - 1.0) * inv_alpha) * factor, 0.0)
    out = weights + ((r0 - first_row).to(tl.int64) * n_frames + f0)
    tl.store(out + local_w[:, None] * n_frames + local_f[None, :], g.to(weights.dtype.element_ty), mask=ok)


def _offsets(counts: Tensor) -> Tensor:
    """(N,) counts -> (N + 1,) int32 start offsets."""
    return torch.nn.functional.pad(counts.cumsum(0), (1, 0)).to(torch.int32)


def pack_tiles(counts: list[int], rows: int, most: int) -> list[int]:
    """Greedy tiles of consecutive items with at most `rows` rows and `most` items each (an item
    longer than `rows` gets a tile alone): the first item of each tile, then len(counts)."""
    starts, used = [0], 0
    for index, count in enumerate(counts):
        if used and (used + count > rows or index - starts[-1] >= most):
            starts.append(index)
            used = 0
        used += count
    return starts + [len(counts)]


class _FusedSoftMaxSums(torch.autograd.Function):
    @staticmethod
    def forward(ctx, text: Tensor, video: Tensor, word_caption: Tensor, frame_clip: Tensor,
                words_per_caption: Tensor, frames_per_clip: Tensor, alpha: float, blocks: Blocks,
                weight_elements: int) -> tuple[Tensor, Tensor]:
        n_captions, n_clips = len(words_per_caption), len(frames_per_clip)
        words, frames = words_per_caption.tolist(), frames_per_clip.tolist()  # one host sync
        block_w = max(blocks.words, next_power_of_two(max(words)))
        block_f = max(blocks.frames, next_power_of_two(max(frames)))
        ca, cb = min(blocks.captions, block_w), min(blocks.clips, block_f)
        caption_tiles = pack_tiles(words, block_w, ca)
        clip_tiles = pack_tiles(frames, block_f, cb)
        caption_start, clip_start = _offsets(words_per_caption), _offsets(frames_per_clip)
        word_caption, frame_clip = word_caption.to(torch.int32), frame_clip.to(torch.int32)
        t2v = text.new_empty(n_captions, n_clips, dtype=torch.float32)
        v2t = torch.empty_like(t2v)
        word_lse = text.new_empty(text.shape[0], n_clips, dtype=torch.float32)
        frame_lse = text.new_empty(n_captions, video.shape[0], dtype=torch.float32)
        grid = (len(caption_tiles) - 1, len(clip_tiles) - 1)
        tiles = [torch.tensor(t, dtype=torch.int32, device=text.device) for t in (caption_tiles, clip_tiles)]
        settings = dict(CA=ca, CB=cb, CA_POW2=next_power_of_two(ca), CB_POW2=next_power_of_two(cb),
                        DIM=text.shape[1], BLOCK_W=block_w, BLOCK_F=block_f, BLOCK_D=blocks.dim_for(text.dtype),
                        IEEE=full_fp32_products(text.dtype), num_warps=blocks.warps, num_stages=blocks.stages)
        _forward_kernel[grid](text, video, word_caption, frame_clip, caption_start, clip_start, *tiles,
                              t2v, v2t, word_lse, frame_lse, n_clips, video.shape[0], 1.0 / alpha,
                              **settings)
        ctx.save_for_backward(text, video, word_caption, frame_clip, caption_start, clip_start, *tiles,
                              word_lse, frame_lse)
        # word rows where each caption tile starts, for the backward groups
        word_rows = [0, *itertools.accumulate(words)]
        ctx.tile_rows = [word_rows[first] for first in caption_tiles]
        ctx.settings, ctx.grid, ctx.alpha, ctx.weight_elements = settings, grid, alpha, weight_elements
        return alpha * t2v, alpha * v2t

    @staticmethod
    def backward(ctx, grad_t2v: Tensor, grad_v2t: Tensor):
        (text, video, word_caption, frame_clip, caption_start, clip_start, caption_tiles, clip_tiles,
         word_lse, frame_lse) = ctx.saved_tensors
        n_clips = word_lse.shape[1]
        n_tiles, n_clip_tiles = ctx.grid
        tile_rows = ctx.tile_rows
        tiles_per_group = max(1, ctx.weight_elements // max(1, ctx.settings["BLOCK_W"] * video.shape[0]))
        grad_t2v = grad_t2v.float().contiguous()
        grad_v2t = grad_v2t.float().contiguous()
        grad_text = torch.empty_like(text)
        grad_video = torch.zeros(video.shape, dtype=torch.float32, device=video.device)
        for first in range(0, n_tiles, tiles_per_group):
            last = min(first + tiles_per_group, n_tiles)
            r0, r1 = tile_rows[first], tile_rows[last]
            weights = text.new_empty(r1 - r0, video.shape[0])
            _weights_kernel[(last - first, n_clip_tiles)](
                text, video, word_caption, frame_clip, caption_start, clip_start, caption_tiles,
                clip_tiles, word_lse, frame_lse, grad_t2v, grad_v2t, weights, first, r0, n_clips,
                video.shape[0], 1.0 / ctx.alpha, **ctx.settings)
            grad_text[r0:r1] = weights @ video
            grad_video += (weights.transpose(0, 1) @ text[r0:r1]).float()
        return grad_text, grad_video.to(video.dtype), None, None, None, None, None, None, None


def fused_soft_max_sums(text: Tensor, video: Tensor, word_caption: Tensor, frame_clip: Tensor,
                        words_per_caption: Tensor, frames_per_clip: Tensor, alpha: float, *,
                        blocks: Blocks | None = None,
                        weight_elements: int = WEIGHT_ELEMENTS) -> tuple[Tensor, Tensor]:
    """(t2v, v2t) sums in fp32, (N_captions, N_clips), of unit packed text (T_w, D) and video (T_f, D).

    word_caption (T_w,) / frame_clip (T_f,): owner of each row, sorted; words_per_caption (N,),
    frames_per_clip (N,): counts, at least 1 each.
    blocks: tile sizes, DEFAULT_BLOCKS (module state, so benchmarks can try others) when None.
    """
    reason = unsupported_reason(text, alpha)
    if reason:
        raise ValueError(f"fused soft-maximum {reason}")
    if text.shape[1] != video.shape[1]:
        raise ValueError(f"text and video features differ in size: {text.shape[1]} vs {video.shape[1]}")
    text, video = text.contiguous(), video.to(text.dtype).contiguous()
    try:
        return _FusedSoftMaxSums.apply(text, video, word_caption, frame_clip, words_per_caption,
                                       frames_per_clip, float(alpha), blocks or DEFAULT_BLOCKS,
                                       weight_elements)
    except KernelError as error:  # remembered, so that it is not tried again
        remember_failure("soft-max", text, error)
        raise
