"""The one grammar of quantity names: a table of kinds, one record, its printings (`W3[2,1]@after`, `w3_2_1`, `W3`).

A quantity is a `Quantity` record: its kind, its layer, its 1-based indices and its qualifiers (a sample,
or a point of training: `@after` the last step, `@t3` after step 3). The record prints several ways, each
a row of `PRINTINGS`: the answers-file form (`z1[2]@1`, `dW3[2,1]`, `W2[1,2]@after`, `J`), the SymPy
symbol form (`z1_2`, `w3_2_1`, `y_1`, `J`) and the matrix form's layer arrays (`W3`, `dZ3`, `Y`). What each kind is (its letters, whether it has a layer
number, how many indices, which qualifiers it takes, what bounds its indices) is a row of a `Grammar`;
a new kind (an optimizer state, a dropout mask, a batch-norm mean) is one more row, never a new branch.
`parse_quantity` checks a name against a network with the messages nnsteps has always given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field, replace
from functools import cached_property, lru_cache
from typing import Any, Optional

from .errors import SpecError

EXAMPLES = "J, z1[2], x2[1]@3, delta3[1], W3[2,1], dW3[2,1], db2[1]"  # shown when a name cannot be read

# the layer whose width bounds an index: the quantity's own layer, the layer before it, or the output layer
SIZE_OF = {"this": lambda layer, depth: layer, "previous": lambda layer, depth: layer - 1,
           "output": lambda layer, depth: depth}
SAMPLES = ("each", "optional", "none")  # a value per sample (`@s`, default 1); `@s` or the batch (J); batch only
STEPS = ("after", "t")  # `@after`: after the last training step; `@tN`: after step N


@dataclass(frozen=True)
class Kind:
    """One row of the grammar: what a kind of quantity is called and what it takes."""

    name: str  # as written in answers files: W
    symbol: Optional[str]  # the letters of its SymPy symbols (w3_2_1); None: it has no symbol
    layered: bool  # written with a layer number
    sizes: tuple[str, ...]  # per index, the layer whose width bounds it (keys of SIZE_OF); len = arity
    sample: str = "none"  # one of SAMPLES
    steps: frozenset = frozenset()  # subset of STEPS
    lowest_layer: int = 1  # x0 is the input; every other layered kind starts at layer 1
    output_only: bool = False  # exists for the output layer only (dx)
    matrix: Optional[str] = None  # the letters of its layer matrix in the matrix form (dZ3); None: it has none
    meaning: str = ""
    output_note: str = ""  # the message for another layer than the output one
    needs: Optional[str] = None  # "dropout" or "batchnorm": exists only in layers with that row

    def __post_init__(self):
        if self.sample not in SAMPLES or not self.steps <= set(STEPS) or any(s not in SIZE_OF for s in self.sizes):
            raise ValueError(f"kind {self.name}: sample in {SAMPLES}, steps in {STEPS}, sizes in {tuple(SIZE_OF)}")

    @property
    def arity(self) -> int:
        return len(self.sizes)


@dataclass(frozen=True)
class Printing:
    """One way of writing a quantity: which letters of the kind, how indices are set off, whether qualifiers may follow."""

    name: str
    letters: str  # the Kind attribute holding the letters: "name", "symbol" or "matrix"
    open: str  # before the first index
    separator: str  # between indices
    close: str  # after the last index
    qualifiers: bool  # @s, @after, @tN may follow
    indices: bool = True  # False: the name is of a whole layer's array, never of one entry


PRINTINGS = {
    "answers": Printing("answers", "name", "[", ",", "]", True),  # W3[2,1]@after
    "symbol": Printing("symbol", "symbol", "_", "_", "", False),  # w3_2_1
    "matrix": Printing("matrix", "matrix", "", "", "", False, indices=False),  # W3, dZ3: matrix_form's MatrixSymbols
}


@dataclass(frozen=True)
class Grammar:
    """The table of kinds; the regular expression of every printing is built from it."""

    rows: tuple[Kind, ...]
    _cache: dict = dataclass_field(default_factory=dict, compare=False, repr=False, hash=False)

    def __getitem__(self, kind: str) -> Kind:
        """The row of a kind; a miss raises KeyError."""
        return self.by_name[kind]

    def __contains__(self, kind: str) -> bool:
        return kind in self.by_name

    def with_row(self, row: Kind) -> "Grammar":
        """A copy of the table with one more kind (or a kind replaced)."""
        return Grammar(tuple(r for r in self.rows if r.name != row.name) + (row,))

    @cached_property
    def by_name(self) -> dict[str, Kind]:
        return {row.name: row for row in self.rows}

    def letters(self, printing: Printing) -> dict[str, Kind]:
        """The kinds by their letters in one printing (kinds without letters there are left out)."""
        key = ("letters", printing.name)
        if key not in self._cache:
            self._cache[key] = {getattr(row, printing.letters): row for row in self.rows
                                if getattr(row, printing.letters) is not None}
        return self._cache[key]

    @property
    def by_symbol(self) -> dict[str, Kind]:
        return self.letters(PRINTINGS["symbol"])

    def pattern(self, printing: Printing) -> re.Pattern:
        """kind letters, layer digits, indices, then (answers form) a sample and a step qualifier."""
        key = ("pattern", printing.name)
        if key not in self._cache:
            # longest letters first, so that a kind is never read as a shorter kind plus junk (yhat, y)
            letters = "|".join(re.escape(k) for k in sorted(self.letters(printing), key=lambda k: (-len(k), k)))
            o, s, c = (re.escape(t) for t in (printing.open, printing.separator, printing.close))
            indices = rf"(?:{o}(\d+(?:{s}\d+)*){c})?" if printing.indices else "()"
            tail = r"(?:@(\d+))?(?:@(after|t\d+))?" if printing.qualifiers else "()()"
            self._cache[key] = re.compile(rf"^({letters})(\d*){indices}{tail}$")
        return self._cache[key]

    # -- what some row of the table offers (a form no row offers is not a name at all) --
    @cached_property
    def max_arity(self) -> int:
        return max(row.arity for row in self.rows)

    @cached_property
    def offers(self) -> frozenset:
        """The qualifier forms some kind takes: "sample", "after", "t", and "sample+step" when one takes both."""
        forms = set()
        for row in self.rows:
            forms |= set(row.steps) | ({"sample"} if row.sample != "none" else set())
            forms |= {"sample+step"} if row.steps and row.sample != "none" else set()
        return frozenset(forms)

    def after_kinds(self, spec=None) -> str:
        """The kinds taking @after, as words: "W and b" (gamma and beta too when the network has batch norm)."""
        names = [row.name for row in self.rows if "after" in row.steps
                 and (row.needs is None or spec is None or getattr(spec, row.needs, None) is not None)]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_PARAMETER = dict(layered=True, steps=frozenset({"after", "t"}))
# an update rule's per-parameter state after step t (derive/optim/): m_W2[1,1]@t1 is Adam's m of w^(2)_{1,1}
OPTIMIZER_STATES = {
    "buf": "momentum buffer", "sum": "AdaGrad's sum of squared gradients", "v": "mean squared gradient (v)",
    "gavg": "RMSProp's mean gradient (centered)", "m": "Adam's mean gradient (m)", "vmax": "AMSGrad's max of v",
    "mhat": "Adam's bias-corrected m", "vhat": "Adam's bias-corrected v",
}
_STATE = dict(layered=True, steps=frozenset({"t"}))  # without @tN: after the last step
GRAMMAR = Grammar((
    Kind("J", "J", False, (), sample="optional", meaning="batch cost; J@s is the cost of sample s"),
    Kind("yhat", None, False, ("output",), sample="each", meaning="network output = x^(L)"),
    Kind("y", "y", False, ("output",), sample="each", matrix="Y", meaning="target"),
    Kind("x", "x", True, ("this",), sample="each", lowest_layer=0, matrix="X", meaning="neuron"),
    Kind("z", "z", True, ("this",), sample="each", matrix="Z", meaning="receptor"),
    Kind("delta", "delta", True, ("this",), sample="each", matrix="dZ", meaning="dJ/dz for one sample"),
    Kind("dx", None, True, ("this",), sample="each", output_only=True, matrix="dX", meaning="dJ/dx^(L) for one sample",
         output_note="dx is dJ/dx of the output layer {depth}"),
    Kind("W", "w", sizes=("previous", "this"), matrix="W", meaning="weight w_ij from neuron i to neuron j",
         **_PARAMETER),
    Kind("b", "b", sizes=("this",), matrix="b", meaning="bias", **_PARAMETER),
    Kind("dW", None, True, ("previous", "this"), matrix="dW", meaning="batch gradient dJ/dw; @tN: of step N's batch",
         steps=frozenset({"t"})),
    Kind("db", None, True, ("this",), matrix="db", meaning="batch gradient dJ/db; @tN: of step N's batch",
         steps=frozenset({"t"})),
    Kind("gnorm", None, False, (), steps=frozenset({"t"}), meaning="global gradient 2-norm before clipping at step t"),
    Kind("clip", None, False, (), steps=frozenset({"t"}), meaning="clip coefficient min(1, max/(norm + 1e-6)) at step t"),
    # dropout (derive/layers/dropout.py): x^(l) = a^(l) m^(l) / (1 - p). These kinds have no SymPy symbols yet: the
    # per-neuron model (derive/model.py) is of dense layers; their numbers come from the rows' records
    Kind("mask", None, True, ("this",), sample="each", matrix="M", needs="dropout", meaning="dropout mask: 1 kept, 0 dropped"),
    Kind("a", None, True, ("this",), sample="each", matrix="A", needs="dropout", meaning="activation before dropout"),
    Kind("da", None, True, ("this",), sample="each", matrix="dA", needs="dropout", meaning="dJ/da for one sample"),
    # batch norm (derive/layers/batchnorm.py): u^(l) = gamma zhat^(l) + beta, zhat = (z - mu) / sqrt(var + eps)
    Kind("mu", None, True, ("this",), matrix="mu", needs="batchnorm", meaning="batch mean of z"),
    Kind("var", None, True, ("this",), matrix="sigma2_", needs="batchnorm", meaning="biased batch variance of z"),
    Kind("zhat", None, True, ("this",), sample="each", matrix="Zhat", needs="batchnorm", meaning="normalized z"),
    Kind("u", None, True, ("this",), sample="each", matrix="U", needs="batchnorm", meaning="batch-norm output"),
    Kind("du", None, True, ("this",), sample="each", matrix="dU", needs="batchnorm", meaning="dJ/du for one sample"),
    Kind("gamma", None, sizes=("this",), matrix="gamma", needs="batchnorm", meaning="batch-norm scale",
         **_PARAMETER),
    Kind("beta", None, sizes=("this",), matrix="beta", needs="batchnorm", meaning="batch-norm shift", **_PARAMETER),
    Kind("dgamma", None, True, ("this",), matrix="dgamma", needs="batchnorm", meaning="batch gradient dJ/dgamma"),
    Kind("dbeta", None, True, ("this",), matrix="dbeta", needs="batchnorm", meaning="batch gradient dJ/dbeta"),
) + tuple(Kind(f"{state}_{kind}", None, sizes=sizes, meaning=f"{meaning} of {kind}", **_STATE)
          for state, meaning in OPTIMIZER_STATES.items() for kind, sizes in (("W", ("previous", "this")), ("b", ("this",)))))


def has_row(spec, needs: Optional[str], layer: Optional[int]) -> bool:
    """Whether the network has the dropout or batch-norm row a kind needs in this layer."""
    if needs is None:
        return True
    table = getattr(spec, needs, None)
    layers = () if table is None else table.layers() if needs == "dropout" else table.layers
    return layer in layers


@dataclass(frozen=True)
class Quantity:
    """A quantity reference; `indices` are 1-based as written. `sample` None: the batch (or not yet defaulted)."""

    kind: str
    layer: Optional[int] = None
    indices: tuple[int, ...] = ()
    sample: Optional[int] = None
    after: bool = False  # after the last training step (`@after`)
    step: Optional[int] = None  # after training step t (`@tN`); exclusive with `after`

    def __post_init__(self):
        if self.after and self.step is not None:
            raise ValueError("a quantity is after the last step or after step t, not both")

    @classmethod
    def parse(cls, text: Any, field: str = "quantity", grammar: Grammar = GRAMMAR) -> "Quantity":
        """Read an answers-file name (spaces ignored); SpecError when it is not one. Nothing is checked against a network."""
        match = grammar.pattern(PRINTINGS["answers"]).match(str(text).replace(" ", ""))
        if not match:
            raise SpecError(field, f"{text!r} is not a quantity name; write e.g. {EXAMPLES}")
        return cls._from_match(match, grammar.by_name)

    @classmethod
    def parse_symbol(cls, name: str, grammar: Grammar = GRAMMAR) -> "Quantity":
        """Read a SymPy symbol name (`w3_2_1`); ValueError when it names no quantity of the grammar."""
        return cls.parse_as(name, PRINTINGS["symbol"], grammar)

    @classmethod
    def parse_as(cls, name: str, printing: Printing, grammar: Grammar = GRAMMAR) -> "Quantity":
        """Read a name of a printing without qualifiers (symbol, matrix), with exactly the layer and indices of its row."""
        match = grammar.pattern(printing).match(name)
        quantity = cls._from_match(match, grammar.letters(printing)) if match else None
        row = grammar[quantity.kind] if quantity else None
        arity = (row.arity if printing.indices else 0) if row else None
        if row is None or row.layered != (quantity.layer is not None) or arity != len(quantity.indices):
            raise ValueError(f"{name!r} is not a {printing.name} name of a quantity")
        return quantity

    @classmethod
    def _from_match(cls, match: re.Match, letters: dict[str, Kind]) -> "Quantity":
        kind, layer, indices, sample, step = match.groups()
        split = re.split(r"\D", indices) if indices else ()
        return cls(letters[kind].name, int(layer) if layer else None, tuple(int(i) for i in split),
                   int(sample) if sample else None, step == "after",
                   int(step[1:]) if step and step != "after" else None)

    def printed(self, printing: Printing, grammar: Grammar = GRAMMAR) -> str:
        """The name in one printing; ValueError when the kind has no letters there or qualifiers cannot be written."""
        # the answers form writes the kind itself, so a record prints without its table; other forms look it up
        letters = self.kind if printing.letters == "name" else getattr(grammar[self.kind], printing.letters)
        qualifiers = self.qualifiers
        if letters is None or (qualifiers and not printing.qualifiers) or (self.indices and not printing.indices):
            raise ValueError(f"{self.name} has no {printing.name} form")
        text = letters + ("" if self.layer is None else str(self.layer))
        if self.indices:
            text += printing.open + printing.separator.join(map(str, self.indices)) + printing.close
        return text + qualifiers

    @property
    def qualifiers(self) -> str:
        sample = "" if self.sample is None else f"@{self.sample}"
        return sample + ("@after" if self.after else "" if self.step is None else f"@t{self.step}")

    @property
    def name(self) -> str:
        """The answers-file form: z1[2]@1, W3[2,1]@after, J."""
        return self.printed(PRINTINGS["answers"])

    def symbol_name(self, grammar: Grammar = GRAMMAR) -> str:
        """The SymPy symbol form: z1_2, w3_2_1, y_1, J."""
        return self.printed(PRINTINGS["symbol"], grammar)

    def matrix_name(self, grammar: Grammar = GRAMMAR) -> str:
        """The name of the whole layer's matrix (no indices): W3, dZ3, X0, Y."""
        return self.printed(PRINTINGS["matrix"], grammar)

    def __str__(self) -> str:
        return self.name


