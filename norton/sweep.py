"""Run a notebook over a grid of parameters (in parallel or on Slurm) and gather a results table and plots."""
from __future__ import annotations

import argparse
import csv
import hashlib
import html
import itertools
import json
import re
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tqdm.auto import tqdm

from norton.files import atomic_write
from norton.notebooks import WIDGET_MODES, check_parameters, resolve_notebook, resolve_paths, run_notebook

SPEC_KEYS = {"notebook", "out_dir", "grid", "runs", "fixed", "workers", "executor", "slurm", "html", "widgets",
             "timeout"}
EXECUTORS = ("local", "slurm")
DONE_MARKER = "done.json"     # written last: a run folder with it and metrics.json is finished
ERROR_FILE = "error.txt"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class SweepSpec:
    """A validated sweep: which notebook, where, and the full parameters of every run."""

    notebook: Path
    out_dir: Path
    runs: list[dict[str, Any]]   # each run's parameters, fixed ones included
    varied: list[str]            # names whose value differs between runs
    workers: int = 2
    executor: str = "local"
    slurm: dict[str, Any] = field(default_factory=dict)
    html: bool = True
    widgets: str = "static"      # how the HTML reports show saved widgets (norton.notebooks.export_html)
    timeout: int = 1800          # seconds per notebook cell


@dataclass
class RunTask:
    """One notebook execution, picklable for worker processes and Slurm jobs."""

    run_id: str
    notebook: str
    run_dir: str
    parameters: dict[str, Any]
    html: bool
    widgets: str
    timeout: int


@dataclass
class RunOutcome:
    """What one run left: status 'done' or 'failed', its metrics or its error's first line."""

    run_id: str
    status: str
    parameters: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_s: float | None = None


@dataclass
class SweepResult:
    """Every run's outcome (in spec order) and where the table and summary were written."""

    spec: SweepSpec
    outcomes: list[RunOutcome]
    executed: list[str]          # run ids executed by this call; the others were already finished
    table: Path
    summary: Path

    @property
    def failed(self) -> list[RunOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The results table as dicts (the rows of results.csv)."""
        return results_rows(self.outcomes)


# --- the spec ----------------------------------------------------------------------------------

def load_spec(source: str | Path | dict[str, Any]) -> SweepSpec:
    """Read a sweep spec (YAML file or dict), expand it into runs and check every parameter name."""
    raw = read_spec(source) if isinstance(source, (str, Path)) else dict(source)
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        raise ValueError(f"unknown sweep spec key(s) {unknown}; expected some of {sorted(SPEC_KEYS)}")
    for key in ("notebook", "out_dir"):
        if not raw.get(key):
            raise ValueError(f"sweep spec needs '{key}'")
    notebook = resolve_notebook(raw["notebook"])
    runs = expand_runs(raw.get("grid"), raw.get("runs"), raw.get("fixed") or {})
    check_parameters(notebook, {name: None for run in runs for name in run})
    executor = raw.get("executor", "local")
    if executor not in EXECUTORS:
        raise ValueError(f"sweep spec 'executor' must be one of {EXECUTORS}, got {executor!r}")
    workers = raw.get("workers", 2)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"sweep spec 'workers' must be a positive integer, got {workers!r}")
    slurm = raw.get("slurm") or {}
    if not isinstance(slurm, dict):
        raise ValueError(f"sweep spec 'slurm' must be a mapping of submitit options, got {slurm!r}")
    widgets = raw.get("widgets", "static")
    if widgets not in WIDGET_MODES:
        raise ValueError(f"sweep spec 'widgets' must be one of {WIDGET_MODES}, got {widgets!r}")
    return SweepSpec(notebook=notebook, out_dir=Path(raw["out_dir"]), runs=runs, varied=varied_names(runs),
                     workers=workers, executor=executor, slurm=slurm, html=bool(raw.get("html", True)),
                     widgets=widgets, timeout=int(raw.get("timeout", 1800)))


def read_spec(path: str | Path) -> dict[str, Any]:
    """The YAML mapping in `path`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sweep spec not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"sweep spec {path} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"sweep spec {path} must be a YAML mapping, got {type(raw).__name__}")
    return raw


def expand_runs(grid: dict[str, list] | None, runs: list[dict] | None,
                fixed: dict[str, Any]) -> list[dict[str, Any]]:
    """Each run's parameters: the grid's cartesian product (or the runs list), with `fixed` added."""
    if (grid is None) == (runs is None):
        raise ValueError("sweep spec needs exactly one of 'grid' (dict of lists) or 'runs' (list of dicts)")
    if not isinstance(fixed, dict):
        raise ValueError(f"sweep spec 'fixed' must be a mapping, got {fixed!r}")
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise ValueError(f"sweep spec 'grid' must be a non-empty mapping of name -> list, got {grid!r}")
        for name, values in grid.items():
            if not isinstance(values, list) or not values:
                raise ValueError(f"grid values for '{name}' must be a non-empty list, got {values!r}")
        points = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]
    else:
        if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
            raise ValueError(f"sweep spec 'runs' must be a non-empty list of mappings, got {runs!r}")
        points = runs
    expanded = []
    for point in points:
        clash = sorted(set(point) & set(fixed))
        if clash:
            raise ValueError(f"parameter(s) {clash} are both swept and in 'fixed'")
        if "out_dir" in point or "out_dir" in fixed:
            raise ValueError("'out_dir' is set by the sweep (each run's folder); remove it from the parameters")
        expanded.append({**fixed, **point})
    ids = [parameter_digest(run) for run in expanded]
    if len(set(ids)) != len(ids):
        raise ValueError("sweep spec lists the same parameters more than once")
    return expanded


