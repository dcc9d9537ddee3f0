"""Thin ipywidgets glue around the figures: the transport-plan viewer (with timeline and bucket views) and
the soft-maximum viewer. Each holds plotly FigureWidgets, updates them from sliders and can write a
static HTML snapshot of its current state."""
from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from norton.align import BUCKET_MODES, Alignment, AlignSettings, ot_alignment
from norton.explore import VideoTokens, fine_similarity, fuse, mean_similarity, pair_detail, stack_videos
from norton.ot import BUCKET_MARGINALS

from .figures import (
    alignment_timeline_figure,
    bucket_filter_data,
    bucket_filter_figure,
    bucket_filter_layout,
    plan_view_data,
    plan_view_layout,
    soft_max_data,
    soft_max_figure,
    soft_max_title,
    timeline_data,
    timeline_layout,
    transport_plan_figure,
    update_traces,
)

PLAN_VIEWS = ("plan", "timeline", "bucket")


def write_snapshot(path: str | Path, figures: dict[str, go.Figure], title: str, notes: str = "") -> Path:
    """One self-contained HTML page with the figures (plotly.js embedded once) and a note on the settings."""
    if not figures:
        raise ValueError("write_snapshot needs at least one figure")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(notes)}</p>" if notes else ""]
    for i, (name, fig) in enumerate(figures.items()):
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(pio.to_html(go.Figure(fig), include_plotlyjs=i == 0, full_html=False))
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + html.escape(title)
                    + "</title></head><body style='font-family: sans-serif'>" + "\n".join(parts) + "</body></html>",
                    encoding="utf-8")
    return path


