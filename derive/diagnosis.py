"""A diagnosis consistent with everything a person wrote: catalogued mistakes ranked by how many answers each explains.

A candidate is a mistake made at one layer or throughout, recomputed with the person's own numbers
substituted or from scratch. It explains a wrong answer when its recomputation reproduces that number. It is
ruled out when it would change a number the person got right upstream of what it explains. Each wrong answer
is then blamed on the candidates that explain the most answers among those that explain it; equal ones are
all named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from .mistakes import MISTAKES, Mistake, lookup
from .names import Quantity

Reproduces = Callable[[object, float, float], bool]  # (answer, recomputed value, correct recomputation) -> bool


@dataclass(frozen=True)
class Candidate:
    """One way of making a mistake, and the answers it accounts for."""

    mistake: Mistake
    layers: Optional[frozenset]  # None: throughout
    substituted: bool  # computed from the person's own earlier numbers
    explains: frozenset

    @property
    def score(self) -> int:
        return len(self.explains)


class Diagnoser:
    """Candidates for a set of answers, computed once; `for_answer` names the best ones for one wrong answer."""

    def __init__(self, runs, wrong: Sequence, right: Sequence, reproduces: Reproduces, order: Callable[[Quantity], tuple]):
        self.runs, self.wrong, self.right = runs, tuple(wrong), tuple(right)
        self.reproduces, self.order = reproduces, order
        self.depth = runs.problem.spec.depth
        self._candidates: Optional[list[Candidate]] = None

    def _value(self, values, q: Quantity) -> float:
        return lookup(values, q, self.depth)

    def _explained(self, mistake: Mistake, layers, substituted: bool) -> frozenset:
        values, reference = self.runs.get(mistake, layers, substituted), self.runs.get(None, None, substituted)
        return frozenset(a.quantity for a in self.wrong if a.quantity.kind in mistake.affects
                         and self.reproduces(a, self._value(values, a.quantity), self._value(reference, a.quantity)))

    def _contradicts(self, mistake: Mistake, layers, substituted: bool, explains: frozenset) -> bool:
        """It would make wrong a number the person got right, earlier in the computation than what it explains."""
        values, reference = self.runs.get(mistake, layers, substituted), self.runs.get(None, None, substituted)
        last = max(self.order(q) for q in explains)
        return any(self.order(a.quantity) < last and a.quantity.kind in mistake.affects
                   and not self.reproduces(a, self._value(values, a.quantity), self._value(reference, a.quantity))
                   for a in self.right)

    def candidates(self) -> list[Candidate]:
        """For each applicable mistake, its way of being made that explains the most answers without contradiction."""
        if self._candidates is None:
            spec, found = self.runs.problem.spec, []
            for mistake in MISTAKES:
                if not mistake.applies(spec):
                    continue
                best = None
                for layers in mistake.sites(spec):
                    for substituted in (True, False):
                        explains = self._explained(mistake, layers, substituted)
                        if not explains or (best is not None and len(explains) <= best.score):
                            continue
                        if not self._contradicts(mistake, layers, substituted, explains):
                            best = Candidate(mistake, layers, substituted, explains)
                if best is not None:
                    found.append(best)
            self._candidates = found
        return self._candidates

    def for_answer(self, q: Quantity) -> tuple[Candidate, ...]:
        """The candidates explaining this answer that explain the most answers overall (ties all named)."""
        explaining = [c for c in self.candidates() if q in c.explains]
        if not explaining:
            return ()
        top = max(c.score for c in explaining)
        return tuple(c for c in explaining if c.score == top)
