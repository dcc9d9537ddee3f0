"""How fast each notebook starts: its import cell and its first plot, each notebook in a fresh kernel.

    python benchmarks/notebook_start.py [--notebooks 00_quickstart 02_training] [--repeats 1] [--set smoke=True]

For every notebook: a fresh kernel (the project's quiet IPC kernel), its parameters cell, then the first code
cell after it (the imports) timed, then the following cells in order until the first one that shows a plotly
figure (a plotly JSON output or a widget view), which is timed too; the "to first plot" column is the wall time
from the import cell's start to the end of that cell. Prints a markdown table of seconds (median over
--repeats fresh kernels). It runs in a temporary folder (out_dir there), so nothing lands in the repository.
"""
from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from norton.notebooks import resolve_notebook  # noqa: E402

PLOT_MIMES = ("application/vnd.plotly.v1+json", "application/vnd.jupyter.widget-view+json")
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def code_cells(path: Path) -> tuple[str, list[str]]:
    """The parameters cell's source and the code cells after it."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    index = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))
    return "".join(cells[index]["source"]), ["".join(c["source"]) for c in cells[index + 1:]]


def parameter_lines(overrides: dict[str, object]) -> str:
    return "\n".join(f"{name} = {value!r}" for name, value in overrides.items())


class Kernel:
    """A fresh kernel in `cwd` over IPC sockets (as norton.notebooks runs them); run(code) -> (seconds, whether
    it showed a plot, its stderr and error text)."""

    def __init__(self, cwd: Path) -> None:
        import os

        from jupyter_client.manager import KernelManager

        # IPC socket files live under an absolute path: the kernel runs in cwd, this process elsewhere
        self.manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(cwd / "kernel-ipc"))
        self.manager.start_kernel(cwd=str(cwd), env={**os.environ, **ENV})
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 900) -> tuple[float, bool, str]:
        plotted, problems = False, []

        def output(message) -> None:
            nonlocal plotted
            kind, content = message["msg_type"], message["content"]
            if kind in ("display_data", "execute_result", "update_display_data"):
                plotted = plotted or any(mime in content.get("data", {}) for mime in PLOT_MIMES)
            elif kind == "stream" and content["name"] == "stderr":
                problems.append(content["text"])
            elif kind == "error":
                problems.append(f"{content['ename']}: {content['evalue']}")

        start = time.perf_counter()
        reply = self.client.execute_interactive(code, output_hook=output, timeout=timeout, store_history=False)
        seconds = time.perf_counter() - start
        if reply["content"]["status"] != "ok" and not problems:
            problems.append(reply["content"].get("ename", "error"))
        return seconds, plotted, "".join(problems)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def measure(name: str, overrides: dict[str, object]) -> dict[str, object]:
    """One fresh kernel: seconds of the import cell, of the first cell that plots and from imports to it."""
    parameters, cells = code_cells(resolve_notebook(name))
    with tempfile.TemporaryDirectory(prefix="notebook_start_") as folder:
        kernel = Kernel(Path(folder))
        try:
            overrides = {"out_dir": str(Path(folder) / "out"), **overrides}
            _, _, problem = kernel.run(parameters + "\n" + parameter_lines(overrides))
            if problem:
                raise RuntimeError(f"{name}: the parameters cell failed: {problem}")
            begin = time.perf_counter()
            imports, _, problem = kernel.run(cells[0])
            if problem:
                raise RuntimeError(f"{name}: the import cell wrote {problem[:500]!r}")
            plot, plot_cell = None, None
            for index, code in enumerate(cells[1:], start=1):
                seconds, plotted, problem = kernel.run(code)
                if problem:
                    raise RuntimeError(f"{name}: code cell {index} after the parameters wrote {problem[:500]!r}")
                if plotted:
                    plot, plot_cell = seconds, index
                    break
            return {"imports": imports, "plot": plot, "plot_cell": plot_cell,
                    "to_plot": time.perf_counter() - begin if plot is not None else None}
        finally:
            kernel.close()


def value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="+", default=sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb")))
    parser.add_argument("--repeats", type=int, default=1, help="fresh kernels per notebook (the median is shown)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter for every notebook (Python literal), e.g. smoke=True")
    args = parser.parse_args()
    overrides = dict((k, value(v)) for k, v in (item.split("=", 1) for item in args.overrides))
    print("| notebook | import cell (s) | first-plot cell | first-plot cell (s) | imports to first plot (s) |")
    print("|---|---|---|---|---|")
    for name in args.notebooks:
        try:
            runs = [measure(name, overrides) for _ in range(args.repeats)]
        except RuntimeError as error:  # one notebook that fails does not hide the others' numbers
            print(f"| {name} | failed: {str(error)[:200]} | | | |", flush=True)
            continue
        median = {key: statistics.median(r[key] for r in runs) if runs[0][key] is not None else None
                  for key in ("imports", "plot", "to_plot")}
        cell = runs[0]["plot_cell"]
        shown = {key: "-" if v is None else f"{v:.2f}" for key, v in median.items()}
        where = "none" if cell is None else f"code cell {cell} after the imports"
        print(f"| {name} | {shown['imports']} | {where} | {shown['plot']} | {shown['to_plot']} |", flush=True)
    print(f"\nseconds of wall time in a fresh kernel per notebook (median of {args.repeats}); parameters: "
          f"{overrides or 'the defaults'}; imports to first plot counts every cell in between")


if __name__ == "__main__":
    main()
