"""Saved ipywidgets as static HTML, for reports: an HTML report has no kernel behind its sliders, so each widget
view is drawn from the notebook's saved widget state as what it showed when saved: plotly FigureWidgets as plain
plotly figures, controls as their values, boxes as boxes. No widget renderer, anywidget module or FigureWidget
bundle goes into the page (5 MB of scripts in 03's report)."""
from __future__ import annotations

import base64
import copy
import html
import warnings
from typing import Any

import numpy as np

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BOXES = {"VBoxModel": "column", "HBoxModel": "row", "BoxModel": "row", "GridBoxModel": "row"}
NOTE = ("saved state of an interactive view: its controls need a running kernel "
        "(open the notebook in JupyterLab to use them)")
READOUT_FORMATS = {"FloatSliderModel": ".2f", "FloatRangeSliderModel": ".2f", "FloatLogSliderModel": ".3g"}   # defaults
MAX_DEPTH = 32   # a widget tree deeper than this is a cycle
# widgets.viewers' figures: the stubs load plotly's front end from the page, where the first loader puts it
SHARED_STUB, SHARED_LOADER = "widgets.viewers.SharedFigureWidget", "widgets.viewers.SharedBundleFigureWidget"


def saved_models(notebook) -> dict[str, dict]:
    """model id -> {"model_name", "state"} of the nbformat notebook's saved widget state, binary buffers put back
    as numpy arrays where they came from (plotly's arrays are {"dtype", "shape"} with a base64 buffer); the
    notebook is left as it was."""
    saved = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    models = {}
    for model_id, model in saved.items():
        state = copy.deepcopy(model.get("state", {}))
        for buffer in model.get("buffers", []):
            path, data = buffer.get("path", []), base64.b64decode(buffer.get("data", ""))
            try:
                holder = state
                for key in path[:-2]:
                    holder = holder[key]
                spec = holder[path[-2]]
                holder[path[-2]] = np.frombuffer(data, dtype=spec["dtype"]).reshape(spec["shape"])
            except (KeyError, IndexError, TypeError, ValueError) as error:
                warnings.warn(f"widget {model_id}: buffer at {path} not restored ({error!r})", stacklevel=2)
        models[model_id] = {"model_name": model.get("model_name", ""), "state": state}
    return models


def child_id(reference: Any) -> str | None:
    """The model id in "IPY_MODEL_<id>" (how widget states refer to other widgets), else None."""
    return reference[len("IPY_MODEL_"):] if isinstance(reference, str) and reference.startswith("IPY_MODEL_") else None


def hidden(state: dict, models: dict[str, dict]) -> bool:
    """Whether the widget's layout hides it (display: none or visibility: hidden)."""
    layout = models.get(child_id(state.get("layout")) or "", {}).get("state", {})
    return layout.get("display") == "none" or layout.get("visibility") == "hidden"


def control_value(state: dict, model_name: str = "") -> str:
    """A control's value as its readout shows it: the chosen label, or the value in its readout format (the
    model's default where the state leaves it out)."""
    if "_options_labels" in state:
        labels, index = state["_options_labels"], state.get("index")
        indices = index if isinstance(index, (list, tuple)) else [index]
        return ", ".join(labels[i] for i in indices if isinstance(i, int) and 0 <= i < len(labels)) or "(none)"
    value, fmt = state.get("value"), state.get("readout_format", READOUT_FORMATS.get(model_name, ""))
    values = value if isinstance(value, (list, tuple)) else [value]
    try:
        shown = [format(v, fmt.removeprefix("~")) if fmt and not isinstance(v, (bool, str)) else str(v) for v in values]
    except (TypeError, ValueError):
        shown = [str(v) for v in values]
    return " - ".join(shown)


def figure_html(state: dict) -> str:
    """A plotly FigureWidget's saved figure as a plain plotly figure (plotly.js must be on the page)."""
    import plotly.io as pio

    figure = {"data": state.get("_widget_data", []), "layout": state.get("_widget_layout", {})}
    return pio.to_html(figure, include_plotlyjs=False, full_html=False, validate=False, config=state.get("_config"))


def output_html(output: dict, models: dict[str, dict], depth: int) -> str:
    """One output of an Output widget, in the richest form we can draw statically."""
    data = output.get("data", {})
    if WIDGET_VIEW in data:
        return widget_html(data[WIDGET_VIEW].get("model_id", ""), models, depth + 1)
    if "text/html" in data:
        return "".join(data["text/html"])
    if "image/png" in data:
        return f'<img src="data:image/png;base64,{"".join(data["image/png"]).strip()}" style="max-width: 100%">'
    text = output.get("text", data.get("text/plain", ""))
    return f"<pre>{html.escape(''.join(text))}</pre>" if text else ""


