"""The training loop: Trainer (model, loss, optimizer, data stream; one update; save/restore) and train()."""
from __future__ import annotations

import json
import math
import random
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from tqdm.auto import tqdm

from ..checkpoint import (capture_rng_state, import_mmpt_checkpoint, load_checkpoint, read_checkpoint,
                         restore_rng_state, save_checkpoint)
from ..files import atomic_write
from ..losses import NortonLoss, rectified_clip_loss
from ..model import DualEncoder
from .config import TrainConfig
from .data import make_stream
from .diagnostics import alignment_diagnostics
from .distributed import Distributed, gather_loss_inputs, init_distributed
from .runs import (METRICS_FILE, truncate_metrics, checkpoint_path, latest_checkpoint, list_checkpoints,
                   remove_partial_checkpoints, resumable_checkpoint)

RESUMABLE_CHANGES = ("steps", "resume", "progress", "log_every", "checkpoint_every", "keep_checkpoints", "out_dir",
                     "threads", "init_checkpoint")


@dataclass
class LossTerms:
    """The scalars of one loss evaluation."""

    total: Tensor
    clip: Tensor
    video: Tensor
    bucket_value: Tensor | None


def loss_terms(loss_fn: NortonLoss | None, inputs: tuple[Tensor, ...]) -> LossTerms:
    """NortonLoss on the inputs, or plain clip-caption InfoNCE (beta=0, no video term) when loss_fn is None."""
    if loss_fn is None:
        clip, _ = rectified_clip_loss(inputs[0], inputs[1], beta=0.0)
        return LossTerms(clip, clip, torch.zeros_like(clip), None)
    out = loss_fn(*inputs)
    return LossTerms(out.total, out.clip, out.video, out.bucket_value)



def build_optimizer(config: TrainConfig, parameters: list[nn.Parameter]) -> torch.optim.Optimizer:
    kind = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return kind(parameters, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)


