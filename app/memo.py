"""Bounded stores kept in each worker's memory (rendered HTML, worded lists, kept values...):
when a store is full, it is emptied and filled again from what is asked next. One rule for
every such store, so that none of them grows without limit (e.g. with spoofed Host headers
or many distinct keys)."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def keep(store: dict[K, V], key: K, value: V, *, limit: int) -> V:
    """Put ``value`` under ``key`` in ``store`` (emptied first when it holds ``limit`` other
    keys already) and give it back."""
    if len(store) >= limit and key not in store:
        store.clear()
    store[key] = value
    return value