def symbol_quantity(symbol, grammar: Grammar = GRAMMAR) -> Optional[Quantity]:
    """What a network symbol stands for; None for any other symbol (generic z, sum indices, matrices)."""
    return read(getattr(symbol, "name", ""), "symbol", grammar)


def matrix_quantity(matrix, grammar: Grammar = GRAMMAR) -> Optional[Quantity]:
    """Which layer array a MatrixSymbol of the matrix form is (W3 -> W of layer 3); None for any other."""
    return read(getattr(matrix, "name", ""), "matrix", grammar)


def read(name: str, printing: str, grammar: Grammar = GRAMMAR) -> Optional[Quantity]:
    """The quantity a name of a printing without qualifiers stands for, or None."""
    return _read_cached(name, printing) if grammar is GRAMMAR else _read(name, printing, grammar)


def _read(name: str, printing: str, grammar: Grammar) -> Optional[Quantity]:
    try:
        return Quantity.parse_as(name, PRINTINGS[printing], grammar)
    except ValueError:
        return None


@lru_cache(maxsize=1 << 16)
def _read_cached(name: str, printing: str) -> Optional[Quantity]:
    # printers and the expansion budget ask about the same few symbols thousands of times
    return _read(name, printing, GRAMMAR)


def letters(quantity: Quantity, printing: str = "symbol", grammar: Grammar = GRAMMAR) -> str:
    """The letters of a quantity's kind in a printing (w for W in symbols); printers key their notation on them."""
    return getattr(grammar[quantity.kind], PRINTINGS[printing].letters)


