"""
The daemon's log on standard output, as twistd writes it, for less work
per line.

Under C{twistd --nodaemon} without C{--logfile} (the systemd unit, C{make
run}, the README's examples), twistd writes every event with
C{textFileLogObserver(sys.stdout)}: that formats the event's time with
C{strftime} in the local time zone, and parses the event's format string,
for every line, and the access log writes a line per request.
L{LogLines} writes the same lines with the time formatted once per second
and the plain formats (text and C{{name}} fields, as almost all of ours
are) filled in directly, each parsed once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from string import Formatter
from time import time
from typing import IO, Any

from twisted.internet.interfaces import IReactorTime
from twisted.logger import (
    ILogObserver,
    LogEvent,
    Logger,
    LogLevel,
    formatEventAsClassicLogText,
    formatTime,
    timeFormatRFC3339,
)
from twisted.python.threadable import isInIOThread
from zope.interface import implementer

# The access log's namespace (see isso_tx.tap.IssoWebSite.log).
ACCESS_NAMESPACE = "isso_tx.access"


@lru_cache(maxsize=256)
def plain_fields(log_format: str) -> tuple[tuple[str, str | None], ...] | None:
    """
    Split a format into (text, field name) pairs, when it is plain: its
    fields are bare names, without conversion, format spec, attribute,
    index or call; else None.
    """
    try:
        parts = list(Formatter().parse(log_format))
    except ValueError:
        return None
    for _, name, spec, conversion in parts:
        if name is not None and (spec or conversion or not name.isidentifier()):
            return None
    return tuple((text, name) for text, name, _, _ in parts)


@implementer(ILogObserver)
class LogLines:
    """
    Writes each event to C{out} as twistd's C{textFileLogObserver} does:
    C{<time> [<system>] <text>}, with continuation lines indented by a tab.
    """

    def __init__(
        self,
        out: IO[str],
        reactor: IReactorTime | None = None,
        in_reactor_thread: Callable[[], bool] = isInIOThread,
    ) -> None:
        """
        @param reactor: when given, lines written in its thread are flushed
            together once the reactor's current turn is over, rather than
            one write per line: a turn answers several requests, and each
            has its access line.  Lines from other threads, or written
            while the reactor is not running, are flushed at once.
        @param in_reactor_thread: tells whether the caller is the reactor's
            thread.
        """
        self._out = out
        self._reactor = reactor
        self._in_reactor_thread = in_reactor_thread
        self._flush_pending = False
        self._second: int | None = None
        self._stamp = "-"

    def __call__(self, event: LogEvent) -> None:
        text = self.format(event)
        if not text:
            return
        self._out.write(text)
        if (
            self._reactor is None
            or not getattr(self._reactor, "running", False)
            or not self._in_reactor_thread()
        ):
            # Lines written before the reactor runs, or after it stopped
            # (the last lines of a daemon), have no turn to wait for.
            self._out.flush()
        elif not self._flush_pending:
            self._flush_pending = True
            self._reactor.callLater(0, self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self._out.flush()

    def format(self, event: LogEvent) -> str | None:
        text = self._plain_text(event)
        if text is None:
            return formatEventAsClassicLogText(event, formatTime=self.time)
        stamp = self.time(event.get("log_time"))
        system = f"{event['log_namespace']}#{event['log_level'].name}"
        return f"{stamp} [{system}] " + text.replace("\n", "\n\t") + "\n"

    @staticmethod
    def _plain_text(event: LogEvent) -> str | None:
        """
        Return the event's message when its format is plain and the event
        is one twistd writes as C{<time> [<namespace>#<level>] <message>}
        (no system of its own, no traceback); else None.
        """
        log_format = event.get("log_format")
        if (
            not isinstance(log_format, str)
            or "log_system" in event
            or "log_failure" in event
            or "log_namespace" not in event
            or "log_level" not in event
        ):
            return None
        parts = plain_fields(log_format)
        if parts is None:
            return None
        try:
            text = "".join(
                literal + ("" if name is None else format(event[name], ""))
                for literal, name in parts
            )
        except KeyError:
            return None
        # twistd writes nothing for an event whose message is blank.
        return text if text.strip() else None

    def time(self, when: Any) -> str:
        """
        Return C{formatTime(when)}, formatted anew only when the second
        changes (the format shows whole seconds).
        """
        if when is None:
            return formatTime(None)
        second = int(when)
        if second != self._second:
            self._second = second
            self._stamp = formatTime(second, timeFormatRFC3339)
        return self._stamp


def twistd_logs_to_stdout(twistd_options: Any) -> bool:
    """
    Whether twistd, run with C{twistd_options} (its own, not the plugin's),
    writes the log to standard output with its default observer: no
    C{--logger} and no C{--syslog}, and C{--logfile -} or C{--nodaemon}
    without C{--logfile}.
    """
    if twistd_options is None:
        return False
    logfile = twistd_options.get("logfile")
    return (
        not twistd_options.get("logger")
        and not twistd_options.get("syslog")
        and (logfile == "-" or (bool(twistd_options.get("nodaemon")) and not logfile))
    )


class PerRequestLogger(Logger):
    """
    A logger for the lines written once per request (the access log).

    L{Logger.emit} first checks that the level is one of L{LogLevel}'s
    constants by iterating over all of them, which alone cost 3 % of
    answering a static file; this logger's callers pass those constants
    (through L{Logger.info} and its siblings), so the event is built and
    published directly, as C{emit} would.
    """

    def emit(self, level: LogLevel, format: str | None = None, **kwargs: object) -> None:
        kwargs.update(
            log_logger=self,
            log_level=level,
            log_namespace=self.namespace,
            log_source=self.source,
            log_format=format,
            log_time=time(),
        )
        self.observer(kwargs)
