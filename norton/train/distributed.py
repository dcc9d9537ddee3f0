"""torchrun processes: this process's rank, the process group, negatives gathered across ranks with gradients."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor



@dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job (rank 0 of 1 without one)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        """Read torchrun's RANK / WORLD_SIZE / LOCAL_RANK."""
        return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                   int(os.environ.get("LOCAL_RANK", 0)))


def init_distributed(ctx: Distributed, device: torch.device) -> None:
    """Join the process group (nccl on CUDA, gloo on CPU) unless already joined or alone."""
    if ctx.enabled and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=ctx.rank,
                                world_size=ctx.world_size)


class _GatherWithGrad(torch.autograd.Function):
    """all_gather along dim 0 whose backward sums every rank's gradient and returns this rank's slice."""

    @staticmethod
    def forward(ctx: Any, tensor: Tensor) -> Tensor:
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, 0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)  # every rank's loss depends on every slice
        size = grad.shape[0] // dist.get_world_size()
        rank = dist.get_rank()
        return grad[rank * size:(rank + 1) * size]


def all_gather_with_grad(tensor: Tensor) -> Tensor:
    """(n, ...) on each rank -> (world_size * n, ...) rank-major, differentiable (see _GatherWithGrad).

    Every rank computes the same loss L on the gathered batch, so this rank's input receives
    world_size * dL/d(its slice); DDP's gradient averaging divides by world_size again, which makes
    parameter gradients those of one process training on the concatenated batch.
    """
    return _GatherWithGrad.apply(tensor)


def _max_over_ranks(value: int, device: torch.device) -> int:
    value_t = torch.tensor([value], device=device)
    dist.all_reduce(value_t, op=dist.ReduceOp.MAX)
    return int(value_t.item())


def _pad_positions(tensor: Tensor, length: int) -> Tensor:
    """Zero-pad dim 1 of (N, S, ...) to `length`."""
    if tensor.shape[1] == length:
        return tensor
    pad = tensor.new_zeros((tensor.shape[0], length - tensor.shape[1], *tensor.shape[2:]))
    return torch.cat([tensor, pad], 1)


def gather_loss_inputs(inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """NortonLoss inputs of every rank concatenated rank-major; tokens padded to the longest rank first."""
    pooled_text, pooled_video, text_tokens, video_tokens, text_mask, video_mask = inputs  # NortonLoss's order
    device = pooled_video.device
    video_len = _max_over_ranks(video_tokens.shape[1], device)
    text_len = _max_over_ranks(text_tokens.shape[1], device)
    video_tokens, video_mask = _pad_positions(video_tokens, video_len), _pad_positions(video_mask, video_len)
    text_tokens, text_mask = _pad_positions(text_tokens, text_len), _pad_positions(text_mask, text_len)
    masks = []
    for mask in (text_mask, video_mask):
        parts = [torch.empty_like(mask, dtype=torch.uint8) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, mask.to(torch.uint8).contiguous())  # gloo has no bool collectives
        masks.append(torch.cat(parts, 0).bool())
    features = [all_gather_with_grad(t) for t in (pooled_text, pooled_video, text_tokens, video_tokens)]
    return (*features, *masks)  # in the order it was given
