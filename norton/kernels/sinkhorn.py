"""Sinkhorn potentials in Triton: the fixed-iteration loop of `norton.ot.sinkhorn` in one or two kernels.

Eager torch spends about a dozen kernel launches per iteration (log-sum-exps, masks), so 50
iterations cost more launch time than arithmetic on a GPU. Here:
  - small problems (padded n x m <= SMALL_LIMIT entries, e.g. the (K+1) x (K+1) video-paragraph
    blocks): one program per problem holds it in registers and runs every iteration: one launch;
  - larger problems (the N x N clip-caption plan): two launches per iteration, a row update and a
    column update, each an online log-sum-exp over blocks.
Same updates as `ot.sinkhorn` (rows then columns; masked rows/columns keep potential 0):
    u = log_a - LSE_j(z + v),   v = log_b - LSE_i(z + u)
The kernels run on CUDA, or on CPU under Triton's interpreter (TRITON_INTERPRET=1), as the tests do.
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from .dispatch import device_reason, earlier_failure, next_power_of_two, remember_failure

KernelError = triton.TritonError  # compilation, ptxas, out of resources

SMALL_LIMIT = 4096  # padded entries of a problem solved whole by one program
# two-kernel path: potentials updated per program, and entries read per step of its online LSE
BLOCK_OUT, BLOCK_IN = 16, 128


def unsupported_reason(z: Tensor) -> str | None:
    """Why the kernels cannot solve this problem, or None when they can."""
    if device_reason(z):
        return device_reason(z)
    if z.dtype != torch.float32:
        return f"solves in float32, got {z.dtype}"
    return earlier_failure("sinkhorn", z)


@triton.jit
def _lse(x, axis: tl.constexpr):
    """Log-sum-exp along axis; -inf where every entry is -inf."""
    top = tl.max(x, axis=axis)
    safe_top = tl.where(top == float("-inf"), 0.0, top)
    if axis == 1:
        total = tl.sum(tl.exp(x - safe_top[:, None]), axis=1)
    else:
        total = tl.sum(tl.exp(x - safe_top[None, :]), axis=0)
    return tl.where(total > 0, tl.log(tl.where(total > 0, total, 1.0)) + safe_top, float("-inf"))


@triton.jit
def _small_kernel(z_ptr, log_a_ptr, log_b_ptr, row_ok_ptr, col_ok_ptr, u_ptr, v_ptr, n, m,
                  N_ITERS: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_M: tl.constexpr, MASKED: tl.constexpr):
    problem = tl.program_id(0).to(tl.int64)
    i = tl.arange(0, BLOCK_N)
    j = tl.arange(0, BLOCK_M)
    rows, cols = i < n, j < m
    z = tl.load(z_ptr + problem * n * m + i[:, None] * m + j[None, :],
                mask=rows[:, None] & cols[None, :], other=float("-inf"))
    log_a = tl.load(log_a_ptr + problem * n + i, mask=rows, other=0.0)
    log_b = tl.load(log_b_ptr + problem * m + j, mask=cols, other=0.0)
    if MASKED:
        rows = rows & (tl.load(row_ok_ptr + problem * n + i, mask=rows, other=0) != 0)
        cols = cols & (tl.load(col_ok_ptr + problem * m + j, mask=cols, other=0) != 0)
    u = tl.zeros((BLOCK_N,), dtype=tl.float32)
    v = tl.zeros((BLOCK_M,), dtype=tl.float32)
    for _ in range(N_ITERS):
        u = tl.where(rows, log_a - tl.where(rows, _lse(z + v[None, :], 1), 0.0), 0.0)
        v = tl.where(cols, log_b - tl.where(cols, _lse(z + u[:, None], 0), 0.0), 0.0)
    tl.store(u_ptr + problem * n + i, u, mask=i < n)
    tl.store(v_ptr + problem * m + j, v, mask=j < m)


@triton.jit
def _update_kernel(z_ptr, log_w_ptr, ok_ptr, other_ptr, out_ptr, n, m, size, stride_along,
                   stride_across, OTHER_SIZE: tl.constexpr, BLOCK_OUT: tl.constexpr,
                   BLOCK_IN: tl.constexpr, MASKED: tl.constexpr):
    """One half-iteration: out[k] = log_w[k] - LSE_l(z[k, l] + other[l]) for a block of k.

    Rows (k = i, stride_along = m, stride_across = 1) or columns (k = j, stride_along = 1,
    stride_across = m) of problem program_id(0), with an online log-sum-exp over blocks of l.
    """
    problem = tl.program_id(0).to(tl.int64)
    k = tl.program_id(1) * BLOCK_OUT + tl.arange(0, BLOCK_OUT)
    k_in = k < size
    base = z_ptr + problem * n * m + k[:, None].to(tl.int64) * stride_along
    top = tl.full((BLOCK_OUT,), float("-inf"), dtype=tl.float32)
    total = tl.zeros((BLOCK_OUT,), dtype=tl.float32)
    for start in range(0, OTHER_SIZE, BLOCK_IN):
        l_idx = start + tl.arange(0, BLOCK_IN)
        l_in = l_idx < OTHER_SIZE
        x = tl.load(base + l_idx[None, :] * stride_across, mask=k_in[:, None] & l_in[None, :],
                    other=float("-inf"))
        x += tl.load(other_ptr + problem * OTHER_SIZE + l_idx, mask=l_in, other=0.0)[None, :]
        new_top = tl.maximum(top, tl.max(x, axis=1))
        safe = tl.where(new_top == float("-inf"), 0.0, new_top)
        total = total * tl.exp(tl.where(top == float("-inf"), float("-inf"), top - safe))
        total += tl.sum(tl.exp(x - safe[:, None]), axis=1)
        top = new_top
    safe = tl.where(top == float("-inf"), 0.0, top)
    lse = tl.where(total > 0, tl.log(tl.where(total > 0, total, 1.0)) + safe, float("-inf"))
    valid = k_in
    if MASKED:
        valid = valid & (tl.load(ok_ptr + problem * size + k, mask=k_in, other=0) != 0)
    log_w = tl.load(log_w_ptr + problem * size + k, mask=k_in, other=0.0)
    tl.store(out_ptr + problem * size + k, tl.where(valid, log_w - tl.where(valid, lse, 0.0), 0.0), mask=k_in)


def sinkhorn_potentials(z: Tensor, log_a: Tensor, log_b: Tensor, row_mask: Tensor | None,
                        col_mask: Tensor | None, n_iters: int) -> tuple[Tensor, Tensor]:
    """(u, v) after n_iters row-then-column updates; z (..., n, m) with -inf where masked, float32.

    log_a (..., n), log_b (..., m): log marginals; masks (..., n) / (..., m) bool or None.
    SMALL_LIMIT, BLOCK_OUT and BLOCK_IN (module state) pick the path and the block sizes.
    """
    reason = unsupported_reason(z)
    if reason:
        raise ValueError(f"fused Sinkhorn {reason}")
    *batch, n, m = z.shape
    problems = max(1, int(torch.Size(batch).numel()))
    z = z.reshape(problems, n, m).contiguous()
    log_a = log_a.expand(*batch, n).reshape(problems, n).contiguous()
    log_b = log_b.expand(*batch, m).reshape(problems, m).contiguous()
    masked = row_mask is not None or col_mask is not None
    row_ok = (row_mask if row_mask is not None else z.new_ones(problems, n, dtype=torch.bool))
    col_ok = (col_mask if col_mask is not None else z.new_ones(problems, m, dtype=torch.bool))
    row_ok = row_ok.reshape(problems, n).to(torch.int8).contiguous()
    col_ok = col_ok.reshape(problems, m).to(torch.int8).contiguous()
    u = z.new_zeros(problems, n)
    v = z.new_zeros(problems, m)
    block_n, block_m = next_power_of_two(n), next_power_of_two(m)
    try:
        if block_n * block_m <= SMALL_LIMIT:
            _small_kernel[(problems,)](z, log_a, log_b, row_ok, col_ok, u, v, n, m, N_ITERS=n_iters,
                                       BLOCK_N=block_n, BLOCK_M=block_m, MASKED=masked)
        else:
            for _ in range(n_iters):
                _update_kernel[(problems, triton.cdiv(n, BLOCK_OUT))](
                    z, log_a, row_ok, v, u, n, m, n, m, 1, OTHER_SIZE=m, BLOCK_OUT=BLOCK_OUT,
                    BLOCK_IN=BLOCK_IN, MASKED=masked)
                _update_kernel[(problems, triton.cdiv(m, BLOCK_OUT))](
                    z, log_b, col_ok, u, v, n, m, m, 1, m, OTHER_SIZE=n, BLOCK_OUT=BLOCK_OUT,
                    BLOCK_IN=BLOCK_IN, MASKED=masked)
    except KernelError as error:  # remembered, so that it is not tried again
        remember_failure("sinkhorn", z, error)
        raise
    return u.reshape(*batch, n), v.reshape(*batch, m)
