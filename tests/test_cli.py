"""The command line imports only the chosen subcommand's module."""
import subprocess
import sys

import pytest

from norton.cli import COMMANDS, build_parser


def test_top_level_parser_imports_no_subcommand_module():
    probe = ("import sys; from norton.cli import build_parser; build_parser(); "
             "print(sorted(m for m in ('norton.train', 'norton.evaluate', 'norton.extract', 'transformers') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_selected_subcommand_gets_its_arguments():
    args = build_parser("demo").parse_args(["demo", "--out", "runs/x", "--set", "seed=1"])
    assert args.command == "demo" and args.out == "runs/x" and args.overrides == ["seed=1"]
    assert args.widgets == "static"   # the HTML report draws saved widgets statically unless asked to embed them
    assert build_parser("demo").parse_args(["demo", "--widgets", "embed"]).widgets == "embed"
    assert set(COMMANDS) == {"demo", "extract", "shards", "sweep", "train", "evaluate"}


def test_unknown_subcommand_is_an_error(capsys):
    with pytest.raises(SystemExit) as error:
        build_parser("nope").parse_args(["nope"])
    assert error.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, expected", [
    (["sweep", "no_such_spec.yaml"], "norton sweep: error: sweep spec not found: no_such_spec.yaml"),
    (["train", "--config", "no_such_config.yaml"], "norton train: error: "),
    (["extract", "no_such_videos", "--out", "x"], "norton extract: error: "),
    (["evaluate", "no_such.pt", "--data", "no_such_store"], "norton evaluate: error: "),
    (["demo", "--set", "no_such_parameter=1"], "norton demo: error: unknown parameter(s) ['no_such_parameter']"),
])
def test_a_user_error_is_one_line_and_exit_2_and_debug_shows_the_traceback(argv, expected, capsys, tmp_path,
                                                                            monkeypatch):
    from norton.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(expected) and "\n" not in err and "Traceback" not in err, err
    with pytest.raises((ValueError, OSError)):
        main(["--debug", *argv])
    with pytest.raises((ValueError, OSError)):
        main([argv[0], "--debug", *argv[1:]])


def test_python_dash_m_norton_runs_the_command_line():
    out = subprocess.run([sys.executable, "-m", "norton", "sweep", "no_such_spec.yaml"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("norton sweep: error: sweep spec not found")


def test_a_missing_package_of_an_extra_names_the_extra_to_install(monkeypatch, capsys):
    from norton import cli

    assert cli.install_hint(ModuleNotFoundError("No module named 'transformers'", name="transformers")) == \
        " (pip install 'norton[text]')"
    assert cli.install_hint(ModuleNotFoundError("No module named 'decord.bridge'", name="decord.bridge")) == \
        " (pip install 'norton[video]')"
    assert cli.install_hint(ModuleNotFoundError("No module named 'x'", name="x")) == ""
    assert cli.install_hint(ValueError("transformers")) == ""

    def missing_plotly(args):
        raise ModuleNotFoundError("No module named 'plotly'", name="plotly")

    monkeypatch.setattr("norton.demo.run", missing_plotly)
    assert cli.main(["demo", "--out", "runs/never"]) == 2
    assert "No module named 'plotly' (pip install 'norton[workbench]')" in capsys.readouterr().err
