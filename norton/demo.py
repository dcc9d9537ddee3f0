"""Run the quickstart notebook on the narrated how-to testbed and write an HTML report and metrics under runs/."""
from __future__ import annotations

import argparse
import json

from norton.notebooks import WIDGET_MODES, run_notebook


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    parser.add_argument("--notebook", default="00_quickstart", help="notebook name or path")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a notebook parameter (VALUE parsed as JSON when it can be)")
    parser.add_argument("--widgets", choices=WIDGET_MODES, default="static",
                        help="the report draws saved widgets from their state (static, default) or embeds the "
                             "ipywidgets renderer (embed: controls inert; 03's report 6.1 instead of 2.8 MB)")


def parse_overrides(items: list[str]) -> dict:
    """['a=1', 'b=x'] -> {'a': 1, 'b': 'x'}; values are JSON when they parse, else strings."""
    values = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            values[key] = json.loads(value)
        except json.JSONDecodeError:
            values[key] = value
    return values


def run(args: argparse.Namespace) -> int:
    result = run_notebook(args.notebook, args.out, parse_overrides(args.overrides), widgets=args.widgets)
    print(f"executed notebook: {result.notebook}")
    print(f"HTML report:       {result.html}")
    print(json.dumps(result.metrics, indent=2))
    return 0
