"""Every notebook runs headless through papermill with small parameters and writes its metrics."""
import json
import re

import pytest

from conftest import REPO
from norton.data.howto import CAPTION_KINDS
from norton.notebooks import check_parameters, notebook_parameters, run_notebook

NOTEBOOKS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))


def bare_number(output) -> bool:
    return re.fullmatch(r"\d+", "".join(output["data"].get("text/plain", "")).strip()) is not None


def output_problems(notebook) -> list[str]:
    """What an executed notebook should not show: stderr (warnings), errors, a bare number as a cell's result."""
    problems = []
    for index, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        for output in cell.get("outputs", []):
            kind = output["output_type"]
            if kind == "stream" and output["name"] == "stderr":
                problems.append(f"cell {index}: stderr {''.join(output['text'])[:300]!r}")
            elif kind == "error":
                problems.append(f"cell {index}: {output['ename']}")
            elif kind == "execute_result" and bare_number(output):
                problems.append(f"cell {index}: stray result {''.join(output['data']['text/plain'])}")
    return problems


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_with_smoke_parameters(name, tmp_path):
    run = run_notebook(name, tmp_path, {"smoke": True})
    assert run.notebook.is_file() and run.html.is_file()
    assert run.metrics, f"{name} wrote no metrics.json"
    html = run.html.read_text()
    # the report draws its figures: plotly.js on the page once, packed, before the first figure; a few MB at most
    assert html.count("norton: plotly.js") == 1 and html.count("* plotly.js v") == 0
    assert html.index("norton: plotly.js") < html.index("Plotly.newPlot(") and len(html) < 3_500_000
    problems = output_problems(run.notebook)
    assert not problems, problems


def test_quickstart_metrics(tmp_path, capfd):
    metrics = run_notebook("00_quickstart", tmp_path, {"smoke": True, "variant": "official"}, html=False).metrics
    kernel_log = capfd.readouterr().err  # what `make demo` shows: no kernel line that reads as a failure
    assert "KeyboardInterrupt" not in kernel_log and "WARNING" not in kernel_log, kernel_log
    assert metrics["variant"] == "official" and metrics["pairs"] == 32
    assert metrics["loss_total"] > 0 and metrics["misaligned_pairs"] > 0
    # captions that describe nothing in their clip send more of their mass to the bucket
    assert metrics["bucket_share_misaligned"] > metrics["bucket_share_aligned"]


def test_alignment_explorer_metrics(tmp_path):
    metrics = run_notebook("03_alignment_explorer", tmp_path, {"smoke": True}, html=False).metrics
    assert metrics["dataset"] == "howto" and metrics["videos"] == 2
    pooled = metrics["pooled"]  # score_alignments over both testbed videos
    for key in ("R@1", "R@1_kept", "alignable_dropped", "unalignable_dropped", "ROC-AUC"):
        assert 0 <= pooled[key] <= 1, key
    # the bucket drops talk, remarks and other videos' sentences far more often than narrated steps
    assert pooled["alignable_dropped"] < pooled["unalignable_dropped"]
    assert set(metrics["dropped_by_kind"]) <= set(CAPTION_KINDS)


def test_unknown_parameter_is_rejected_before_running(tmp_path):
    assert "prompt_ratio" in notebook_parameters("00_quickstart")
    with pytest.raises(ValueError, match="promt_ratio"):
        check_parameters("00_quickstart", {"promt_ratio": 0.1})
    with pytest.raises(FileNotFoundError, match="no_such_notebook"):
        run_notebook("no_such_notebook", tmp_path)
    assert not any(tmp_path.iterdir())


HEAVY = ("torch", "transformers", "rfc3987_syntax", "matplotlib", "scipy")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_import_cell_loads_nothing_heavy(name, tmp_path):
    """The first cell after the parameters (the imports) runs in well under 3 s: torch, transformers, matplotlib
    and scipy load in the cells that need them, and plotly's renderer skips rfc3987_syntax's 3 s parser build."""
    import subprocess
    import sys

    cells = [c for c in json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    index = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))
    parameters, imports = ("".join(cells[i]["source"]) for i in (index, index + 1))
    script = (parameters + f"\nout_dir = {str(tmp_path / 'out')!r}\n" + imports
              + f"\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and not done.stderr, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def test_public_names_still_import_lazily():
    import subprocess
    import sys

    script = ("import sys, norton, norton.data\n"
              "assert 'torch' not in sys.modules\n"
              "from norton import NortonConfig\n"
              "assert 'torch' not in sys.modules\n"
              "from norton import NortonLoss, bucket_sinkhorn\n"
              "from norton.data import Captions, FeatureStore, sample_batch\n"
              "import norton.losses\n"
              "assert NortonLoss is norton.losses.NortonLoss and norton.NortonLoss is NortonLoss\n"
              "assert sorted(norton.__all__) == sorted(n for n in dir(norton) if n in norton.__all__)\n"
              "for n in norton.data.__all__: getattr(norton.data, n)\n"
              "try:\n    norton.no_such_name\nexcept AttributeError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "module 'norton' has no attribute 'no_such_name'"
