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
    assert "plotly" in html.lower()
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
