"""User text printed to a terminal (title, name) carries no control characters: escape sequences are shown, not run."""

import pytest

from nnsteps.cli import main
from nnsteps.spec import builtin_text

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\rover\nline\x7f"


def _spec(tmp_path, name="tutorial"):
    text = builtin_text(name).replace('title = "Tutorial example 1"', 'title = "T \\u001b[2J\\u001b[31mred"')
    path = tmp_path / "spec.toml"
    path.write_text(f'name = "n\\u001b]0;owned\\u0007 \\r\\nx"\n' + text, encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [
    ["derive", "{spec}"],
    ["check", "{spec}", "{answers}"],
    ["exercises", "{spec}", "--count", "1", "--jobs", "1", "--no-progress", "-o", "{out}"],
])
def test_no_control_characters_reach_the_terminal(argv, tmp_path, capsys):
    spec = _spec(tmp_path)
    answers = tmp_path / "answers.toml"
    answers.write_text('[answers]\n"z1[1]" = -0.314\n', encoding="utf-8")
    code = main([a.format(spec=spec, answers=answers, out=tmp_path / "set") for a in argv])
    assert code == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert not any(ord(c) < 32 and c not in "\n\t" or ord(c) == 127 for c in printed), repr(printed[:300])
    assert "\\x1b" in printed  # shown, escaped, so the reader still sees what the spec holds


def test_one_line_escapes_every_control_character():
    from nnsteps.derive.errors import one_line

    shown = one_line(HOSTILE)
    assert shown.isprintable() and "\\x1b" in shown and "\\n" in shown and "\\x7f" in shown
