"""Which implementation runs: the backend options of the loss, and the fall-back from Triton kernels to torch.

Nothing here imports Triton: the core (norton.ot, norton.similarity) uses it on every device.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import torch
from torch import Tensor

SOFT_MAX_PATHS = ("auto", "fused", "chunked", "reference")  # norton.similarity.soft_max_scores(path=)
SINKHORN_BACKENDS = ("auto", "fused", "torch")              # norton.ot.sinkhorn(backend=)


@dataclass(frozen=True)
class Backends:
    """How NortonLoss computes its parts (numbers agree to float tolerance whatever the choice); checked once, here.

    similarity_path: the soft maximum, "auto" (the Triton kernels on CUDA where they apply, chunked torch
    elsewhere), "fused", "chunked" or "reference" (norton.similarity.soft_max_scores).
    sinkhorn_backend: both OT solves, "auto" (Triton on CUDA where it applies), "fused" or "torch" (norton.ot.sinkhorn).
    """

    similarity_path: str = "auto"
    sinkhorn_backend: str = "auto"

    def __post_init__(self) -> None:
        if self.similarity_path not in SOFT_MAX_PATHS:
            raise ValueError(f"similarity_path must be one of {SOFT_MAX_PATHS}, got {self.similarity_path!r}")
        if self.sinkhorn_backend not in SINKHORN_BACKENDS:
            raise ValueError(f"sinkhorn_backend must be one of {SINKHORN_BACKENDS}, got {self.sinkhorn_backend!r}")


# Kernels that failed to compile or launch in this process, by (kernels, device, dtype): why.
# They are not tried again there.
FAILURES: dict[tuple[str, str, torch.dtype], str] = {}


def interpreting() -> bool:
    """Whether Triton runs kernels in its CPU interpreter."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def device_reason(tensor: Tensor) -> str | None:
    """Why Triton kernels cannot run on this tensor's device, or None when they can."""
    if tensor.device.type != "cuda" and not (tensor.device.type == "cpu" and interpreting()):
        return f"needs a CUDA tensor (or TRITON_INTERPRET=1 on CPU), got device {tensor.device}"
    return None


def earlier_failure(kernels: str, tensor: Tensor) -> str | None:
    """Why these kernels failed earlier in this process on this tensor's device and dtype, or None."""
    failure = FAILURES.get((kernels, str(tensor.device), tensor.dtype))
    return f"failed earlier in this process: {failure}" if failure else None


def run_or_fall_back(strict: bool, what: str, fallback_note: str, run, fallback):
    """run(); on a Triton error raise when `strict`, else warn and return fallback()."""
    from triton import TritonError  # only here when a kernel runs, so Triton is installed

    try:
        return run()
    except TritonError as error:
        if strict:
            raise
        warnings.warn(f"{what} failed ({type(error).__name__}: {str(error)[:200]}); {fallback_note}",
                      RuntimeWarning)
    return fallback()


def remember_failure(kernels: str, tensor: Tensor, error: Exception) -> None:
    FAILURES[(kernels, str(tensor.device), tensor.dtype)] = f"{type(error).__name__}: {str(error)[:200]}"


def full_fp32_products(dtype: torch.dtype) -> bool:
    """fp32 products in full precision unless torch allows TF32 (set_float32_matmul_precision)."""
    return dtype == torch.float32 and torch.get_float32_matmul_precision() == "highest"


def next_power_of_two(x: int) -> int:
    """Smallest power of two >= x (1 for x <= 1)."""
    return 1 << max(0, int(x) - 1).bit_length()
