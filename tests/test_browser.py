"""In a real browser: a notebook run in headless JupyterLab, and its exported HTML opened offline.

Needs Debian's Chromium and the playwright package (`make browser-test` installs both); skipped without them.
Screenshots go to $BROWSER_ARTIFACTS (default: the test's tmp_path).
"""
import os
import shutil
import time
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, browser_missing, jupyter_lab, remote_sources
from conftest import REPO
from norton.notebooks import export_html, run_notebook

pytestmark = [pytest.mark.browser, pytest.mark.skipif(browser_missing() is not None,
                                                      reason=browser_missing() or "")]
PROBE = REPO / "tests" / "notebooks" / "browser_probe.ipynb"
# the slider's heatmap (titled "scaled similarity"; the probe also shows a plain figure): last caption/clip
CORNER = """(() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot')).filter(
    (plot) => plot.data && plot.layout && plot.layout.title && plot.layout.title.text === 'scaled similarity');
  return plots.length === 1 ? plots[0].data[0].z[5][5] : null;
})()"""
BASE_CORNER = 1.0   # the probe's base matrix is (i + j) / 10 on a 6 x 6 grid: (5 + 5) / 10


@pytest.fixture
def artifacts(tmp_path) -> Path:
    folder = Path(os.environ.get("BROWSER_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_for_corner(page, expected: float, timeout_s: float) -> float | None:
    """Poll the heatmap's corner value until it equals `expected`; return the last value seen."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(CORNER)
        if value is not None and abs(value - expected) < 1e-9:
            return value
        time.sleep(0.25)
    return value


def open_in_lab(browser, lab, name: str, height: int, width: int = 1280, workspace: str | None = None):
    """A page showing notebook `name` in JupyterLab with its kernel ready, and the list its page errors go to;
    `workspace` names a fresh Lab workspace (no tab of an earlier page reopened)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(lab.page(f"lab/workspaces/{workspace}/tree/{name}" if workspace else f"lab/tree/{name}"),
              timeout=120_000)
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-NotebookPanel')", timeout=120_000)
    page.wait_for_function("window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.isReady", timeout=120_000)
    return page, errors


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One headless JupyterLab for every test of this module that opens a notebook in it: the probes, and the
    real notebooks copied with their parameters (LAB_NOTEBOOKS); each page opens its own workspace."""
    import json

    root = tmp_path_factory.mktemp("lab") / "root"
    root.mkdir()
    for probe in (PROBE, SHARED):
        shutil.copy(probe, root / probe.name)
    for name, parameters in LAB_NOTEBOOKS.items():
        notebook = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())
        cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
        cell["source"] = "".join(cell["source"]) + "".join(f"\n{k} = {v!r}" for k, v in parameters.items())
        (root / f"{name}.ipynb").write_text(json.dumps(notebook))
    with jupyter_lab(root) as server:
        yield server


def test_slider_redraws_heatmap_in_jupyterlab(browser, lab, artifacts):
    page, errors = open_in_lab(browser, lab, PROBE.name, height=1000, workspace="probe")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    assert wait_for_corner(page, BASE_CORNER * 1.0, 120) == pytest.approx(BASE_CORNER), \
        f"heatmap never rendered with scale 1.0; page errors: {errors}"

    handle = page.locator(".widget-slider .noUi-handle").first   # ipywidgets 8's slider thumb
    handle.focus()
    page.keyboard.press("ArrowRight")                              # one step: 1.0 -> 1.25
    moved = wait_for_corner(page, BASE_CORNER * 1.25, 60)
    page.screenshot(path=str(artifacts / "lab_slider.png"), full_page=True)
    assert moved == pytest.approx(BASE_CORNER * 1.25), f"slider did not redraw the heatmap (corner {moved})"
    assert page.locator(".widget-readout").first.inner_text().strip() == "1.25"


def open_offline(browser, path: Path, height: int = 1000):
    """The page at `path` (file://) in a 1100 px window with every http(s) request refused: (page, requests, errors)."""
    page = browser.new_page(viewport={"width": 1100, "height": height})
    requested, errors = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def refuse_network(route):   # any http(s) request would mean the page is not offline
        requested.append(route.request.url)
        route.abort()
    page.route("http*://**/*", refuse_network)
    page.goto(path.as_uri(), timeout=120_000)
    return page, requested, errors


def test_static_report_draws_the_saved_widgets_offline(browser, tmp_path, artifacts):
    from plotly.offline import get_plotlyjs

    from norton.widget_assets import unpacked

    run = run_notebook(PROBE, tmp_path / "run", {"scale": 1.5})   # widgets="static", the default
    html = run.html.read_text()
    assert not remote_sources(html) and unpacked(html) == [get_plotlyjs()]
    page, requested, errors = open_offline(browser, run.html)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    corner = wait_for_corner(page, BASE_CORNER * 1.5, 60)
    page.screenshot(path=str(artifacts / "static_html.png"), full_page=True)
    assert corner == pytest.approx(BASE_CORNER * 1.5), f"the saved heatmap did not render; page errors: {errors}"
    assert page.locator(".js-plotly-plot").count() == 2 and page.locator(".widget-slider").count() == 0
    assert " ".join(page.locator(".norton-static-widget").first.inner_text().split()).startswith("scale 1.50")
    assert requested == [] and errors == []


def test_exported_html_renders_widgets_and_plot_offline(browser, tmp_path, artifacts):
    from plotly.offline import get_plotlyjs

    from norton.widget_assets import unpacked

    run = run_notebook(PROBE, tmp_path / "run", {"scale": 1.5}, widgets="embed")
    html = run.html.read_text()
    assert not remote_sources(html)
    # plotly.js (for the plain figure) comes once, gzip-compressed (widgets.use_notebook_renderer)
    assert unpacked(html) == [get_plotlyjs()] and "DecompressionStream" in html
    page, requested, _ = open_offline(browser, run.html)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    corner = wait_for_corner(page, BASE_CORNER * 1.5, 60)
    assert page.locator(".js-plotly-plot").count() == 2   # the widget's heatmap and the plain figure
    page.screenshot(path=str(artifacts / "offline_html.png"), full_page=True)
    assert corner == pytest.approx(BASE_CORNER * 1.5), "the saved heatmap state did not render"
    assert page.locator(".widget-slider").count() == 1
    assert page.locator(".widget-readout").first.inner_text().strip() == "1.50"
    assert requested == []


# --- figures that share one plotly bundle (widgets.viewers.figure_widget) --------------------------------

SHARED = REPO / "tests" / "notebooks" / "shared_bundle_probe.ipynb"
SHARED_CORNERS = """(() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot')).filter(
    (plot) => plot.data && plot.layout && plot.layout.title && String(plot.layout.title.text).startsWith('shared '));
  return Object.fromEntries(plots.map((plot) => [plot.layout.title.text, plot.data[0].z[5][5]]));
})()"""


def wait_for_corners(page, expected: dict, timeout_s: float) -> dict:
    """Poll the shared figures' corner values until they are `expected`; return the last seen."""
    deadline = time.monotonic() + timeout_s
    seen = {}
    while time.monotonic() < deadline:
        seen = page.evaluate(SHARED_CORNERS) or {}
        if set(seen) == set(expected) and all(abs(seen[k] - v) < 1e-9 for k, v in expected.items()):
            return seen
        time.sleep(0.25)
    return seen


def test_shared_bundle_figures_render_offline(browser, tmp_path, artifacts):
    from widgets.viewers import _BUNDLE_KEY

    run = run_notebook(SHARED, tmp_path / "run", {"scale": 1.5}, widgets="embed")
    html = run.html.read_text()
    assert not remote_sources(html)
    assert run.metrics["stub_esm_chars"] < 2000 < 1_000_000 < run.metrics["loader_esm_chars"]
    assert html.count("plotly's FigureWidget front end, shared with the figures") == 1 and _BUNDLE_KEY in html
    page, requested, errors = open_offline(browser, run.html, height=1400)
    corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.5}, 120)
    page.screenshot(path=str(artifacts / "shared_bundle_offline.png"), full_page=True)
    assert corners == {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.5}, f"page errors: {errors}"
    assert requested == []
    static = export_html(run.notebook)   # the default report: the same figures, drawn from the saved widget state
    page, requested, errors = open_offline(browser, static, height=1400)
    corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.5}, 120)
    assert corners == {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.5}, f"page errors: {errors}"
    assert requested == [] and errors == []