def lr_factor(step: int, config: TrainConfig) -> float:
    """Multiplier of lr at update `step` (0-based): linear warmup, then constant or linear decay to 0."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.lr_schedule == "linear":
        return max(0.0, (config.steps - step) / max(1, config.steps - config.warmup_steps))
    return 1.0


def resolve_device(name: str, ctx: Distributed) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"TrainConfig.device is {name!r} but CUDA is not available; use device=cpu")
        if ctx.enabled or device.index is None:
            device = torch.device("cuda", ctx.local_rank if ctx.enabled else torch.cuda.current_device())
        torch.cuda.set_device(device)
    return device


def load_initial_weights(model: DualEncoder, path: str | Path) -> None:
    """Weights from a norton checkpoint, or else from a released VideoCLIP/Norton (MMPT) file.

    An MMPT file holds pickled fairseq objects and is unpickled: name only files you trust.
    """
    try:
        state = read_checkpoint(path).model_state
    except ValueError as err:
        if "not a norton checkpoint" not in str(err):
            raise
        report = import_mmpt_checkpoint(path, model, allow_pickle=True)
        if report.problems:
            warnings.warn(f"init_checkpoint {path}: {report.summary()}; first problems: {report.problems[:5]}")
        return
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"init_checkpoint {path} does not fit the model: {err}") from err


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)




@dataclass
class TrainResult:
    """What a run produced."""

    out_dir: Path
    step: int                      # updates done
    final_loss: float | None       # loss of the last update of this call (None if nothing ran)
    checkpoint: Path | None        # newest checkpoint
    history: list[dict[str, Any]]  # every update's record of this call
    seconds: float                 # wall time of this call
    model: DualEncoder
    loss_fn: NortonLoss | None     # None for plain InfoNCE


class Trainer:
    """The state of one run: model, loss, optimizer, scheduler, scaler, data stream; steps and saves it."""

    def __init__(self, config: TrainConfig, ctx: Distributed, resume_from: Path | None = None) -> None:
        self.config, self.ctx = config, ctx
        if config.threads is not None:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device, ctx)
        if config.amp != "none" and self.device.type != "cuda":
            raise ValueError(f"TrainConfig.amp={config.amp!r} needs a CUDA device (device is {self.device}); "
                             "use amp=none on CPU")
        if config.gather_negatives and not ctx.enabled:
            warnings.warn("gather_negatives has no effect in a single process")
        init_distributed(ctx, self.device)
        seed_everything(config.seed)  # same initial weights on every rank
        self.model = DualEncoder(config.model_config())
        if config.init_checkpoint and resume_from is None:
            load_initial_weights(self.model, config.init_checkpoint)
        self.model.to(self.device)
        loss_config = config.loss_config()
        self.loss_fn = None if loss_config is None else NortonLoss(
            loss_config, backends=config.backends()).to(self.device)
        torch.manual_seed(config.seed * 1_000_003 + ctx.rank)  # own dropout masks per rank
        self.network = self.model
        if ctx.enabled:
            self.network = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.parameters = [p for p in self.model.parameters() if p.requires_grad]
        if self.loss_fn is not None:
            self.parameters += [p for p in self.loss_fn.parameters() if p.requires_grad]
        self.optimizer = build_optimizer(config, self.parameters)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: lr_factor(s, config))
        self.scaler = torch.amp.GradScaler("cuda") if config.amp == "fp16" else None
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.amp)
        self.stream = make_stream(config, ctx, self.device)
        self.step, self.elapsed = 0, 0.0
        self.out_dir = Path(config.out_dir)
        if resume_from is not None:
            self.restore(resume_from)

    # -- persistence
    def save(self) -> Path | None:
        """Checkpoint the full state (every rank's data position and RNG); rank 0 writes it."""
        rank_state = {"data": self.stream.state_dict(), "rng": capture_rng_state()}
        ranks = [rank_state]
        if self.ctx.enabled:
            ranks = [None] * self.ctx.world_size
            dist.all_gather_object(ranks, rank_state)
        if not self.ctx.is_main:
            return None
        extra = {
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler else None,
            "loss_state": self.loss_fn.state_dict() if self.loss_fn is not None else {},
            "ranks": ranks, "elapsed": self.elapsed, "train_config": self.config.to_dict(),
        }
        path = save_checkpoint(checkpoint_path(self.out_dir, self.step), self.model,
                               loss_config=self.loss_fn.config if self.loss_fn is not None else None,
                               optimizer=self.optimizer, step=self.step, extra=extra)
        for old in list_checkpoints(self.out_dir)[:-self.config.keep_checkpoints]:
            old.unlink()
        return path

    def restore(self, path: Path) -> None:
        """Load a checkpoint written by save() into this trainer."""
        # read on CPU: RNG states must stay CPU tensors; weights and optimizer state follow the parameters
        checkpoint = load_checkpoint(path, self.model, self.optimizer, restore_rng=False, map_location="cpu")
        extra = checkpoint.extra
        if len(extra["ranks"]) != self.ctx.world_size:
            raise ValueError(f"checkpoint {path} was written by {len(extra['ranks'])} rank(s), "
                             f"this run has {self.ctx.world_size}")
        current = self.config.to_dict()
        changed = sorted(k for k, v in extra["train_config"].items()
                         if k not in RESUMABLE_CHANGES and current.get(k) != v)
        if changed:
            warnings.warn(f"resuming {path} with a different config for {changed}")
        self.scheduler.load_state_dict(extra["scheduler"])
        if self.scaler is not None and extra["scaler"]:
            self.scaler.load_state_dict(extra["scaler"])
        if self.loss_fn is not None:
            self.loss_fn.load_state_dict(extra["loss_state"])
        mine = extra["ranks"][self.ctx.rank]
        self.stream.load_state_dict(mine["data"])
        restore_rng_state(mine["rng"])
        self.step, self.elapsed = checkpoint.step, extra["elapsed"]

    # -- one update
    def train_step(self) -> dict[str, Any]:
        """Sample a batch, forward, backward, clip, step; return its metrics record."""
        begin = time.perf_counter()
        batch = next(self.stream).to(self.device, non_blocking=True)
        data_seconds = time.perf_counter() - begin
        self.network.train()
        autocast = (torch.autocast(self.device.type, dtype=self.amp_dtype) if self.amp_dtype else nullcontext())
        with autocast:
            encoded = self.network(batch.video_features, batch.video_mask, batch.captions)
        inputs = tuple(t.float() if t.is_floating_point() else t for t in encoded.loss_inputs())
        if self.config.gather_negatives and self.ctx.enabled:
            inputs = gather_loss_inputs(inputs)
        terms = loss_terms(self.loss_fn, inputs)  # in float32, outside autocast
        self._check_finite(terms.total, "loss")
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(terms.total).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            terms.total.backward()
        self._average_loss_gradients()
        grad_norm = nn.utils.clip_grad_norm_(self.parameters, self.config.grad_clip or math.inf)
        if self.scaler is not None:  # an fp16 overflow skips the update, as GradScaler is meant to
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self._check_finite(grad_norm, "gradient norm")
            self.optimizer.step()
        lr = self.optimizer.param_groups[0]["lr"]
        self.scheduler.step()
        self.step += 1
        self.elapsed += time.perf_counter() - begin
        record = {"step": self.step, "loss": terms.total.item(), "loss_clip": terms.clip.item(),
                  "loss_video": terms.video.item(), "lr": lr, "grad_norm": float(grad_norm),
                  "seconds": round(self.elapsed, 4), "data_seconds": round(data_seconds, 5),
                  "bucket_value": None if terms.bucket_value is None else terms.bucket_value.item()}
        if self.step % self.config.log_every == 0 or self.step == self.config.steps:
            record.update(alignment_diagnostics(encoded.pooled_text, encoded.pooled_video, batch.aligned))
        return record

    def _average_loss_gradients(self) -> None:
        """DDP averages the model's gradients; the loss's own (the learnable temperature) are averaged here."""
        if not self.ctx.enabled or self.loss_fn is None:
            return
        for param in self.loss_fn.parameters():
            if param.grad is not None:
                dist.all_reduce(param.grad)
                param.grad /= self.ctx.world_size

    def _check_finite(self, value: Tensor, what: str) -> None:
        bad = (~torch.isfinite(value.detach())).float().reshape(1)
        if self.ctx.enabled:
            dist.all_reduce(bad, op=dist.ReduceOp.MAX)
        if bad.item():
            last = latest_checkpoint(self.out_dir)
            raise FloatingPointError(
                f"{what} is {value.item()} at step {self.step + 1}; training stopped. Last good checkpoint: "
                f"{last if last else 'none (no checkpoint was saved yet)'}")


def train(config: TrainConfig, callback: Callable[[dict[str, Any]], None] | None = None) -> TrainResult:
    """Run (or resume) training as configured; `callback(record)` is called after every update.

    Metrics go to out_dir/metrics.jsonl (every log_every steps and the last), checkpoints to
    out_dir/checkpoints/step_XXXXXXXX.pt (every checkpoint_every steps and the last).
    """
    begin = time.perf_counter()
    ctx = Distributed.from_env()
    out_dir = Path(config.out_dir)
    held = bool(list_checkpoints(out_dir)) or (out_dir / METRICS_FILE).exists()
    if not config.resume and held:
        raise FileExistsError(f"{out_dir} already holds a run; set resume=true to continue it or pick another out_dir")
    if config.resume and not held:
        raise FileNotFoundError(f"resume: {out_dir} holds no run to continue (no checkpoints, no {METRICS_FILE}); "
                                "check out_dir, or train without resume")
    if ctx.is_main:
        for stale in remove_partial_checkpoints(out_dir):
            warnings.warn(f"removed {stale}: a checkpoint write that was interrupted")
    latest = resumable_checkpoint(out_dir) if config.resume else None
    trainer = Trainer(config, ctx, resume_from=latest)
    if ctx.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        truncate_metrics(out_dir, trainer.step)
    history: list[dict[str, Any]] = []
    checkpoint = latest
    bar = tqdm(total=config.steps, initial=trainer.step, desc="train", disable=not (config.progress and ctx.is_main))
    with bar:
        try:
            while trainer.step < config.steps:
                record = trainer.train_step()
                if not history and ctx.is_main:  # written once a step has run: a start that fails keeps the old one
                    with atomic_write(out_dir / "config.yaml", "w") as handle:
                        handle.write(config.to_yaml())
                history.append(record)
                bar.update(1)
                bar.set_postfix(loss=f"{record['loss']:.4f}")
                if ctx.is_main and (trainer.step % config.log_every == 0 or trainer.step == config.steps):
                    with open(out_dir / METRICS_FILE, "a") as handle:
                        handle.write(json.dumps(record) + "\n")
                if trainer.step % config.checkpoint_every == 0 or trainer.step == config.steps:
                    checkpoint = trainer.save() or checkpoint
                if callback is not None:
                    callback(record)
        finally:
            trainer.stream.close()  # stops DataLoader workers, also after an error
    if ctx.enabled:
        dist.barrier()
    return TrainResult(out_dir, trainer.step, history[-1]["loss"] if history else None,
                       latest_checkpoint(out_dir), history, time.perf_counter() - begin,
                       trainer.model, trainer.loss_fn)