def widget_html(model_id: str, models: dict[str, dict], depth: int = 0) -> str:
    """The saved widget `model_id` (and its children) as static HTML."""
    model = models.get(model_id)
    if model is None or depth > MAX_DEPTH:
        return f"<div><i>(widget {html.escape(model_id)} was not saved with the notebook)</i></div>"
    name, state = model["model_name"], model["state"]
    if hidden(state, models):
        return ""
    if name in BOXES or name in ("TabModel", "AccordionModel", "StackModel"):
        titles = state.get("titles") or []
        parts = []
        for i, reference in enumerate(state.get("children", [])):
            title = titles[i] if i < len(titles) and titles[i] else ""
            parts.append((f"<b>{html.escape(title)}</b>" if title else "")
                         + widget_html(child_id(reference) or "", models, depth + 1))
        direction = BOXES.get(name, "column")
        return (f'<div style="display: flex; flex-direction: {direction}; flex-wrap: wrap; gap: 4px 12px; '
                f'max-width: 100%">{"".join(parts)}</div>')
    if "_widget_data" in state:   # plotly's FigureWidget (an anywidget)
        return f'<div style="max-width: 100%">{figure_html(state)}</div>'
    if name == "OutputModel":
        return "".join(output_html(output, models, depth) for output in state.get("outputs", []))
    description = html.escape(state.get("description", ""))
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{description + ' ' if description else ''}{state.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<div>{html.escape(str(state.get('value', '')))}</div>"
    if name == "ButtonModel":
        return f"<button disabled>{description or html.escape(state.get('icon', ''))}</button>"
    if "value" in state or "_options_labels" in state:
        off = " (off)" if state.get("disabled") else ""
        colour = "#888" if state.get("disabled") else "inherit"
        return (f'<div style="color: {colour}"><span style="display: inline-block; min-width: 8em">{description}'
                f'</span> <b>{html.escape(control_value(state, name))}</b>{off}</div>')
    return f"<div><i>(a {html.escape(name or 'widget')}: interactive in JupyterLab only)</i></div>"


def freeze_widgets(notebook) -> int:
    """Replace every widget view among the nbformat notebook's outputs by static HTML of its saved state and drop
    the widget state (plotly.js for the figures: widget_assets.place_plotly_loader). Returns the number replaced."""
    models = saved_models(notebook)
    frozen = 0
    for output in (output for cell in notebook.cells for output in cell.get("outputs", [])):
        data = output.get("data", {})
        if WIDGET_VIEW not in data:
            continue
        body = widget_html(data[WIDGET_VIEW].get("model_id", ""), models)
        output["data"] = {"text/html": (f'<div class="norton-static-widget">{body}<div style="font-size: 11px; '
                                        f'color: #555">{NOTE}</div></div>'),
                          **{key: value for key, value in data.items() if key == "text/plain"}}
        frozen += 1
    notebook.metadata.pop("widgets", None)
    return frozen


def referenced_ids(value: Any) -> set[str]:
    """The model ids a widget state (or an output, or any JSON value) refers to: "IPY_MODEL_<id>" strings and
    the model ids of widget views in Output widgets' outputs."""
    if isinstance(value, dict):
        found = {value[WIDGET_VIEW]["model_id"]} if isinstance(value.get(WIDGET_VIEW), dict) else set()
        return found.union(*(referenced_ids(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(referenced_ids(v) for v in value))
    found = child_id(value)
    return {found} if found else set()


def prune_widget_state(notebook) -> int:
    """Drop the saved models that no output shows, directly or through another model: nbclient keeps the state of
    closed widgets (02's finished live curve weighed 2 MB). A shown stub of widgets.viewers' shared plotly bundle
    keeps the first loader; with no model left the widget metadata goes too. Returns the number dropped."""
    saved = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if not saved:
        return 0
    kept, todo = set(), set(referenced_ids([cell.get("outputs", []) for cell in notebook.cells]))
    while todo:
        model_id = todo.pop()
        if model_id in saved and model_id not in kept:
            kept.add(model_id)
            todo |= referenced_ids(saved[model_id].get("state", {}))
    anywidget_ids = {model_id: saved[model_id].get("state", {}).get("_anywidget_id") for model_id in saved}
    if any(anywidget_ids[model_id] == SHARED_STUB for model_id in kept):
        loaders = [model_id for model_id, name in anywidget_ids.items() if name == SHARED_LOADER]
        if loaders and not kept.intersection(loaders):
            kept.add(loaders[0])   # (and the loader's layout and style models, which it refers to)
            kept |= {ref for ref in referenced_ids(saved[loaders[0]].get("state", {})) if ref in saved}
    dropped = [model_id for model_id in saved if model_id not in kept]
    for model_id in dropped:
        del saved[model_id]
    if not saved:
        del notebook.metadata["widgets"]
    return len(dropped)
