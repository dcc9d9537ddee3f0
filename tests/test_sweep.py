"""Sweeps: spec expansion, parameter checks before any run, failures recorded, resuming, results; offline HTML."""
import csv
import itertools
import json
import os
from urllib.parse import unquote

import pytest
import yaml

from browser_helpers import remote_sources, script_sources
from conftest import REPO
from norton.cli import main
from norton.sweep import load_spec, plan_tasks, run_id, run_sweep
from norton.widget_assets import unpacked

PROBE = REPO / "tests" / "notebooks" / "sweep_probe.ipynb"          # y = x squared; raises when fail=True
WIDGETS_PROBE = REPO / "tests" / "notebooks" / "browser_probe.ipynb"  # a slider and a plotly FigureWidget


def probe_spec(tmp_path, **entries) -> dict:
    return {"notebook": str(PROBE), "out_dir": str(tmp_path / "sweep"), "html": False, **entries}


def test_grid_expands_to_the_product_with_fixed_parameters(tmp_path):
    spec = load_spec(probe_spec(tmp_path, grid={"x": [1, 2, 3], "fail": [False, True]}, fixed={"smoke": True}))
    assert spec.runs == [{"smoke": True, "x": x, "fail": f} for x, f in itertools.product([1, 2, 3], [False, True])]
    assert spec.varied == ["x", "fail"] and spec.workers == 2 and spec.executor == "local"
    ids = [task.run_id for task in plan_tasks(spec)]
    assert len(set(ids)) == 6
    assert ids[3].startswith("x=2_fail=True-")
    # stable: the same parameters give the same id; any parameter, fixed ones too, changes it
    assert run_id({"fail": True, "x": 2, "smoke": True}, ["x", "fail"]) == ids[3]
    assert run_id({"fail": True, "x": 2, "smoke": False}, ["x", "fail"]) != ids[3]


def test_runs_list_and_bad_specs(tmp_path):
    spec = load_spec(probe_spec(tmp_path, runs=[{"x": 2}, {"x": 5, "fail": True}], workers=1))
    assert spec.runs == [{"x": 2}, {"x": 5, "fail": True}] and spec.varied == ["x", "fail"]
    bad = {
        "exactly one of": {"grid": {"x": [1]}, "runs": [{"x": 1}]},
        "non-empty list": {"grid": {"x": 3}},
        "both swept and in 'fixed'": {"grid": {"x": [1, 2]}, "fixed": {"x": 0}},
        "'out_dir' is set by the sweep": {"runs": [{"x": 1, "out_dir": "elsewhere"}]},
        "more than once": {"runs": [{"x": 1}, {"x": 1}]},
        "unknown sweep spec key": {"grid": {"x": [1]}, "worker": 3},
        "'executor' must be one of": {"grid": {"x": [1]}, "executor": "pbs"},
        "'widgets' must be one of": {"grid": {"x": [1]}, "widgets": "live"},
        "positive integer": {"grid": {"x": [1]}, "workers": 0},
    }
    for message, entries in bad.items():
        with pytest.raises(ValueError, match=message):
            load_spec(probe_spec(tmp_path, **entries))
    with pytest.raises(FileNotFoundError, match="no_such_notebook"):
        load_spec({**probe_spec(tmp_path, grid={"x": [1]}), "notebook": "no_such_notebook"})
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_spec(tmp_path / "missing.yaml")


def test_unknown_parameter_is_rejected_before_any_run(tmp_path):
    with pytest.raises(ValueError, match="'xx'"):
        run_sweep(probe_spec(tmp_path, grid={"x": [1, 2], "xx": [0]}))
    assert not (tmp_path / "sweep").exists()


