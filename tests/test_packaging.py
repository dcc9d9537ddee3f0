"""Project promises: environment.yml mirrors pyproject, notebooks are committed clean and parameterised."""
import json
import tomllib

import yaml

from conftest import REPO


def test_environment_yml_lists_the_pyproject_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_lists = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert len(pip_lists) == 1
    assert set(pip_lists[0]) == wanted


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
