"""Pure functions from arrays to plotly figures: similarity matrices, transport plans, bucket masses."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def _array(x) -> np.ndarray:
    return x.detach().cpu().float().numpy() if hasattr(x, "detach") else np.asarray(x, dtype=float)


def similarity_figure(similarity, clips_per_sequence: int | None = None,
                      title: str = "clip-caption similarity") -> go.Figure:
    """Heatmap of an (N captions, N clips) matrix, with the K x K paragraph/video blocks outlined."""
    s = _array(similarity)
    fig = go.Figure(go.Heatmap(z=s, colorscale="Viridis", colorbar={"title": "S"},
                               hovertemplate="caption %{y}<br>clip %{x}<br>S = %{z:.3f}<extra></extra>"))
    if clips_per_sequence:
        for edge in np.arange(clips_per_sequence, s.shape[0], clips_per_sequence) - 0.5:
            fig.add_hline(y=edge, line={"color": "white", "width": 1})
            fig.add_vline(x=edge, line={"color": "white", "width": 1})
    fig.update_layout(title=title, xaxis_title="clip", yaxis_title="caption", height=450, width=520)
    fig.update_yaxes(autorange="reversed")
    return fig


def plan_figure(similarity, plans: dict[str, np.ndarray], caption_labels: Sequence[str] | None = None,
                clip_labels: Sequence[str] | None = None, title: str = "") -> go.Figure:
    """Side by side: a (K, K') similarity block and one or more plans (a plan with one extra row and
    column is drawn with its bucket row/column, labelled 'bucket')."""
    s = _array(similarity)
    k, k2 = s.shape
    captions = list(caption_labels) if caption_labels is not None else [f"caption {i}" for i in range(k)]
    clips = list(clip_labels) if clip_labels is not None else [f"clip {j}" for j in range(k2)]
    panels = {"similarity": s, **{name: _array(p) for name, p in plans.items()}}
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels), horizontal_spacing=0.06)
    for col, (name, z) in enumerate(panels.items(), start=1):
        rows = captions + ["bucket"] * (z.shape[0] - k)
        cols = clips + ["bucket"] * (z.shape[1] - k2)
        fig.add_trace(go.Heatmap(
            z=z, x=[f"{i}: {c}" for i, c in enumerate(cols)], y=[f"{i}: {r}" for i, r in enumerate(rows)],
            colorscale="Viridis" if name == "similarity" else "Blues", showscale=False,
            hovertemplate=f"{name}<br>%{{y}}<br>%{{x}}<br>%{{z:.4f}}<extra></extra>"), row=1, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_yaxes(showticklabels=True, row=1, col=1)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(title=title, height=420, width=360 * len(panels) + 120)
    return fig


def bucket_bars(bucket_fraction, aligned=None, labels: Sequence[str] | None = None,
                title: str = "share of each caption's mass sent to the bucket") -> go.Figure:
    """Bars of per-caption (or per-clip) bucket fractions, coloured by ground-truth alignment in [0, 1]."""
    fraction = _array(bucket_fraction)
    names = list(labels) if labels is not None else [str(i) for i in range(len(fraction))]
    marker = {"color": "steelblue"}
    if aligned is not None:
        marker = {"color": _array(aligned), "colorscale": "RdYlGn", "cmin": 0, "cmax": 1,
                  "colorbar": {"title": "aligned<br>(truth)"}}
    fig = go.Figure(go.Bar(x=names, y=fraction, marker=marker,
                           hovertemplate="%{x}<br>bucket share %{y:.2f}<extra></extra>"))
    fig.add_hline(y=0.5, line={"dash": "dot", "color": "grey"})
    fig.update_layout(title=title, yaxis={"range": [0, 1], "title": "bucket share"}, height=350)
    return fig


# --- transport-plan viewer: plan with bucket row/column and both marginals ----------------------------

PLAN_TRACES = ("plan", "row to clips", "row to bucket", "column from captions", "column from bucket")


def _labels(labels: Sequence[str] | None, count: int, prefix: str) -> list[str]:
    if labels is None:
        return [f"{prefix} {i}" for i in range(count)]
    labels = [str(label) for label in labels]
    if len(labels) != count:
        raise ValueError(f"{prefix}_labels has {len(labels)} entries, expected {count}")
    return labels


def plan_view_data(full_plan, has_bucket: bool, similarity=None) -> dict[str, dict]:
    """Trace name -> properties of the plan viewer: the (n[+1], m[+1]) plan and its marginals, split into
    mass on real partners and mass on the bucket (row sums = 'row to clips' + 'row to bucket')."""
    plan = _array(full_plan)
    if plan.ndim != 2:
        raise ValueError(f"full_plan must be a matrix, got shape {plan.shape}")
    extra = int(bool(has_bucket))
    n, m = plan.shape[0] - extra, plan.shape[1] - extra
    if n < 1 or m < 1:
        raise ValueError(f"full_plan of shape {plan.shape} has no real row or column")
    values = np.full(plan.shape, np.nan)  # S under each real pair, NaN in the bucket row/column
    if similarity is not None:
        s = _array(similarity)
        if s.shape != (n, m):
            raise ValueError(f"similarity has shape {s.shape}, expected {(n, m)}")
        values[:n, :m] = s
    y, x = np.arange(n + extra), np.arange(m + extra)
    scale = plan[:n].max()  # the caption rows (bucket column included); a fuller bucket row saturates
    return {
        # None, not NaN, where no similarity applies: widget messages must be valid JSON
        "plan": {"z": plan, "x": x, "y": y, "customdata": np.where(np.isnan(values), None, values),
                 "zmin": 0.0, "zmax": float(scale)},
        "row to clips": {"x": plan[:, :m].sum(1), "y": y},
        "row to bucket": {"x": plan[:, m:].sum(1) if extra else np.zeros(n), "y": y},
        "column from captions": {"y": plan[:n].sum(0), "x": x},
        "column from bucket": {"y": plan[n:].sum(0) if extra else np.zeros(m + extra), "x": x},
    }


def plan_view_layout(full_plan, has_bucket: bool, title: str = "") -> dict:
    """Axis ticks and ranges, bucket separator lines and title of the plan viewer.

    The marginal bars' axes fit the real rows and columns; a larger bucket bar is cut (its value is in the hover).
    """
    plan = _array(full_plan)
    extra = int(bool(has_bucket))
    n, m = plan.shape[0] - extra, plan.shape[1] - extra
    rows = [str(i) for i in range(n)] + ["bucket"] * extra
    cols = [str(j) for j in range(m)] + ["bucket"] * extra
    step_rows, step_cols = max(1, (n + 15) // 16), max(1, (m + 15) // 16)
    keep_rows = [i for i in range(n + extra) if i % step_rows == 0 or i == n]
    keep_cols = [j for j in range(m + extra) if j % step_cols == 0 or j == m]
    shapes = []
    if has_bucket:
        line = {"color": "crimson", "width": 2, "dash": "dot"}
        shapes = [{"type": "line", "xref": "x2", "yref": "y2", "x0": m - 0.5, "x1": m - 0.5, "y0": -0.5,
                   "y1": n + 0.5, "line": line},
                  {"type": "line", "xref": "x2", "yref": "y2", "x0": -0.5, "x1": m + 0.5, "y0": n - 0.5,
                   "y1": n - 0.5, "line": line}]
    return {
        "title": {"text": title},
        "shapes": shapes,
        "xaxis2": {"tickvals": keep_cols, "ticktext": [cols[j] for j in keep_cols], "title": {"text": "clip"},
                   "range": [-0.5, m + extra - 0.5]},
        "yaxis2": {"tickvals": keep_rows, "ticktext": [rows[i] for i in keep_rows], "title": {"text": "caption"},
                   "range": [n + extra - 0.5, -0.5]},
        "xaxis": {"range": [-0.5, m + extra - 0.5], "showticklabels": False},
        "yaxis3": {"range": [n + extra - 0.5, -0.5], "showticklabels": False},
        "xaxis3": {"title": {"text": "row sums"}, "range": [0, 1.15 * float(plan[:n].sum(1).max())]},
        "yaxis": {"title": {"text": "column sums"}, "range": [0, 1.15 * float(plan[:, :m].sum(0).max())]},
    }


def transport_plan_figure(full_plan, has_bucket: bool, similarity=None, title: str = "") -> go.Figure:
    """Heatmap of one video's caption x clip plan (bucket row/column last, set off by dotted lines), the
    column sums as bars above it and the row sums as bars to its right, each split into real and bucket mass."""
    data = plan_view_data(full_plan, has_bucket, similarity)
    fig = make_subplots(rows=2, cols=2, column_widths=[0.8, 0.2], row_heights=[0.2, 0.8], shared_xaxes="columns",
                        shared_yaxes="rows", horizontal_spacing=0.02, vertical_spacing=0.02,
                        specs=[[{}, None], [{}, {}]])
    fig.add_trace(go.Heatmap(name="plan", colorscale="Blues", colorbar={"title": "mass", "x": 1.02},
                             hovertemplate="caption %{y}, clip %{x}<br>mass %{z:.4f}<br>S %{customdata:.3f}<extra></extra>",
                             **data["plan"]), row=2, col=1)
    for name, colour in (("row to clips", "steelblue"), ("row to bucket", "crimson")):
        fig.add_trace(go.Bar(name=name, orientation="h", marker_color=colour, legendgroup=name.split()[-1],
                             hovertemplate=f"{name}: %{{x:.4f}}<extra></extra>", **data[name]), row=2, col=2)
    for name, colour in (("column from captions", "steelblue"), ("column from bucket", "crimson")):
        fig.add_trace(go.Bar(name=name, marker_color=colour, showlegend=False,
                             hovertemplate=f"{name}: %{{y:.4f}}<extra></extra>", **data[name]), row=1, col=1)
    fig.update_layout(barmode="stack", height=620, width=760, legend={"orientation": "h", "y": -0.08},
                      margin={"t": 60, "l": 60, "r": 20, "b": 40})
    fig.update_layout(plan_view_layout(full_plan, has_bucket, title))
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

BUCKET_COLOURS = {True: "crimson", False: "steelblue"}


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
    labels = [f"{i} [{t}] {text[:40]}" for i, (t, text) in enumerate(zip(_times_text(ctimes), captions))]
    clips = [f"{j} [{t}]" for j, t in enumerate(_times_text(ktimes))]
    data = {
        "captions": {"x": share, "y": np.arange(len(share)), "text": labels,
                     "marker": {"color": [BUCKET_COLOURS[bool(v > threshold)] for v in share]}},
        "clips": {"x": np.arange(len(cshare)), "y": cshare, "text": clips,
                  "marker": {"color": [BUCKET_COLOURS[bool(v > threshold)] for v in cshare]}},
        "truth: captions": {"x": [], "y": [], "text": [], "marker": {"color": []}},
        "truth: clips": {"x": [], "y": []},
    }
    if caption_alignable is not None:
        alignable = np.asarray(caption_alignable, dtype=bool)
        if len(alignable) != len(share):
            raise ValueError(f"caption_alignable has {len(alignable)} entries, expected {len(share)}")
        data["truth: captions"] = {
            "x": np.full(len(share), 1.04), "y": np.arange(len(share)),
            "text": ["alignable" if a else "unalignable" for a in alignable],
            "marker": {"color": ["seagreen" if a else "black" for a in alignable],
                       "symbol": ["circle" if a else "x" for a in alignable]}}
    if clip_truth is not None:
        truth = _array(clip_truth)
        if len(truth) != len(cshare):
            raise ValueError(f"clip_truth has {len(truth)} entries, expected {len(cshare)}")
        data["truth: clips"] = {"x": np.arange(len(truth)), "y": 1 - truth}
    return data


def bucket_filter_figure(caption_text: Sequence[str], caption_times, caption_share, clip_times, clip_share,
                         caption_alignable=None, clip_truth=None, thumbnails=None, threshold: float = 0.5,
                         title: str = "what fell into the bucket") -> go.Figure:
    """Clips (top, with thumbnails (m, H, W, 3) uint8 when given) and captions (bottom, with text and ASR times)
    by the share of their mass that went to the bucket; red = in the bucket (share > threshold).
    Ground truth, when given: captions marked alignable (o) or not (x); for clips, the share of seconds
    showing nothing a caption describes (diamonds: where a perfect filter would put the bar)."""
    data = bucket_filter_data(caption_text, caption_times, caption_share, clip_times, clip_share,
                              caption_alignable, clip_truth, threshold)
    m = len(data["clips"]["x"])
    fig = make_subplots(rows=2, cols=1, row_heights=[0.3, 0.7], vertical_spacing=0.16,
                        subplot_titles=["clips: share received from the bucket",
                                        "captions: share sent to the bucket"])
    fig.add_trace(go.Bar(name="clips", showlegend=False, textposition="none", hovertemplate="clip %{text}<br>bucket share %{y:.2f}"
                         "<extra></extra>", **data["clips"]), row=1, col=1)
    fig.add_trace(go.Scatter(name="truth: clips", mode="markers", marker={"symbol": "diamond", "color": "black"},
                             hovertemplate="undescribed share (truth) %{y:.2f}<extra></extra>",
                             **data["truth: clips"]), row=1, col=1)
    fig.add_trace(go.Bar(name="captions", orientation="h", showlegend=False, textposition="none",
                         hovertemplate="%{text}<br>bucket share %{x:.2f}<extra></extra>", **data["captions"]),
                  row=2, col=1)
    fig.add_trace(go.Scatter(name="truth: captions", mode="markers", hovertemplate="%{text} (truth)<extra></extra>",
                             **data["truth: captions"]), row=2, col=1)
    fig.update_layout(bucket_filter_layout(data["captions"]["text"], m, thumbnails, threshold, title))
    return fig


def bucket_filter_layout(caption_labels: Sequence[str], num_clips: int, thumbnails=None, threshold: float = 0.5,
                         title: str = "") -> dict:
    """Axes, threshold lines, thumbnails (layout images) and size of the bucket view."""
    n, m = len(caption_labels), num_clips
    top, images = 1.0, []
    if thumbnails is not None:
        frames = np.asarray(thumbnails)
        if frames.ndim != 4 or len(frames) != m:
            raise ValueError(f"thumbnails must be ({m}, H, W, 3) uint8 (one per clip), got {frames.shape}")
        top = 1.6
        images = [{"source": png_data_uri(frame), "xref": "x", "yref": "y", "x": j, "y": top - 0.02, "sizex": 0.9,
                   "sizey": 0.55, "xanchor": "center", "yanchor": "top", "layer": "above"}
                  for j, frame in enumerate(frames)]
    line = {"dash": "dot", "color": "grey"}
    return {
        "title": {"text": title}, "height": max(420, 200 + 18 * n) + (160 if images else 0), "width": 900,
        "margin": {"l": 320},
        "images": images,
        "shapes": [{"type": "line", "xref": "x", "yref": "y", "x0": -0.6, "x1": m - 0.4, "y0": threshold,
                    "y1": threshold, "line": line},
                   {"type": "line", "xref": "x2", "yref": "y2", "x0": threshold, "x1": threshold, "y0": -0.5,
                    "y1": n - 0.5, "line": line}],
        "xaxis": {"range": [-0.6, m - 0.4], "title": {"text": "clip"}},
        "yaxis": {"range": [0, top], "title": {"text": "share"}},
        "xaxis2": {"range": [0, 1.08], "title": {"text": "share"}},
        "yaxis2": {"tickvals": list(range(n)), "ticktext": list(caption_labels), "range": [n - 0.5, -0.5]},
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
    """Per caption (rows): its ASR span (grey), its true span (green, when known), and where the plan puts it
    (dot = plan-weighted clip time, coloured by the share sent to the bucket; line = the shift from ASR)."""
    data = timeline_data(caption_times, realigned, bucket_share, truth_times, alignable)
    n = len(data["realigned"]["y"])
    labels = _labels(caption_text, n, "caption")
    fig = go.Figure()
    fig.add_trace(go.Scatter(name="true span", mode="lines", line={"color": "seagreen", "width": 9},
                             opacity=0.45, hoverinfo="skip", **data["true span"]))
    fig.add_trace(go.Scatter(name="ASR time", mode="lines", line={"color": "grey", "width": 3},
                             hoverinfo="skip", **data["ASR time"]))
    fig.add_trace(go.Scatter(name="shift", mode="lines", line={"color": "orange", "width": 1, "dash": "dot"},
                             hoverinfo="skip", **data["shift"]))
    fig.add_trace(go.Scatter(name="unalignable (truth)", mode="markers", marker={"symbol": "x", "color": "black",
                             "size": 9}, hovertemplate="unalignable (truth)<extra></extra>",
                             **data["unalignable (truth)"]))
    realigned_props = data["realigned"]
    fig.add_trace(go.Scatter(
        name="realigned", mode="markers", x=realigned_props["x"], y=realigned_props["y"], text=labels,
        marker={**realigned_props["marker"], "size": 10, "colorscale": "RdYlBu_r", "line": {"width": 1},
                "colorbar": {"title": "bucket<br>share", "x": 1.02}},
        hovertemplate="%{text}<br>realigned at %{x:.1f} s<br>bucket share %{marker.color:.2f}<extra></extra>"))
    fig.update_layout(timeline_layout(labels, title), xaxis_title="seconds", width=900,
                      legend={"orientation": "h", "y": -0.12}, margin={"l": 260})
    return fig


def timeline_layout(caption_text: Sequence[str], title: str = "") -> dict:
    """Caption ticks, height and title of the timeline."""
    n = len(caption_text)
    return {"title": {"text": title}, "height": max(360, 120 + 20 * n),
            "yaxis": {"tickvals": list(range(n)), "ticktext": [str(t)[:40] for t in caption_text],
                      "range": [n - 0.5, -0.5]}}


# --- soft-maximum: one caption-clip pair ---------------------------------------------------------------

SOFT_MAX_TRACES = ("cosine", "softmax over frames (per word)", "softmax over words (per frame)",
                   "word scores", "frame scores")


def soft_max_data(cosine, frame_weights, word_weights, word_scores, frame_scores,
                  words: Sequence[str] | None = None, frames: Sequence[str] | None = None) -> dict[str, dict]:
    """Trace name -> properties of the soft-maximum view of one pair (W words x F frames)."""
    cos = _array(cosine)
    w, f = cos.shape
    words = _labels(words, w, "word")
    frames = _labels(frames, f, "frame")
    heat = {"x": frames, "y": [f"{i}: {word}" for i, word in enumerate(words)]}
    return {
        "cosine": {"z": cos, **heat},
        "softmax over frames (per word)": {"z": _array(frame_weights), **heat},
        "softmax over words (per frame)": {"z": _array(word_weights), **heat},
        "word scores": {"x": heat["y"], "y": _array(word_scores)},
        "frame scores": {"x": frames, "y": _array(frame_scores)},
    }


def soft_max_title(t2v: float, v2t: float, alpha: float, prefix: str = "") -> str:
    return f"{prefix}alpha = {alpha:.3g}: t2v = {t2v:.3f}, v2t = {v2t:.3f}, S_fine = {(t2v + v2t) / 2:.3f}"


def soft_max_figure(cosine, frame_weights, word_weights, word_scores, frame_scores, alpha: float,
                    words: Sequence[str] | None = None, frames: Sequence[str] | None = None,
                    title_prefix: str = "") -> go.Figure:
    """Frame x word view of Eq. 5 for one pair: cosines, the softmax weights that pick each word's frames and
    each frame's words, and the per-word / per-frame alpha-log-sum-exp scores that average into t2v / v2t."""
    data = soft_max_data(cosine, frame_weights, word_weights, word_scores, frame_scores, words, frames)
    fig = make_subplots(rows=2, cols=3, row_heights=[0.7, 0.3], vertical_spacing=0.14, horizontal_spacing=0.05,
                        subplot_titles=[*SOFT_MAX_TRACES[:3], "word -> frames: alpha LSE (mean = t2v)",
                                        "frame -> words: alpha LSE (mean = v2t)", ""],
                        specs=[[{}, {}, {}], [{}, {}, None]])
    fig.add_trace(go.Heatmap(name="cosine", colorscale="RdBu", zmin=-1, zmax=1, showscale=False,
                             hovertemplate="%{y}<br>%{x}<br>cos %{z:.3f}<extra></extra>", **data["cosine"]), 1, 1)
    for col, name in ((2, SOFT_MAX_TRACES[1]), (3, SOFT_MAX_TRACES[2])):
        fig.add_trace(go.Heatmap(name=name, colorscale="Greens", zmin=0, zmax=1, showscale=col == 3,
                                 hovertemplate="%{y}<br>%{x}<br>weight %{z:.3f}<extra></extra>", **data[name]), 1, col)
    fig.add_trace(go.Bar(name="word scores", marker_color="darkorange", showlegend=False, **data["word scores"]), 2, 1)
    fig.add_trace(go.Bar(name="frame scores", marker_color="teal", showlegend=False, **data["frame scores"]), 2, 2)
    fig.update_yaxes(autorange="reversed", row=1)
    fig.update_yaxes(showticklabels=False, row=1, col=2)
    fig.update_yaxes(showticklabels=False, row=1, col=3)
    fig.update_layout(title=soft_max_title(float(np.mean(data["word scores"]["y"])),
                                           float(np.mean(data["frame scores"]["y"])), alpha, title_prefix),
                      height=620, width=1000)
    return fig


