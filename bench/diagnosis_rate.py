"""The diagnosis rate on simulated students: `python bench/diagnosis_rate.py [RANDOM_NETWORKS]` (default 40).

Each student makes one catalogued mistake (throughout, or at one random layer) or two, on the built-in
examples and on random networks, and writes every number of the computation; the rate is the share whose
first wrong step names a mistake they made (with at most one other that explains the answers equally well).
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from students import networks, single_mistake_students, two_mistake_students  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    start = time.perf_counter()
    ds = networks(seed=11, count=count)
    single = list(single_mistake_students(ds, seed=12))
    pairs = list(two_mistake_students(ds, seed=13, per_network=5))
    exact = sum(o.exact for o in single)
    named = sum(bool(set(o.made) & set(o.named)) for o in pairs)
    print(f"{len(ds)} networks ({count} random), {time.perf_counter() - start:.0f} s")
    print(f"single mistakes: diagnosed exactly {exact}/{len(single)} = {exact / len(single):.1%}")
    print(f"two mistakes: a made mistake named {named}/{len(pairs)} = {named / len(pairs):.1%}")
    misses = collections.Counter((o.made, o.named) for o in single if not o.exact)
    for (made, got), n in misses.most_common(10):
        print(f"  missed x{n}: made {made}, named {got}")


if __name__ == "__main__":
    main()
