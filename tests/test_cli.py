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
    assert set(COMMANDS) == {"demo", "extract", "sweep", "train", "evaluate"}


def test_unknown_subcommand_is_an_error(capsys):
    with pytest.raises(SystemExit) as error:
        build_parser("nope").parse_args(["nope"])
    assert error.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
