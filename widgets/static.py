"""Static figures for papers: matplotlib re-drawings of the plan, timeline, bucket, soft-maximum, sweep-summary
and ablation-table views.

Each view is drawn from the same data functions as its plotly figure (widgets.figures: plan_view_data,
timeline_data, bucket_filter_data, soft_max_data and their layouts), read back from the plotly figure's traces by
name, so `save_figure(transport_plan_figure(...), "plan.pdf")` and `save_figure(viewer.figures["plan"], ...)`
give what the interactive view shows. PNG, PDF and SVG; no browser or kaleido needed.
"""
from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np

from .figures import (
    ABLATION_VIEW,
    BLACK,
    BLUE,
    BUCKET_COLOUR,
    GREY,
    KEPT_COLOUR,
    MASS_SCALE,
    PLAN_TRACES,
    SIMILARITY_SCALE,
    SKY,
    SOFT_MAX_TRACES,
    SWEEP_SUMMARY_VIEW,
    VERMILLION,
)

FORMATS = ("png", "pdf", "svg")
VIEW_TRACES = {
    "plan": set(PLAN_TRACES),
    "timeline": {"ASR time", "true span", "shift", "realigned"},
    "bucket": {"captions", "clips", "truth: captions", "truth: clips"},
    "soft_max": set(SOFT_MAX_TRACES),
}
TAGS = re.compile(r"<[^>]+>")


def _plain(text) -> str:
    """Plotly text without its HTML (<br> becomes a new line)."""
    text = "" if text is None else str(text)
    return TAGS.sub("", text.replace("<br>", "\n"))


def _traces(fig) -> dict[str, dict]:
    return {trace.name: trace.to_plotly_json() for trace in fig.data}


def _layout(fig) -> dict:
    return fig.layout.to_plotly_json()


def _get(mapping: dict, *keys, default=None):
    for key in keys:
        if not isinstance(mapping, dict) or key not in mapping:
            return default
        mapping = mapping[key]
    return mapping


def _values(x) -> np.ndarray:
    """A trace property as a float array (None -> NaN); plotly's typed-array dicts decoded."""
    if isinstance(x, dict) and "bdata" in x:
        dtype = {"f8": "<f8", "f4": "<f4", "i1": "i1", "u1": "u1", "i2": "<i2", "u2": "<u2", "i4": "<i4",
                 "u4": "<u4"}[x["dtype"]]
        array = np.frombuffer(base64.b64decode(x["bdata"]), dtype=dtype).astype(float)
        if "shape" in x:
            array = array.reshape([int(v) for v in str(x["shape"]).split(",")])
        return array
    if x is None:
        return np.zeros(0)
    return np.array([[np.nan if v is None else v for v in row] for row in x] if len(x) and isinstance(
        x[0], (list, tuple, np.ndarray)) else [np.nan if v is None else v for v in x], dtype=float)


def figure_kind(fig) -> str:
    """Which view a plotly figure is: plan, timeline, bucket or soft_max (by its trace names), or sweep_summary or
    ablation_table (by its layout's meta, which sweep_summary_figure and ablation_figure set)."""
    meta = fig.layout.meta
    if isinstance(meta, dict) and meta.get("view") in (SWEEP_SUMMARY_VIEW, ABLATION_VIEW):
        return meta["view"]
    names = {trace.name for trace in fig.data}
    for kind, needed in VIEW_TRACES.items():
        if needed <= names:
            return kind
    raise ValueError("not a plan, timeline, bucket, soft-maximum, sweep-summary or ablation figure "
                     f"(traces {sorted(n for n in names if n)})")


def _ticks(ax, axis: str, spec: dict | None, rotation: float = 0, size: float = 7) -> None:
    if not spec or spec.get("tickvals") is None:
        return
    values, text = list(spec["tickvals"]), [_plain(t) for t in spec.get("ticktext") or spec["tickvals"]]
    if axis == "x":
        ax.set_xticks(values, text, rotation=rotation, fontsize=size, ha="right" if rotation else "center")
    else:
        ax.set_yticks(values, text, fontsize=size)


# --- the views --------------------------------------------------------------------------------------------


