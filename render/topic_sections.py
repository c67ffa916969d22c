"""Opt-in sections for worked examples (`render --with activations,initialization`): the topic documents' sections."""

from __future__ import annotations

from ..derive.activation_facts import ELEMENTWISE
from ..derive.errors import SpecError

TOPIC_SECTIONS = ("activations", "initialization")
DRAWS = 1000  # weight draws of the numerical check inside a worked example


def topic_sections(spec, topics, first_number: int) -> tuple[tuple, dict]:
    """The sections asked for, numbered from `first_number`, and their figures as name -> (SVG, TikZ)."""
    from .activations_doc import activations_section
    from .initialization_doc import _draws, check_section, derivation_section, variance_figure

    sections, figures = [], {}
    for topic in topics:
        number = first_number + len(sections)
        if topic == "activations":
            # the activations this network uses (softmax and custom have no table of facts)
            names = [name for name in spec.activations if name in ELEMENTWISE]
            section, drawn = activations_section(names or ("sigmoid",), number)
            sections.append(section)
            figures.update(drawn)
        elif topic == "initialization":
            moments = _draws(spec, DRAWS)
            sections += [derivation_section(number), check_section(spec, DRAWS, number + 1, moments)]
            figures["variance"] = variance_figure(moments[0])
        else:
            raise SpecError("--with", f"unknown section {topic!r}; choose among {', '.join(TOPIC_SECTIONS)}")
    return tuple(sections), figures
