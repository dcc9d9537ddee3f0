"""Pure functions from arrays to plotly figures: similarity matrices, transport plans, bucket masses.

Conventions (tests/test_widgets.py checks them):
* every figure is at most MAX_WIDTH (950) px wide, so it fits a JupyterLab output area; multi-panel figures
  wrap into rows of at most three panels;
* traces are keyed by index (0, 1, 2, ...): labels are for display only (ticktext, hover), so repeated or
  truncated labels never merge bars, rows or columns;
* colour-blind-safe colours only: Viridis / Cividis heatmaps, blue / orange (Okabe-Ito) categories; every
  colour that encodes a value has a colour bar, and every figure labels both axes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

MAX_WIDTH = 950          # px: a JupyterLab output area at a 1400 px window is about 970-1030 px wide
MAX_PANEL_COLUMNS = 3    # multi-panel figures wrap into rows of at most this many panels
MAX_PLAN_CELLS = 200     # the plan heatmap is shown in blocks when it has more rows or columns than this
VISIBLE_ROWS = 36        # caption rows shown at once in the timeline and bucket views (drag to scroll)
MIN_THUMBNAIL_PX = 40    # thumbnails in the bucket view are at least this wide (fewer, spread, when many clips)

# Okabe-Ito, colour-blind safe
BLUE, ORANGE, VERMILLION, SKY, GREEN, YELLOW, PURPLE, BLACK = (
    "#0072B2", "#E69F00", "#D55E00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#000000")
GREY = "#7f7f7f"
KEPT_COLOUR, BUCKET_COLOUR = BLUE, ORANGE   # mass on real partners / mass in the bucket
SIMILARITY_SCALE, MASS_SCALE = "Viridis", "Cividis"
TRUTH_SCALE = [[0.0, ORANGE], [0.5, "#eeeeee"], [1.0, BLUE]]   # 0: not aligned (truth) ... 1: aligned
WARNING_COLOUR = VERMILLION
UNCONVERGED_TOLERANCE = 1e-3   # Sinkhorn row error above which a plan figure says "unconverged"


def _array(x) -> np.ndarray:
    return x.detach().cpu().float().numpy() if hasattr(x, "detach") else np.asarray(x, dtype=float)


def _short(text: str, length: int) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _labels(labels: Sequence[str] | None, count: int, prefix: str) -> list[str]:
    if labels is None:
        return [f"{prefix} {i}" for i in range(count)]
    labels = [str(label) for label in labels]
    if len(labels) != count:
        raise ValueError(f"{prefix}_labels has {len(labels)} entries, expected {count}")
    return labels


def _every(count: int, max_ticks: int) -> list[int]:
    """Indices 0..count-1 thinned to at most about max_ticks (the last always kept)."""
    if count < 1:
        return []
    step = max(1, math.ceil(count / max_ticks))
    keep = list(range(0, count, step))
    if keep[-1] != count - 1:
        keep.append(count - 1)
    return keep


def _ticks(labels: Sequence[str], max_ticks: int | None = None) -> dict:
    """tickvals (indices) and ticktext (labels) of an index-keyed axis."""
    keep = _every(len(labels), max_ticks) if max_ticks and len(labels) else list(range(len(labels)))
    return {"tickmode": "array", "tickvals": keep, "ticktext": [str(labels[i]) for i in keep]}


def _compact(values: np.ndarray, digits: int = 4, top: float | None = None) -> np.ndarray:
    """float64 values rounded to `digits` significant digits of `top` (default their largest magnitude): what a
    widget sends as JSON text becomes short ('0.0123' rather than '0.012345678901234567')."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return values
    top = float(np.abs(values[finite]).max()) if top is None else float(top)
    if not top > 0:
        return values
    decimals = max(0, digits - 1 - math.floor(math.log10(top)))
    return np.round(values, decimals)


def _none_where_nan(values: np.ndarray) -> np.ndarray:
    """An object array with None where values are NaN: widget messages must be valid JSON."""
    return np.where(np.isnan(values), None, values)


def _grid(count: int, max_columns: int = MAX_PANEL_COLUMNS) -> tuple[int, int]:
    """(rows, columns) of a wrapped panel grid: at most max_columns per row, rows as even as possible."""
    rows = math.ceil(count / max_columns)
    return rows, math.ceil(count / rows)


def _axis_name(kind: str, index: int) -> str:
    return kind if index == 1 else f"{kind}{index}"


def _colorbar_beside(fig: go.Figure, coloraxis: str, index: int, title: str) -> None:
    """Put the colour bar of `coloraxis` just right of subplot `index` (1-based, as make_subplots counts)."""
    x0, x1 = fig.layout[_axis_name("xaxis", index)].domain
    y0, y1 = fig.layout[_axis_name("yaxis", index)].domain
    fig.layout[coloraxis].colorbar = {
        "x": x1 + 0.008, "xanchor": "left", "y": (y0 + y1) / 2, "yanchor": "middle", "len": y1 - y0,
        "thickness": 10, "title": {"text": title, "side": "top", "font": {"size": 11}},
        "tickfont": {"size": 10}}


# --- similarity matrices ---------------------------------------------------------------------------


def similarity_figure(similarity, clips_per_sequence: int | None = None, title: str = "clip-caption similarity",
                      xlabel: str = "clip", ylabel: str = "caption", zlabel: str = "S") -> go.Figure:
    """Heatmap of an (N rows, N columns) matrix (captions x clips unless the labels say otherwise), with the
    K x K paragraph/video blocks outlined."""
    s = _array(similarity)
    fig = go.Figure(go.Heatmap(z=s, colorscale=SIMILARITY_SCALE, colorbar={"title": {"text": zlabel}},
                               hovertemplate=f"{ylabel} %{{y}}<br>{xlabel} %{{x}}<br>{zlabel} = %{{z:.3f}}"
                                             "<extra></extra>"))
    if clips_per_sequence:
        for edge in np.arange(clips_per_sequence, s.shape[0], clips_per_sequence) - 0.5:
            fig.add_hline(y=edge, line={"color": "white", "width": 1})
            fig.add_vline(x=edge, line={"color": "white", "width": 1})
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel, height=450, width=560)
    fig.update_yaxes(autorange="reversed")
    return fig


