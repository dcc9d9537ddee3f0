"""Thin ipywidgets glue around the figures: the transport-plan viewer (with timeline and bucket views) and
the soft-maximum viewer. Each holds plotly FigureWidgets, updates them from sliders and can write a
snapshot of its current state (self-contained HTML, or PNG / PDF / SVG through widgets.static).

Every plotly FigureWidget carries plotly's 5 MB front-end bundle in its widget state, so a saved notebook with
four of them weighed 20 MB before any data. The figures made here share one copy per kernel (figure_widget):
the first carries the bundle (gzip-compressed: 2 MB) and publishes it on the page, the others load it from there.
"""
from __future__ import annotations

import functools
import html
import json
import time
from pathlib import Path
from typing import Callable, Sequence

import ipywidgets as W
import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io as pio

from norton.align import BUCKET_MODES, Alignment, AlignSettings, ot_alignment
from norton.explore import VideoTokens, fine_similarity, fuse, mean_similarity, pair_detail, stack_videos
from norton.ot import BUCKET_MARGINALS
from norton.widget_assets import INFLATE_JS, packed, plotly_loader

from .figures import (
    MAX_PLAN_CELLS,
    UNCONVERGED_TOLERANCE,
    WARNING_COLOUR,
    alignment_timeline_figure,
    bucket_filter_data,
    bucket_filter_figure,
    bucket_filter_layout,
    plan_view_data,
    plan_view_layout,
    soft_max_data,
    soft_max_figure,
    soft_max_layout,
    soft_max_note,
    soft_max_update,
    timeline_data,
    timeline_layout,
    timeline_span,
    transport_plan_figure,
    update_traces,
)

PLAN_VIEWS = ("plan", "timeline", "bucket")
SNAPSHOT_FORMATS = ("html", "png", "pdf", "svg")

# --- one plotly front-end bundle per kernel -----------------------------------------------------------

SHARE_PLOTLY_BUNDLE = True   # False: every FigureWidget carries its own copy of plotly's bundle (plotly's default)
COMPRESS_PLOTLY_BUNDLE = True   # the shared copy gzip-compressed (2.0 instead of 5.4 MB); read when the first is made
_BUNDLE_KEY = f"__nortonPlotlyFigureWidget_{plotly.__version__}"
_STUB_ESM = f"""// norton (widgets.viewers): plotly's FigureWidget front end, published on the page by the first figure
const key = {json.dumps(_BUNDLE_KEY)};
async function sharedFigureWidget() {{
  for (let waited = 0; !globalThis[key]; waited += 50) {{
    if (waited > 180000) {{
      throw new Error("norton: plotly's FigureWidget bundle was never loaded on this page (the first figure of "
                      + "widgets.viewers carries it); set widgets.viewers.SHARE_PLOTLY_BUNDLE = False");
    }}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }}
  return await globalThis[key];
}}
export default await sharedFigureWidget();
"""
_loader = None   # the FigureWidget of this kernel that carries the bundle


@functools.cache
def _widget_classes() -> tuple[type, type]:
    """(loader, stub) FigureWidget classes: the loader's module imports plotly's bundle and publishes its default
    export (the widget factory) under _BUNDLE_KEY; the stub's module waits for it and exports it.

    The loader carries the bundle gzip-compressed (base64; the browser inflates it with DecompressionStream): 2.0
    instead of 5.4 MB in the saved notebook's widget state and in its HTML report."""
    source = str(go.FigureWidget._esm)  # anywidget's FileContents of plotly's widgetbundle.js: its text
    loader_esm = f"""// norton (widgets.viewers): plotly's FigureWidget front end, shared with the figures made after it
const key = {json.dumps(_BUNDLE_KEY)};
{INFLATE_JS}
if (!globalThis[key]) {{
  globalThis[key] = (async () => {{
    const source = await nortonInflate("{packed(source)}");
    const url = URL.createObjectURL(new Blob([source], {{ type: "text/javascript" }}));
    try {{
      return (await import(url)).default;
    }} finally {{
      URL.revokeObjectURL(url);
    }}
  }})();
}}
export default await globalThis[key];
""" if COMPRESS_PLOTLY_BUNDLE else f"""// norton (widgets.viewers): plotly's FigureWidget front end, shared with the figures made after it
const key = {json.dumps(_BUNDLE_KEY)};
if (!globalThis[key]) {{
  const source = {json.dumps(source)};
  const url = URL.createObjectURL(new Blob([source], {{ type: "text/javascript" }}));
  globalThis[key] = import(url).then((module) => {{ URL.revokeObjectURL(url); return module.default; }});
}}
export default await globalThis[key];
"""

    class SharedBundleFigureWidget(go.FigureWidget):
        _esm = loader_esm

    class SharedFigureWidget(go.FigureWidget):
        _esm = _STUB_ESM

    return SharedBundleFigureWidget, SharedFigureWidget


