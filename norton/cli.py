"""The `norton` command line: one subcommand per module, imported only when used."""
from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module providing `configure(parser)` and `run(args) -> int`
COMMANDS = {
    "demo": "norton.demo",
    "extract": "norton.extract",
    "sweep": "norton.sweep",
    "train": "norton.train",
    "evaluate": "norton.evaluate",
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand's arguments."""
    parser = argparse.ArgumentParser(prog="norton", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.configure(sub.add_parser(name, help=module.__doc__.splitlines()[0]))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `norton` console script."""
    args = build_parser().parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
