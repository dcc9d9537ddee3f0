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
from norton.notebooks import run_notebook

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


def open_in_lab(browser, lab, name: str, height: int):
    """A page showing notebook `name` in JupyterLab with its kernel ready, and the list its page errors go to."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(lab.page(f"lab/tree/{name}"), timeout=120_000)
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-NotebookPanel')", timeout=120_000)
    page.wait_for_function("window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.isReady", timeout=120_000)
    return page, errors


def test_slider_redraws_heatmap_in_jupyterlab(browser, tmp_path, artifacts):
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(PROBE, root / PROBE.name)
    with jupyter_lab(root) as lab:
        page, errors = open_in_lab(browser, lab, PROBE.name, height=1000)
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


def test_exported_html_renders_widgets_and_plot_offline(browser, tmp_path, artifacts):
    run = run_notebook(PROBE, tmp_path / "run", {"scale": 1.5})
    html = run.html.read_text()
    assert not remote_sources(html)
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    requested = []
    def refuse_network(route):   # any http(s) request would mean the page is not offline
        requested.append(route.request.url)
        route.abort()
    page.route("http*://**/*", refuse_network)
    page.goto(run.html.as_uri(), timeout=120_000)
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

    run = run_notebook(SHARED, tmp_path / "run", {"scale": 1.5})
    html = run.html.read_text()
    assert not remote_sources(html)
    assert run.metrics["stub_esm_chars"] < 2000 < 1_000_000 < run.metrics["loader_esm_chars"]
    assert html.count("plotly's FigureWidget front end, shared with the figures") == 1 and _BUNDLE_KEY in html
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    errors, requested = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def refuse_network(route):
        requested.append(route.request.url)
        route.abort()
    page.route("http*://**/*", refuse_network)
    page.goto(run.html.as_uri(), timeout=120_000)
    corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.5}, 120)
    page.screenshot(path=str(artifacts / "shared_bundle_offline.png"), full_page=True)
    assert corners == {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.5}, f"page errors: {errors}"
    assert requested == []


def test_shared_bundle_figures_are_live_in_jupyterlab(browser, tmp_path, artifacts):
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(SHARED, root / SHARED.name)
    with jupyter_lab(root) as lab:
        page, errors = open_in_lab(browser, lab, SHARED.name, height=1400)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.0}, 150)
        assert corners == {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.0}, f"page errors: {errors}"
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")   # 1.0 -> 1.25: the third figure (a stub) redraws
        corners = wait_for_corners(page, {"shared 0": 1.0, "shared 1": 2.0, "shared 2": 1.25}, 60)
        page.screenshot(path=str(artifacts / "shared_bundle_lab.png"), full_page=True)
        assert corners["shared 2"] == pytest.approx(1.25), f"the stub figure did not redraw: {corners}"