def plan_figure(similarity, plans: dict[str, np.ndarray], caption_labels: Sequence[str] | None = None,
                clip_labels: Sequence[str] | None = None, title: str = "", *, shared_scale: bool = False,
                max_columns: int = MAX_PANEL_COLUMNS) -> go.Figure:
    """A (K, K') similarity block and one or more plans, wrapped into rows of at most `max_columns` panels.

    A plan with one extra row and column is drawn with its bucket row/column (labelled 'bucket', set off by
    dotted lines). Each panel has its colour bar (S, or mass from 0 to its largest entry outside the bucket
    corner, which saturates); `shared_scale` gives all plans one mass scale instead. Rows and columns are
    keyed by index; caption labels are shown on the first column, clip labels in the hover.
    """
    s = _array(similarity)
    k, k2 = s.shape
    captions, clips = _labels(caption_labels, k, "caption"), _labels(clip_labels, k2, "clip")
    panels = {"similarity": s}
    for name, plan in plans.items():
        z = _array(plan)
        if z.ndim != 2 or z.shape[0] - k not in (0, 1) or z.shape[1] - k2 not in (0, 1):
            raise ValueError(f"plan {name!r} has shape {z.shape}, expected {(k, k2)} or {(k + 1, k2 + 1)}")
        panels[name] = z
    rows, cols = _grid(len(panels), max_columns)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_short(n, 40) for n in panels],
                        horizontal_spacing=0.11 if cols > 1 else 0.0, vertical_spacing=0.16 if rows > 1 else 0.0)

    def plan_max(z):
        inner = z.copy()
        if z.shape == (k + 1, k2 + 1):
            inner[-1, -1] = 0.0  # the bucket corner can hold far more than any pair
        return float(inner.max()) if inner.size else 1.0

    shared_max = max([plan_max(z) for name, z in panels.items() if name != "similarity"] or [1.0])
    label_width = 0
    for position, (name, z) in enumerate(panels.items()):
        row, col = divmod(position, cols)
        index = position + 1
        row_labels = captions + ["bucket"] * (z.shape[0] - k)
        col_labels = clips + ["bucket"] * (z.shape[1] - k2)
        text = [[f"{i}: {_short(r, 60)}<br>{j}: {_short(c, 60)}" for j, c in enumerate(col_labels)]
                for i, r in enumerate(row_labels)]
        is_similarity = name == "similarity"
        coloraxis = "coloraxis" if is_similarity else (
            "coloraxis2" if shared_scale else _axis_name("coloraxis", index))
        fig.add_trace(go.Heatmap(
            z=z, x=np.arange(z.shape[1]), y=np.arange(z.shape[0]), text=text, coloraxis=coloraxis, name=name,
            hovertemplate=f"{name}<br>%{{text}}<br>{'S' if is_similarity else 'mass'} %{{z:.4f}}<extra></extra>"),
            row=row + 1, col=col + 1)
        if is_similarity:
            fig.layout[coloraxis] = {"colorscale": SIMILARITY_SCALE}
        else:
            fig.layout[coloraxis] = {"colorscale": MASS_SCALE, "cmin": 0.0,
                                     "cmax": shared_max if shared_scale else plan_max(z)}
        if col == 0:
            y_text = [f"{i}: {_short(r, 22)}" if r != "bucket" else r for i, r in enumerate(row_labels)]
            label_width = max(label_width, max(len(t) for t in y_text))
        else:
            y_text = [str(i) if r != "bucket" else r for i, r in enumerate(row_labels)]
        x_text = [str(j) if c != "bucket" else c for j, c in enumerate(col_labels)]
        fig.update_yaxes(autorange="reversed", title_text="caption", tickfont={"size": 10},
                         title_standoff=4 if col else None, title_font={"size": 14 if col == 0 else 11},
                         **_ticks(y_text, 16), row=row + 1, col=col + 1)
        fig.update_xaxes(title_text="clip", tickfont={"size": 10}, **_ticks(x_text, 12), row=row + 1, col=col + 1)
        if z.shape != (k, k2):  # the bucket row/column, set off by dotted lines
            line = {"color": BUCKET_COLOUR, "width": 2, "dash": "dot"}
            refs = {"xref": _axis_name("x", index), "yref": _axis_name("y", index)}
            fig.add_shape(type="line", x0=k2 - 0.5, x1=k2 - 0.5, y0=-0.5, y1=z.shape[0] - 0.5, line=line, **refs)
            fig.add_shape(type="line", x0=-0.5, x1=z.shape[1] - 0.5, y0=k - 0.5, y1=k - 0.5, line=line, **refs)
    for position in range(len(panels), rows * cols):  # empty cells of the last row
        fig.layout[_axis_name("xaxis", position + 1)].visible = False
        fig.layout[_axis_name("yaxis", position + 1)].visible = False
    _colorbar_beside(fig, "coloraxis", 1, "S")
    for position, name in enumerate(panels):
        if name == "similarity" or (shared_scale and position > 1):
            continue
        _colorbar_beside(fig, "coloraxis2" if shared_scale else _axis_name("coloraxis", position + 1),
                         cols if shared_scale else position + 1, "mass")
    left = 40 + min(170, 6 * label_width)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=110 + 290 * rows,
                      width=min(MAX_WIDTH, left + 60 + 300 * cols), margin={"l": left, "r": 60, "t": 80, "b": 50})
    return fig


def forced_bucket_share(num_captions: int, num_clips: int, marginals: str) -> dict[str, float]:
    """What the marginals alone force into the bucket, whatever the similarities.

    The real rows carry R = n * (mass of a row) and the real columns C = m * (mass of a column)
    (norton.ot.bucket_marginals); real pairs can move at most min(R, C), so the bucket row must fill at least
    C - R of the clips' mass and the bucket column take at least R - C of the captions'. Returned as shares of
    the clips' (captions') total mass and in clips' (captions') worth. More can be forced where a window or
    mask forbids pairs.
    """
    import torch

    from norton.ot import bucket_marginals

    row, _, col, _ = (float(x) for x in bucket_marginals(torch.tensor(float(num_captions)),
                                                         torch.tensor(float(num_clips)), marginals))
    rows_total, cols_total = num_captions * row, num_clips * col
    clip_mass, caption_mass = max(0.0, cols_total - rows_total), max(0.0, rows_total - cols_total)
    return {"clip_share": clip_mass / cols_total, "clips": clip_mass / col,
            "caption_share": caption_mass / rows_total, "captions": caption_mass / row}


def bucket_bars(bucket_fraction, aligned=None, labels: Sequence[str] | None = None,
                title: str = "share of each caption's mass sent to the bucket", forced: float | None = None) -> go.Figure:
    """Bars of per-caption (or per-clip) bucket fractions, one per index, coloured by ground-truth alignment in
    [0, 1] (orange: not aligned ... blue: aligned). Labels are display text only (two equal labels stay two
    bars); `forced` draws the mean share that the marginals force (forced_bucket_share)."""
    fraction = _array(bucket_fraction)
    names = _labels(labels, len(fraction), "caption") if labels is not None else [str(i) for i in range(len(fraction))]
    marker = {"color": BLUE}
    if aligned is not None:
        marker = {"color": _array(aligned), "colorscale": TRUTH_SCALE, "cmin": 0, "cmax": 1,
                  "colorbar": {"title": {"text": "aligned<br>(truth)"}}, "line": {"color": GREY, "width": 0.5}}
    fig = go.Figure(go.Bar(x=np.arange(len(fraction)), y=fraction, marker=marker, text=names, textposition="none",
                           hovertemplate="%{text}<br>bucket share %{y:.2f}<extra></extra>", name="bucket share"))
    fig.add_hline(y=0.5, line={"dash": "dot", "color": GREY})
    if forced:
        fig.add_hline(y=forced, line={"dash": "dash", "color": VERMILLION},
                      annotation={"text": f"forced by the counts: mean share >= {forced:.2f}", "font": {"size": 11}})
    long = max((len(t) for t in names), default=0) > 8
    fig.update_layout(title=title, height=420 if long else 350, width=min(MAX_WIDTH, max(520, 160 + 48 * len(fraction))),
                      yaxis={"range": [0, 1.02], "title": {"text": "bucket share"}},
                      xaxis={"title": {"text": "caption"}, "tickangle": -30 if long else 0,
                             **_ticks([_short(t, 28) for t in names], 40)})
    return fig


# --- transport-plan viewer: plan with bucket row/column and both marginals ----------------------------

PLAN_TRACES = ("plan", "row to clips", "row to bucket", "column from captions", "column from bucket")


def _block_edges(count: int, max_blocks: int) -> np.ndarray:
    """Edges 0 = e_0 < e_1 < ... < e_B = count of at most max_blocks blocks of a whole number of entries
    (the last may be shorter)."""
    size = max(1, math.ceil(count / max(1, max_blocks)))
    return np.r_[np.arange(0, count, size), count]


def _block_sum(values: np.ndarray, row_edges: np.ndarray, col_edges: np.ndarray) -> np.ndarray:
    out = values
    if len(row_edges) - 1 < values.shape[0]:
        out = np.add.reduceat(out, row_edges[:-1], axis=0)
    if len(col_edges) - 1 < values.shape[1]:
        out = np.add.reduceat(out, col_edges[:-1], axis=1)
    return out


