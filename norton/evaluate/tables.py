"""The mean +- std markdown tables of an ablation sweep's results.csv (norton evaluate --summarize)."""
from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path
from typing import Any, Sequence

from .ablation import ROW_LABELS


DEFAULT_TABLE = {  # column title -> results.csv column (metrics flattened with '.')
    "align R@1": "metrics.alignment.R@1",
    "align AUC": "metrics.alignment.ROC-AUC",
    "OT+bucket R@1": "metrics.alignment_methods.ot_bucket.R@1",
    "clip R@1": "metrics.clip_retrieval.R@1",
    "clip R@5": "metrics.clip_retrieval.R@5",
    "video DTW R@1 w/o B": "metrics.paragraph_background_removed.dtw.R@1",
    "video DTW R@1 w B": "metrics.paragraph_background_kept.dtw.R@1",
}


def read_results(path: str | Path) -> list[dict[str, str]]:
    """The finished rows of a sweep's results.csv."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results table not found: {path}")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r for r in rows if r.get("status", "done") == "done"]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else 0.0


def _number(value: Any) -> float:
    """A results.csv cell as a float (empty = NaN)."""
    return math.nan if value in ("", None) else float(value)


def summary_table(rows: Sequence[dict[str, Any]], columns: dict[str, str] | None = None, *, row_key: str = "params.row",
                  group_key: str = "params.noise", scale: float = 100.0, digits: int = 1,
                  baseline: str | None = None, seed_key: str = "params.seed") -> str:
    """Markdown: one table per group (noise level), one line per row, 'mean ± std' per column, seeds last.

    Values are multiplied by `scale` (fractions -> percent) and shown with `digits` decimals; rows
    and groups keep first-seen order. With `baseline` (a row name) each cell is instead the paired
    difference to that row's run with the same seed in the same group (same data, weights, batches).
    """
    columns = columns or DEFAULT_TABLE
    if not rows:
        raise ValueError("summary_table: no finished runs")
    keys = [row_key, group_key, *columns.values()] + ([seed_key] if baseline else [])
    missing = sorted({c for c in keys if c not in rows[0]})
    if missing:
        raise ValueError(f"summary_table: column(s) {missing} not in the results (have {sorted(rows[0])})")
    out = []
    for group in dict.fromkeys(r[group_key] for r in rows):
        members = [r for r in rows if r[group_key] == group]
        reference = {r[seed_key]: r for r in members if baseline is not None and str(r[row_key]) == baseline}
        title = f"### {group_key.removeprefix('params.')} = {group}" + (f" (difference to {baseline})" if baseline else "")
        out += [title, "", "| row | " + " | ".join(columns) + " | seeds |", "|---" * (len(columns) + 2) + "|"]
        for name in dict.fromkeys(r[row_key] for r in members):
            runs = [r for r in members if r[row_key] == name and (baseline is None or r[seed_key] in reference)]
            cells = []
            for column in columns.values():
                values = [_number(r[column]) - (_number(reference[r[seed_key]][column]) if baseline else 0.0)
                          for r in runs]
                values = [v * scale for v in values if not math.isnan(v)]
                cells.append("n/a" if not values else "{:+.{d}f} ± {:.{d}f}".format(*mean_std(values), d=digits)
                             if baseline else "{:.{d}f} ± {:.{d}f}".format(*mean_std(values), d=digits))
            label = ROW_LABELS.get(str(name), "")
            out.append(f"| {name}{' ' + label if label else ''} | " + " | ".join(cells) + f" | {len(runs)} |")
        out.append("")
    return "\n".join(out)


def summarize_sweep(results_csv: str | Path, out: str | Path | None = None,
                    columns: dict[str, str] | None = None, baseline: str | None = "A") -> str:
    """Read a sweep's results.csv, return (and write to `out`) the mean ± std markdown tables.

    The first table per noise level has the metrics; with `baseline` a second one has every row's
    paired difference to the baseline row (same seed), which is what separates rows reliably.
    """
    rows = read_results(results_csv)
    table = summary_table(rows, columns)
    if baseline is not None and any(str(r.get("params.row")) == baseline for r in rows):
        table += "\n" + summary_table(rows, columns, baseline=baseline)
    if out is not None:
        Path(out).write_text(table + "\n")
    return table
