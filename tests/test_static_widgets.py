"""HTML reports draw saved widgets from their state (norton.static_widgets): figures, control values, boxes."""
import copy
import json
import re

import nbformat
import numpy as np
import pytest

from norton.static_widgets import NOTE, WIDGET_STATE, WIDGET_VIEW, freeze_widgets, saved_models
from norton.widget_assets import place_plotly_loader, plotly_loader, unpacked


@pytest.fixture(scope="module")
def saved():
    """A viewer-like widget tree, saved as JupyterLab saves it: (manager state, view spec, the widgets)."""
    import ipywidgets as W
    import plotly.graph_objects as go
    from ipywidgets.embed import embed_data

    bars = np.array([0.5, 1.5, 2.5])
    figure = go.FigureWidget(go.Bar(y=bars, name="bucket share"), layout={"title": "plan of video 7"})
    controls = W.HBox([W.FloatSlider(value=1.5, min=0, max=2, description="eps"),
                       W.IntSlider(value=3, description="iterations", disabled=True),
                       W.Dropdown(options=["video 1", "video 7"], value="video 7", description="video"),
                       W.FloatLogSlider(value=0.001, base=10, min=-4, max=0, readout_format=".1e",
                                        description="alpha")])
    hidden = W.HTML("NOT SHOWN", layout=W.Layout(display="none"))
    status = W.HTML("<b>row error 1e-9</b>")
    box = W.VBox([controls, hidden, figure, status, W.ColorPicker(description="colour")])
    data = embed_data(views=[box])
    return json.loads(json.dumps(data["manager_state"])), data["view_specs"][0], bars


def notebook_with(saved, outputs_before=(), outputs_after=()):
    state, view, _ = saved
    widget = nbformat.v4.new_output("display_data", data={WIDGET_VIEW: view, "text/plain": "VBox(...)"})
    cells = [nbformat.v4.new_code_cell(outputs=list(outputs_before)), nbformat.v4.new_code_cell(outputs=[widget]),
             nbformat.v4.new_code_cell(outputs=list(outputs_after))]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["widgets"] = {WIDGET_STATE: json.loads(json.dumps(state))}
    return notebook


def figure_id(notebook) -> str:
    saved = notebook.metadata["widgets"][WIDGET_STATE]["state"]
    return next(model_id for model_id, model in saved.items() if "_widget_data" in model["state"])


def frozen_html(notebook) -> str:
    return "".join(notebook.cells[1].outputs[0]["data"]["text/html"])


def output_page(notebook) -> str:
    return "".join(notebook.cells[0].outputs[0]["data"]["text/html"])


def test_saved_buffers_come_back_as_the_arrays_the_figure_held(saved):
    state, _, bars = saved
    notebook = notebook_with(saved)
    (figure,) = [m for m in saved_models(notebook).values() if "_widget_data" in m["state"]]
    assert any(model.get("buffers") for model in state["state"].values())   # the array was saved as a buffer
    np.testing.assert_array_equal(figure["state"]["_widget_data"][0]["y"], bars)
    saved_y = notebook.metadata["widgets"][WIDGET_STATE]["state"][figure_id(notebook)]["state"]["_widget_data"][0]["y"]
    assert saved_y == {"dtype": "float64", "shape": [3]}   # the notebook itself is left as it was


def test_widget_views_become_their_saved_figures_and_values(saved):
    notebook = notebook_with(saved)
    assert freeze_widgets(notebook) == 1
    assert "widgets" not in notebook.metadata   # no widget state and so no widget renderer in the page
    page = frozen_html(notebook)
    assert WIDGET_VIEW not in notebook.cells[1].outputs[0]["data"] and NOTE in page
    assert re.search(r"eps</span> <b>1\.50</b>", page)                 # the slider's readout format (.2f)
    assert re.search(r"iterations</span> <b>3</b> \(off\)", page)       # a disabled control says so
    assert re.search(r"video</span> <b>video 7</b>", page)             # a selection shows its label
    assert re.search(r"alpha</span> <b>1\.0e-03</b>", page)            # a log slider its value
    assert "<b>row error 1e-9</b>" in page and "NOT SHOWN" not in page  # HTML as is; hidden widgets left out
    assert "ColorPickerModel: interactive in JupyterLab only" in page
    assert page.count("Plotly.newPlot(") == 1 and "plan of video 7" in page and "bucket share" in page
    assert place_plotly_loader(notebook) == 1   # no plotly.js on the page before the figure: it goes in, once
    assert unpacked(frozen_html(notebook)) == unpacked(plotly_loader())