def plan_view_data(full_plan, has_bucket: bool, similarity=None, max_cells: int = MAX_PLAN_CELLS) -> dict[str, dict]:
    """Trace name -> properties of the plan viewer: the (n[+1], m[+1]) plan and its marginals, split into
    mass on real partners and mass on the bucket (row sums = 'row to clips' + 'row to bucket').

    A plan of more than max_cells x max_cells real cells is shown in blocks along each axis longer than
    `max_cells` (the mass of each block, mean S in the hover; the bucket row and column stay whole), so what a
    widget sends stays small; the bars keep every row and column. The heatmap's x and y are cell edges in
    row/column index units.
    """
    plan = _array(full_plan).astype(float)
    if plan.ndim != 2:
        raise ValueError(f"full_plan must be a matrix, got shape {plan.shape}")
    extra = int(bool(has_bucket))
    n, m = plan.shape[0] - extra, plan.shape[1] - extra
    if n < 1 or m < 1:
        raise ValueError(f"full_plan of shape {plan.shape} has no real row or column")
    values = np.full((n, m), np.nan)  # S under each real pair
    if similarity is not None:
        s = _array(similarity)
        if s.shape != (n, m):
            raise ValueError(f"similarity has shape {s.shape}, expected {(n, m)}")
        values = s.astype(float)
    blocked = n * m > max_cells ** 2
    row_edges = _block_edges(n, max_cells if blocked else n)
    col_edges = _block_edges(m, max_cells if blocked else m)
    blocks = (len(row_edges) - 1, len(col_edges) - 1)
    shown = np.zeros((blocks[0] + extra, blocks[1] + extra))
    shown[: blocks[0], : blocks[1]] = _block_sum(plan[:n, :m], row_edges, col_edges)
    mean_s = np.full(shown.shape, np.nan)
    finite = np.isfinite(values)
    cells = _block_sum(finite.astype(float), row_edges, col_edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_s[: blocks[0], : blocks[1]] = _block_sum(np.where(finite, values, 0.0), row_edges, col_edges) / cells
    if extra:
        shown[: blocks[0], -1] = _block_sum(plan[:n, m:], row_edges, np.array([0, 1]))[:, 0]
        shown[-1, : blocks[1]] = _block_sum(plan[n:, :m], np.array([0, 1]), col_edges)[0]
        shown[-1, -1] = plan[n, m]
    x = np.r_[col_edges - 0.5, m + 0.5] if extra else col_edges - 0.5
    y = np.r_[row_edges - 0.5, n + 0.5] if extra else row_edges - 0.5
    scale = float(shown[: blocks[0]].max()) or 1.0  # caption rows (bucket column included); the bucket row saturates
    block_note = "" if blocks == (n, m) else (f"<br>(block of {row_edges[1]} x {col_edges[1]} cells: its mass,"
                                              " mean S)")
    hover = (f"caption %{{y:.0f}}, clip %{{x:.0f}}<br>(caption {n} = bucket row, clip {m} = bucket column)"
             if extra else "caption %{y:.0f}, clip %{x:.0f}")
    y_all = np.arange(n + extra)
    x_all = np.arange(m + extra)
    return {
        "plan": {"z": _compact(shown, 6, scale), "x": x, "y": y, "customdata": _none_where_nan(_compact(mean_s, 3)),
                 "zmin": 0.0, "zmax": scale,
                 "colorbar": {"title": {"text": "mass" if blocks == (n, m) else "mass per block"},
                              "x": 1.02, "thickness": 12, "len": 0.8, "y": 0.4, "yanchor": "middle"},
                 "hovertemplate": hover + block_note + "<br>mass %{z:.3g}<br>S %{customdata:.3f}<extra></extra>"},
        "row to clips": {"x": plan[:, :m].sum(1), "y": y_all},
        "row to bucket": {"x": plan[:, m:].sum(1) if extra else np.zeros(n), "y": y_all},
        "column from captions": {"y": plan[:n].sum(0), "x": x_all},
        "column from bucket": {"y": plan[n:].sum(0) if extra else np.zeros(m + extra), "x": x_all},
    }


def _bucket_ticks(count: int, extra: int, max_ticks: int = 16) -> list[int]:
    """About max_ticks tick indices over `count` real entries, plus the bucket's (dropping a real tick too close)."""
    keep = _every(count, max_ticks)
    if extra:
        gap = max(1, math.ceil(count / max_ticks))
        keep = [i for i in keep if count - i >= gap or i == 0] + [count]
    return keep


def plan_view_layout(full_plan, has_bucket: bool, title: str = "", marginal_error: float | None = None,
                     max_cells: int = MAX_PLAN_CELLS) -> dict:
    """Axis ticks and ranges, bucket separator lines, title and convergence warning of the plan viewer.

    The marginal bars' axes fit the real rows and columns; a larger bucket bar is cut (its value is in the hover).
    """
    plan = _array(full_plan)
    extra = int(bool(has_bucket))
    n, m = plan.shape[0] - extra, plan.shape[1] - extra
    rows = [str(i) for i in range(n)] + ["bucket"] * extra
    cols = [str(j) for j in range(m)] + ["bucket"] * extra
    keep_rows, keep_cols = _bucket_ticks(n, extra), _bucket_ticks(m, extra)
    shapes = []
    if has_bucket:
        line = {"color": BUCKET_COLOUR, "width": 2, "dash": "dot"}
        shapes = [{"type": "line", "xref": "x2", "yref": "y2", "x0": m - 0.5, "x1": m - 0.5, "y0": -0.5,
                   "y1": n + 0.5, "line": line},
                  {"type": "line", "xref": "x2", "yref": "y2", "x0": -0.5, "x1": m + 0.5, "y0": n - 0.5,
                   "y1": n - 0.5, "line": line}]
    annotations = []
    if marginal_error is not None and marginal_error > UNCONVERGED_TOLERANCE:
        annotations = [{"text": f"<b>unconverged: row error {marginal_error:.3g}</b> (more iterations or a larger eps)",
                        "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "bottom",
                        "showarrow": False, "font": {"color": WARNING_COLOUR, "size": 13},
                        "bgcolor": "rgba(255,255,255,0.85)", "bordercolor": WARNING_COLOUR, "borderwidth": 1}]
    return {
        "title": {"text": title},
        "shapes": shapes,
        "annotations": annotations,
        "xaxis2": {"tickmode": "array", "tickvals": keep_cols, "ticktext": [cols[j] for j in keep_cols],
                   "title": {"text": "clip"}, "range": [-0.5, m + extra - 0.5]},
        "yaxis2": {"tickmode": "array", "tickvals": keep_rows, "ticktext": [rows[i] for i in keep_rows],
                   "title": {"text": "caption"}, "range": [n + extra - 0.5, -0.5]},
        "xaxis": {"range": [-0.5, m + extra - 0.5], "showticklabels": False},
        "yaxis3": {"range": [n + extra - 0.5, -0.5], "showticklabels": False},
        "xaxis3": {"title": {"text": "row sums"}, "range": [0, 1.15 * float(plan[:n].sum(1).max())], "nticks": 3},
        "yaxis": {"title": {"text": "column sums"}, "range": [0, 1.15 * float(plan[:, :m].sum(0).max())]},
    }


def transport_plan_figure(full_plan, has_bucket: bool, similarity=None, title: str = "",
                          marginal_error: float | None = None, max_cells: int = MAX_PLAN_CELLS) -> go.Figure:
    """Heatmap of one video's caption x clip plan (bucket row/column last, set off by dotted lines), the
    column sums as bars above it and the row sums as bars to its right, each split into real (blue) and bucket
    (orange) mass. A `marginal_error` above 1e-3 is shown as an 'unconverged' warning; plans larger than
    `max_cells` are shown in blocks (plan_view_data)."""
    data = plan_view_data(full_plan, has_bucket, similarity, max_cells)
    fig = make_subplots(rows=2, cols=2, column_widths=[0.8, 0.2], row_heights=[0.2, 0.8], shared_xaxes="columns",
                        shared_yaxes="rows", horizontal_spacing=0.02, vertical_spacing=0.02,
                        specs=[[{}, None], [{}, {}]])
    fig.add_trace(go.Heatmap(name="plan", colorscale=MASS_SCALE, **data["plan"]), row=2, col=1)
    for name, colour in (("row to clips", KEPT_COLOUR), ("row to bucket", BUCKET_COLOUR)):
        fig.add_trace(go.Bar(name=name, orientation="h", marker_color=colour, legendgroup=name.split()[-1],
                             hovertemplate=f"caption %{{y}}: {name} %{{x:.4f}}<extra></extra>", **data[name]),
                      row=2, col=2)
    for name, colour in (("column from captions", KEPT_COLOUR), ("column from bucket", BUCKET_COLOUR)):
        fig.add_trace(go.Bar(name=name, marker_color=colour, showlegend=False,
                             hovertemplate=f"clip %{{x}}: {name} %{{y:.4f}}<extra></extra>", **data[name]), row=1, col=1)
    fig.update_layout(barmode="stack", height=640, width=820,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
                      margin={"t": 80, "l": 60, "r": 20, "b": 40})
    fig.update_layout(plan_view_layout(full_plan, has_bucket, title, marginal_error, max_cells))
    return fig


def update_traces(fig: go.Figure, data: dict[str, dict]) -> None:
    """Set the properties in `data` (trace name -> properties) on the figure's traces of those names."""
    by_name = {trace.name: trace for trace in fig.data}
    missing = sorted(set(data) - set(by_name))
    if missing:
        raise ValueError(f"figure has no trace(s) named {missing}")
    for name, props in data.items():
        by_name[name].update(props)


# --- bucket filtering: which captions and clips fell into the bucket ------------------------------------

BUCKET_COLOURS = {True: BUCKET_COLOUR, False: KEPT_COLOUR}


def png_data_uri(image) -> str:
    """An (H, W, 3) uint8 image as a base64 PNG data URI (for layout images)."""
    import base64
    import io

    from PIL import Image

    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"image must be an (H, W, 3) uint8 array, got {array.dtype} {array.shape}")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _times_text(times: np.ndarray) -> list[str]:
    return [f"{start:.1f}-{end:.1f} s" for start, end in times]