def varied_names(runs: list[dict[str, Any]]) -> list[str]:
    """Parameter names whose value is not the same in every run, in order of first appearance."""
    names = list(dict.fromkeys(name for run in runs for name in run))
    return [n for n in names if len({json.dumps(run.get(n), sort_keys=True, default=str) for run in runs}) > 1]


def parameter_digest(parameters: dict[str, Any]) -> str:
    """8 hex digits that change whenever any parameter's value does."""
    text = json.dumps(parameters, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def run_id(parameters: dict[str, Any], varied: list[str]) -> str:
    """A stable folder name: the varied values for reading, then the digest of all parameters."""
    prefix = "_".join(f"{name}={parameters[name]}" for name in varied if name in parameters)
    prefix = re.sub(r"[^A-Za-z0-9.=_+-]+", "-", prefix)[:48].strip("-_")
    digest = parameter_digest(parameters)
    return f"{prefix}-{digest}" if prefix else digest


def plan_tasks(spec: SweepSpec) -> list[RunTask]:
    """One task per run, in spec order; relative paths resolved here (a Slurm job may start elsewhere)."""
    out_dir = spec.out_dir.resolve()
    tasks = []
    for parameters in spec.runs:
        rid = run_id(parameters, spec.varied)
        tasks.append(RunTask(run_id=rid, notebook=str(spec.notebook.resolve()), run_dir=str(out_dir / rid),
                             parameters=resolve_paths(parameters), html=spec.html, widgets=spec.widgets,
                             timeout=spec.timeout))
    return tasks


# --- running -----------------------------------------------------------------------------------

def finished_outcome(task: RunTask) -> RunOutcome | None:
    """The outcome of a run finished by an earlier call (metrics.json and the done marker, both readable
    JSON objects), or None: the run is to be done again; an unreadable file is named in a warning."""
    run_dir = Path(task.run_dir)
    read = {}
    for name in (DONE_MARKER, "metrics.json"):
        path = run_dir / name
        if not path.is_file():
            return None
        try:
            read[name] = json.loads(path.read_text())
            if not isinstance(read[name], dict):
                raise ValueError(f"expected a JSON object, got {type(read[name]).__name__}")
        except (ValueError, OSError) as error:
            warnings.warn(f"{path}: unreadable ({error}); run {task.run_id} will be done again", stacklevel=2)
            return None
    return RunOutcome(task.run_id, "done", task.parameters, read["metrics.json"],
                      duration_s=read[DONE_MARKER].get("duration_s"))


def execute_run(task: RunTask) -> RunOutcome:
    """Execute one run into its folder; a failure is written to error.txt and returned, never raised."""
    run_dir = Path(task.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in (DONE_MARKER, ERROR_FILE, "metrics.json"):
        (run_dir / stale).unlink(missing_ok=True)
    (run_dir / "params.json").write_text(json.dumps(task.parameters, indent=2, default=str))
    start = time.perf_counter()
    try:
        result = run_notebook(task.notebook, run_dir, task.parameters, html=task.html, widgets=task.widgets,
                              timeout=task.timeout)
        if not (run_dir / "metrics.json").is_file():
            raise RuntimeError(f"notebook {task.notebook} finished without writing metrics.json to out_dir")
    except Exception as error:  # noqa: BLE001 - any failure of one run is recorded, the sweep goes on
        return record_failure(task, error, time.perf_counter() - start)
    duration = round(time.perf_counter() - start, 3)
    with atomic_write(run_dir / DONE_MARKER, "w") as handle:
        json.dump({"run_id": task.run_id, "duration_s": duration,
                   "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S")}, handle)
    return RunOutcome(task.run_id, "done", task.parameters, result.metrics, duration_s=duration)


def record_failure(task: RunTask, error: BaseException, duration: float | None = None) -> RunOutcome:
    """Write the error's full text to the run's error.txt; the outcome keeps its first line."""
    text = describe_error(error)
    run_dir = Path(task.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / ERROR_FILE).write_text(text)
    return RunOutcome(task.run_id, "failed", task.parameters, error=text.splitlines()[0],
                      duration_s=None if duration is None else round(duration, 3))


def describe_error(error: BaseException) -> str:
    """'Type: message' then the traceback (the notebook cell's own one for a failed cell), without colours."""
    ename, evalue = getattr(error, "ename", None), getattr(error, "evalue", None)
    if ename is not None:   # papermill's PapermillExecutionError: the error raised inside the notebook
        trace = "\n".join(getattr(error, "traceback", []) or [])
        text = f"{ename}: {evalue}\n\n{trace}"
    else:
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        text = f"{type(error).__name__}: {error}\n\n{trace}"
    return ANSI_ESCAPE.sub("", text)


def run_local(tasks: list[RunTask], workers: int) -> Iterator[RunOutcome]:
    """Run tasks in `workers` fresh worker processes (one task, or one worker: in this process)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers == 1 or len(tasks) == 1:   # each notebook has its own kernel process anyway
        yield from map(execute_run, tasks)
        return
    context = multiprocessing.get_context("spawn")   # no fork of a parent that may hold torch threads
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        futures = {pool.submit(execute_run, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as error:  # noqa: BLE001 - a worker died (killed, out of memory)
                yield record_failure(futures[future], error)


def run_slurm(tasks: list[RunTask], spec: SweepSpec) -> Iterator[RunOutcome]:
    """Submit tasks as a submitit job array (Slurm, or local processes with slurm: {cluster: local})."""
    try:
        import submitit
    except ImportError as error:
        raise ImportError("executor: slurm needs submitit (pip install submitit)") from error
    options = dict(spec.slurm)
    cluster = options.pop("cluster", None)   # None: Slurm when available; "local" runs jobs as processes
    executor = submitit.AutoExecutor(folder=spec.out_dir.resolve() / "_submitit", cluster=cluster)
    executor.update_parameters(**{"slurm_array_parallelism": spec.workers, "name": "norton-sweep", **options})
    jobs = executor.map_array(execute_run, tasks)
    task_of = {job.job_id: task for job, task in zip(jobs, tasks)}
    for job in submitit.helpers.as_completed(jobs, poll_frequency=1 if cluster == "local" else 15):
        try:
            yield job.result()
        except Exception as error:  # noqa: BLE001 - the job itself failed (time limit, node failure)
            yield record_failure(task_of[job.job_id], error)


def run_sweep(spec: SweepSpec | str | Path | dict[str, Any], *, workers: int | None = None) -> SweepResult:
    """Run every unfinished run of the spec, then write results.csv and summary.html into out_dir."""
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    if workers is not None:
        spec.workers = workers
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    (spec.out_dir / "sweep.json").write_text(json.dumps(
        {**asdict(spec), "notebook": str(spec.notebook), "out_dir": str(spec.out_dir)}, indent=2, default=str))
    tasks = plan_tasks(spec)
    outcomes = {t.run_id: outcome for t in tasks if (outcome := finished_outcome(t)) is not None}
    pending = [t for t in tasks if t.run_id not in outcomes]
    if pending:
        stream = run_local(pending, spec.workers) if spec.executor == "local" else run_slurm(pending, spec)
        for outcome in tqdm(stream, total=len(pending), desc="sweep", unit="run"):
            outcomes[outcome.run_id] = outcome
    ordered = [outcomes[t.run_id] for t in tasks]
    table = write_results(ordered, spec.out_dir / "results.csv")
    summary = write_summary(ordered, spec, spec.out_dir / "summary.html")
    return SweepResult(spec, ordered, [t.run_id for t in pending], table, summary)


# --- results -----------------------------------------------------------------------------------

def flatten(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'prefix.a.b': 1}."""
    flat = {}
    for key, value in values.items():
        name = f"{prefix}.{key}"
        flat.update(flatten(value, name) if isinstance(value, dict) else {name: value})
    return flat


def results_rows(outcomes: list[RunOutcome]) -> list[dict[str, Any]]:
    """One row per run: run_id, status, duration_s, params.*, metrics.* (nested names joined by '.'), error."""
    return [{"run_id": o.run_id, "status": o.status, "duration_s": o.duration_s,
             **flatten(o.parameters, "params"), **flatten(o.metrics, "metrics"), "error": o.error}
            for o in outcomes]


def cell(value: Any) -> Any:
    """A CSV cell: lists and dicts as JSON, None as empty."""
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def write_results(outcomes: list[RunOutcome], path: Path) -> Path:
    """Write results.csv (the columns of results_rows, the union over all runs)."""
    rows = results_rows(outcomes)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    columns.remove("error")
    columns.append("error")
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows({name: cell(row.get(name)) for name in columns} for row in rows)
    return path


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric_metrics(rows: list[dict[str, Any]]) -> list[str]:
    """Metric columns that hold a number (not a bool) wherever they are set, and are set somewhere."""
    names = list(dict.fromkeys(k for row in rows for k in row if k.startswith("metrics.")))
    return [n for n in names if any(r.get(n) is not None for r in rows)
            and all(is_number(r[n]) for r in rows if r.get(n) is not None)]


def metrics_figure(done: list[dict[str, Any]], metrics: list[str], varied: list[str], title: str):
    """One panel per metric against a varied parameter (the first numeric one, if any); one line per
    value of the other varied ones."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    numeric = [n for n in varied if all(is_number(r.get(f"params.{n}")) for r in done)]
    varied = sorted(varied, key=lambda n: n not in numeric)   # stable: numeric ones first
    x_name = f"params.{varied[0]}" if varied else "run_id"
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in done:
        label = ", ".join(f"{name}={row.get(f'params.{name}')}" for name in varied[1:])
        groups.setdefault(label, []).append(row)
    figure = make_subplots(rows=len(metrics), cols=1, subplot_titles=[m.removeprefix("metrics.") for m in metrics])
    for g, (label, members) in enumerate(groups.items()):
        if all(is_number(r.get(x_name)) for r in members):
            members = sorted(members, key=lambda r: r[x_name])
        color = qualitative.Plotly[g % len(qualitative.Plotly)]
        for i, metric in enumerate(metrics, start=1):
            figure.add_trace(go.Scatter(
                x=[str(cell(r.get(x_name))) if isinstance(r.get(x_name), (list, dict)) else r.get(x_name)
                   for r in members],
                y=[r.get(metric) for r in members], text=[r["run_id"] for r in members], mode="lines+markers",
                name=label or "runs", legendgroup=label, showlegend=i == 1, line={"color": color}), row=i, col=1)
            figure.update_xaxes(title_text=x_name.removeprefix("params."), row=i, col=1)
    figure.update_layout(height=280 * len(metrics) + 120, title=title)
    return figure


def table_figure(rows: list[dict[str, Any]], title: str):
    """The results table as a plotly table."""
    import plotly.graph_objects as go

    columns = list(dict.fromkeys(name for row in rows for name in row))
    return go.Figure(go.Table(header={"values": columns},
                              cells={"values": [[cell(row.get(c)) for row in rows] for c in columns]}),
                     layout={"title": title, "height": 160 + 30 * len(rows)})


def write_summary(outcomes: list[RunOutcome], spec: SweepSpec, path: Path) -> Path:
    """Write summary.html: the metric plots and the results table, plotly.js embedded packed (works offline)."""
    import plotly.io as pio

    from norton.widget_assets import plotly_loader

    rows = results_rows(outcomes)
    done = [r for r in rows if r["status"] == "done"]
    metrics = numeric_metrics(done)
    figures = [metrics_figure(done, metrics, spec.varied, f"metrics of {spec.notebook.name}")] if metrics else []
    figures.append(table_figure(rows, f"{len(done)} of {len(rows)} runs done"))
    parts = [plotly_loader()] + [pio.to_html(fig, include_plotlyjs=False, full_html=False) for fig in figures]
    title = html.escape(f"Sweep: {spec.notebook.name} ({spec.out_dir})")
    path.write_text(f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title>"
                    "<style>body {font-family: sans-serif; margin: 1em 2em}</style></head>"
                    f"<body>\n<h1>{title}</h1>\n" + "\n".join(parts) + "\n</body></html>\n", encoding="utf-8")
    return path


# --- command line ------------------------------------------------------------------------------

def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="sweep spec (YAML): notebook, out_dir, grid or runs, fixed, workers, executor")
    parser.add_argument("--workers", type=int, default=None, help="parallel runs (overrides the spec)")
    parser.add_argument("--out-dir", default=None, help="output folder (overrides the spec's out_dir)")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and whether they are finished")


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    if args.out_dir:
        spec.out_dir = Path(args.out_dir)
    if args.dry_run:
        for task in plan_tasks(spec):
            state = "to run" if finished_outcome(task) is None else "finished"
            print(f"{task.run_id:60s} {state:9s} {json.dumps(task.parameters, default=str)}")
        return 0
    result = run_sweep(spec, workers=args.workers)
    print(f"{len(result.outcomes)} runs ({len(result.executed)} executed now, {len(result.failed)} failed)")
    for outcome in result.failed:
        print(f"  failed {outcome.run_id}: {outcome.error}  (see {spec.out_dir / outcome.run_id / ERROR_FILE})")
    print(f"results table: {result.table}")
    print(f"summary:       {result.summary}")
    return 1 if result.failed else 0
