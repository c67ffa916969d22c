"""`render --with torch`: the exported script as a listing (escaped for HTML, Markdown and TeX) and nnsteps' gradients
beside autograd's, which come from running the script in PyTorch; a one-line error when torch is missing."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from nnsteps.cli import main
from nnsteps.derive.derivation import derive
from nnsteps.derive.errors import NumericalError, ToolMissingError
from nnsteps.derive.torch_export import torch_script
from nnsteps.spec import load_spec
from nnsteps.spec_writer import spec_to_mapping, to_toml

HOSTILE = 'Net ``` </code></pre><script>alert(1)</script> \\end{document} $x$ % # {\\bf b} ~ "q"'


def _hostile_spec(tmp_path):
    mapping = spec_to_mapping(load_spec("dropout"))
    mapping["title"] = HOSTILE
    path = tmp_path / "hostile.toml"
    path.write_text(to_toml(mapping))
    return path


@pytest.mark.parametrize("name", ["batchnorm", "dropout"])
def test_autograd_column_is_computed_by_torch(name, require_tools):
    """The column is autograd's: equal to nnsteps' within 1e-10, and changed when the script's loss is changed."""
    require_tools("python:torch")
    from nnsteps.render.torch_doc import autograd_gradients

    d = derive(load_spec(name))
    source = torch_script(d)
    theirs = autograd_gradients(source, d.spec.limits)
    assert theirs.keys() == d.backward.gradients.keys()
    for key, ours in d.backward.gradients.items():
        np.testing.assert_allclose(theirs[key], np.asarray(ours, dtype=float), rtol=0, atol=1e-10)
    halved = autograd_gradients(source.replace("per_sample = 0.5 *", "per_sample = 0.25 *"), d.spec.limits)
    np.testing.assert_allclose(halved["W2"], theirs["W2"] / 2, rtol=1e-12, atol=1e-15)
    with pytest.raises(NumericalError, match="the exported PyTorch script failed"):
        autograd_gradients(source.replace("def main():", "def main():\n    raise ValueError('boom')"), d.spec.limits)


def test_section_in_every_format(tmp_path, require_tools):
    require_tools("python:torch")
    out = tmp_path / "out"
    assert main(["render", "batchnorm", "--with", "torch", "-o", str(out)]) == 0
    md = (out / "batchnorm.md").read_text()
    section = md.split("The same computation in PyTorch", 2)[2]
    assert "```python\n" in section and "nn.BatchNorm1d(3, eps=0.01, momentum=0.1" in section
    assert "NNSTEPS = json.loads(...)" in section  # the numbers' line shortened; the exported file has them
    rows = [line for line in section.splitlines() if line.startswith("| $\\partial J")]
    assert len(rows) == sum(np.asarray(v).size for v in derive(load_spec("batchnorm")).backward.gradients.values())
    assert any("\\gamma^{(1)}_{2}" in row for row in rows)
    assert re.search(r"is \d\.\de-\d+: they agree within 1e-10", section)
    html = (out / "batchnorm.html").read_text()
    assert '<pre class="code language-python"><code>' in html and "autograd (PyTorch)" in html
    tex = (out / "batchnorm.tex").read_text()
    assert "{\\ttfamily\\footnotesize" in tex and "\\section" in tex.split("The same computation in PyTorch")[0][-40:]


def test_user_text_in_the_listing_stays_text(tmp_path, require_tools):
    """A title that would close the HTML element, the Markdown fence or the TeX block is printed, not obeyed."""
    require_tools("python:torch", "pdflatex")
    out = tmp_path / "out"
    assert main(["render", str(_hostile_spec(tmp_path)), "--with", "torch", "--to", "html,md,tex,pdf", "-o", str(out)]) == 0
    html = (out / "dropout.html").read_text()
    listing = html.split('<pre class="code language-python"><code>', 1)[1].split("</code></pre>", 1)[0]
    assert "<script>" not in listing and "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;" in listing
    md = (out / "dropout.md").read_text()
    fence = re.search(r"^(`{3,})python$", md, re.M).group(1)
    assert len(fence) > 3 and md.count(f"\n{fence}\n") == 1  # longer than the title's ``` run, closed once
    assert (out / "dropout.pdf").read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(out / "dropout.pdf"), "-"], capture_output=True, text=True).stdout
    assert "alert(1)" in text and "end{document}" in text  # printed in the listing, not obeyed


def test_without_torch_the_request_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    out = tmp_path / "out"
    assert main(["render", "tutorial", "--with", "torch", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --with: ") and err.count("\n") == 1 and "torch is not installed" in err
    assert not out.exists()
    with pytest.raises(ToolMissingError):
        from nnsteps.render.torch_doc import autograd_gradients

        autograd_gradients("", load_spec("tutorial").limits)
