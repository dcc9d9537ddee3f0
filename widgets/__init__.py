"""Views over norton's results: pure data -> plotly figure functions, and ipywidgets around them."""
from __future__ import annotations

import sys

from .figures import (
    ablation_figure,
    alignment_timeline_figure,
    bucket_bars,
    bucket_filter_figure,
    forced_bucket_share,
    metric_steps_figure,
    plan_figure,
    scatter_figure,
    similarity_figure,
    soft_max_figure,
    sweep_summary_figure,
    transport_plan_figure,
)

NOTEBOOK_RENDERER = "plotly_mimetype+notebook"   # interactive in JupyterLab, embedded once in the HTML report

__all__ = [
    "ablation_figure", "alignment_timeline_figure", "bucket_bars", "bucket_filter_figure", "forced_bucket_share",
    "metric_steps_figure", "plan_figure", "scatter_figure", "similarity_figure", "soft_max_figure",
    "sweep_summary_figure", "transport_plan_figure",
    "PlanViewer", "SoftMaxViewer", "matplotlib_figure", "save_figure", "save_figures", "use_notebook_renderer",
    "NOTEBOOK_RENDERER",
]


def use_notebook_renderer(renderer: str = NOTEBOOK_RENDERER) -> None:
    """Make `renderer` plotly's default (the notebooks' first cell calls this), without plotly's 3 s detour.

    Plotly's renderers import nbformat, whose validator imports jsonschema, which imports rfc3987_syntax when it is
    installed (jupyter-events, a JupyterLab dependency, asks for it); rfc3987_syntax builds a lark Earley parser of
    RFC 3987 at import, 3 s on a laptop core. Here jsonschema is imported without it (jsonschema skips its optional
    "iri" format check when rfc3987_syntax cannot be imported; nbformat's schemas use no such format), and
    rfc3987_syntax stays importable afterwards. Nothing is changed when jsonschema is already loaded.
    """
    import plotly.io as pio

    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None   # `import rfc3987_syntax` raises ImportError while this is set
        try:
            import jsonschema  # noqa: F401
        finally:
            if sys.modules.get("rfc3987_syntax", 0) is None:
                del sys.modules["rfc3987_syntax"]
    pio.renderers.default = renderer


def __getattr__(name: str):
    """The viewers load lazily: they pull in ipywidgets and plotly's FigureWidget (seconds to import)."""
    if name in ("PlanViewer", "SoftMaxViewer"):
        from . import viewers

        return getattr(viewers, name)
    if name in ("matplotlib_figure", "save_figure", "save_figures"):  # matplotlib re-drawings (widgets.static)
        from . import static

        return getattr(static, name)
    raise AttributeError(f"module 'widgets' has no attribute {name!r}")