def figure_widget(fig: go.Figure) -> go.FigureWidget:
    """A FigureWidget of `fig` that shares plotly's front-end bundle with the other figures of this kernel
    (SHARE_PLOTLY_BUNDLE; not in Colab, where every output is its own page)."""
    global _loader
    from anywidget._util import in_colab

    if not SHARE_PLOTLY_BUNDLE or in_colab():
        return go.FigureWidget(fig)
    loader, stub = _widget_classes()
    if _loader is None or _loader.comm is None:  # none yet, or it was closed: this one carries the bundle
        _loader = loader(fig)
        return _loader
    return stub(fig)


# --- snapshots ------------------------------------------------------------------------------------------


def snapshot_format(path: str | Path, format: str | None) -> str:
    """The snapshot format: `format`, else the path's suffix (html, png, pdf or svg)."""
    chosen = (format or Path(path).suffix.lstrip(".") or "html").lower()
    if chosen == "htm":
        chosen = "html"
    if chosen not in SNAPSHOT_FORMATS:
        raise ValueError(f"snapshot format must be one of {SNAPSHOT_FORMATS}, got {chosen!r}")
    return chosen


def write_snapshot(path: str | Path, figures: dict[str, go.Figure], title: str, notes: str = "") -> Path:
    """One self-contained HTML page with the figures (plotly.js embedded once, packed) and a note on the settings."""
    if not figures:
        raise ValueError("write_snapshot needs at least one figure")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [plotly_loader(), f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(notes)}</p>" if notes else ""]
    for name, fig in figures.items():
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(pio.to_html(go.Figure(fig), include_plotlyjs=False, full_html=False))
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + html.escape(title)
                    + "</title></head><body style='font-family: sans-serif'>" + "\n".join(parts) + "</body></html>",
                    encoding="utf-8")
    return path


def _set_layout(fig: go.Figure, layout: dict) -> None:
    """fig.layout.update(layout), except that lists of shapes, annotations and images replace the old ones
    (an update with an empty list would leave them)."""
    layout = dict(layout)
    lists = {key: layout.pop(key) for key in ("shapes", "annotations", "images") if key in layout}
    fig.layout.update(layout)
    for key, value in lists.items():
        setattr(fig.layout, key, value)