def check(quantity: Quantity, spec, text: Any, field: str = "quantity", grammar: Grammar = GRAMMAR) -> Quantity:
    """Check a parsed name against a network: layer, indices, qualifiers; per-sample kinds default to sample 1."""
    q, row = quantity, grammar[quantity.kind]
    kind, layer, indices = q.kind, q.layer, q.indices
    forms = {"sample"} if q.sample is not None else set()
    forms |= {"after"} if q.after else {"t"} if q.step is not None else set()
    forms |= {"sample+step"} if len(forms) == 2 else set()
    absent = row.needs is not None and getattr(spec, row.needs, None) is None  # no [dropout]/[batchnorm]: no such kind
    if absent or len(indices) > grammar.max_arity or not forms <= grammar.offers:  # a shape no kind has
        raise SpecError(field, f"{text!r} is not a quantity name; write e.g. {EXAMPLES}")
    if row.layered != (layer is not None):
        raise SpecError(field, f"{text!r}: {kind} {'needs' if row.layered else 'takes no'} layer number")
    if len(indices) != row.arity:
        raise SpecError(field, f"{text!r}: {kind} takes {row.arity} index{'es' if row.arity != 1 else ''}")
    depth, sizes = spec.depth, spec.layers
    if layer is not None:
        if row.output_only and layer != depth:
            raise SpecError(field, f"{text!r}: " + row.output_note.format(depth=depth))
        if not row.lowest_layer <= layer <= depth:
            raise SpecError(field, f"{text!r}: layer {layer} does not exist; layers are {row.lowest_layer}..{depth}")
    if not has_row(spec, row.needs, layer):
        raise SpecError(field, f"{text!r}: layer {layer} has no {row.needs}")
    for index, size in zip(indices, row.sizes):
        bound = sizes[SIZE_OF[size](layer, depth)]
        if not 1 <= index <= bound:
            raise SpecError(field, f"{text!r}: index {index} is out of range 1..{bound}")
    if q.after and "after" not in row.steps:
        raise SpecError(field, f"{text!r}: @after applies to parameters {grammar.after_kinds(spec)} only")
    if q.step is not None:
        if "t" not in row.steps:
            raise SpecError(field, f"{text!r}: {kind} takes no step; drop @t{q.step}")
        if not 1 <= q.step <= spec.steps:
            raise SpecError(field, f"{text!r}: step {q.step} is out of range 1..{spec.steps}")
    if q.sample is not None:
        if row.sample == "none":
            suffix = str(text).replace(" ", "").partition("@")[2]
            raise SpecError(field, f"{text!r}: {kind} is for the whole batch; drop @{suffix}")
        if not 1 <= q.sample <= spec.n_samples:
            raise SpecError(field, f"{text!r}: sample {q.sample} is out of range 1..{spec.n_samples}")
    elif row.sample == "each":
        return replace(q, sample=1)
    return q


def parse_quantity(text: Any, spec, field: str = "quantity", grammar: Grammar = GRAMMAR) -> Quantity:
    """Read and check a quantity name against the network; SpecError names what is wrong."""
    return check(Quantity.parse(text, field, grammar), spec, text, field, grammar)


def ask_pattern(text: str, grammar: Grammar = GRAMMAR) -> re.Pattern:
    """An `[exercise] ask` pattern: `*` stands for a layer, an index or a sample; no `@` means sample 1."""
    compact = text.replace(" ", "")
    kinds = "|".join(re.escape(k) for k in sorted(grammar.by_name, key=lambda k: (-len(k), k)))
    kind = re.match(f"^({kinds})", compact)
    if kind and grammar[kind.group(1)].needs and not re.match(r"[\d*]", compact[kind.end():kind.end() + 1]):
        kind = None  # a dropout or batch-norm kind is followed by its layer ("after" is not the kind a)
    if kind and "@" not in compact and grammar[kind.group(1)].sample == "each":
        compact += "@1"
    return re.compile("^" + re.escape(compact).replace(r"\*", r"\d+") + "$")
