"""Entropic optimal transport: log-domain Sinkhorn, batched and masked, and the alignable prompt bucket.

Convention: a score matrix is (..., n, m) with rows = captions and columns = clips, leading
dimensions are batch. Sinkhorn *maximises* <Q, S> + eps * H(Q) subject to Q 1 = a, Q^T 1 = b.
Each iteration updates the row potential, then the column potential (as the released code), so
after a fixed number of iterations column marginals are exact and row marginals approximate.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .kernels.dispatch import SINKHORN_BACKENDS, run_or_fall_back

HALF_DTYPES = (torch.float16, torch.bfloat16)
BUCKET_MARGINALS = ("uniform", "dustbin")


@dataclass
class OTResult:
    """A transport plan and its diagnostics."""

    plan: Tensor             # (..., n, m), float32 for half inputs
    log_plan: Tensor         # (..., n, m), -inf where masked
    n_iters: int             # iterations actually run
    marginal_error: Tensor   # (...,) L1 distance between the plan's row sums and a


@dataclass
class BucketOTResult(OTResult):
    """A plan with the prompt bucket cropped off, plus what went into the bucket."""

    full_plan: Tensor = None        # (..., n+1, m+1) the augmented plan, bucket last
    full_log_plan: Tensor = None    # (..., n+1, m+1) its log, -inf where masked
    row_bucket_mass: Tensor = None  # (..., n) mass each row (caption) sent to the bucket column
    col_bucket_mass: Tensor = None  # (..., m) mass each column (clip) received from the bucket row

    @property
    def row_bucket_share(self) -> Tensor:
        """(..., n) share of each row's mass that went to the bucket (0 for masked rows)."""
        return _share(self.row_bucket_mass, self.plan.sum(-1))

    @property
    def col_bucket_share(self) -> Tensor:
        """(..., m) share of each column's mass that came from the bucket (0 for masked columns)."""
        return _share(self.col_bucket_mass, self.plan.sum(-2))

    @property
    def row_kept_log_odds(self) -> Tensor:
        """(..., n) log(mass on real columns / mass in the bucket) per row: an unsaturated alignability score."""
        log_kept = torch.logsumexp(self.full_log_plan[..., :-1, :-1], dim=-1)
        return log_kept - self.full_log_plan[..., :-1, -1]


def _share(bucket: Tensor, kept: Tensor) -> Tensor:
    total = bucket + kept
    return torch.where(total > 0, bucket / total.clamp_min(torch.finfo(total.dtype).tiny), torch.zeros_like(total))


def _solve_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in HALF_DTYPES else dtype


def _check_mask(mask: Tensor | None, shape: torch.Size, name: str) -> Tensor | None:
    if mask is None:
        return None
    if mask.dtype != torch.bool:
        raise ValueError(f"{name} must be a bool tensor (True = counts), got {mask.dtype}")
    try:
        return mask.expand(shape)
    except RuntimeError:
        raise ValueError(f"{name} has shape {tuple(mask.shape)}, expected {tuple(shape)}") from None


def _log_marginal(weights: Tensor | None, mask: Tensor | None, shape: torch.Size, like: Tensor,
                  name: str) -> Tensor:
    """Log of the marginal (uniform over valid entries by default), -inf where masked."""
    if weights is None:
        if mask is None:
            return like.new_full(shape, -math.log(shape[-1]))
        count = mask.sum(-1, keepdim=True).to(like.dtype)
        return torch.where(mask, -count.log(), like.new_tensor(-math.inf))
    if weights.shape[-1] != shape[-1]:
        raise ValueError(f"{name} has {weights.shape[-1]} entries, expected {shape[-1]}")
    weights = weights.to(like.dtype).expand(shape)
    if (weights < 0).any() or not torch.isfinite(weights).all():
        raise ValueError(f"{name} must be finite and non-negative")
    log_w = weights.log()
    return log_w if mask is None else log_w.masked_fill(~mask, -math.inf)


