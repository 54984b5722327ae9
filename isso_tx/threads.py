"""
Running blocking work (hashing, Markdown, HTML parsing) off the reactor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorThreads
from twisted.internet.threads import deferToThreadPool

T = TypeVar("T")


def run_in_thread(
    reactor: IReactorThreads, f: Callable[..., T], *args: Any
) -> Deferred[T]:
    """
    Call C{f(*args)} in the reactor's thread pool; the result arrives in
    the reactor thread.
    """
    return deferToThreadPool(reactor, reactor.getThreadPool(), f, *args)
