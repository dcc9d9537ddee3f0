"""Views over norton's results: pure data -> plotly figure functions, and ipywidgets around them."""
from .figures import bucket_bars, plan_figure, similarity_figure

__all__ = ["bucket_bars", "plan_figure", "similarity_figure"]
