"""--templates run in Jinja2's sandbox: escapes to Python are refused, and every template error is one line
naming the template file and line (exit 2, nothing written)."""

import subprocess
import sys

import pytest
from jinja2.sandbox import SandboxedEnvironment

from nnsteps.derive.errors import SpecError
from nnsteps.render.environment import FORMATS, environment

# (format, file, template text, expected start of the message after "error: --templates: ")
ATTACKS = {
    "popen": ("html", "document.html", '{{ os.popen("id").read() }}', "document.html line 1: 'os' is undefined"),
    "mro": ("html", "document.html", "a\n{{ ''.__class__.__mro__[1].__subclasses__() }}", "document.html line 2: access to attribute '__class__'"),
    "subclasses": ("html", "document.html", "{{ [].__class__.__base__.__subclasses__() }}", "document.html line 1: access to attribute '__class__'"),
    "cycler": ("html", "document.html", "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "document.html line 1: access to attribute '__init__'"),
    "lipsum": ("html", "document.html", "\n\n{{ lipsum.__globals__['os'].popen('id').read() }}", "document.html line 3: access to attribute '__globals__'"),
    "self": ("html", "document.html", "{{ self._TemplateReference__context }}", "document.html line 1: access to attribute '_TemplateReference__context'"),
    "format": ("html", "document.html", "{{ '{0.__class__}'.format(example) }}", "document.html line 1: access to attribute '__class__'"),
    "read a file": ("html", "document.html", '{% include "/etc/passwd" %}', "document.html line 1: no template '/etc/passwd'"),
    "climb out": ("md", "document.md", '{% include "../../../../etc/passwd" %}', "document.md line 1: no template '../../../../etc/passwd'"),
    "huge text": ("md", "document.md", "{{ 'a' * 10**9 }}", "document.md line 1: a repetition of 1000000000 items"),
    "huge power": ("tex", "document.tex", "((( 9 ** 99999999 )))", "document.tex line 1: the exponent 99999999"),
    "endless include": ("html", "document.html", '{% include "document.html" %}', "document.html line 1: templates include each other"),
    "syntax": ("html", "document.html", "<h1>\n{{ example.title }}\n{% if %}\n", "document.html line 3: Expected an expression"),
    "unexpected brace": ("html", "document.html", "a\nb\n{{ example.title }\n", "document.html line 3: unexpected '}'"),
    "undefined": ("tex", "document.tex", "a\nb\n((( nothere )))\n", "document.tex line 3: 'nothere' is undefined"),
    "undefined attribute": ("md", "document.md", "{{ example.nothere }}", "document.md line 1: 'nnsteps.render.records.WorkedExample object' has no attribute 'nothere'"),
    "nested file": ("html", "item.html", "{{ item.nothere }}", "item.html line 1: 'nnsteps.render.records.Figure object' has no attribute 'nothere'"),
}


def nnsteps_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nnsteps", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_environment_is_sandboxed(fmt):
    assert isinstance(environment(fmt), SandboxedEnvironment)


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_hostile_or_broken_user_templates_give_one_line_naming_file_and_line(case, tmp_path):
    fmt, file_name, text, expected = ATTACKS[case]
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / file_name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = nnsteps_cli("render", "--to", fmt, "--templates", folder, "-o", out, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: --templates: {expected}"), result.stderr
    assert "uid=" not in result.stdout + result.stderr and "root:x" not in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_user_template_in_a_format_subfolder_is_named_with_it(tmp_path):
    folder = tmp_path / "templates"
    (folder / "md").mkdir(parents=True)
    (folder / "md" / "document.md").write_text("ok\n{{ missing }}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"^--templates: md/document\.md line 2: 'missing' is undefined$"):
        environment("md", folder).get_template("document.md").render()


def test_a_working_user_template_still_renders(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "document.md").write_text("# {{ example.title }}\n{% for s in example.sections %}{{ s.number }} {% endfor %}\n"
                                        "{{ ('=' * 3)|raw }} {{ example.name|code }}\n", encoding="utf-8")
    result = nnsteps_cli("render", "--to", "md", "--templates", folder, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out" / "tutorial.md").read_text(encoding="utf-8")
    assert text.startswith("# ") and "1 2 3 4 5 6 7 8 9" in text and "=== `tutorial`" in text


def test_packaged_template_errors_are_not_blamed_on_templates():
    with pytest.raises(Exception) as caught:
        environment("html").get_template("document.html").render()  # no example: a bug of the caller, not a user's
    assert not isinstance(caught.value, SpecError)
