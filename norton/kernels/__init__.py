"""The Triton kernels and how the library picks them.

- `dispatch`: the options object `Backends` (similarity_path, sinkhorn_backend), each kernel family's
  reasons not to run, and the fall-back to torch when a kernel fails (no Triton import);
- `soft_max`: the fused soft-maximum sums (norton.similarity's "fused" path);
- `sinkhorn`: the Sinkhorn iterations (norton.ot's "fused" backend).
The kernel modules import Triton (the `dev` extra); they run on CUDA, or on CPU under Triton's
interpreter (TRITON_INTERPRET=1 set before they are imported), as the tests do.
"""
from .dispatch import SINKHORN_BACKENDS, SOFT_MAX_PATHS, Backends

__all__ = ["Backends", "SOFT_MAX_PATHS", "SINKHORN_BACKENDS"]
