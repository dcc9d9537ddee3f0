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