class PlanViewer:
    """One video's caption x clip transport plan with its marginals and bucket, the alignment timeline and the
    bucket filtering view, driven by sliders for eps, the bucket (prompt ratio or value), alpha (the
    soft-maximum similarity is recomputed from the tokens) and iterations, and a video selector.

    The slider that does not apply is disabled (bucket value unless "value", prompt ratio unless "ratio");
    an unconverged plan (row error above 1e-3) says so in the plan figure; the bucket view shows what the
    marginals force into the bucket. Plans larger than `max_cells` rows or columns are shown in blocks."""

    def __init__(self, videos: Sequence[VideoTokens], settings: AlignSettings | None = None, *,
                 views: Sequence[str] = PLAN_VIEWS, thumbnails: dict[str, np.ndarray] | None = None,
                 video: str | None = None, max_cells: int = MAX_PLAN_CELLS) -> None:
        unknown = sorted(set(views) - set(PLAN_VIEWS))
        if unknown or not views:
            raise ValueError(f"views must be a non-empty subset of {PLAN_VIEWS}, got {list(views)}")
        self.videos = stack_videos(list(videos))
        if video is not None and video not in self.videos:
            raise ValueError(f"video {video!r} is not among {sorted(self.videos)}")
        self.thumbnails = dict(thumbnails or {})
        self.max_cells = max_cells
        settings = settings or AlignSettings()
        self.base_settings = settings  # what the sliders do not set (multiplicity, standardize, window, ...)
        slider = {"continuous_update": False, "style": {"description_width": "90px"}, "layout": {"width": "360px"}}
        self.video = W.Dropdown(options=list(self.videos), value=video or next(iter(self.videos)), description="video",
                                style=slider["style"])
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
        self._sync_controls()
        self._similarity_cache: dict[tuple, np.ndarray] = {}
        self.alignment = self._solve()
        self.figures = {name: figure_widget(self._figure(name)) for name in views}
        self._shown = self._shown_state()
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

    def _sync_controls(self) -> None:
        """Disable the controls that do not apply to the bucket mode."""
        mode = self.bucket.value
        self.bucket_value.disabled = mode != "value"
        self.prompt_ratio.disabled = mode != "ratio"
        self.marginals.disabled = mode == "off"

    def _shown_state(self) -> tuple:
        """What the layouts depend on beyond the data: the video, the bucket mode and the marginals."""
        return self.video.value, self.alignment.has_bucket, self.marginals.value

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

    def _marginals(self) -> str | None:
        return self.marginals.value if self.alignment.has_bucket else None

    def _truth(self):
        truth = self.tokens.truth
        return (None, None) if truth is None else (np.stack([truth.start, truth.end], 1), truth.alignable)

    def _figure(self, name: str) -> go.Figure:
        """The pure figure of a view for the current state."""
        tokens, a = self.tokens, self.alignment
        if name == "plan":
            return transport_plan_figure(a.full_plan, a.has_bucket, a.similarity, title=self._title(),
                                         marginal_error=a.marginal_error, max_cells=self.max_cells)
        truth_times, alignable = self._truth()
        if name == "timeline":
            return alignment_timeline_figure(tokens.caption_times, a.times, a.caption_bucket_share, truth_times,
                                             alignable, tokens.captions, title=f"{tokens.video_id}: timeline")
        return bucket_filter_figure(
            tokens.captions, tokens.caption_times, a.caption_bucket_share, tokens.clip_times, a.clip_bucket_share,
            alignable, tokens.clip_truth, self.thumbnails.get(tokens.video_id),
            title=f"{tokens.video_id}: what fell into the bucket", marginals=self._marginals())

    def _update(self, name: str) -> None:
        """Push the current state into one FigureWidget (data, and the layout where it depends on the state)."""
        fig, tokens, a = self.figures[name], self.tokens, self.alignment
        if name == "plan":
            with fig.batch_update():
                update_traces(fig, plan_view_data(a.full_plan, a.has_bucket, a.similarity, self.max_cells))
                _set_layout(fig, plan_view_layout(a.full_plan, a.has_bucket, self._title(), a.marginal_error,
                                                  self.max_cells))
            return
        truth_times, alignable = self._truth()
        video_changed = self._shown[0] != self.video.value
        with fig.batch_update():
            if name == "timeline":
                data = timeline_data(tokens.caption_times, a.times, a.caption_bucket_share, truth_times, alignable)
                update_traces(fig, data)
                update_traces(fig, {"realigned": {"text": tokens.captions}})
                if video_changed:
                    fig.layout.update(timeline_layout(tokens.captions, f"{tokens.video_id}: timeline",
                                                      timeline_span(data)))
            else:
                data = bucket_filter_data(tokens.captions, tokens.caption_times, a.caption_bucket_share,
                                          tokens.clip_times, a.clip_bucket_share, alignable, tokens.clip_truth)
                update_traces(fig, data)
                if self._shown != self._shown_state():
                    layout = bucket_filter_layout(
                        data["captions"]["text"], len(tokens.clip_times), self.thumbnails.get(tokens.video_id),
                        title=f"{tokens.video_id}: what fell into the bucket", marginals=self._marginals(),
                        clip_times=tokens.clip_times)
                    hover = layout.pop("_thumbnail_hover")
                    layout.pop("_clip_fraction")
                    if not video_changed:  # the thumbnails stay: do not send their images again
                        layout.pop("images")
                    else:
                        update_traces(fig, {"thumbnails": hover})
                    _set_layout(fig, layout)

    def refresh(self, change=None) -> None:
        """Recompute the plan for the current controls and update every view."""
        start = time.perf_counter()
        self._sync_controls()
        self.alignment = self._solve()
        for name in self.figures:
            self._update(name)
        self._shown = self._shown_state()
        self.last_update_s = time.perf_counter() - start
        self._show_status()

    def _show_status(self) -> None:
        a = self.alignment
        share = a.caption_bucket_share
        error = f"Sinkhorn row error {a.marginal_error:.2e}"
        if a.marginal_error > UNCONVERGED_TOLERANCE:
            error = f"<b style='color:{WARNING_COLOUR}'>unconverged: {error}</b>"
        self.status.value = (f"{html.escape(self._title())}; captions in the bucket: {int((share > 0.5).sum())}/"
                             f"{len(share)}; {error}; update {1000 * self.last_update_s:.0f} ms")

    # --- output -----------------------------------------------------------------------------------

    def snapshot(self, path: str | Path, format: str | None = None) -> Path:
        """Write the views' current state: one self-contained HTML file (default), or a PNG, PDF or SVG drawn
        with matplotlib (widgets.static); `format` defaults to the path's suffix."""
        chosen = snapshot_format(path, format)
        if chosen == "html":
            return write_snapshot(path, {name: fig for name, fig in self.figures.items()}, "Norton plan viewer",
                                  notes=f"{self._title()}; settings: {self.settings()}")
        from .static import save_figures

        return save_figures({name: go.Figure(fig) for name, fig in self.figures.items()}, path, chosen,
                            title=self._title())

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