def test_plotly_loader_moves_up_from_a_later_output_and_is_not_doubled(saved):
    import plotly.graph_objects as go
    import plotly.io as pio

    loader = nbformat.v4.new_output("display_data", data={"text/html": plotly_loader()})
    later_figure = nbformat.v4.new_output("display_data", data={
        "text/html": pio.to_html(go.Figure(go.Bar(y=[1])), include_plotlyjs=False, full_html=False)})
    moved = notebook_with(saved, outputs_after=[loader, later_figure])
    freeze_widgets(moved)
    assert place_plotly_loader(moved) == 1
    assert moved.cells[2].outputs == [later_figure]           # the renderer's loader left the later cell ...
    page = frozen_html(moved)                                 # ... for the first figure, which needs it first
    assert page.index(plotly_loader()) < page.index("Plotly.newPlot(") and page.count(plotly_loader()) == 1
    kept = notebook_with(saved, outputs_before=[loader])
    freeze_widgets(kept)
    assert place_plotly_loader(kept) == 0
    assert kept.cells[0].outputs == [loader] and "nortonInflate" not in frozen_html(kept)
    # a plain figure whose loader went with a cleared output (02's live curve) still gets plotly.js
    orphan = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[copy.deepcopy(later_figure)])])
    assert place_plotly_loader(orphan) == 1 and output_page(orphan).index(plotly_loader()) == 0


def test_export_html_rejects_an_unknown_widget_mode(tmp_path):
    from norton.notebooks import export_html

    with pytest.raises(ValueError, match="widgets must be one of"):
        export_html(tmp_path / "missing.ipynb", widgets="live")


def test_state_of_widgets_no_output_shows_is_dropped(saved):
    from norton.static_widgets import prune_widget_state

    state, view, _ = saved
    shown = notebook_with(saved)
    closed = {"model_name": "AnyModel", "state": {"_anywidget_id": "plotly.FigureWidget", "_esm": "x" * 1000}}
    shown.metadata["widgets"][WIDGET_STATE]["state"]["closedcurve"] = closed
    assert prune_widget_state(shown) == 1   # the closed curve; the shown box keeps its whole tree
    assert set(shown.metadata["widgets"][WIDGET_STATE]["state"]) == set(state["state"])
    nothing_shown = notebook_with(saved)
    nothing_shown.cells[1].outputs = []
    assert prune_widget_state(nothing_shown) == len(state["state"]) and "widgets" not in nothing_shown.metadata


def test_a_shown_shared_bundle_stub_keeps_the_loader(monkeypatch):
    import ipywidgets as W
    import plotly.graph_objects as go
    from ipywidgets.embed import embed_data

    from norton.static_widgets import prune_widget_state
    from widgets import viewers
    from widgets.viewers import figure_widget

    monkeypatch.setattr(viewers, "_loader", None)   # the next figure carries the bundle
    loader = figure_widget(go.Figure(go.Bar(y=[1, 2])))   # carries plotly's bundle, shown nowhere (closed curve)
    stub = figure_widget(go.Figure(go.Bar(y=[3, 4])))
    box = W.VBox([stub])
    state = embed_data(views=[loader, box], drop_defaults=False)["manager_state"]   # all keys, as Lab saves
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={WIDGET_VIEW: {"model_id": box.model_id, "version_major": 2, "version_minor": 0}})])])
    notebook.metadata["widgets"] = {WIDGET_STATE: json.loads(json.dumps(state))}
    kept_before = set(state["state"])
    prune_widget_state(notebook)
    kept = set(notebook.metadata["widgets"][WIDGET_STATE]["state"])
    assert {loader.model_id, stub.model_id, box.model_id} <= kept <= kept_before
    stub_only = nbformat.v4.new_notebook(cells=notebook.cells)
    stub_only.metadata["widgets"] = {WIDGET_STATE: json.loads(json.dumps(state))}
    stub_only.metadata["widgets"][WIDGET_STATE]["state"][stub.model_id]["state"]["_anywidget_id"] = "plotly.FigureWidget"
    prune_widget_state(stub_only)   # a figure that does not need the shared bundle leaves the loader out
    assert loader.model_id not in stub_only.metadata["widgets"][WIDGET_STATE]["state"]
    loader.close(), stub.close(), box.close()
