"""Markdown that Pandoc and Quarto read as maths: `$...$` with no space inside the dollars, no escaped period after."""

import re

import pytest

from nnsteps.pipeline import RenderOptions, documents
from nnsteps.derive.derivation import derive
from nnsteps.render.escape import md_escape
from nnsteps.spec import builtin_names, load_spec

INLINE = re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<!\\)\$")


@pytest.mark.parametrize("name", builtin_names())
def test_inline_maths_is_pandoc_maths(name):
    md = next(text for file, text in documents(derive(load_spec(name)), RenderOptions(formats=("md",))).items()
              if file.endswith(".md"))
    prose = re.sub(r"\$\$.*?\$\$", "", md, flags=re.S)  # displayed maths aside
    spans = INLINE.findall(prose)
    assert spans
    for span in spans:
        # Pandoc: the opening $ has a non-space right after it, the closing $ a non-space right before it
        assert span == span.strip(), span
    assert not re.search(r"\$\\[.,;:]", prose)  # no escaped punctuation after maths
    assert "sample 1 (" in md or "sample 1." in md  # "sample 1 (J_1)": a space before the parenthesis


def test_list_markers_are_escaped_and_nothing_else():
    assert md_escape(". then") == ". then" and md_escape("3.5 is") == "3.5 is" and md_escape("-0.5") == "-0.5"
    assert md_escape("1. first") == r"1\. first" and md_escape("- item") == r"\- item" and md_escape("+ x") == r"\+ x"
