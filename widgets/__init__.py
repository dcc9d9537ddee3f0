"""Views over norton's results: pure data -> plotly figure functions, and ipywidgets around them."""
from .figures import (
    alignment_timeline_figure,
    bucket_bars,
    bucket_filter_figure,
    forced_bucket_share,
    metric_steps_figure,
    plan_figure,
    scatter_figure,
    similarity_figure,
    soft_max_figure,
    transport_plan_figure,
)

__all__ = [
    "alignment_timeline_figure", "bucket_bars", "bucket_filter_figure", "forced_bucket_share", "metric_steps_figure",
    "plan_figure", "scatter_figure", "similarity_figure", "soft_max_figure", "transport_plan_figure",
    "PlanViewer", "SoftMaxViewer", "save_figure", "save_figures",
]


def __getattr__(name: str):
    """The viewers load lazily: they pull in ipywidgets and plotly's FigureWidget (seconds to import)."""
    if name in ("PlanViewer", "SoftMaxViewer"):
        from . import viewers

        return getattr(viewers, name)
    if name in ("save_figure", "save_figures"):  # matplotlib re-drawings for papers (widgets.static)
        from . import static

        return getattr(static, name)
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")
