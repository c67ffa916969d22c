""""Your turn" asks only for numbers the document has not already worked out before its exercises."""

import re

import pytest

from nnsteps.derive.derivation import derive
from nnsteps.pipeline import RenderOptions, documents
from nnsteps.render.steps import worked_example
from nnsteps.spec import load_spec, spec_from_mapping

EXAMPLES = ("tutorial", "chain", "tanh-sigmoid", "xor-softmax")


def _numbers(text: str) -> set:
    """Every number written in the text (LaTeX minus signs and braces aside), as printed."""
    return set(re.findall(r"-?\d+(?:\.\d+)?(?:\s*\\times\s*10\^\{-?\d+\})?", text))


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_asked_number_is_worked_before_the_exercises(name):
    d = derive(load_spec(name))
    example = worked_example(d)
    markdown = next(text for file, text in documents(d, RenderOptions(formats=("md",))).items() if file.endswith(".md"))
    body = markdown[:markdown.index('<a id="exercises">')]
    asked = [number for task in example.exercises for number in task.asked]
    assert len(example.exercises) >= 3 and all(task.asked for task in example.exercises)
    shown = _numbers(body)
    for number in asked:
        assert number not in shown, f"{name}: the asked {number} is worked in the body"
        assert number in markdown[markdown.index('<a id="solutions">'):]  # and the solutions give it


def test_the_tutorial_no_longer_asks_what_it_worked():
    d = derive(load_spec("tutorial"))
    asked = [number for task in worked_example(d).exercises for number in task.asked]
    assert asked[0] == "0.115817"  # the output after one step
    assert "-2.77298" not in asked  # dW3[2,1], worked in the body
    titles = [task.title.parts[0][1] for task in worked_example(d).exercises]
    assert titles[1:3] == ["A derivative at the output layer, one step later", "A delta in the first hidden layer, one step later"]


def test_without_an_update_the_chain_rule_is_still_asked():
    spec = spec_from_mapping({"layers": [1, 1], "activations": ["identity"], "loss": "squared_error",
                              "learning_rate": 0.1, "steps": 0, "parameters": {"W1": [[0.5]], "b1": [0.1]},
                              "data": {"X": [[1]], "Y": [[2]]}})
    tasks = worked_example(derive(spec)).exercises
    assert [t.id for t in tasks] == ["exercise-output"]