def test_failure_is_recorded_others_finish_and_a_rerun_skips_finished_runs(tmp_path):
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(probe_spec(tmp_path, runs=[{"x": 1.5}, {"x": -2}, {"x": 3, "fail": True}])))
    assert main(["sweep", str(spec_file)]) == 1   # the CLI exits 1 when a run failed
    out = tmp_path / "sweep"

    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [row["status"] for row in rows] == ["done", "done", "failed"]
    for row, x in zip(rows[:2], (1.5, -2)):
        assert float(row["params.x"]) == x
        assert float(row["metrics.y"]) == x * x and float(row["metrics.detail.x_plus_one"]) == x + 1
        assert row["error"] == ""
        files = {p.name for p in (out / row["run_id"]).iterdir()}
        assert {"params.json", "metrics.json", "done.json", PROBE.name} <= files
        assert json.loads((out / row["run_id"] / "params.json").read_text()) == {"x": x}
    failed = rows[2]
    assert failed["metrics.y"] == "" and "probe asked to fail at x=3" in failed["error"]
    error_text = (out / failed["run_id"] / "error.txt").read_text()
    assert error_text.startswith("RuntimeError: probe asked to fail at x=3") and "Traceback" in error_text
    assert not (out / failed["run_id"] / "done.json").exists()
    summary = (out / "summary.html").read_text()
    assert "Plotly.newPlot" in summary and failed["run_id"] in summary and not remote_sources(summary)

    finished = {row["run_id"]: os.stat(out / row["run_id"] / "metrics.json").st_mtime_ns for row in rows[:2]}
    again = run_sweep(spec_file)
    assert again.executed == [failed["run_id"]]   # only the unfinished run ran again
    assert [o.status for o in again.outcomes] == ["done", "done", "failed"]
    assert [o.metrics.get("y") for o in again.outcomes] == [2.25, 4, None]
    assert {rid: os.stat(out / rid / "metrics.json").st_mtime_ns for rid in finished} == finished


def test_slurm_executor_runs_the_spec_through_submitit(tmp_path):
    pytest.importorskip("submitit")
    spec = probe_spec(tmp_path, grid={"x": [2, 4]}, executor="slurm", slurm={"cluster": "local", "timeout_min": 5})
    result = run_sweep(spec)
    assert [o.status for o in result.outcomes] == ["done", "done"]
    assert [o.metrics["y"] for o in result.outcomes] == [4, 16]
    assert any((tmp_path / "sweep" / "_submitit").iterdir())   # submitit's job pickles and logs


@pytest.fixture(scope="module")
def widget_assets_available():
    from norton.widget_assets import fetch_widget_assets

    try:
        return fetch_widget_assets()
    except FileNotFoundError as error:   # no npm and nothing cached
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to fetch the widget assets: {error}")
        pytest.skip(str(error))


