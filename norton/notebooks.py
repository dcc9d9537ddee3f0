"""Run a parameterised notebook headless (papermill) and export it to a self-contained HTML report."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
PATH_SUFFIXES = ("_path", "_dir", "_store")  # parameters holding a file or folder (feature_path, out_dir, ...)
WIDGET_MODES = ("static", "embed")   # how an HTML report shows saved widgets (export_html)


@dataclass
class NotebookRun:
    """Where an executed notebook left its outputs."""

    notebook: Path   # the executed .ipynb
    html: Path | None
    metrics: dict[str, Any]


def quiet_kernel_manager():
    """A kernel manager whose kernel prints nothing that reads as a failure: it talks over local IPC
    sockets (over TCP ipykernel warns that traffic is unencrypted) and gets no SIGINT before shutdown
    (ipykernel would log "KeyboardInterrupt caught in kernel")."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietShutdownKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs) -> None:
            super().__init__(**{"transport": "ipc", **kwargs})

        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return QuietShutdownKernelManager


def resolve_notebook(name: str | Path) -> Path:
    """A notebook path, or the name of one in notebooks/ (with or without .ipynb)."""
    path = Path(name)
    for candidate in (path, NOTEBOOK_DIR / path, NOTEBOOK_DIR / f"{path}.ipynb"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"notebook not found: {name} (looked in {NOTEBOOK_DIR} too)")


def notebook_parameters(notebook: str | Path) -> dict[str, Any]:
    """Names and default values of the notebook's `parameters` cell."""
    import papermill

    params = papermill.inspect_notebook(str(resolve_notebook(notebook)))
    return {name: spec["default"] for name, spec in params.items()}


def check_parameters(notebook: str | Path, parameters: dict[str, Any]) -> None:
    """Raise ValueError naming any parameter the notebook does not declare."""
    known = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for notebook {notebook}; known: {sorted(known)}")


def resolve_paths(parameters: dict[str, Any], base: str | Path | None = None) -> dict[str, Any]:
    """A copy where every relative path parameter (a non-empty string under a name ending in
    PATH_SUFFIXES) is made absolute against `base`, default the caller's working directory: the
    notebook itself runs in its out_dir."""
    base = Path.cwd() if base is None else Path(base)
    return {name: str((base / value).resolve()) if name.endswith(PATH_SUFFIXES) and isinstance(value, str)
            and value and not Path(value).is_absolute() else value for name, value in parameters.items()}


def run_notebook(notebook: str | Path, out_dir: str | Path, parameters: dict[str, Any] | None = None,
                 *, html: bool = True, widgets: str = "static", timeout: int = 1800) -> NotebookRun:
    """Execute `notebook` with `parameters` (plus out_dir) into out_dir; return its metrics.json.

    Relative path parameters are resolved against the caller's working directory (resolve_paths); `widgets` is
    export_html's.
    """
    import nbformat
    import papermill

    from norton.static_widgets import prune_widget_state

    check_widget_mode(widgets)
    source = resolve_notebook(notebook)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    parameters = {**resolve_paths(parameters or {}), "out_dir": str(out_dir)}
    check_parameters(source, parameters)
    executed = out_dir / source.name
    papermill.execute_notebook(str(source), str(executed), parameters=parameters, cwd=str(out_dir),
                               kernel_name="python3", progress_bar=False, execution_timeout=timeout,
                               kernel_manager_class=quiet_kernel_manager())
    notebook = nbformat.read(executed, as_version=4)
    if prune_widget_state(notebook):   # papermill keeps closed widgets' state: the saved notebook goes without
        nbformat.write(notebook, executed)
    report = _write_report(notebook, executed.with_suffix(".html"), widgets) if html else None
    metrics_path = out_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return NotebookRun(notebook=executed, html=report, metrics=metrics)


def check_widget_mode(widgets: str) -> None:
    """Raise ValueError unless `widgets` is one of WIDGET_MODES."""
    if widgets not in WIDGET_MODES:
        raise ValueError(f"widgets must be one of {WIDGET_MODES}, got {widgets!r}")


def export_html(executed: str | Path, widgets: str = "static") -> Path:
    """Write the executed notebook as one HTML file next to it that works offline, plots and widgets included.

    plotly.js comes once, packed, from the notebooks' "plotly_mimetype+norton_notebook" renderer (plotly's per-figure
    MathJax CDN tag is dropped unless the figure has LaTeX). Saved widgets, with widgets="static" (the default), are
    drawn from their saved state as static HTML (norton.static_widgets: a report has no kernel to move their
    sliders); with "embed" the page carries the ipywidgets renderer (npm packages fetched once by
    norton.widget_assets, packed) and renders the saved widgets live, their controls inert.
    """
    import nbformat

    check_widget_mode(widgets)
    executed = Path(executed)
    return _write_report(nbformat.read(executed, as_version=4), executed.with_suffix(".html"), widgets)


def _write_report(notebook, target: Path, widgets: str) -> Path:
    """export_html's work on an nbformat notebook already read (which it changes): the HTML goes to `target`."""
    from nbconvert import HTMLExporter

    from norton.static_widgets import freeze_widgets, prune_widget_state
    from norton.widget_assets import drop_cdn_mathjax, exporter_options, place_plotly_loader

    drop_cdn_mathjax(notebook)
    if widgets == "static":
        freeze_widgets(notebook)
    else:
        prune_widget_state(notebook)   # (no widget left: no widget renderer in the page either)
    place_plotly_loader(notebook)
    body, _ = HTMLExporter(**exporter_options(notebook)).from_notebook_node(notebook)
    target.write_text(body, encoding="utf-8")
    return target