WordLabels = dict[str, Sequence[Sequence[str]]] | Callable[[str], Sequence[str]]


class SoftMaxViewer:
    """Frame x word similarities of one caption-clip pair (Eq. 5) with an alpha slider and pair selectors.

    It opens on `video` (default the first), `caption` (default the one with the most tokens) and `clip`
    (default the caption's best clip). `word_labels` names the tokens: {video_id: one list of labels per
    caption} or a callable caption text -> labels (e.g. SentenceEmbedder.token_strings for MiniLM tokens);
    without it the caption's words are used when their count matches the tokens, else "token k".
    """

    def __init__(self, videos: Sequence[VideoTokens], *, video: str | None = None, caption: int | None = None,
                 clip: int | None = None, alpha: float = 1.0, word_labels: WordLabels | None = None) -> None:
        self.videos = stack_videos(list(videos))
        if video is not None and video not in self.videos:
            raise ValueError(f"video {video!r} is not among {sorted(self.videos)}")
        self.word_labels = word_labels
        if isinstance(word_labels, dict):
            for video_id, labels in word_labels.items():
                if video_id in self.videos:
                    counts = self.videos[video_id].text_mask.sum(1).tolist()
                    if len(labels) != len(counts):
                        raise ValueError(f"word_labels[{video_id!r}] has {len(labels)} captions, expected {len(counts)}")
        slider = {"continuous_update": False, "style": {"description_width": "70px"}, "layout": {"width": "360px"}}
        first = self.videos[video] if video is not None else next(iter(self.videos.values()))
        n, m = first.shape
        caption = self.longest_caption(first) if caption is None else caption
        if not 0 <= caption < n:
            raise ValueError(f"caption must be in [0, {n}), got {caption}")
        clip = self.best_clip(first, caption, alpha) if clip is None else clip
        if not 0 <= clip < m:
            raise ValueError(f"clip must be in [0, {m}), got {clip}")
        self.video = W.Dropdown(options=list(self.videos), value=first.video_id, description="video",
                                style=slider["style"])
        self.caption = W.IntSlider(value=caption, min=0, max=n - 1, description="caption", **slider)
        self.clip = W.IntSlider(value=clip, min=0, max=m - 1, description="clip", **slider)
        self.alpha = W.FloatLogSlider(value=alpha, base=10, min=-2, max=1, step=0.05, description="alpha",
                                      readout_format=".3f", **slider)
        self.text = W.HTML()
        self.note = W.HTML()
        self.figure = figure_widget(self._figure())
        self.video.observe(self._video_changed, names="value")
        for control in (self.caption, self.clip, self.alpha):
            control.observe(self.refresh, names="value")
        self.widget = W.VBox([W.HBox([W.VBox([self.video, self.caption]), W.VBox([self.clip, self.alpha])]),
                              self.text, self.figure, self.note])
        self._show_text(self._detail())

    @staticmethod
    def best_clip(tokens: VideoTokens, caption: int, alpha: float) -> int:
        """The clip with the highest soft-maximum similarity to the caption."""
        return int(fine_similarity(tokens, alpha)[caption].argmax())

    @staticmethod
    def longest_caption(tokens: VideoTokens) -> int:
        """The caption with the most (valid) tokens, the first of those."""
        return int(tokens.text_mask.sum(1).argmax())

    @property
    def tokens(self) -> VideoTokens:
        return self.videos[self.video.value]

    def _words(self) -> list[str]:
        """Labels of the caption's valid tokens (word_labels, else its words when they match, else 'token k')."""
        tokens, i = self.tokens, self.caption.value
        count = int(tokens.text_mask[i].sum())
        given = None
        if callable(self.word_labels):
            given = list(self.word_labels(tokens.captions[i]))
        elif isinstance(self.word_labels, dict) and tokens.video_id in self.word_labels:
            given = list(self.word_labels[tokens.video_id][i])
        if given is not None:
            if len(given) != count:
                raise ValueError(f"word_labels give {len(given)} labels for caption {i} of {tokens.video_id!r}, "
                                 f"which has {count} tokens")
            return [str(label) for label in given]
        words = tokens.captions[i].split()
        return words if len(words) == count else [f"token {k}" for k in range(count)]

    def _labels(self) -> tuple[list[str], list[str]]:
        """Word labels and frame times of the pair on show."""
        tokens, j = self.tokens, self.clip.value
        frames = int(tokens.clip_mask[j].sum())
        start, end = tokens.clip_times[j]
        return self._words(), [f"{start + k * (end - start) / frames:.1f} s" for k in range(frames)]

    def _detail(self):
        return pair_detail(self.tokens, self.caption.value, self.clip.value, self.alpha.value)

    def _figure(self) -> go.Figure:
        detail = self._detail()
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
        """Recompute the pair's detail and update the figure (data, axis labels, title and note)."""
        detail = self._detail()
        words, frames = self._labels()
        with self.figure.batch_update():
            soft_max_update(self.figure, soft_max_data(detail.cosine, detail.frame_weights, detail.word_weights,
                                                       detail.word_scores, detail.frame_scores, words, frames),
                            soft_max_layout(words, frames, detail.t2v, detail.v2t, detail.alpha,
                                            float(detail.cosine.max()), self._prefix()))
        self._show_text(detail)

    def _show_text(self, detail) -> None:
        tokens, i, j = self.tokens, self.caption.value, self.clip.value
        start, end = tokens.clip_times[j]
        self.text.value = (f"<b>caption {i}</b> ({tokens.caption_times[i][0]:.1f}-{tokens.caption_times[i][1]:.1f} s):"
                           f" {html.escape(tokens.captions[i])} &nbsp; <b>clip {j}</b>: {start:.1f}-{end:.1f} s")
        w, f = detail.cosine.shape
        self.note.value = ("<small>" + html.escape(soft_max_note(float(detail.cosine.max()), w, f, detail.alpha,
                                                                 detail.similarity)) + "</small>")

    def snapshot(self, path: str | Path, format: str | None = None) -> Path:
        """Write the current figure: self-contained HTML (default), or PNG / PDF / SVG drawn with matplotlib
        (widgets.static); `format` defaults to the path's suffix."""
        chosen = snapshot_format(path, format)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if chosen != "html":
            from .static import save_figure

            return save_figure(go.Figure(self.figure), path, chosen)
        return write_snapshot(path, {"soft maximum": self.figure}, "Norton soft-maximum viewer")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


__all__ = ["PLAN_VIEWS", "SNAPSHOT_FORMATS", "PlanViewer", "SoftMaxViewer", "figure_widget", "write_snapshot"]