def bucket_filter_data(caption_text: Sequence[str], caption_times, caption_share, clip_times, clip_share,
                       caption_alignable=None, clip_truth=None, threshold: float = 0.5) -> dict[str, dict]:
    """Trace name -> properties of the bucket view (bars of bucket shares, ground-truth markers)."""
    captions = [str(t) for t in caption_text]
    share, cshare = _array(caption_share), _array(clip_share)
    ctimes, ktimes = _array(caption_times).reshape(-1, 2), _array(clip_times).reshape(-1, 2)
    if not len(captions) == len(share) == len(ctimes):
        raise ValueError(f"caption_text, caption_times and caption_share disagree in length: "
                         f"{len(captions)}, {len(ctimes)}, {len(share)}")
    if len(cshare) != len(ktimes):
        raise ValueError(f"clip_times and clip_share disagree in length: {len(ktimes)}, {len(cshare)}")
    labels = [f"{i} [{t}] {_short(text, 32)}" for i, (t, text) in enumerate(zip(_times_text(ctimes), captions))]
    clips = [f"{j} [{t}]" for j, t in enumerate(_times_text(ktimes))]
    data = {
        "captions": {"x": share, "y": np.arange(len(share)), "text": labels,
                     "marker": {"color": [BUCKET_COLOURS[bool(v > threshold)] for v in share]}},
        "clips": {"x": np.arange(len(cshare)), "y": cshare, "text": clips,
                  "marker": {"color": [BUCKET_COLOURS[bool(v > threshold)] for v in cshare]}},
        "truth: captions": {"x": [], "y": [], "text": [], "marker": {"symbol": []}},
        "truth: clips": {"x": [], "y": []},
    }
    if caption_alignable is not None:
        alignable = np.asarray(caption_alignable, dtype=bool)
        if len(alignable) != len(share):
            raise ValueError(f"caption_alignable has {len(alignable)} entries, expected {len(share)}")
        data["truth: captions"] = {
            "x": np.full(len(share), 1.04), "y": np.arange(len(share)),
            "text": ["alignable" if a else "unalignable" for a in alignable],
            "marker": {"symbol": ["circle-open" if a else "x" for a in alignable]}}
    if clip_truth is not None:
        truth = _array(clip_truth)
        if len(truth) != len(cshare):
            raise ValueError(f"clip_truth has {len(truth)} entries, expected {len(cshare)}")
        data["truth: clips"] = {"x": np.arange(len(truth)), "y": 1 - truth}
    return data


