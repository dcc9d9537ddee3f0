"""A training run as a Slurm job through submitit: one task per GPU on each node, requeued (and resumed from its
newest checkpoint) when Slurm preempts it or its time runs out."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import TrainConfig
from .runs import METRICS_FILE, list_checkpoints


class TrainJob:
    """What each Slurm task runs: torch.distributed's variables from the job, then train(); checkpointable."""

    def __init__(self, config: dict[str, Any]):
        self.config = config

    def __call__(self) -> dict[str, Any]:
        import submitit

        # one GPU per task: the rank picks cuda:LOCAL_RANK itself, so CUDA_VISIBLE_DEVICES stays whole
        submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
        from .trainer import train

        config = TrainConfig.from_dict(self.config)
        out_dir = Path(config.out_dir)
        if list_checkpoints(out_dir) or (out_dir / METRICS_FILE).exists():
            config = config.override({"resume": True})  # a requeued job continues its run
        result = train(config)
        return {"step": result.step, "final_loss": result.final_loss,
                "checkpoint": str(result.checkpoint) if result.checkpoint else None}

    def checkpoint(self, *args: Any, **kwargs: Any):
        """Called by submitit on preemption or timeout: requeue the same job (it resumes from its checkpoint)."""
        import submitit

        return submitit.helpers.DelayedSubmission(TrainJob(self.config))


def submit(config: TrainConfig, *, nodes: int = 1, gpus_per_node: int = 1, options: dict[str, Any] | None = None):
    """Submit `config` as one job of nodes x gpus_per_node tasks; returns the submitit Job.

    `options` are submitit's (slurm_partition, timeout_min, slurm_account, ...; cluster="local" runs the tasks
    as local processes, without Slurm). Logs go to OUT_DIR/_submitit."""
    try:
        import submitit
    except ImportError as error:
        raise ImportError("norton train --slurm needs submitit (pip install 'norton[cluster]')") from error
    if nodes < 1 or gpus_per_node < 1:
        raise ValueError(f"--nodes and --gpus-per-node must be >= 1, got {nodes} and {gpus_per_node}")
    options = dict(options or {})
    cluster = options.pop("cluster", None)
    executor = submitit.AutoExecutor(folder=Path(config.out_dir).resolve() / "_submitit", cluster=cluster)
    gpus = {} if cluster == "local" else {"gpus_per_node": gpus_per_node}
    executor.update_parameters(**{"name": "norton-train", "nodes": nodes, "tasks_per_node": gpus_per_node,
                                  "cpus_per_task": config.data.workers + 2, "timeout_min": 24 * 60,
                                  **gpus, **options})
    return executor.submit(TrainJob(config.to_dict()))