def draw_plan(container, fig) -> None:
    """The transport-plan view: the (blocked) plan, its column sums above and row sums beside it."""
    t, layout = _traces(fig), _layout(fig)
    plan = t["plan"]
    z, x, y = _values(plan["z"]), _values(plan["x"]), _values(plan["y"])
    grid = container.add_gridspec(2, 3, width_ratios=[0.78, 0.17, 0.05], height_ratios=[0.2, 0.8], wspace=0.06,
                                  hspace=0.06)
    heat = container.add_subplot(grid[1, 0])
    top = container.add_subplot(grid[0, 0], sharex=heat)
    side = container.add_subplot(grid[1, 1], sharey=heat)
    bar = container.add_subplot(grid[1, 2])
    mesh = heat.pcolormesh(x, y, z, cmap=MASS_SCALE.lower(), vmin=plan.get("zmin", 0.0), vmax=plan.get("zmax"),
                           shading="flat")
    container.colorbar(mesh, cax=bar, label=_plain(_get(plan, "colorbar", "title", "text", default="mass")))
    for shape in layout.get("shapes", []):
        heat.plot([shape["x0"], shape["x1"]], [shape["y0"], shape["y1"]], color=BUCKET_COLOUR, lw=1.5, ls=":")
    real_x, real_y = _values(t["column from captions"]["x"]), _values(t["column from captions"]["y"])
    bucket_y = _values(t["column from bucket"]["y"])
    top.bar(real_x, real_y, width=1.0, color=KEPT_COLOUR, label="real")
    top.bar(real_x, bucket_y, bottom=real_y, width=1.0, color=BUCKET_COLOUR, label="bucket")
    rows, to_clips, to_bucket = _values(t["row to clips"]["y"]), _values(t["row to clips"]["x"]), _values(
        t["row to bucket"]["x"])
    side.barh(rows, to_clips, height=1.0, color=KEPT_COLOUR)
    side.barh(rows, to_bucket, left=to_clips, height=1.0, color=BUCKET_COLOUR)
    heat.set_xlim(*layout["xaxis2"]["range"])
    heat.set_ylim(*layout["yaxis2"]["range"])
    top.set_ylim(*layout["yaxis"]["range"])
    side.set_xlim(*layout["xaxis3"]["range"])
    _ticks(heat, "x", layout["xaxis2"])
    _ticks(heat, "y", layout["yaxis2"])
    heat.set_xlabel("clip")
    heat.set_ylabel("caption")
    top.set_ylabel("column sums", fontsize=8)
    side.set_xlabel("row sums", fontsize=8)
    top.tick_params(labelbottom=False, labelsize=7)
    side.tick_params(labelleft=False, labelsize=7)
    side.xaxis.set_major_locator(__import__("matplotlib.ticker", fromlist=["MaxNLocator"]).MaxNLocator(2))
    top.legend(fontsize=7, loc="upper right", ncols=2)
    title = _plain(_get(layout, "title", "text", default=""))
    warnings = [_plain(a.get("text")) for a in layout.get("annotations", []) if "unconverged" in str(a.get("text"))]
    container.suptitle(title, fontsize=10)
    if warnings:
        top.set_title(warnings[0], color=VERMILLION, fontsize=8, loc="left")


def _segments(ax, trace: dict, **style) -> None:
    x = [np.nan if v is None else v for v in trace.get("x") or []]
    y = [np.nan if v is None else v for v in trace.get("y") or []]
    if x:
        ax.plot(x, y, **style)