class PlanViewer:
    """One video's caption x clip transport plan with its marginals and bucket, the alignment timeline and the
    bucket filtering view, driven by sliders for eps, the bucket (prompt ratio or value), alpha (the
    soft-maximum similarity is recomputed from the tokens) and iterations, and a video selector."""

    def __init__(self, videos: Sequence[VideoTokens], settings: AlignSettings | None = None, *,
                 views: Sequence[str] = PLAN_VIEWS, thumbnails: dict[str, np.ndarray] | None = None) -> None:
        unknown = sorted(set(views) - set(PLAN_VIEWS))
        if unknown or not views:
            raise ValueError(f"views must be a non-empty subset of {PLAN_VIEWS}, got {list(views)}")
        self.videos = stack_videos(list(videos))
        self.thumbnails = dict(thumbnails or {})
        settings = settings or AlignSettings()
        self.base_settings = settings  # what the sliders do not set (multiplicity, standardize, window, ...)
        slider = {"continuous_update": False, "style": {"description_width": "90px"}, "layout": {"width": "360px"}}
        self.video = W.Dropdown(options=list(self.videos), description="video", style=slider["style"])
        self.eps = W.FloatLogSlider(value=settings.eps, base=10, min=-3, max=1, step=0.05, description="eps",
                                    readout_format=".3f", **slider)
        self.bucket = W.ToggleButtons(options=BUCKET_MODES, value=settings.bucket, description="bucket p from",
                                      style={"button_width": "70px"})
        self.prompt_ratio = W.FloatSlider(value=settings.prompt_ratio, min=0.05, max=1.0, step=0.05,
                                          description="prompt ratio", **slider)
        self.bucket_value = W.FloatSlider(value=settings.bucket_value, min=-2.0, max=5.0, step=0.05,
                                          description="bucket value", **slider)
        self.alpha = W.FloatLogSlider(value=settings.alpha, base=10, min=-2, max=1, step=0.05, description="alpha",
                                      readout_format=".3f", **slider)
        self.n_iters = W.IntSlider(value=settings.n_iters, min=1, max=300, description="iterations", **slider)
        self.marginals = W.ToggleButtons(options=BUCKET_MARGINALS, value=settings.marginals, description="marginals",
                                         style={"button_width": "80px"})
        self.status = W.HTML()
        self.controls = [self.video, self.eps, self.bucket, self.prompt_ratio, self.bucket_value, self.alpha,
                         self.n_iters, self.marginals]
        self._similarity_cache: dict[tuple, np.ndarray] = {}
        self.alignment = self._solve()
        self.figures = {name: go.FigureWidget(self._figure(name)) for name in views}
        self._shown_video = self.video.value
        for control in self.controls:
            control.observe(self.refresh, names="value")
        self.last_update_s = 0.0
        self.widget = W.VBox([
            W.HBox([W.VBox([self.video, self.eps, self.alpha, self.n_iters]),
                    W.VBox([self.bucket, self.prompt_ratio, self.bucket_value, self.marginals])]),
            self.status, *self.figures.values()])
        self._show_status()

    # --- state ------------------------------------------------------------------------------------

    @property
    def tokens(self) -> VideoTokens:
        """The video on show."""
        return self.videos[self.video.value]

    def settings(self) -> AlignSettings:
        """The sliders' values as AlignSettings."""
        return self.base_settings.override(
            eps=self.eps.value, n_iters=self.n_iters.value, bucket=self.bucket.value,
            prompt_ratio=self.prompt_ratio.value, bucket_value=self.bucket_value.value,
            marginals=self.marginals.value, alpha=self.alpha.value)

    def similarity(self) -> np.ndarray:
        """(n, m) similarity of the video on show (settings.similarity) at the current alpha (cached)."""
        video_id, alpha = self.video.value, float(self.alpha.value)
        if (video_id, "mean") not in self._similarity_cache:
            self._similarity_cache[video_id, "mean"] = mean_similarity(self.tokens)
        kind = self.base_settings.similarity
        if kind == "mean":
            return self._similarity_cache[video_id, "mean"].numpy()
        key = (video_id, alpha)
        if key not in self._similarity_cache:
            if len(self._similarity_cache) > 64:
                self._similarity_cache = {k: v for k, v in self._similarity_cache.items() if k[1] == "mean"}
            fine = fine_similarity(self.tokens, alpha)
            self._similarity_cache[key] = fine.numpy() if kind == "fine" else fuse(
                self._similarity_cache[video_id, "mean"], fine, self.base_settings.fusion_weight).numpy()
        return self._similarity_cache[key]

    def _solve(self) -> Alignment:
        tokens = self.tokens
        return ot_alignment(self.similarity(), self.settings(), caption_times=tokens.caption_times,
                            clip_times=tokens.clip_times)

    # --- figures ----------------------------------------------------------------------------------

    def _title(self) -> str:
        a = self.alignment
        p = "no bucket" if a.bucket_value is None else f"p = {a.bucket_value:.3f}"
        return (f"{self.video.value}: {a.plan.shape[0]} captions x {a.plan.shape[1]} clips, "
                f"eps = {self.eps.value:.3g}, {p}")

    def _figure(self, name: str) -> go.Figure:
        """The pure figure of a view for the current state."""
        tokens, a = self.tokens, self.alignment
        if name == "plan":
            return transport_plan_figure(a.full_plan, a.has_bucket, a.similarity, title=self._title())
        truth = tokens.truth
        if name == "timeline":
            return alignment_timeline_figure(
                tokens.caption_times, a.times, a.caption_bucket_share,
                None if truth is None else np.stack([truth.start, truth.end], 1),
                None if truth is None else truth.alignable, tokens.captions, title=f"{tokens.video_id}: timeline")
        return bucket_filter_figure(
            tokens.captions, tokens.caption_times, a.caption_bucket_share, tokens.clip_times, a.clip_bucket_share,
            None if truth is None else truth.alignable, tokens.clip_truth, self.thumbnails.get(tokens.video_id),
            title=f"{tokens.video_id}: what fell into the bucket")

    def _update(self, name: str) -> None:
        """Push the current state into one FigureWidget (data only unless the video changed)."""
        fig, tokens, a = self.figures[name], self.tokens, self.alignment
        if name == "plan":
            with fig.batch_update():
                update_traces(fig, plan_view_data(a.full_plan, a.has_bucket, a.similarity))
                fig.layout.update(plan_view_layout(a.full_plan, a.has_bucket, self._title()))
            return
        truth = tokens.truth
        video_changed = self._shown_video != self.video.value
        with fig.batch_update():
            if name == "timeline":
                update_traces(fig, timeline_data(
                    tokens.caption_times, a.times, a.caption_bucket_share,
                    None if truth is None else np.stack([truth.start, truth.end], 1),
                    None if truth is None else truth.alignable))
                update_traces(fig, {"realigned": {"text": tokens.captions}})
                if video_changed:
                    fig.layout.update(timeline_layout(tokens.captions, f"{tokens.video_id}: timeline"))
            else:
                data = bucket_filter_data(
                    tokens.captions, tokens.caption_times, a.caption_bucket_share, tokens.clip_times,
                    a.clip_bucket_share, None if truth is None else truth.alignable, tokens.clip_truth)
                update_traces(fig, data)
                if video_changed:
                    fig.layout.update(bucket_filter_layout(
                        data["captions"]["text"], len(tokens.clip_times), self.thumbnails.get(tokens.video_id),
                        title=f"{tokens.video_id}: what fell into the bucket"))

    def refresh(self, change=None) -> None:
        """Recompute the plan for the current controls and update every view."""
        start = time.perf_counter()
        self.alignment = self._solve()
        for name in self.figures:
            self._update(name)
        self._shown_video = self.video.value
        self.last_update_s = time.perf_counter() - start
        self._show_status()

    def _show_status(self) -> None:
        a = self.alignment
        share = a.caption_bucket_share
        self.status.value = (f"{self._title()}; captions in the bucket: {int((share > 0.5).sum())}/{len(share)}; "
                             f"Sinkhorn row error {a.marginal_error:.2e}; update {1000 * self.last_update_s:.0f} ms")

    # --- output -----------------------------------------------------------------------------------

    def snapshot(self, path: str | Path) -> Path:
        """Write the views' current state as one self-contained HTML file."""
        return write_snapshot(path, {name: fig for name, fig in self.figures.items()}, "Norton plan viewer",
                              notes=f"{self._title()}; settings: {self.settings()}")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