def thumbnail_strip(thumbnails, num_clips: int, plot_width: float, top: float, height: float,
                    clip_times=None) -> tuple[list[dict], dict]:
    """Layout images of a thumbnail strip over the clip axis, and the properties of its hover trace.

    One thumbnail per clip when they are at least MIN_THUMBNAIL_PX wide; else one per group of consecutive
    clips (the middle clip's), so the strip stays readable at hundreds of clips and the page small.
    """
    if thumbnails is None:
        return [], {"x": [], "y": [], "text": []}
    frames = np.asarray(thumbnails)
    m = num_clips
    if frames.ndim != 4 or len(frames) != m:
        raise ValueError(f"thumbnails must be ({m}, H, W, 3) uint8 (one per clip), got {frames.shape}")
    shown = max(1, min(m, int(plot_width // MIN_THUMBNAIL_PX)))
    edges = _block_edges(m, shown)
    times = None if clip_times is None else _array(clip_times).reshape(-1, 2)
    images, xs, texts = [], [], []
    for start, end in zip(edges[:-1], edges[1:]):
        middle = (start + end - 1) // 2
        centre = (start + end - 1) / 2
        images.append({"source": png_data_uri(frames[middle]), "xref": "x", "yref": "y", "x": centre,
                       "y": top - 0.01, "sizex": 0.95 * (end - start), "sizey": height, "xanchor": "center",
                       "yanchor": "top", "layer": "above", "sizing": "contain"})
        xs.append(centre)
        when = "" if times is None else f" ({times[middle][0]:.1f}-{times[middle][1]:.1f} s)"
        span = f"clip {start}" if end - start == 1 else f"clips {start}-{end - 1}"
        texts.append(f"{span}: thumbnail of clip {middle}{when}")
    return images, {"x": xs, "y": [top - 0.01 - height / 2] * len(xs), "text": texts}


def bucket_filter_figure(caption_text: Sequence[str], caption_times, caption_share, clip_times, clip_share,
                         caption_alignable=None, clip_truth=None, thumbnails=None, threshold: float = 0.5,
                         title: str = "what fell into the bucket", marginals: str | None = None) -> go.Figure:
    """Clips (top, with a thumbnail strip (m, H, W, 3) uint8 when given) and captions (bottom, with text and
    ASR times) by the share of their mass that went to the bucket; orange = in the bucket (share > threshold),
    blue = kept. Ground truth, when given: captions marked alignable (o) or not (x); for clips, the share of
    seconds showing nothing a caption describes (diamonds: where a perfect filter would put the bar).
    `marginals` (the bucket marginals used) adds what the counts alone force into the bucket.
    Long videos: at most VISIBLE_ROWS captions are shown at once (drag the caption axis to scroll)."""
    data = bucket_filter_data(caption_text, caption_times, caption_share, clip_times, clip_share,
                              caption_alignable, clip_truth, threshold)
    m = len(data["clips"]["x"])
    layout = bucket_filter_layout(data["captions"]["text"], m, thumbnails, threshold, title, marginals=marginals,
                                  clip_times=clip_times)
    strip = layout.pop("_thumbnail_hover")
    clip_fraction = layout.pop("_clip_fraction")
    fig = make_subplots(rows=2, cols=1, row_heights=[clip_fraction, 1 - clip_fraction], vertical_spacing=0.1)
    fig.add_trace(go.Bar(name="clips", showlegend=False, textposition="none",
                         hovertemplate="clip %{text}<br>bucket share %{y:.2f}<extra></extra>", **data["clips"]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(name="truth: clips", mode="markers", marker={"symbol": "diamond", "color": BLACK, "size": 6},
                             hovertemplate="undescribed share (truth) %{y:.2f}<extra></extra>",
                             **data["truth: clips"]), row=1, col=1)
    fig.add_trace(go.Scatter(name="thumbnails", mode="markers", showlegend=False, marker={"size": 18, "opacity": 0},
                             hovertemplate="%{text}<extra></extra>", **strip), row=1, col=1)
    fig.add_trace(go.Bar(name="captions", orientation="h", showlegend=False, textposition="none",
                         hovertemplate="%{text}<br>bucket share %{x:.2f}<extra></extra>", **data["captions"]),
                  row=2, col=1)
    truth = data["truth: captions"]
    fig.add_trace(go.Scatter(name="truth: captions", mode="markers", hovertemplate="%{text} (truth)<extra></extra>",
                             x=truth["x"], y=truth["y"], text=truth["text"],
                             marker={"color": BLACK, "size": 8, **truth["marker"]}), row=2, col=1)
    fig.update_layout(layout)
    return fig


def bucket_filter_layout(caption_labels: Sequence[str], num_clips: int, thumbnails=None, threshold: float = 0.5,
                         title: str = "", *, marginals: str | None = None, clip_times=None) -> dict:
    """Axes, threshold lines, thumbnail strip (layout images), forced-share note and size of the bucket view.

    Keys starting with '_' are for bucket_filter_figure (the strip's hover trace, the clip panel's share of
    the height) and are not layout properties.
    """
    n, m = len(caption_labels), num_clips
    visible = min(n, VISIBLE_ROWS)
    caption_px = 40 + 18 * visible
    left, plot_width = 270, MAX_WIDTH - 270 - 40
    top, strip_px, images, hover = 1.0, 0.0, [], {"x": [], "y": [], "text": []}
    if thumbnails is not None:
        frames = np.asarray(thumbnails)
        shown = max(1, min(m, int(plot_width // MIN_THUMBNAIL_PX)))
        aspect = frames.shape[1] / frames.shape[2] if frames.ndim == 4 else 0.75
        strip_px = min(120.0, 0.95 * plot_width / shown * aspect)
    clip_px = 200 + strip_px
    if thumbnails is not None:  # y units of the strip: share axis [0, 1] plus the strip above it
        bars_px = clip_px - 20
        top = 1.05 * bars_px / (bars_px - strip_px)
        images, hover = thumbnail_strip(thumbnails, m, plot_width, top, top - 1.06, clip_times)
    height = caption_px + clip_px + 190 + (36 if marginals is not None else 0)
    line = {"dash": "dot", "color": GREY}
    shapes = [{"type": "line", "xref": "x", "yref": "y", "x0": -0.6, "x1": m - 0.4, "y0": threshold,
               "y1": threshold, "line": line},
              {"type": "line", "xref": "x2", "yref": "y2", "x0": threshold, "x1": threshold, "y0": -0.5,
               "y1": n - 0.5, "line": line}]
    top_margin = 80
    annotations = [
        {"text": "clips: share received from the bucket", "xref": "x domain", "yref": "y domain", "x": 0.5, "y": 1.0,
         "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}},
        {"text": "captions: share sent to the bucket"
                 + (f" (captions 0-{visible - 1} of {n}: drag the caption axis to scroll)" if n > visible else ""),
         "xref": "x2 domain", "yref": "y2 domain", "x": 0.5, "y": 1.0, "xanchor": "center", "yanchor": "bottom",
         "showarrow": False, "font": {"size": 13}}]
    if marginals is not None and n and m:
        forced = forced_bucket_share(n, m, marginals)
        if forced["clips"] > 1e-9:
            shapes.append({"type": "line", "xref": "x", "yref": "y", "x0": -0.6, "x1": m - 0.4,
                           "y0": forced["clip_share"], "y1": forced["clip_share"],
                           "line": {"dash": "dash", "color": VERMILLION, "width": 1.5}})
            annotations[0]["text"] += (
                f"<br><span style='font-size:11px;color:{VERMILLION}'>forced by the counts ({marginals} marginals, "
                f"{n} captions x {m} clips): at least {forced['clips']:.3g} clips' worth,<br>{forced['clip_share']:.0%}"
                " of the clips' mass, must come from the bucket whatever the similarities (dashed: that mean)</span>")
            top_margin += 36
        if forced["captions"] > 1e-9:
            shapes.append({"type": "line", "xref": "x2", "yref": "y2", "x0": forced["caption_share"],
                           "x1": forced["caption_share"], "y0": -0.5, "y1": n - 0.5,
                           "line": {"dash": "dash", "color": VERMILLION, "width": 1.5}})
            annotations.append({
                "text": f"forced by the counts ({marginals} marginals): at least {forced['captions']:.3g} captions' "
                        f"worth,<br>{forced['caption_share']:.0%} of the captions' mass, must go to the bucket "
                        "(dashed: that mean share)",
                "xref": "x2 domain", "yref": "y2 domain", "x": 0.0, "y": 0.0, "yshift": -40, "xanchor": "left",
                "yanchor": "top", "showarrow": False, "align": "left", "font": {"size": 11, "color": VERMILLION}})
    return {
        "title": {"text": title}, "height": height, "width": MAX_WIDTH,
        "margin": {"l": left, "r": 40, "t": top_margin, "b": 60},
        "dragmode": "pan" if n > visible else "zoom",
        "images": images,
        "shapes": shapes,
        "annotations": annotations,
        "xaxis": {"range": [-0.6, m - 0.4], "title": {"text": "clip"}, "fixedrange": False},
        "yaxis": {"range": [0, top], "title": {"text": "share"}, "fixedrange": True,
                  "tickvals": [0, 0.5, 1.0]},
        "xaxis2": {"range": [0, 1.08], "title": {"text": "share"}, "fixedrange": True},
        "yaxis2": {"tickmode": "array", "tickvals": list(range(n)), "ticktext": list(caption_labels),
                   "range": [visible - 0.5, -0.5], "title": {"text": "caption"}, "tickfont": {"size": 10}},
        "_thumbnail_hover": hover,
        "_clip_fraction": clip_px / (clip_px + caption_px),
    }


# --- alignment timeline ---------------------------------------------------------------------------------


def _segments(times: np.ndarray, rows: np.ndarray) -> tuple[list, list]:
    """x, y of horizontal segments [start, end] at the given rows, separated by None."""
    x, y = [], []
    for (start, end), row in zip(times, rows):
        x += [float(start), float(end), None]
        y += [int(row), int(row), None]
    return x, y


def timeline_data(caption_times, realigned, bucket_share, truth_times=None, alignable=None) -> dict[str, dict]:
    """Trace name -> properties of the timeline: ASR spans, true spans, realigned times and the shifts."""
    asr = _array(caption_times).reshape(-1, 2)
    moved, share = _array(realigned), _array(bucket_share)
    n = len(asr)
    if not len(moved) == len(share) == n:
        raise ValueError(f"caption_times, realigned and bucket_share disagree in length: {n}, {len(moved)}, {len(share)}")
    rows = np.arange(n)
    asr_x, asr_y = _segments(asr, rows)
    shift_x, shift_y = _segments(np.stack([asr.mean(1), moved], 1)[np.isfinite(moved)], rows[np.isfinite(moved)])
    data = {
        "ASR time": {"x": asr_x, "y": asr_y},
        "true span": {"x": [], "y": []},
        "unalignable (truth)": {"x": [], "y": []},
        "shift": {"x": shift_x, "y": shift_y},
        "realigned": {"x": moved, "y": rows, "marker": {"color": share, "cmin": 0, "cmax": 1}},
    }
    if truth_times is not None:
        truth = _array(truth_times).reshape(-1, 2)
        good = np.ones(n, bool) if alignable is None else np.asarray(alignable, dtype=bool)
        if len(truth) != n or len(good) != n:
            raise ValueError(f"truth_times and alignable must have {n} entries, got {len(truth)}, {len(good)}")
        data["true span"] = dict(zip("xy", _segments(truth[good], rows[good])))
        data["unalignable (truth)"] = {"x": asr.mean(1)[~good], "y": rows[~good]}
    return data


def alignment_timeline_figure(caption_times, realigned, bucket_share, truth_times=None, alignable=None,
                              caption_text: Sequence[str] | None = None, title: str = "alignment timeline") -> go.Figure:
    """Per caption (rows): its ASR span (grey), its true span (sky blue, when known), and where the plan puts it
    (dot = plan-weighted clip time, coloured by the share sent to the bucket; dotted line = the shift from ASR).
    Long videos: at most VISIBLE_ROWS captions at once (drag to scroll), a range slider over the seconds."""
    data = timeline_data(caption_times, realigned, bucket_share, truth_times, alignable)
    n = len(data["realigned"]["y"])
    labels = _labels(caption_text, n, "caption")
    fig = go.Figure()
    fig.add_trace(go.Scatter(name="true span", mode="lines", line={"color": SKY, "width": 9},
                             opacity=0.6, hoverinfo="skip", **data["true span"]))
    fig.add_trace(go.Scatter(name="ASR time", mode="lines", line={"color": GREY, "width": 3},
                             hoverinfo="skip", **data["ASR time"]))
    fig.add_trace(go.Scatter(name="shift", mode="lines", line={"color": BLACK, "width": 1, "dash": "dot"},
                             hoverinfo="skip", **data["shift"]))
    fig.add_trace(go.Scatter(name="unalignable (truth)", mode="markers", marker={"symbol": "x", "color": BLACK,
                             "size": 9}, hovertemplate="unalignable (truth)<extra></extra>",
                             **data["unalignable (truth)"]))
    realigned_props = data["realigned"]
    fig.add_trace(go.Scatter(
        name="realigned", mode="markers", x=realigned_props["x"], y=realigned_props["y"], text=labels,
        marker={**realigned_props["marker"], "size": 10, "colorscale": MASS_SCALE, "line": {"width": 1, "color": BLACK},
                "colorbar": {"title": {"text": "bucket<br>share"}, "x": 1.02, "len": 0.7}},
        hovertemplate="%{text}<br>realigned at %{x:.1f} s<br>bucket share %{marker.color:.2f}<extra></extra>"))
    fig.update_layout(timeline_layout(labels, title, timeline_span(data)), width=MAX_WIDTH,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
                      margin={"l": 250, "r": 40, "t": 100, "b": 50})
    return fig


def timeline_span(data: dict[str, dict]) -> list[float]:
    """[first, last] second that timeline_data draws, with a second of margin."""
    ends = [v for v in data["ASR time"]["x"] + data["true span"]["x"] if v is not None]
    ends += [float(v) for v in data["realigned"]["x"] if np.isfinite(v)]
    return [min(ends, default=0.0) - 1, max(ends, default=1.0) + 1]


def timeline_layout(caption_text: Sequence[str], title: str = "", span: Sequence[float] | None = None) -> dict:
    """Caption ticks, height (capped: at most VISIBLE_ROWS rows shown, drag to scroll), title and the seconds
    axis (with a range slider over `span`) of the timeline."""
    n = len(caption_text)
    visible = min(n, VISIBLE_ROWS)
    note = f" (captions 0-{visible - 1} of {n}: drag to scroll)" if n > visible else ""
    xaxis = {"title": {"text": "seconds"}}
    if span is not None:
        xaxis.update(range=list(span), rangeslider={"visible": True, "thickness": 0.06, "range": list(span)})
    return {"title": {"text": title + note, "y": 0.99, "yanchor": "top"}, "height": max(380, 200 + 20 * visible),
            "xaxis": xaxis,
            "dragmode": "pan" if n > visible else "zoom",
            "yaxis": {"tickmode": "array", "tickvals": list(range(n)), "ticktext": [_short(t, 40) for t in caption_text],
                      "range": [visible - 0.5, -0.5], "fixedrange": False, "title": {"text": "caption"},
                      "tickfont": {"size": 10}}}


# --- soft-maximum: one caption-clip pair ---------------------------------------------------------------

SOFT_MAX_TRACES = ("cosine", "softmax over frames (per word)", "softmax over words (per frame)",
                   "word scores", "frame scores")


def soft_max_data(cosine, frame_weights, word_weights, word_scores, frame_scores,
                  words: Sequence[str] | None = None, frames: Sequence[str] | None = None) -> dict[str, dict]:
    """Trace name -> properties of the soft-maximum view of one pair (W words x F frames), keyed by index
    (word and frame labels go to the hover; the axes' labels come from soft_max_layout)."""
    cos = _array(cosine)
    w, f = cos.shape
    words = _labels(words, w, "word")
    frames = _labels(frames, f, "frame")
    text = [[f"{i}: {word}<br>frame {j}: {frame}" for j, frame in enumerate(frames)] for i, word in enumerate(words)]
    heat = {"x": np.arange(f), "y": np.arange(w), "text": text}
    return {
        "cosine": {"z": _array(cosine), **heat},
        "softmax over frames (per word)": {"z": _array(frame_weights), **heat},
        "softmax over words (per frame)": {"z": _array(word_weights), **heat},
        "word scores": {"x": np.arange(w), "y": _array(word_scores),
                        "text": [f"{i}: {word}" for i, word in enumerate(words)]},
        "frame scores": {"x": np.arange(f), "y": _array(frame_scores),
                         "text": [f"frame {j}: {frame}" for j, frame in enumerate(frames)]},
    }


def soft_max_title(t2v: float, v2t: float, alpha: float, prefix: str = "") -> str:
    return f"{prefix}alpha = {alpha:.3g}: t2v = {t2v:.3f}, v2t = {v2t:.3f}, S_fine = {(t2v + v2t) / 2:.3f}"


def soft_max_note(max_cosine: float, num_words: int, num_frames: int, alpha: float, s_fine: float) -> str:
    """Why S_fine can exceed every cosine: each alpha log-sum-exp adds up to alpha log(count) from the counts."""
    offset = alpha * (math.log(num_frames) + math.log(num_words)) / 2
    return (f"S_fine = (t2v + v2t) / 2 includes alpha log(#frames) = {alpha * math.log(num_frames):.3f} in t2v and "
            f"alpha log(#words) = {alpha * math.log(num_words):.3f} in v2t ({num_frames} frame{'s' * (num_frames != 1)}, "
            f"{num_words} word{'s' * (num_words != 1)}): "
            f"{offset:.3f} from the counts alone, so S_fine = {s_fine:.3f} can exceed the largest cosine "
            f"({max_cosine:.3f}).")


def soft_max_layout(words: Sequence[str], frames: Sequence[str], t2v: float, v2t: float, alpha: float,
                    max_cosine: float, prefix: str = "") -> dict:
    """Title, index-keyed axis labels (words, frames) and the S_fine note of the soft-maximum view."""
    w, f = len(words), len(frames)
    word_ticks = _ticks([_short(t, 16) for t in words], 40)
    frame_ticks = _ticks([_short(t, 10) for t in frames], 12)
    layout = {"title": {"text": soft_max_title(t2v, v2t, alpha, prefix)},
              "height": min(1000, 430 + 11 * w)}
    for index in (1, 2, 3):
        layout[_axis_name("yaxis", index)] = {**(word_ticks if index == 1 else {"tickmode": "array", "tickvals": [],
                                                                                "ticktext": []}),
                                              "range": [w - 0.5, -0.5], "title": {"text": "word"}}
        layout[_axis_name("xaxis", index)] = {**frame_ticks, "range": [-0.5, f - 0.5], "title": {"text": "frame"}}
    layout["xaxis4"] = {**word_ticks, "range": [-0.5, w - 0.5], "title": {"text": "word"}, "tickangle": -60 if w > 6 else 0}
    layout["yaxis4"] = {"title": {"text": "alpha LSE"}}
    layout["xaxis5"] = {**frame_ticks, "range": [-0.5, f - 0.5], "title": {"text": "frame"}}
    layout["yaxis5"] = {"title": {"text": "alpha LSE"}}
    layout["_note"] = soft_max_note(max_cosine, w, f, alpha, (t2v + v2t) / 2)
    return layout


def _note_annotation(text: str) -> dict:
    return {"text": text, "xref": "paper", "yref": "paper", "x": 0.0, "y": 0.0, "yshift": -60, "xanchor": "left",
            "yanchor": "top", "showarrow": False, "align": "left", "font": {"size": 11}, "name": "note"}


def _wrap(text: str, width: int = 150) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(text, width))


def soft_max_figure(cosine, frame_weights, word_weights, word_scores, frame_scores, alpha: float,
                    words: Sequence[str] | None = None, frames: Sequence[str] | None = None,
                    title_prefix: str = "") -> go.Figure:
    """Frame x word view of Eq. 5 for one pair: cosines, the softmax weights that pick each word's frames and
    each frame's words, and the per-word / per-frame alpha-log-sum-exp scores that average into t2v / v2t; a
    note under the figure explains the alpha log(count) offsets in S_fine."""
    data = soft_max_data(cosine, frame_weights, word_weights, word_scores, frame_scores, words, frames)
    w, f = np.asarray(data["cosine"]["z"]).shape
    words, frames = _labels(words, w, "word"), _labels(frames, f, "frame")
    fig = make_subplots(rows=2, cols=3, row_heights=[0.68, 0.32], vertical_spacing=0.2, horizontal_spacing=0.1,
                        subplot_titles=["cosine", "softmax over frames (per word)", "softmax over words (per frame)",
                                        "word scores (mean = t2v)", "frame scores (mean = v2t)"],
                        specs=[[{}, {}, {}], [{}, {}, None]])
    fig.add_trace(go.Heatmap(name="cosine", coloraxis="coloraxis",
                             hovertemplate="%{text}<br>cos %{z:.3f}<extra></extra>", **data["cosine"]), 1, 1)
    for col, name in ((2, SOFT_MAX_TRACES[1]), (3, SOFT_MAX_TRACES[2])):
        fig.add_trace(go.Heatmap(name=name, coloraxis="coloraxis2",
                                 hovertemplate="%{text}<br>weight %{z:.3f}<extra></extra>", **data[name]), 1, col)
    fig.add_trace(go.Bar(name="word scores", marker_color=ORANGE, showlegend=False, textposition="none",
                         hovertemplate="%{text}<br>alpha LSE %{y:.3f}<extra></extra>", **data["word scores"]), 2, 1)
    fig.add_trace(go.Bar(name="frame scores", marker_color=BLUE, showlegend=False, textposition="none",
                         hovertemplate="%{text}<br>alpha LSE %{y:.3f}<extra></extra>", **data["frame scores"]), 2, 2)
    fig.update_layout(coloraxis={"colorscale": SIMILARITY_SCALE},
                      coloraxis2={"colorscale": MASS_SCALE, "cmin": 0, "cmax": 1})
    _colorbar_beside(fig, "coloraxis", 1, "cos")
    _colorbar_beside(fig, "coloraxis2", 3, "weight")
    t2v, v2t = float(np.mean(data["word scores"]["y"])), float(np.mean(data["frame scores"]["y"]))
    layout = soft_max_layout(words, frames, t2v, v2t, alpha, float(np.max(data["cosine"]["z"])), title_prefix)
    note = layout.pop("_note")
    fig.update_layout(layout, width=MAX_WIDTH, margin={"l": 130, "r": 60, "t": 80, "b": 130})
    fig.add_annotation(_note_annotation(_wrap(note)))
    return fig


def soft_max_update(fig: go.Figure, data: dict[str, dict], layout: dict) -> None:
    """Push soft_max_data / soft_max_layout into an existing soft-maximum figure (e.g. a FigureWidget)."""
    layout = dict(layout)
    note = layout.pop("_note")
    update_traces(fig, data)
    fig.update_layout(layout)
    for annotation in fig.layout.annotations:
        if annotation.name == "note":
            annotation.text = _wrap(note)


# --- small generic plots used by the notebooks ----------------------------------------------------------


def scatter_figure(x, y, xlabel: str, ylabel: str, title: str = "", color=None, color_label: str = "") -> go.Figure:
    """Scatter of two equally long arrays (flattened), optionally coloured."""
    xs, ys = _array(x).ravel(), _array(y).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same size, got {xs.size} and {ys.size}")
    marker = {"size": 5, "opacity": 0.6, "color": BLUE}
    if color is not None:
        marker.update(color=_array(color).ravel(), colorscale=SIMILARITY_SCALE, colorbar={"title": {"text": color_label}})
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="markers", marker=marker, name=ylabel))
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel, height=420, width=560)
    return fig


def metric_steps_figure(steps: Sequence[str], metrics: dict[str, Sequence[float]], title: str = "",
                        xlabel: str = "step", max_columns: int = MAX_PANEL_COLUMNS) -> go.Figure:
    """One small line plot per metric over a sequence of named steps (e.g. the switch walk), wrapped into rows
    of at most `max_columns` panels; steps keyed by index (names on the axis)."""
    names = list(metrics)
    rows, cols = _grid(len(names), max_columns)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_short(n, 40) for n in names],
                        horizontal_spacing=0.1 if cols > 1 else 0.0, vertical_spacing=0.42 / rows if rows > 1 else 0.0)
    labels = [_short(s, 24) for s in steps]
    for position, name in enumerate(names):
        values = _array(metrics[name])
        if len(values) != len(steps):
            raise ValueError(f"metric {name!r} has {len(values)} values for {len(steps)} steps")
        row, col = divmod(position, cols)
        fig.add_trace(go.Scatter(x=np.arange(len(steps)), y=values, mode="lines+markers", name=name, showlegend=False,
                                 text=list(steps), line={"color": BLUE},
                                 hovertemplate="%{text}<br>" + name + " %{y:.4g}<extra></extra>"),
                      row=row + 1, col=col + 1)
        fig.update_xaxes(title_text=xlabel, tickangle=45, tickfont={"size": 10}, **_ticks(labels), row=row + 1, col=col + 1)
        fig.update_yaxes(title_text=_short(name, 24), row=row + 1, col=col + 1)
    for position in range(len(names), rows * cols):
        fig.layout[_axis_name("xaxis", position + 1)].visible = False
        fig.layout[_axis_name("yaxis", position + 1)].visible = False
    long = max((len(t) for t in labels), default=0)
    fig.update_layout(title=title, height=120 + rows * (260 + 6 * long),
                      width=min(MAX_WIDTH, 140 + 290 * cols), margin={"b": 40 + 6 * long})
    return fig


# --- sweeps and the ablation table ------------------------------------------------------------------------

CATEGORY_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, BLACK)   # Okabe-Ito, in this order
CATEGORY_SYMBOLS = ("circle", "square", "diamond", "triangle-up")   # the next symbol after every 8 colours
DIFFERENCE_SCALE = "PuOr"   # diverging purple-orange (colour-blind safe), centred on 0
SWEEP_SUMMARY_VIEW, ABLATION_VIEW = "sweep_summary", "ablation_table"   # layout.meta["view"] (widgets.static)


def _cell_number(value) -> float | None:
    """A results cell (a number, or the text results.csv holds) as a float; None when it is not one."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, (int, float, np.number)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parameter_value(value):
    """A parameter cell for grouping and the x axis: a number when it reads as one, else its text."""
    number = _cell_number(value)
    return number if number is not None else str(value)


def sweep_summary_figure(rows: Sequence[dict], metrics: Sequence[str] | None = None,
                         varied: Sequence[str] | None = None, title: str = "sweep summary",
                         over: Sequence[str] = ("seed",), max_columns: int = MAX_PANEL_COLUMNS) -> go.Figure:
    """One panel per metric of a sweep's runs against its first varied parameter, one line per combination of
    the other varied ones: the view of `norton sweep`'s summary.html, within MAX_WIDTH and in Okabe-Ito colours.

    `rows` are results rows (norton.sweep.results_rows, or the text rows of results.csv that
    norton.evaluate.read_results returns): 'params.<name>' and 'metrics.<name>' columns; rows whose status is
    not 'done' are left out. `metrics` default to every numeric metrics column, `varied` (parameter names without
    'params.') to the parameters that take more than one value, numeric ones first, except those in `over`
    (default the seed): runs that differ only in those are one point, their mean, with a ± std error bar.
    """
    done = [r for r in rows if r.get("status", "done") == "done"]
    if not done:
        raise ValueError("sweep_summary_figure: no finished runs")
    columns = list(dict.fromkeys(k for r in done for k in r))
    if metrics is None:
        metrics = [c for c in columns if c.startswith("metrics.")
                   and any(_cell_number(r.get(c)) is not None for r in done)
                   and all(_cell_number(r.get(c)) is not None for r in done if r.get(c) not in (None, ""))]
    metrics = [m if m.startswith("metrics.") else f"metrics.{m}" for m in metrics]
    missing = [m for m in metrics if m not in columns]
    if missing or not metrics:
        raise ValueError(f"sweep_summary_figure: metric column(s) {missing or 'none numeric'} not in the results")
    if varied is None:
        varied = [c.removeprefix("params.") for c in columns if c.startswith("params.")
                  and c.removeprefix("params.") not in over and len({str(r.get(c)) for r in done}) > 1]
    numeric = [n for n in varied if all(_cell_number(r.get(f"params.{n}")) is not None for r in done)]
    varied = sorted(varied, key=lambda n: n not in numeric)
    x_name = f"params.{varied[0]}" if varied else "run_id"
    x_numeric = bool(varied) and varied[0] in numeric
    x_of = (lambda r: _cell_number(r[x_name])) if x_numeric else (lambda r: str(r.get(x_name)))
    groups: dict[str, list[dict]] = {}
    for r in done:
        label = ", ".join(f"{n}={r.get(f'params.{n}')}" for n in varied[1:]) or "runs"
        groups.setdefault(label, []).append(r)
    n_rows, cols = _grid(len(metrics), max_columns)
    names = [m.removeprefix("metrics.") for m in metrics]
    fig = make_subplots(rows=n_rows, cols=cols, subplot_titles=[_short(n, 40) for n in names],
                        horizontal_spacing=0.11 if cols > 1 else 0.0,
                        vertical_spacing=0.4 / n_rows if n_rows > 1 else 0.0)
    categories = [] if x_numeric else list(dict.fromkeys(str(r.get(x_name)) for r in done))
    for g, (label, members) in enumerate(groups.items()):
        colour = CATEGORY_COLOURS[g % len(CATEGORY_COLOURS)]
        symbol = CATEGORY_SYMBOLS[(g // len(CATEGORY_COLOURS)) % len(CATEGORY_SYMBOLS)]
        points: dict = {}
        for r in members:
            points.setdefault(x_of(r), []).append(r)
        xs = sorted(points) if x_numeric else [c for c in categories if c in points]
        for position, metric in enumerate(metrics):
            row, col = divmod(position, cols)
            values = [[v for v in (_cell_number(r.get(metric)) for r in points[x]) if v is not None] for x in xs]
            mean = [float(np.mean(v)) if v else None for v in values]
            std = [float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for v in values]
            fig.add_trace(go.Scatter(
                x=xs if x_numeric else [categories.index(x) for x in xs], y=mean, mode="lines+markers", name=label,
                legendgroup=label, showlegend=position == 0, line={"color": colour},
                marker={"color": colour, "size": 7, "symbol": symbol}, meta={"metric": names[position]},
                error_y={"type": "data", "array": std, "visible": any(len(v) > 1 for v in values), "thickness": 1},
                text=[", ".join(str(r.get("run_id", "")) for r in points[x]) for x in xs],
                hovertemplate="%{text}<br>" + names[position] + " %{y:.4g}<extra>" + label + "</extra>"),
                row=row + 1, col=col + 1)
    averaged = [n for n in over if f"params.{n}" in columns]
    for position, name in enumerate(names):
        row, col = divmod(position, cols)
        ticks = {} if x_numeric else _ticks([_short(c, 16) for c in categories], 12)
        fig.update_xaxes(title_text=x_name.removeprefix("params."), row=row + 1, col=col + 1, **ticks)
        fig.update_yaxes(title_text=_short(name, 24), row=row + 1, col=col + 1)
    for position in range(len(metrics), n_rows * cols):
        fig.layout[_axis_name("xaxis", position + 1)].visible = False
        fig.layout[_axis_name("yaxis", position + 1)].visible = False
    if averaged:
        title += f" (mean ± std over {', '.join(averaged)})"
    fig.update_layout(title=title, height=140 + 280 * n_rows, width=min(MAX_WIDTH, 160 + 280 * cols),
                      legend={"orientation": "h", "y": -0.12 / n_rows - 0.08, "yanchor": "top", "x": 0},
                      margin={"b": 90}, meta={"view": SWEEP_SUMMARY_VIEW})
    return fig


def ablation_figure(rows: Sequence[dict], columns: dict[str, str] | None = None, *, row_key: str = "params.row",
                    group_key: str = "params.noise", scale: float = 100.0, digits: int = 1,
                    baseline: str | None = None, seed_key: str = "params.seed", title: str = "",
                    max_columns: int = 1) -> go.Figure:
    """The Table 7 ablation (norton.evaluate.summary_table) as heatmaps: one panel per group (noise level), a cell
    per row and column holding the mean over seeds (scaled, e.g. to percent; its text 'mean ± std (seeds)').

    With `baseline` (a row name) each cell is the paired difference to that row's run with the same seed in the
    same group, on a diverging scale centred on 0. One colour bar for all panels; panels stack (max_columns 1) so
    that every cell's text stays readable within MAX_WIDTH.
    """
    from norton.evaluate import DEFAULT_TABLE, ROW_LABELS, mean_std

    columns = dict(columns or DEFAULT_TABLE)
    if not rows:
        raise ValueError("ablation_figure: no finished runs")
    keys = [row_key, group_key, *columns.values()] + ([seed_key] if baseline else [])
    missing = sorted({c for c in keys if c not in rows[0]})
    if missing:
        raise ValueError(f"ablation_figure: column(s) {missing} not in the results (have {sorted(rows[0])})")
    groups = list(dict.fromkeys(r[group_key] for r in rows))
    names = list(dict.fromkeys(str(r[row_key]) for r in rows))
    titles = list(columns)
    means = np.full((len(groups), len(names), len(titles)), np.nan)
    text = np.full(means.shape, "n/a", dtype=object)
    for g, group in enumerate(groups):
        members = [r for r in rows if r[group_key] == group]
        reference = {r[seed_key]: r for r in members if baseline is not None and str(r[row_key]) == baseline}
        for i, name in enumerate(names):
            runs = [r for r in members if str(r[row_key]) == name and (baseline is None or r[seed_key] in reference)]
            for j, column in enumerate(columns.values()):
                values = [_cell_number(r.get(column)) for r in runs]
                if baseline:
                    values = [v - b if v is not None and b is not None else None for v, b in zip(
                        values, (_cell_number(reference[r[seed_key]].get(column)) for r in runs))]
                values = [scale * v for v in values if v is not None and not math.isnan(v)]
                if values:
                    mean, std = mean_std(values)
                    means[g, i, j] = mean
                    text[g, i, j] = f"{mean:{'+' if baseline else ''}.{digits}f} ± {std:.{digits}f} ({len(values)})"
    finite = means[np.isfinite(means)]
    if baseline:
        top = float(np.abs(finite).max()) if finite.size else 1.0
        scale_range = {"cmin": -top, "cmax": top, "colorscale": DIFFERENCE_SCALE}
    else:
        scale_range = {"cmin": float(finite.min()) if finite.size else 0.0,
                       "cmax": float(finite.max()) if finite.size else 1.0, "colorscale": SIMILARITY_SCALE}
    n_rows, cols = _grid(len(groups), max_columns)
    label = f"{group_key.removeprefix('params.')} = "
    panel_px = 40 + 26 * len(names)
    height = 230 + n_rows * panel_px + (n_rows - 1) * 40
    fig = make_subplots(rows=n_rows, cols=cols, subplot_titles=[f"{label}{g}" for g in groups],
                        shared_xaxes=cols == 1, horizontal_spacing=0.16 if cols > 1 else 0.0,
                        vertical_spacing=(40 if cols == 1 else 150) / height if n_rows > 1 else 0.0)
    row_labels = [f"{n} {ROW_LABELS[n]}" if n in ROW_LABELS else n for n in names]
    for g, group in enumerate(groups):
        row, col = divmod(g, cols)
        bottom = cols > 1 or row == n_rows - 1   # stacked panels share the metric axis: its labels at the bottom
        fig.add_trace(go.Heatmap(
            z=_none_where_nan(np.round(means[g], 6)), x=np.arange(len(titles)), y=np.arange(len(names)),
            text=text[g], texttemplate="%{text}", textfont={"size": 10}, coloraxis="coloraxis", name=f"{label}{group}",
            customdata=np.array([[t] * len(names) for t in titles], dtype=object).T,
            hovertemplate="%{customdata}<br>row %{y}: %{text}<extra></extra>"), row=row + 1, col=col + 1)
        fig.update_xaxes(title_text="metric" if bottom else None, tickangle=30, tickfont={"size": 10},
                         showticklabels=bottom, **_ticks([_short(t, 22) for t in titles]), row=row + 1, col=col + 1)
        fig.update_yaxes(title_text="row" if col == 0 else None, autorange="reversed", tickfont={"size": 10},
                         **_ticks([_short(t, 28) for t in row_labels]), row=row + 1, col=col + 1)
    for position in range(len(groups), n_rows * cols):
        fig.layout[_axis_name("xaxis", position + 1)].visible = False
        fig.layout[_axis_name("yaxis", position + 1)].visible = False
    what = f"difference to row {baseline}, same seed" if baseline else "mean ± std over seeds"
    unit = "difference" if baseline else "mean"
    colour_title = f"{unit} (x{scale:g})" if scale != 1 else unit
    fig.update_layout(
        title=title or f"ablation: {what} (seeds in brackets)", coloraxis={**scale_range, "colorbar": {
            "title": {"text": colour_title, "side": "top"}, "thickness": 12}},
        height=height, width=MAX_WIDTH if cols > 1 else min(MAX_WIDTH, 330 + 100 * len(titles)),
        margin={"l": 160, "b": 130, "t": 80}, meta={"view": ABLATION_VIEW, "baseline": baseline, "scale": scale})
    return fig