def test_shared_bundle_figures_are_live_in_jupyterlab(browser, lab, artifacts):
    page, errors = open_in_lab(browser, lab, SHARED.name, height=1400, workspace="shared")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.0}, 150)
    assert corners == {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.0}, f"page errors: {errors}"
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")   # 1.0 -> 1.25: the third figure (a stub) redraws
    corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.25}, 60)
    page.screenshot(path=str(artifacts / "shared_bundle_lab.png"), full_page=True)
    assert corners["shared 2"] == pytest.approx(1.25), f"the stub figure did not redraw: {corners}"


# --- the real notebooks, as a person sees them in JupyterLab (1400 px window, file browser open) ---------------

# notebook -> parameters changed from its defaults (none: what a workshop participant runs). 00 and 03 draw every
# kind of figure the notebooks show (similarity, multi-panel plans, bucket bars, the plan view, timeline, bucket
# view, soft maximum, the live viewers); 01 (their subset, +25 s) is left out to keep the test near 3 minutes.
LAB_NOTEBOOKS = {"00_quickstart": {}, "03_alignment_explorer": {}}
LAB_VIEWPORT = {"width": 1400, "height": 1000}
RUN_STATE = """(() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter((cell) => cell.model.type === 'code');
  return {path: panel.context.path, kernel: kernel ? kernel.status : null,
          waiting: cells.filter((cell) => cell.model.executionCount === null).length, cells: cells.length};
})()"""
PLOTS_READY = """(() => {
  const plots = Array.from(document.querySelectorAll('.jp-NotebookPanel .js-plotly-plot'));
  return plots.length + ':' + plots.filter((plot) => plot._fullLayout && plot.querySelector('.main-svg')).length;
})()"""
# what a person sees: stderr blocks, figures wider than their output area, heatmaps without colour bar or axis
# titles (read from the drawn page), and the live soft-maximum view's word labels
PAGE_REPORT = """(() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)') || document;
  const text = (node) => (node ? node.textContent.trim() : '');
  const titleOf = (plot) => String((plot.layout && plot.layout.title && (plot.layout.title.text ?? plot.layout.title)) || '');
  const report = {stderr: [], wide: [], heatmaps: [], plots: 0, softmax: []};
  for (const node of panel.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')) {
    report.stderr.push(text(node).slice(0, 300));
  }
  for (const plot of panel.querySelectorAll('.js-plotly-plot')) {
    report.plots += 1;
    const title = titleOf(plot);
    const area = plot.closest('.jp-OutputArea-output') || plot.parentElement;
    const box = plot.getBoundingClientRect(), room = area.getBoundingClientRect();
    if (box.width > room.width + 1 || box.right > room.right + 1) {
      report.wide.push({title: title.slice(0, 80), width: Math.round(box.width), room: Math.round(room.width)});
    }
    for (const trace of plot._fullData || []) {
      if (trace.type !== 'heatmap' || trace.visible !== true) continue;
      const scale = trace.coloraxis ? plot._fullLayout[trace.coloraxis].showscale : trace.showscale;
      const axisTitle = (id) => text(plot.querySelector(`.g-${id}title`));
      report.heatmaps.push({plot: title.slice(0, 80), trace: String(trace.name || trace.index),
                            colorbar: !!scale && plot.querySelector('.colorbar') !== null,
                            x: axisTitle(trace.xaxis), y: axisTitle(trace.yaxis)});
    }
    if (plot.closest('.jupyter-widgets') && title.includes('t2v =')) {  // the live SoftMaxViewer's figure
      report.softmax.push({ticks: Array.from(plot.querySelectorAll('.yaxislayer-above .ytick text')).map(text),
                           ticktext: (plot.layout.yaxis.ticktext || []).map(String), rows: plot.data[0].z.length});
    }
  }
  return report;
})()"""
NUMBER = r"[-+−]?\d+(\.\d+)?"


