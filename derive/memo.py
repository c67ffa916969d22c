"""A bounded memo of immutable results by key: the per-structure caches of derive/ (forms, kernels, deltas)."""

from __future__ import annotations

from typing import Callable, Hashable


class Memo:
    """Results built on first use; beyond `size` entries the oldest is dropped (they are rebuilt if asked again)."""

    def __init__(self, size: int):
        self.size, self.entries = size, {}

    def get(self, key: Hashable, build: Callable[[], object]):
        if key not in self.entries:
            if len(self.entries) >= self.size:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = build()
        return self.entries[key]