def test_exported_html_draws_saved_widgets_statically_by_default(tmp_path):
    from plotly.offline import get_plotlyjs

    result = run_sweep({"notebook": str(WIDGETS_PROBE), "out_dir": str(tmp_path / "sweep"), "runs": [{"scale": 0.5}]})
    (outcome,) = result.outcomes
    html = (tmp_path / "sweep" / outcome.run_id / "browser_probe.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" not in html and "norton-static-widget" in html
    assert "scale</span> <b>0.50</b>" in html and html.count("Plotly.newPlot(") == 2   # slider, heatmap, figure
    assert remote_sources(html) == [] and unpacked(html) == [get_plotlyjs()]   # plotly.js once, packed
    assert len(html) < 0.55 * len(get_plotlyjs())   # no widget renderer, anywidget or FigureWidget bundle


def test_exported_html_loads_no_script_from_the_network(tmp_path, widget_assets_available):
    result = run_sweep({"notebook": str(WIDGETS_PROBE), "out_dir": str(tmp_path / "sweep"), "runs": [{"scale": 0.5}],
                        "widgets": "embed"})
    (outcome,) = result.outcomes
    assert outcome.status == "done" and outcome.metrics == {"corner": 0.5}
    html = (tmp_path / "sweep" / outcome.run_id / "browser_probe.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" in html   # the slider and figure were saved
    assert "Plotly.newPlot" in html                                # and a plain plotly figure
    assert remote_sources(html) == []
    embedded = "".join(unquote(src.split(",", 1)[1]) for src in script_sources(html)
                       if src.startswith("data:text/javascript;charset=utf-8,"))
    require_js = widget_assets_available.require_js.read_text()
    assert require_js in embedded
    (renderer,) = unpacked(embedded)   # the widget renderer comes packed (a quarter of its 3.6 MB)
    assert widget_assets_available.html_manager.read_text() in renderer
    assert 'define("anywidget"' in renderer   # plotly's FigureWidget needs anywidget's module offline
    assert sum(map(len, script_sources(html))) < 2 * len(require_js) + 0.4 * len(renderer)
    for src in script_sources(html):   # anything not embedded must be a file next to the HTML
        if not src.startswith("data:"):
            assert (tmp_path / "sweep" / outcome.run_id / src).is_file(), src


def test_plotly_mathjax_cdn_tag_is_dropped_unless_the_figure_has_latex():
    import nbformat
    import plotly.graph_objects as go
    import plotly.io as pio

    from norton.widget_assets import drop_cdn_mathjax

    def figure_output(title):   # what plotly's notebook renderer puts in a cell's outputs
        bundle = pio.renderers["notebook"].to_mimebundle(go.Figure(go.Bar(y=[1, 2]), layout={"title": title}).to_dict())
        return nbformat.v4.new_output("display_data", data=bundle)

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        figure_output("plain title"), figure_output("$\\alpha$")])])
    plain, latex = (output["data"]["text/html"] for output in notebook.cells[0].outputs)
    assert remote_sources(plain) and remote_sources(latex)   # plotly always adds MathJax from a CDN
    drop_cdn_mathjax(notebook)
    plain_after, latex_after = (output["data"]["text/html"] for output in notebook.cells[0].outputs)
    assert remote_sources(plain_after) == [] and "Plotly.newPlot" in plain_after
    assert latex_after == latex   # a figure with LaTeX keeps it (online only)


def test_unreadable_run_files_are_named_and_redone_and_bad_yaml_names_the_spec(tmp_path):
    spec = probe_spec(tmp_path, runs=[{"x": 1.0}, {"x": 2.0}, {"x": 3.0}], workers=1)
    first = run_sweep(spec)
    ids = [o.run_id for o in first.outcomes]
    out = tmp_path / "sweep"
    (out / ids[0] / "done.json").write_text("")                 # empty marker (a kill mid-write, before it was atomic)
    (out / ids[1] / "metrics.json").write_text('{"y": 4.0')      # truncated metrics
    with pytest.warns(UserWarning) as caught:
        again = run_sweep(spec)
    messages = " ".join(str(w.message) for w in caught)
    assert str(out / ids[0] / "done.json") in messages and str(out / ids[1] / "metrics.json") in messages
    assert again.executed == ids[:2] and [o.metrics["y"] for o in again.outcomes] == [1.0, 4.0, 9.0]
    assert not list(out.glob("*/.done.json.tmp-*"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("notebook: x\ngrid: {x: [1, 2\n")
    with pytest.raises(ValueError, match=f"sweep spec {bad} is not valid YAML"):
        load_spec(bad)


def test_relative_path_parameters_are_resolved_against_the_callers_directory(tmp_path, monkeypatch):
    from norton.notebooks import resolve_paths

    monkeypatch.chdir(tmp_path)
    resolved = resolve_paths({"feature_path": "out/x.npy", "subtitle_path": "", "video_path": "/abs/v.mp4",
                              "feature_store": "store", "eps": 0.1, "name": "out/x.npy"})
    assert resolved == {"feature_path": str(tmp_path / "out" / "x.npy"), "subtitle_path": "",
                        "video_path": "/abs/v.mp4", "feature_store": str(tmp_path / "store"), "eps": 0.1,
                        "name": "out/x.npy"}
    monkeypatch.setattr("norton.sweep.check_parameters", lambda notebook, parameters: None)  # probe has no data_dir
    spec = load_spec(probe_spec(tmp_path, runs=[{"x": 1, "data_dir": "rel"}]))
    tasks = plan_tasks(spec)
    assert tasks[0].parameters["data_dir"] == str(tmp_path / "rel")
    assert tasks[0].run_id == run_id({"x": 1, "data_dir": "rel"}, spec.varied)  # ids do not depend on the cwd
