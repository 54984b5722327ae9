"""
A reactor stand-in for unit tests of code that hands work to the thread
pool: nothing runs in another thread, and the test decides when the work
is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.task import Clock
from twisted.python.failure import Failure


class ThreadlessReactor(Clock):
    """
    A L{Clock} that is also its own thread pool: work handed to the pool
    waits in L{work} until L{run_work} runs it in the test's thread, and
    what it gives back is delivered at once, as C{callFromThread} would.
    """

    def __init__(self) -> None:
        super().__init__()
        self.work: list[tuple[Callable[..., Any], Callable[..., Any], tuple, dict]] = []

    def getThreadPool(self) -> ThreadlessReactor:
        return self

    def callInThreadWithCallback(
        self,
        on_result: Callable[[bool, Any], None],
        f: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.work.append((on_result, f, args, kwargs))

    def callFromThread(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        f(*args, **kwargs)

    def run_work(self) -> int:
        """
        Run the queued work, including work queued meanwhile, and return how
        many pieces ran.
        """
        count = 0
        while self.work:
            on_result, f, args, kwargs = self.work.pop(0)
            try:
                result = f(*args, **kwargs)
            except BaseException:
                on_result(False, Failure())
            else:
                on_result(True, result)
            count += 1
        return count
