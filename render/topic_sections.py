"""Opt-in sections for worked examples (`render --with activations,initialization,torch`): one row per section."""

from __future__ import annotations

from typing import Callable

from ..derive.activation_facts import ELEMENTWISE
from ..derive.errors import SpecError

DRAWS = 1000  # weight draws of the numerical check inside a worked example


def _activations(derivation, number: int) -> tuple[tuple, dict]:
    from .activations_doc import activations_section

    # the activations this network uses (softmax and custom have no table of facts)
    names = [name for name in derivation.spec.activations if name in ELEMENTWISE]
    section, drawn = activations_section(names or ("sigmoid",), number)
    return (section,), drawn


def _initialization(derivation, number: int) -> tuple[tuple, dict]:
    from .initialization_doc import _draws, check_section, derivation_section, variance_figure

    spec = derivation.spec
    moments = _draws(spec, DRAWS)
    return ((derivation_section(number), check_section(spec, DRAWS, number + 1, moments)),
            {"variance": variance_figure(moments[0])})


def _torch(derivation, number: int) -> tuple[tuple, dict]:
    from .torch_doc import torch_section

    return (torch_section(derivation, number),), {}


# name -> (derivation, first section number) -> (sections, figures as name -> (SVG, TikZ))
TOPICS: dict[str, Callable] = {"activations": _activations, "initialization": _initialization, "torch": _torch}
TOPIC_SECTIONS = tuple(TOPICS)


def topic_sections(derivation, topics, first_number: int) -> tuple[tuple, dict]:
    """The sections asked for, numbered from `first_number`, and their figures as name -> (SVG, TikZ)."""
    for topic in topics:  # every name known before any section is made
        if topic not in TOPICS:
            raise SpecError("--with", f"unknown section {topic!r}; choose among {', '.join(TOPIC_SECTIONS)}")
    sections, figures = [], {}
    for topic in topics:
        made, drawn = TOPICS[topic](derivation, first_number + len(sections))
        sections += made
        figures.update(drawn)
    return tuple(sections), figures