class SoftMaxViewer:
    """Frame x word similarities of one caption-clip pair (Eq. 5) with an alpha slider and pair selectors."""

    def __init__(self, videos: Sequence[VideoTokens], *, caption: int = 0, clip: int | None = None,
                 alpha: float = 1.0) -> None:
        self.videos = stack_videos(list(videos))
        slider = {"continuous_update": False, "style": {"description_width": "70px"}, "layout": {"width": "360px"}}
        first = next(iter(self.videos.values()))
        n, m = first.shape
        if not 0 <= caption < n:
            raise ValueError(f"caption must be in [0, {n}), got {caption}")
        clip = self.best_clip(first, caption, alpha) if clip is None else clip
        if not 0 <= clip < m:
            raise ValueError(f"clip must be in [0, {m}), got {clip}")
        self.video = W.Dropdown(options=list(self.videos), description="video", style=slider["style"])
        self.caption = W.IntSlider(value=caption, min=0, max=n - 1, description="caption", **slider)
        self.clip = W.IntSlider(value=clip, min=0, max=m - 1, description="clip", **slider)
        self.alpha = W.FloatLogSlider(value=alpha, base=10, min=-2, max=1, step=0.05, description="alpha",
                                      readout_format=".3f", **slider)
        self.text = W.HTML()
        self.figure = go.FigureWidget(self._figure())
        self.video.observe(self._video_changed, names="value")
        for control in (self.caption, self.clip, self.alpha):
            control.observe(self.refresh, names="value")
        self.widget = W.VBox([W.HBox([W.VBox([self.video, self.caption]), W.VBox([self.clip, self.alpha])]),
                              self.text, self.figure])
        self._show_text()

    @staticmethod
    def best_clip(tokens: VideoTokens, caption: int, alpha: float) -> int:
        """The clip with the highest soft-maximum similarity to the caption."""
        return int(fine_similarity(tokens, alpha)[caption].argmax())

    @property
    def tokens(self) -> VideoTokens:
        return self.videos[self.video.value]

    def _labels(self) -> tuple[list[str], list[str]]:
        """Word labels (the caption's words when they match the valid tokens) and frame times."""
        tokens, i, j = self.tokens, self.caption.value, self.clip.value
        words = tokens.captions[i].split()
        count = int(tokens.text_mask[i].sum())
        words = words if len(words) == count else [f"token {k}" for k in range(count)]
        frames = int(tokens.clip_mask[j].sum())
        start, end = tokens.clip_times[j]
        return words, [f"{start + k * (end - start) / frames:.0f} s" for k in range(frames)]

    def _figure(self) -> go.Figure:
        detail = pair_detail(self.tokens, self.caption.value, self.clip.value, self.alpha.value)
        words, frames = self._labels()
        return soft_max_figure(detail.cosine, detail.frame_weights, detail.word_weights, detail.word_scores,
                               detail.frame_scores, detail.alpha, words, frames, title_prefix=self._prefix())

    def _prefix(self) -> str:
        return f"caption {self.caption.value} x clip {self.clip.value}, "

    def _video_changed(self, change=None) -> None:
        n, m = self.tokens.shape
        with self.caption.hold_trait_notifications(), self.clip.hold_trait_notifications():
            self.caption.max, self.clip.max = n - 1, m - 1
        self.refresh()

    def refresh(self, change=None) -> None:
        """Recompute the pair's detail and update the figure."""
        detail = pair_detail(self.tokens, self.caption.value, self.clip.value, self.alpha.value)
        words, frames = self._labels()
        with self.figure.batch_update():
            update_traces(self.figure, soft_max_data(detail.cosine, detail.frame_weights, detail.word_weights,
                                                     detail.word_scores, detail.frame_scores, words, frames))
            self.figure.layout.title.text = soft_max_title(detail.t2v, detail.v2t, detail.alpha, self._prefix())
        self._show_text()

    def _show_text(self) -> None:
        tokens, i, j = self.tokens, self.caption.value, self.clip.value
        start, end = tokens.clip_times[j]
        self.text.value = (f"<b>caption {i}</b> ({tokens.caption_times[i][0]:.1f}-{tokens.caption_times[i][1]:.1f} s):"
                           f" {html.escape(tokens.captions[i])} &nbsp; <b>clip {j}</b>: {start:.1f}-{end:.1f} s")

    def snapshot(self, path: str | Path) -> Path:
        """Write the current figure as a self-contained HTML file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        go.Figure(self.figure).write_html(path, include_plotlyjs=True)
        return path

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