def draw_timeline(container, fig) -> None:
    """The alignment timeline: every caption (not only the rows the interactive view shows at once)."""
    t, layout = _traces(fig), _layout(fig)
    ax = container.add_subplot()
    _segments(ax, t["true span"], color=SKY, lw=5, alpha=0.7, solid_capstyle="butt", label="true span")
    _segments(ax, t["ASR time"], color=GREY, lw=2, label="ASR time")
    _segments(ax, t["shift"], color=BLACK, lw=0.6, ls=":", label="shift")
    if t.get("unalignable (truth)", {}).get("x") is not None and len(t["unalignable (truth)"]["x"]):
        ax.scatter(_values(t["unalignable (truth)"]["x"]), _values(t["unalignable (truth)"]["y"]), marker="x",
                   color=BLACK, s=25, label="unalignable (truth)", zorder=3)
    for name, trace in t.items():  # extra markers a notebook added (e.g. rings round the dropped captions)
        if name not in VIEW_TRACES["timeline"] | {"unalignable (truth)"} and trace.get("x") is not None:
            ax.scatter(_values(trace["x"]), _values(trace["y"]), facecolors="none", s=90,
                       edgecolors=_get(trace, "marker", "color", default=VERMILLION), label=name, zorder=4)
    realigned = t["realigned"]
    points = ax.scatter(_values(realigned["x"]), _values(realigned["y"]), c=_values(realigned["marker"]["color"]),
                        cmap=MASS_SCALE.lower(), vmin=0, vmax=1, s=30, edgecolors=BLACK, linewidths=0.5,
                        label="realigned", zorder=5)
    container.colorbar(points, ax=ax, label="bucket share", fraction=0.04)
    n = len(_values(realigned["y"]))
    ax.set_ylim(n - 0.5, -0.5)
    _ticks(ax, "y", layout.get("yaxis"), size=6 if n > 40 else 7)
    ax.set_xlabel("seconds")
    ax.set_ylabel("caption")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=5, frameon=False)  # off the data
    ax.grid(axis="x", alpha=0.3)
    title = re.sub(r" \(captions 0-\d+ of \d+: drag to scroll\)", "", _plain(_get(layout, "title", "text", default="")))
    ax.set_title(title, fontsize=10)


def _data_uri_image(uri: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def draw_bucket_filter(container, fig) -> None:
    """The bucket view: clips (with the thumbnail strip) and every caption, by their bucket share."""
    t, layout = _traces(fig), _layout(fig)
    captions = t["captions"]
    n = len(_values(captions["y"]))
    images = layout.get("images", [])
    grid = container.add_gridspec(3 if images else 2, 1, height_ratios=([0.7] if images else []) + [2.4, 1.0 + 0.15 * n],
                                  hspace=0.35 if n < 60 else 0.1)
    offset = 1 if images else 0
    clips_ax = container.add_subplot(grid[offset])
    caption_ax = container.add_subplot(grid[offset + 1])
    clips = t["clips"]
    clip_x = _values(clips["x"])
    clips_ax.bar(clip_x, _values(clips["y"]), width=0.9, color=clips["marker"]["color"])
    if t["truth: clips"].get("x") is not None and len(t["truth: clips"]["x"]):
        clips_ax.scatter(_values(t["truth: clips"]["x"]), _values(t["truth: clips"]["y"]), marker="D", s=8,
                         color=BLACK, label="undescribed share (truth)", zorder=3)
        clips_ax.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)  # above the bars
    for shape in layout.get("shapes", []):
        target = clips_ax if shape.get("xref") == "x" else caption_ax
        dash = ":" if _get(shape, "line", "dash") == "dot" else "--"
        colour = _get(shape, "line", "color", default=GREY)
        target.plot([shape["x0"], shape["x1"]], [shape["y0"], shape["y1"]], ls=dash, color=colour, lw=1)
    clips_ax.set_xlim(-0.6, len(clip_x) - 0.4)
    clips_ax.set_ylim(0, 1.05)
    clips_ax.set_xlabel("clip")
    clips_ax.set_ylabel("share")
    notes = [_plain(a.get("text")) for a in layout.get("annotations", [])]
    clips_ax.set_title(notes[0] if notes else "clips", fontsize=8)
    if images:
        strip = container.add_subplot(grid[0], sharex=clips_ax)
        for image in images:
            half = image["sizex"] / 2
            strip.imshow(_data_uri_image(image["source"]), extent=(image["x"] - half, image["x"] + half, 0, 1),
                         aspect="auto")
        strip.set_ylim(0, 1)
        strip.axis("off")
    rows = _values(captions["y"])
    caption_ax.barh(rows, _values(captions["x"]), height=0.8, color=captions["marker"]["color"])
    truth = t["truth: captions"]
    if truth.get("x") is not None and len(truth["x"]):
        for symbol, marker in (("circle-open", "o"), ("x", "x")):
            keep = [i for i, s in enumerate(truth["marker"]["symbol"]) if s == symbol]
            if keep:
                style = {"facecolors": "none", "edgecolors": BLACK} if marker == "o" else {"color": BLACK}
                caption_ax.scatter(_values(truth["x"])[keep], _values(truth["y"])[keep], marker=marker, s=14,
                                   linewidths=0.8, label="alignable (truth)" if marker == "o" else "unalignable (truth)",
                                   **style)
        caption_ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, frameon=False)
    caption_ax.set_ylim(n - 0.5, -0.5)
    caption_ax.set_xlim(0, 1.08)
    _ticks(caption_ax, "y", layout.get("yaxis2"), size=6 if n > 40 else 7)
    caption_ax.set_xlabel("share")
    caption_ax.set_ylabel("caption")
    caption_ax.set_title("captions: share sent to the bucket (orange: in the bucket, blue: kept)", fontsize=8)
    container.suptitle(_plain(_get(layout, "title", "text", default="")), fontsize=10)


