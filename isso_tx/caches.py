"""
The response caches: finished bodies of the hot read requests, dropped when
what they show changes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class ResponseCache:
    """
    Finished C{GET /} bodies, per thread, within a memory budget.

    Keys are the requests' checked queries; only their C{uri} matters
    here, to drop a thread's entries when it changes.
    """

    def __init__(self, budget: int = 8 * 1024 * 1024) -> None:
        self._entries: OrderedDict[Any, bytes] = OrderedDict()
        self._size = 0
        self._budget = budget
        # Bumped by every invalidation, so that a body computed from data
        # read before a write is not stored after it.
        self.generation = 0
        # Lookups that found a body, and those that did not (the metrics
        # read them).
        self.hits = 0
        self.misses = 0

    def get(self, query: Any) -> bytes | None:
        body = self._entries.get(query)
        if body is None:
            self.misses += 1
        else:
            self.hits += 1
            self._entries.move_to_end(query)
        return body

    def put(self, query: Any, body: bytes, generation: int) -> None:
        if generation != self.generation or len(body) > self._budget // 4:
            return
        # The key counts too: a client may ask for many long made-up uris,
        # each with a small body.
        self._size += self._cost(query, body) - self._cost(
            query, self._entries.pop(query, None)
        )
        self._entries[query] = body
        while self._size > self._budget:
            evicted_query, evicted = self._entries.popitem(last=False)
            self._size -= self._cost(evicted_query, evicted)

    @staticmethod
    def _cost(query: Any, body: bytes | None) -> int:
        return 0 if body is None else len(body) + len(query.uri)

    def invalidate(self, *uris: str) -> None:
        self.generation += 1
        for query in [q for q in self._entries if q.uri in uris]:
            self._size -= self._cost(query, self._entries.pop(query))

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._size = 0
