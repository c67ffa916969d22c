"""Diagnosis consistent with all of a person's answers: forward-pass mistakes, ranking, no contradiction with
their right answers, ties named, and the measured rate on simulated students."""

from __future__ import annotations

from decimal import Decimal

from students import networks, single_mistake_students, two_mistake_students

from nnsteps.answers import answers_from_mapping
from nnsteps.derive.derivation import derive
from nnsteps.derive.grading import grade
from nnsteps.spec import load_spec


def _grade(network: str, answers: dict):
    d = derive(load_spec(network))
    return grade(d, answers_from_mapping({"answers": {k: Decimal(v) for k, v in answers.items()}}, d.spec))


def _names(row) -> list[str]:
    return [diagnosis.name for diagnosis in row.diagnoses]


def test_forgotten_relu_is_the_activation_not_applied():
    (row,) = _grade("tutorial", {"x1[1]": "-0.314"}).rows
    assert not row.right and _names(row) == ["activation_not_applied"]


def test_forgotten_tanh_on_every_neuron():
    rows = _grade("tanh-sigmoid", {"x1[1]@1": "0.300000", "x1[2]@1": "0.250000"}).rows
    assert [r.right for r in rows] == [False, False]
    assert _names(rows[0]) == ["activation_not_applied"]


def test_a_sign_slip_after_right_deltas_is_not_the_loss_gradient():
    # delta3 and delta2 right: a loss-gradient sign error would have flipped them too
    rows = _grade("tutorial", {"delta3[1]": "-112.998", "delta2[2]": "-7.90988", "dW2[2,2]": "6.47028"}).rows
    assert [r.right for r in rows] == [True, True, False]
    assert "loss_gradient_sign" not in _names(rows[2])
    assert rows[2].note == "the correct value with its sign flipped (a sign slip in this step)"
    # without the deltas, the sign error is the likely one
    (alone,) = _grade("tutorial", {"dW2[2,2]": "6.47028"}).rows
    assert "loss_gradient_sign" in _names(alone)


def test_mistakes_that_explain_the_answers_equally_well_are_both_named():
    # chain: two samples, mean, half squared error; dropping the 1/n (n = 2) or the 1/2 doubles every gradient
    d = derive(load_spec("chain"))
    doubled = {name: Decimal(f"{2 * float(d.value(name)):.8g}") for name in ("dW2[1,1]", "db2[1]")}
    rows = grade(d, answers_from_mapping({"answers": doubled}, d.spec)).rows
    assert {"reduction_dropped", "half_dropped"} <= set(_names(rows[0]))


def test_the_more_answers_a_mistake_explains_the_higher_it_ranks():
    # x1[1] without ReLU (-0.314) and z2 computed from it: only "activation not applied" explains both
    d = derive(load_spec("tutorial"))
    from nnsteps.derive.mistakes import CATALOGUE, lookup, problem_of
    from nnsteps.derive.names import parse_quantity

    values = CATALOGUE["activation_not_applied"].recompute(problem_of(d), layers=frozenset({1}))
    answers = {name: Decimal(f"{lookup(values, parse_quantity(name, d.spec), 3):.6g}")
               for name in ("x1[1]", "z2[1]", "z2[2]")}
    rows = grade(d, answers_from_mapping({"answers": answers}, d.spec)).rows
    first = next(r for r in rows if not r.right)
    assert _names(first) == ["activation_not_applied"]


def test_diagnosis_rate_on_simulated_students():
    """Every applicable mistake, throughout and at a random layer, on the built-in examples and random networks."""
    ds = networks(seed=1, count=3)
    single = list(single_mistake_students(ds, seed=2))
    rate = sum(o.exact for o in single) / len(single)
    pairs = list(two_mistake_students(ds, seed=3, per_network=4))
    pair_rate = sum(bool(set(o.made) & set(o.named)) for o in pairs) / len(pairs)
    print(f"diagnosed exactly: {rate:.1%} of {len(single)} single-mistake students; "
          f"a made mistake named for {pair_rate:.1%} of {len(pairs)} two-mistake students")
    assert len(single) >= 150
    assert rate >= 0.95, [o for o in single if not o.exact]
    assert pair_rate >= 0.8