def draw_soft_max(container, fig) -> None:
    """The soft-maximum view of one pair: cosines, both softmax weights, word and frame scores, the note."""
    t, layout = _traces(fig), _layout(fig)
    grid = container.add_gridspec(2, 4, width_ratios=[1, 1, 1, 0.06], height_ratios=[0.68, 0.32], wspace=0.25,
                                  hspace=0.45)
    heat_axes = [container.add_subplot(grid[0, k]) for k in range(3)]
    for k, (ax, name) in enumerate(zip(heat_axes, SOFT_MAX_TRACES[:3])):
        z = _values(t[name]["z"])
        w, f = z.shape
        cosine = name == "cosine"
        image = ax.imshow(z, aspect="auto", interpolation="nearest", cmap=(SIMILARITY_SCALE if cosine else MASS_SCALE)
                          .lower(), vmin=None if cosine else 0, vmax=None if cosine else 1)
        if cosine:
            container.colorbar(image, ax=ax, label="cos", fraction=0.08)
        elif k == 2:
            container.colorbar(image, cax=container.add_subplot(grid[0, 3]), label="weight")
        ax.set_title(name, fontsize=8)
        _ticks(ax, "x", layout.get("xaxis" if k == 0 else f"xaxis{k + 1}"), rotation=45 if f > 4 else 0)
        if k == 0:
            _ticks(ax, "y", layout.get("yaxis"))
        else:
            ax.set_yticks([])
        ax.set_ylabel("word")
        ax.set_xlabel("frame")
    words_ax, frames_ax = container.add_subplot(grid[1, 0:2]), container.add_subplot(grid[1, 2])
    words_ax.bar(_values(t["word scores"]["x"]), _values(t["word scores"]["y"]), color=_get(
        t["word scores"], "marker", "color", default=BUCKET_COLOUR))
    frames_ax.bar(_values(t["frame scores"]["x"]), _values(t["frame scores"]["y"]), color=_get(
        t["frame scores"], "marker", "color", default=KEPT_COLOUR))
    _ticks(words_ax, "x", layout.get("xaxis4"), rotation=60)
    _ticks(frames_ax, "x", layout.get("xaxis5"), rotation=45 if len(_values(t["frame scores"]["x"])) > 4 else 0)
    words_ax.set_ylabel("alpha LSE")
    frames_ax.set_ylabel("alpha LSE")
    words_ax.set_xlabel("word")
    frames_ax.set_xlabel("frame")
    words_ax.set_title("word scores (mean = t2v)", fontsize=8)
    frames_ax.set_title("frame scores (mean = v2t)", fontsize=8)
    container.suptitle(_plain(_get(layout, "title", "text", default="")), fontsize=10)
    notes = [_plain(a.get("text")).replace("\n", " ") for a in layout.get("annotations", []) if a.get("name") == "note"]
    if notes:
        import textwrap

        container.supxlabel("\n".join(textwrap.wrap(notes[0], 150)), fontsize=7, x=0.01, ha="left")


def _panels(layout: dict) -> list[tuple[str, str]]:
    """The visible (xaxis, yaxis) layout keys of a make_subplots figure, in order (xaxis, xaxis2, ...)."""
    keys = sorted((k for k in layout if re.fullmatch(r"xaxis\d*", k)), key=lambda k: int(k[5:] or 1))
    return [(k, "y" + k[1:]) for k in keys if layout[k].get("visible", True) is not False]


