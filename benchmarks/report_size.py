"""How big each notebook's HTML report is, and what it is made of: each notebook run once at its defaults (or with
--set overrides), then exported with saved widgets drawn statically (the default) and embedded live.

    python benchmarks/report_size.py [--notebooks 00_quickstart 03_alignment_explorer] [--set smoke=True]

Prints a markdown table of MB (10^6 bytes): the saved .ipynb; the static and embedded reports; and, for the
embedded report, its packed scripts (require.js and the widget renderer), its saved widget state and the rest
(plotly.js, figures, nbconvert's page and CSS). Runs in a temporary folder, so nothing lands in the repository.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from norton.demo import parse_overrides  # noqa: E402
from norton.notebooks import NOTEBOOK_DIR, export_html, run_notebook  # noqa: E402

SCRIPT_SRC = re.compile(r'<script[^>]*src="(data:[^"]*)"')
WIDGET_STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)


def megabytes(n: int) -> str:
    return f"{n / 1e6:.2f}"


def parts(page: str) -> tuple[int, int]:
    """(characters in data: script URLs, characters of saved widget state) of an exported page."""
    return (sum(len(m.group(1)) for m in SCRIPT_SRC.finditer(page)),
            sum(len(m.group(1)) for m in WIDGET_STATE.finditer(page)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", default=sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9]*.ipynb")))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    overrides = parse_overrides(args.overrides)
    print("| notebook | .ipynb | report (static widgets) | report (embedded widgets) | of which scripts "
          "| of which widget state | rest |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.notebooks:
            run = run_notebook(name, Path(tmp) / name, overrides, html=True)   # widgets="static"
            static = run.html.stat().st_size
            embedded = export_html(run.notebook, widgets="embed").read_text(encoding="utf-8")
            scripts, state = parts(embedded)
            size = len(embedded.encode("utf-8"))
            print(f"| {name} | {megabytes(run.notebook.stat().st_size)} | {megabytes(static)} | {megabytes(size)} "
                  f"| {megabytes(scripts)} | {megabytes(state)} | {megabytes(size - scripts - state)} |", flush=True)


if __name__ == "__main__":
    main()
