"""`norton train`: the command line of the training loop (here, under torchrun, or submitted to Slurm)."""
from __future__ import annotations

import argparse

import torch.distributed as dist

from .config import TrainConfig, parse_assignments
from .distributed import Distributed
from .runs import METRICS_FILE
from .trainer import train


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="training config YAML (e.g. configs/teach.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, dotted for sections (loss.beta=0.5); VALUE is YAML")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in out_dir")
    slurm = parser.add_argument_group("Slurm (through submitit)")
    slurm.add_argument("--slurm", action="store_true", help="submit the run as a Slurm job instead of running it")
    slurm.add_argument("--nodes", type=int, default=1, help="with --slurm: nodes (default 1)")
    slurm.add_argument("--gpus-per-node", type=int, default=1, help="with --slurm: GPUs = tasks per node (default 1)")
    slurm.add_argument("--slurm-option", dest="slurm_options", action="append", default=[], metavar="KEY=VALUE",
                       help="a submitit option, e.g. slurm_partition=gpu, timeout_min=1440, cluster=local")
    slurm.add_argument("--wait", action="store_true", help="with --slurm: wait for the job and print its result")


def run(args: argparse.Namespace) -> int:
    config = TrainConfig.load(args.config).override(args.overrides)
    if args.resume:
        config = config.override({"resume": True})
    if args.slurm:
        from .slurm import submit

        job = submit(config, nodes=args.nodes, gpus_per_node=args.gpus_per_node,
                     options=dict(parse_assignments(args.slurm_options)))
        print(f"submitted job {job.job_id} ({args.nodes} node(s) x {args.gpus_per_node} task(s)); "
              f"logs: {job.paths.folder}")
        if args.wait:
            print(f"job {job.job_id} finished: {job.results()[0]}")
        return 0
    result = train(config)
    if Distributed.from_env().is_main:
        print(f"trained to step {result.step} in {result.seconds:.1f} s; final loss {result.final_loss}")
        print(f"metrics: {result.out_dir / METRICS_FILE}\ncheckpoint: {result.checkpoint}")
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0