def _grid_shape(layout: dict, panels: list[tuple[str, str]]) -> tuple[int, int]:
    columns = len({round(layout[x]["domain"][0], 3) for x, _ in panels})
    rows = len({round(layout[y]["domain"][0], 3) for _, y in panels})
    return rows, columns


def _subplot_titles(layout: dict) -> list[str]:
    return [_plain(a.get("text")) for a in layout.get("annotations", []) if a.get("yref") == "paper"
            and a.get("showarrow") is False]


def _axis_title(spec: dict | None) -> str:
    return _plain(_get(spec or {}, "title", "text", default=""))


def _trace_axes(trace: dict) -> tuple[str, str]:
    x, y = trace.get("xaxis", "x"), trace.get("yaxis", "y")
    return "xaxis" + x[1:], "yaxis" + y[1:]


def draw_sweep_summary(container, fig) -> None:
    """The sweep summary (sweep_summary_figure): one panel per metric, one line per group of runs, one legend."""
    t, layout = fig.data, _layout(fig)
    panels = _panels(layout)
    rows, columns = _grid_shape(layout, panels)
    axes = container.subplots(rows, columns, squeeze=False)
    titles = _subplot_titles(layout)
    where = {x: axes[i // columns][i % columns] for i, (x, _) in enumerate(panels)}
    for trace in t:
        spec = trace.to_plotly_json()
        ax = where[_trace_axes(spec)[0]]
        colour = _get(spec, "line", "color", default=BLUE)
        marker = {"square": "s", "diamond": "D", "triangle-up": "^"}.get(_get(spec, "marker", "symbol"), "o")
        error = _values(_get(spec, "error_y", "array")) if _get(spec, "error_y", "visible") else None
        ax.errorbar(_values(spec["x"]), _values(spec["y"]), yerr=error, marker=marker, ms=4, lw=1.4, color=colour,
                    capsize=2, elinewidth=0.8,
                    label=spec.get("name") if spec.get("showlegend", True) is not False else None)
    for i, (x, y) in enumerate(panels):
        ax = where[x]
        ax.set_title(titles[i] if i < len(titles) else "", fontsize=9)
        ax.set_xlabel(_axis_title(layout[x]), fontsize=8)
        ax.set_ylabel(_axis_title(layout.get(y)), fontsize=8)
        _ticks(ax, "x", layout[x], rotation=30 if len((layout[x].get("tickvals") or [])) > 4 else 0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for k in range(len(panels), rows * columns):
        axes[k // columns][k % columns].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        container.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=7,
                         frameon=False)
    container.suptitle(_plain(_get(layout, "title", "text", default="")), fontsize=10)


def draw_ablation(container, fig) -> None:
    """The ablation table (ablation_figure): a heatmap per group, each cell's 'mean ± std (seeds)', one colour bar."""
    import matplotlib.colors

    layout = _layout(fig)
    panels = _panels(layout)
    rows, columns = _grid_shape(layout, panels)
    axes = container.subplots(rows, columns, squeeze=False)
    colour_axis = layout.get("coloraxis", {})
    scale = str(_get(colour_axis, "colorscale", default="Viridis"))
    cmap = {"puor": "PuOr", "viridis": "viridis", "cividis": "cividis"}.get(scale.lower(), "viridis")
    norm = matplotlib.colors.Normalize(colour_axis.get("cmin"), colour_axis.get("cmax"))
    titles = _subplot_titles(layout)
    image = None
    for i, trace in enumerate(fig.data):
        spec = trace.to_plotly_json()
        x_key, y_key = _trace_axes(spec)
        ax = axes[i // columns][i % columns]
        z = _values(spec["z"])
        image = ax.imshow(z, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        text = spec.get("text")
        for r in range(z.shape[0]):
            for c in range(z.shape[1]):
                value = norm(z[r, c]) if np.isfinite(z[r, c]) else 0.5
                dark = (value < 0.45) if cmap == "viridis" else abs(value - 0.5) > 0.3
                ax.text(c, r, str(text[r][c]) if text is not None else f"{z[r, c]:.3g}", ha="center", va="center",
                        fontsize=6, color="white" if dark else "black")
        if layout[x_key].get("showticklabels", True) is not False:
            _ticks(ax, "x", layout[x_key], rotation=30, size=7)
        else:
            ax.set_xticks(list(layout[x_key].get("tickvals") or []), [])
        _ticks(ax, "y", layout[y_key], size=7)
        ax.set_xlabel(_axis_title(layout[x_key]), fontsize=8)
        ax.set_ylabel(_axis_title(layout[y_key]) or "row", fontsize=8)
        ax.set_title(titles[i] if i < len(titles) else "", fontsize=9)
    for k in range(len(fig.data), rows * columns):
        axes[k // columns][k % columns].set_visible(False)
    if image is not None:
        container.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02,
                           label=_plain(_get(colour_axis, "colorbar", "title", "text", default="")))
    container.suptitle(_plain(_get(layout, "title", "text", default="")), fontsize=10)


DRAW = {"plan": draw_plan, "timeline": draw_timeline, "bucket": draw_bucket_filter, "soft_max": draw_soft_max,
        SWEEP_SUMMARY_VIEW: draw_sweep_summary, ABLATION_VIEW: draw_ablation}


def _size(kind: str, fig) -> tuple[float, float]:
    """Inches (width, height) of a view: the timeline and bucket views grow with the captions."""
    if kind == "plan":
        return 8.0, 6.5
    if kind == "soft_max":
        return 9.5, 6.0
    if kind in (SWEEP_SUMMARY_VIEW, ABLATION_VIEW):  # from the plotly size (px at 100 dpi), a little larger
        width, height = fig.layout.width or 900, fig.layout.height or 500
        return min(12.0, 1.15 * width / 100), min(40.0, 1.15 * height / 100)
    n = len([t for t in fig.data if t.name == "realigned" or t.name == "captions"][0].y)
    return (8.0, min(40.0, 2.2 + 0.15 * n)) if kind == "timeline" else (8.0, min(44.0, 4.0 + 0.15 * n))


def _format(path: Path, format: str | None) -> str:
    chosen = (format or path.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {chosen!r}")
    return chosen


def matplotlib_figure(fig):
    """One view (a plotly figure of widgets.figures, or a viewer's FigureWidget) drawn as a matplotlib Figure, to
    adjust before saving it yourself; save_figure does this and saves."""
    from matplotlib.figure import Figure

    kind = figure_kind(fig)
    constrained = kind in ("timeline", "soft_max", SWEEP_SUMMARY_VIEW, ABLATION_VIEW)
    canvas = Figure(figsize=_size(kind, fig), layout="constrained" if constrained else None)
    DRAW[kind](canvas, fig)
    return canvas


def save_figure(fig, path: str | Path, format: str | None = None, dpi: int = 200) -> Path:
    """Draw one view (a plotly figure of widgets.figures, or a FigureWidget of a viewer) with matplotlib and
    save it as PNG, PDF or SVG (`format`, default the path's suffix)."""
    path = Path(path)
    chosen = _format(path, format)
    canvas = matplotlib_figure(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.savefig(path, format=chosen, dpi=dpi, bbox_inches="tight")
    return path


def save_figures(figures: dict, path: str | Path, format: str | None = None, title: str = "", dpi: int = 200) -> Path:
    """Several views in one file, stacked (PlanViewer.snapshot): each drawn as in save_figure."""
    from matplotlib.figure import Figure

    path = Path(path)
    chosen = _format(path, format)
    if not figures:
        raise ValueError("save_figures needs at least one figure")
    kinds = {name: figure_kind(fig) for name, fig in figures.items()}
    sizes = [_size(kinds[name], fig) for name, fig in figures.items()]
    canvas = Figure(figsize=(max(w for w, _ in sizes), sum(h for _, h in sizes) + 0.4))
    panels = canvas.subfigures(len(figures), 1, height_ratios=[h for _, h in sizes]) if len(figures) > 1 else [canvas]
    for panel, (name, fig) in zip(np.atleast_1d(panels), figures.items()):
        DRAW[kinds[name]](panel, fig)
    if title:
        canvas.text(0.5, 1.0, title, ha="center", va="bottom", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.savefig(path, format=chosen, dpi=dpi, bbox_inches="tight")
    return path