# --- small generic plots used by the notebooks ----------------------------------------------------------


def scatter_figure(x, y, xlabel: str, ylabel: str, title: str = "", color=None, color_label: str = "") -> go.Figure:
    """Scatter of two equally long arrays (flattened), optionally coloured."""
    xs, ys = _array(x).ravel(), _array(y).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same size, got {xs.size} and {ys.size}")
    marker = {"size": 5, "opacity": 0.6}
    if color is not None:
        marker.update(color=_array(color).ravel(), colorscale="Viridis", colorbar={"title": color_label})
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="markers", marker=marker, name=ylabel))
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel, height=420, width=520)
    return fig


def metric_steps_figure(steps: Sequence[str], metrics: dict[str, Sequence[float]], title: str = "") -> go.Figure:
    """One small line plot per metric over a sequence of named steps (e.g. the switch walk)."""
    names = list(metrics)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.06)
    for col, name in enumerate(names, start=1):
        values = _array(metrics[name])
        if len(values) != len(steps):
            raise ValueError(f"metric {name!r} has {len(values)} values for {len(steps)} steps")
        fig.add_trace(go.Scatter(x=list(steps), y=values, mode="lines+markers", name=name, showlegend=False),
                      row=1, col=col)
    fig.update_xaxes(tickangle=45)
    fig.update_layout(title=title, height=380, width=max(500, 280 * len(names)))
    return fig
