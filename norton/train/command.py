"""`norton train`: the command line of the training loop."""
from __future__ import annotations

import argparse

import torch.distributed as dist

from .config import TrainConfig
from .distributed import Distributed
from .runs import METRICS_FILE
from .trainer import train


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="training config YAML (e.g. configs/teach.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, dotted for sections (loss.beta=0.5); VALUE is YAML")
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in out_dir")


def run(args: argparse.Namespace) -> int:
    config = TrainConfig.load(args.config).override(args.overrides)
    if args.resume:
        config = config.override({"resume": True})
    result = train(config)
    if Distributed.from_env().is_main:
        print(f"trained to step {result.step} in {result.seconds:.1f} s; final loss {result.final_loss}")
        print(f"metrics: {result.out_dir / METRICS_FILE}\ncheckpoint: {result.checkpoint}")
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0
