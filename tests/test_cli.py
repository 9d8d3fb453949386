import subprocess
import sys


def test_help_lists_commands_without_importing_torch():
    code = (
        "import sys; from snowcoder_hf.cli.main import build_parser; build_parser().format_help(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_command_prints_help_and_fails(capsys):
    from snowcoder_hf.cli.main import main

    assert main([]) == 2
    assert "usage: snowcoder" in capsys.readouterr().out