def sinkhorn(scores: Tensor, eps: float, *, a: Tensor | None = None, b: Tensor | None = None,
             n_iters: int = 50, tol: float | None = None, row_mask: Tensor | None = None,
             col_mask: Tensor | None = None, differentiable: bool = False,
             backend: str = "auto") -> OTResult:
    """Entropic OT plan maximising <Q, scores> + eps*H(Q); scores (..., n, m), a (..., n), b (..., m).

    With `tol`, stops once the row-marginal L1 error of every problem is below it (at most n_iters).
    Masked rows/columns (False) are removed from the problem: the plan is exactly that of the
    unpadded problem, zero in the padding. The plan is detached unless `differentiable`.
    `backend`: "torch" runs the iterations eagerly; "fused" runs them in Triton kernels
    (norton.kernels.sinkhorn: one launch for small problems, two per iteration for large ones; CUDA,
    float32 solves, no `tol`, not differentiable); "auto" is fused where that applies on CUDA.
    """
    if scores.dim() < 2:
        raise ValueError(f"scores must have shape (..., n, m), got {tuple(scores.shape)}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    if n_iters < 1:
        raise ValueError(f"n_iters must be >= 1, got {n_iters}")
    n, m = scores.shape[-2:]
    if n == 0 or m == 0 or scores.numel() == 0:
        raise ValueError("scores: an OT problem needs at least one row and one column, "
                         f"got shape {tuple(scores.shape)}")
    batch = scores.shape[:-2]
    row_mask = _check_mask(row_mask, (*batch, n), "row_mask")
    col_mask = _check_mask(col_mask, (*batch, m), "col_mask")
    grad_context = contextlib.nullcontext() if differentiable else torch.no_grad()
    with grad_context:
        z = scores.to(_solve_dtype(scores.dtype)) / eps
        valid = None
        if row_mask is not None or col_mask is not None:
            rows = row_mask if row_mask is not None else z.new_ones((*batch, n), dtype=torch.bool)
            cols = col_mask if col_mask is not None else z.new_ones((*batch, m), dtype=torch.bool)
            if not (rows.any(-1).all() and cols.any(-1).all()):
                raise ValueError("every problem needs at least one valid row and one valid column")
            valid = rows.unsqueeze(-1) & cols.unsqueeze(-2)
            z = z.masked_fill(~valid, -math.inf)
        if torch.isnan(z).any() or torch.isposinf(z).any():
            raise ValueError("scores contain NaN or +inf (in unmasked entries)")
        _require_finite_lines(z, row_mask, col_mask)
        log_a = _log_marginal(a, row_mask, (*batch, n), z, "a")
        log_b = _log_marginal(b, col_mask, (*batch, m), z, "b")
        def eager() -> tuple[Tensor, Tensor, int]:
            return _eager_potentials(z, log_a, log_b, row_mask, col_mask, n_iters, tol)

        if _use_fused(backend, z, tol, differentiable):  # "auto" falls back on a kernel failure
            from .kernels.sinkhorn import sinkhorn_potentials  # imports triton (an extra)
            u, v, iters = run_or_fall_back(
                backend == "fused", f"fused Sinkhorn kernels on {z.device}", "iterating eagerly",
                lambda: (*sinkhorn_potentials(z, log_a, log_b, row_mask, col_mask, n_iters), n_iters),
                eager)
        else:
            u, v, iters = eager()
        log_plan = z + u.unsqueeze(-1) + v.unsqueeze(-2)
        error = _row_error(z, u, v, log_a)
    return OTResult(plan=log_plan.exp(), log_plan=log_plan, n_iters=iters, marginal_error=error)


def _require_finite_lines(z: Tensor, row_mask: Tensor | None, col_mask: Tensor | None) -> None:
    """ValueError naming the first valid row or column whose every valid entry is -inf (its plan would be NaN)."""
    finite = torch.isfinite(z)
    for axis, mask, name in ((-1, row_mask, "row"), (-2, col_mask, "column")):
        empty = ~finite.any(axis)
        if mask is not None:
            empty &= mask
        if empty.any():
            index = tuple(int(i) for i in empty.nonzero()[0])
            problem = f" of problem {index[:-1]}" if len(index) > 1 else ""
            raise ValueError(f"scores: {name} {index[-1]}{problem} is -inf everywhere; "
                             f"mask it out with {name.replace('column', 'col')}_mask instead")


def _use_fused(backend: str, z: Tensor, tol: float | None, differentiable: bool) -> bool:
    """Whether sinkhorn runs the Triton kernels; 'fused' where they cannot run raises, saying why."""
    if backend not in SINKHORN_BACKENDS:
        raise ValueError(f"backend must be one of {SINKHORN_BACKENDS}, got {backend!r}")
    if backend == "torch" or (backend == "auto" and z.device.type != "cuda"):
        return False
    if tol is not None:
        reason = "cannot stop early on tol (it runs every iteration without a host check)"
    elif differentiable and torch.is_grad_enabled():
        reason = "is not differentiable"
    else:
        try:
            from .kernels.sinkhorn import unsupported_reason
        except ImportError as error:  # no triton
            reason = f"needs triton: {error}"
        else:
            reason = unsupported_reason(z)
    if reason and backend == "fused":
        raise ValueError(f"backend='fused' {reason}")
    return reason is None


def _eager_potentials(z: Tensor, log_a: Tensor, log_b: Tensor, row_mask: Tensor | None,
                      col_mask: Tensor | None, n_iters: int, tol: float | None) -> tuple[Tensor, Tensor, int]:
    """Row-then-column log-domain updates in torch; returns (u, v, iterations run)."""
    u = torch.zeros_like(log_a)
    v = torch.zeros_like(log_b)
    iters = 0
    for iters in range(1, n_iters + 1):
        # padded rows/columns would get -inf - (-inf); any finite potential keeps them at 0 mass
        u = log_a - torch.logsumexp(z + v.unsqueeze(-2), dim=-1)
        if row_mask is not None:
            u = u.masked_fill(~row_mask, 0.0)
        v = log_b - torch.logsumexp(z + u.unsqueeze(-1), dim=-2)
        if col_mask is not None:
            v = v.masked_fill(~col_mask, 0.0)
        if tol is not None and _row_error(z, u, v, log_a).max() < tol:
            break
    return u, v, iters


def _row_error(z: Tensor, u: Tensor, v: Tensor, log_a: Tensor) -> Tensor:
    """L1 distance between the current plan's row sums and the target row marginal."""
    row_sums = (u + torch.logsumexp(z + v.unsqueeze(-2), dim=-1)).exp()
    return (row_sums - log_a.exp()).abs().sum(-1)


def bucket_marginals(n: Tensor, m: Tensor, kind: str) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Mass of one real row, the bucket row, one real column, the bucket column, for n x m problems.

    "uniform": every row and column of the (n+1) x (m+1) augmented problem weighs the same (paper,
    literally), so the bucket holds at most one row's and one column's worth of mass.
    "dustbin": SuperGlue's marginals (released code): real rows and columns 1, bucket row m and
    bucket column n, all divided by n + m; the bucket can absorb every row and every column.
    """
    if kind == "uniform":
        return 1 / (n + 1), 1 / (n + 1), 1 / (m + 1), 1 / (m + 1)
    if kind == "dustbin":
        total = n + m
        return 1 / total, m / total, 1 / total, n / total
    raise ValueError(f"marginals must be one of {BUCKET_MARGINALS}, got {kind!r}")


def bucket_sinkhorn(scores: Tensor, bucket_value: Tensor | float, eps: float, *,
                    marginals: str = "uniform", n_iters: int = 50, tol: float | None = None,
                    row_mask: Tensor | None = None, col_mask: Tensor | None = None,
                    differentiable: bool = False, backend: str = "auto",
                    multiplicity: Tensor | float = 1.0) -> BucketOTResult:
    """OT with the alignable prompt bucket: a row and a column of value p appended, solved, cropped.

    scores (..., n, m); bucket_value a scalar or (...,) tensor. Rows/columns that score below p
    send their mass to the bucket instead of being forced onto a partner.
    `multiplicity` k >= 1 (scalar or (...,)): every real row sees the bucket as k columns of value p
    (its bucket entry becomes p + eps log k; capacities and the corner are unchanged), so a row whose
    mass spreads over about k columns competes with the bucket on equal terms: k = m / n suits
    captions against many more clips (seconds). k = 1 is the paper's and the released code's bucket.
    """
    if marginals not in BUCKET_MARGINALS:
        raise ValueError(f"marginals must be one of {BUCKET_MARGINALS}, got {marginals!r}")
    n, m = scores.shape[-2:]
    batch = scores.shape[:-2]
    p = torch.as_tensor(bucket_value, dtype=scores.dtype, device=scores.device)
    try:
        p = p.expand(batch)
    except RuntimeError:
        raise ValueError(f"bucket_value has shape {tuple(p.shape)}, expected () or {tuple(batch)}") from None
    if not torch.isfinite(p).all():
        raise ValueError("bucket_value must be finite")
    row_mask = _check_mask(row_mask, (*batch, n), "row_mask")
    col_mask = _check_mask(col_mask, (*batch, m), "col_mask")
    k = torch.as_tensor(multiplicity, dtype=scores.dtype, device=scores.device)
    try:
        k = k.expand(batch)
    except RuntimeError:
        raise ValueError(f"multiplicity has shape {tuple(k.shape)}, expected () or {tuple(batch)}") from None
    if not (torch.isfinite(k).all() and (k >= 1).all()):
        raise ValueError(f"multiplicity must be finite and >= 1, got {multiplicity}")
    dtype = _solve_dtype(scores.dtype)
    p = p.to(dtype)[..., None, None]
    p_rows = p + eps * k.to(dtype).log()[..., None, None]  # what a real row sees in the bucket column
    augmented = torch.cat([
        torch.cat([scores.to(dtype), p_rows.expand(*batch, n, 1)], -1),
        p.expand(*batch, 1, m + 1),
    ], -2)  # (..., n+1, m+1)

    ones = scores.new_ones((), dtype=dtype)
    n_valid = row_mask.sum(-1).to(dtype) if row_mask is not None else ones * n
    m_valid = col_mask.sum(-1).to(dtype) if col_mask is not None else ones * m
    row_real, row_bucket, col_real, col_bucket = bucket_marginals(n_valid, m_valid, marginals)
    a = torch.cat([row_real[..., None].expand(*batch, n), row_bucket[..., None].expand(*batch, 1)], -1)
    b = torch.cat([col_real[..., None].expand(*batch, m), col_bucket[..., None].expand(*batch, 1)], -1)
    keep = augmented.new_ones((*batch, 1), dtype=torch.bool)
    full_rows = None if row_mask is None else torch.cat([row_mask, keep], -1)
    full_cols = None if col_mask is None else torch.cat([col_mask, keep], -1)
    if full_rows is not None:
        a = a * full_rows
    if full_cols is not None:
        b = b * full_cols

    result = sinkhorn(augmented, eps, a=a, b=b, n_iters=n_iters, tol=tol, row_mask=full_rows,
                      col_mask=full_cols, differentiable=differentiable, backend=backend)
    full = result.plan
    return BucketOTResult(
        plan=full[..., :n, :m], log_plan=result.log_plan[..., :n, :m], n_iters=result.n_iters,
        marginal_error=result.marginal_error, full_plan=full, full_log_plan=result.log_plan,
        row_bucket_mass=full[..., :n, m], col_bucket_mass=full[..., n, :m],
    )