def run_in_lab(page, name: str, timeout_s: float) -> None:
    """Run every cell of the open notebook `name`; return once the kernel is idle, every code cell has run and the
    plotly figures on the page stopped appearing (the live widgets render after their cell)."""
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout_s
    state = page.evaluate(RUN_STATE)
    while not (state["kernel"] == "idle" and state["waiting"] == 0 and state["path"] == name):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the notebook did not finish within {timeout_s:.0f} s: {state}")
        time.sleep(0.5)
        state = page.evaluate(RUN_STATE)
    seen, stable_since = None, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = page.evaluate(PLOTS_READY)
        total, drawn = (int(v) for v in now.split(":"))
        if now != seen:
            seen, stable_since = now, time.monotonic()
        elif total == drawn and time.monotonic() - stable_since > 3:
            return
        time.sleep(0.5)


@pytest.mark.parametrize("name", list(LAB_NOTEBOOKS))
def test_real_notebook_shows_what_a_person_should_see(browser, lab, artifacts, name):
    import re

    page, errors = open_in_lab(browser, lab, f"{name}.ipynb", workspace=name.replace("_", "-"),
                               **LAB_VIEWPORT)
    run_in_lab(page, f"{name}.ipynb", timeout_s=150)
    report = page.evaluate(PAGE_REPORT)
    page.screenshot(path=str(artifacts / f"lab_{name}.png"))
    for k, plot in enumerate(page.locator(".jp-NotebookPanel .js-plotly-plot").all()):
        plot.screenshot(path=str(artifacts / f"lab_{name}_figure{k}.png"))
    assert report["plots"] > 0, f"no plotly figure rendered; page errors: {errors}"
    assert report["stderr"] == [], report["stderr"]
    assert report["wide"] == [], report["wide"]
    assert report["heatmaps"], "no heatmap on the page"
    for heatmap in report["heatmaps"]:
        assert heatmap["colorbar"], f"heatmap without a colour bar: {heatmap}"
        assert heatmap["x"] and heatmap["y"] and not heatmap["x"].startswith("Click to enter"), \
            f"heatmap without axis titles: {heatmap}"
    if name == "03_alignment_explorer":
        assert len(report["softmax"]) == 1, report["softmax"]
        soft = report["softmax"][0]
        assert soft["ticks"] == soft["ticktext"] and 2 <= len(soft["ticks"]) <= soft["rows"], soft
        assert not any(re.fullmatch(NUMBER, tick) for tick in soft["ticks"]), f"numeric word labels: {soft}"
    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")   # its kernel's CPU back
    page.close()



def test_explorer_report_reads_offline_with_its_viewers_drawn_from_their_state(browser, tmp_path, artifacts):
    run = run_notebook("03_alignment_explorer", tmp_path / "run", {})   # the defaults: live viewers, static report
    assert run.html.stat().st_size < 3_500_000
    page, requested, errors = open_offline(browser, run.html, height=1000)
    page.wait_for_selector(".norton-static-widget .js-plotly-plot", timeout=120_000)
    time.sleep(2)   # the figures after the viewers
    report = page.evaluate(PAGE_REPORT)
    page.screenshot(path=str(artifacts / "explorer_report.png"), full_page=True)
    assert page.locator(".norton-static-widget").count() == 2   # the plan viewer and the soft-maximum viewer
    assert report["plots"] >= 8 and report["stderr"] == [] and report["wide"] == [], report
    assert report["heatmaps"], "no heatmap in the report"
    for heatmap in report["heatmaps"]:
        assert heatmap["colorbar"] and heatmap["x"] and heatmap["y"], f"heatmap without scale or titles: {heatmap}"
    assert requested == [] and errors == []
