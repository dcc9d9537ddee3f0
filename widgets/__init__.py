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

# interactive in JupyterLab (plotly's mime type), and in the HTML report: plotly.js embedded once, gzip-compressed
NOTEBOOK_RENDERER = "plotly_mimetype+norton_notebook"

__all__ = [
    "ablation_figure", "alignment_timeline_figure", "bucket_bars", "bucket_filter_figure", "forced_bucket_share",
    "metric_steps_figure", "plan_figure", "scatter_figure", "similarity_figure", "soft_max_figure",
    "sweep_summary_figure", "transport_plan_figure",
    "PlanViewer", "SoftMaxViewer", "matplotlib_figure", "save_figure", "save_figures", "use_notebook_renderer",
    "NOTEBOOK_RENDERER",
]


def _register_compressed_renderer() -> None:
    """plotly's "notebook" renderer, except that its one copy of plotly.js (4.8 MB) goes into the page
    gzip-compressed and base64-encoded (1.9 MB, norton.widget_assets.plotly_loader): registered as "norton_notebook"."""
    import plotly.io as pio
    from plotly.io._base_renderers import NotebookRenderer

    from norton.widget_assets import plotly_loader

    if "norton_notebook" in pio.renderers:
        return

    class CompressedNotebookRenderer(NotebookRenderer):
        def activate(self) -> None:
            from IPython.display import display_html

            display_html(plotly_loader(), raw=True)

    pio.renderers["norton_notebook"] = CompressedNotebookRenderer(config={})


def use_notebook_renderer(renderer: str = NOTEBOOK_RENDERER) -> None:
    """Make `renderer` plotly's default (the notebooks' first cell calls this), without plotly's 3 s detour.

    The default shows figures through plotly's JupyterLab extension (its mime type) and, for the HTML report, as
    HTML that needs plotly.js on the page: "norton_notebook" is plotly's "notebook" renderer with plotly.js
    embedded gzip-compressed (1.9 instead of 4.8 MB; the browser inflates it with DecompressionStream).

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
    if "norton_notebook" in renderer.split("+"):
        _register_compressed_renderer()
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
