"""
Fast tests of L{isso_tx.logs}: the daemon's log on standard output, line
for line as twistd writes it.
"""

from __future__ import annotations

import io
import os

from twisted.application.service import Application
from twisted.internet import reactor
from twisted.internet.task import Clock
from twisted.logger import (
    ILogObserver,
    Logger,
    LogLevel,
    formatEventAsClassicLogText,
    textFileLogObserver,
)
from twisted.python.failure import Failure
from twisted.scripts.twistd import ServerOptions
from twisted.trial.unittest import SynchronousTestCase

from isso_tx.logs import LogLines, PerRequestLogger, plain_fields, twistd_logs_to_stdout
from isso_tx.tap import makeService

from .support import write_config

# 2026-12-03, a little after noon.
WHEN = 1796300000.25


def event(**fields: object) -> dict[str, object]:
    return {"log_time": WHEN, "log_level": LogLevel.info, **fields}


EVENTS = [
    event(log_namespace="isso_tx.access", log_format="{request_line}",
          request_line='127.0.0.1 "GET /?uri=%2Fa%2F HTTP/1.1" 200 1234'),
    event(log_namespace="isso_tx.access", log_format="{request_line}",
          request_line="two\nlines", log_level=LogLevel.warn),
    event(log_namespace="isso_tx.site", log_format="Comment {id} created: {c!r}",
          id=7, c={"text": "{braces}"}),
    event(log_namespace="isso_tx.site", log_format="Same second",
          log_time=WHEN + 0.5),
    event(log_namespace="isso_tx.site", log_format="Next second",
          log_time=WHEN + 1),
    event(log_system="-", log_format="A legacy line"),
    event(log_namespace="x", log_format="No time", log_time=None),
    event(log_namespace="x", log_format="Failed",
          log_failure=Failure(ValueError("boom"))),
    event(log_namespace="x", log_format=None),
    event(log_namespace="x", log_format="{n:>5} {n!r} {o.real} {f()} {{braces}}",
          n=3, o=2, f=lambda: "called"),
    event(log_namespace="x", log_format="Missing {nothing}"),
    event(log_namespace="x", log_format="{blank}", blank="  "),
    event(log_namespace="x", log_format="Level {level}", level=LogLevel.warn),
    event(log_format="No namespace"),
]


class LogLinesTests(SynchronousTestCase):
    """
    L{LogLines} writes what twistd's own observer writes.
    """

    def test_same_lines(self) -> None:
        """
        Access lines, formatted messages, legacy lines, tracebacks and
        continuation lines come out as twistd writes them.
        """
        ours, theirs = io.StringIO(), io.StringIO()
        lines, twistd = LogLines(ours), textFileLogObserver(theirs)
        for e in EVENTS:
            lines(dict(e))
            twistd(dict(e))
        self.assertEqual(ours.getvalue(), theirs.getvalue())
        self.assertIn("[isso_tx.access#info] 127.0.0.1", ours.getvalue())

    def test_plain_formats(self) -> None:
        """
        Formats of text and bare fields are filled in directly; any other
        goes through twisted's formatter.
        """
        self.assertEqual(
            plain_fields("Comment {id} created: {comment}"),
            (("Comment ", "id"), (" created: ", "comment")),
        )
        for other in ("{n!r}", "{n:>5}", "{o.real}", "{f()}", "{a[0]}", "{"):
            self.assertIsNone(plain_fields(other), other)

    def test_time_once_per_second(self) -> None:
        """
        The time is formatted again only when its second changes.
        """
        lines = LogLines(io.StringIO())
        first = lines.time(WHEN)
        self.assertIs(lines.time(WHEN + 0.7), first)
        self.assertEqual(
            lines.time(WHEN + 1),
            formatEventAsClassicLogText(event(log_time=WHEN + 1, log_format="x"))[:24],
        )


class CountedFlushes(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


class RunningClock(Clock):
    running = True


class FlushTests(SynchronousTestCase):
    """
    With a reactor, the lines of one reactor turn leave in one write.
    """

    def test_one_flush_per_turn(self) -> None:
        """
        Lines written in the reactor's thread all reach the output once the
        turn is over, flushed together.
        """
        out, clock = CountedFlushes(), RunningClock()
        lines = LogLines(out, clock, in_reactor_thread=lambda: True)
        for e in EVENTS[:3]:
            lines(dict(e))
        self.assertEqual(out.flushes, 0)
        clock.advance(0)
        self.assertEqual(out.flushes, 1)
        self.assertEqual(out.getvalue().count("[isso_tx.access#"), 2)
        lines(dict(EVENTS[0]))
        clock.advance(0)
        self.assertEqual(out.flushes, 2)

    def test_other_threads_at_once(self) -> None:
        """
        A line written by another thread (the database's, say) is flushed
        as it is written, as is any line when no reactor is given.
        """
        out, clock = CountedFlushes(), RunningClock()
        LogLines(out, clock, in_reactor_thread=lambda: False)(dict(EVENTS[0]))
        self.assertEqual(out.flushes, 1)
        self.assertEqual(clock.getDelayedCalls(), [])
        LogLines(out)(dict(EVENTS[0]))
        self.assertEqual(out.flushes, 2)

    def test_stopped_reactor(self) -> None:
        """
        Once the reactor has stopped (a daemon's last lines, after its
        last turn), each line is flushed as it is written.
        """
        out, clock = CountedFlushes(), RunningClock()
        lines = LogLines(out, clock, in_reactor_thread=lambda: True)
        lines(dict(EVENTS[0]))
        clock.running = False
        lines(dict(EVENTS[2]))
        self.assertEqual(out.flushes, 1)
        self.assertEqual(out.getvalue().count("\n"), 2)


class PerRequestLoggerTests(SynchronousTestCase):
    """
    The access log's logger publishes the events twisted's Logger does.
    """

    def test_same_event(self) -> None:
        """
        An access line logged through it is the event L{Logger} would
        publish, field for field, apart from the time.
        """
        ours: list[dict[str, object]] = []
        theirs: list[dict[str, object]] = []
        fast = PerRequestLogger(namespace="isso_tx.access", observer=ours.append)
        plain = Logger(namespace="isso_tx.access", observer=theirs.append)
        for logger in (fast, plain):
            logger.info("{request_line}", request_line="127.0.0.1 GET")
            logger.warn("{n} left", n=2)
        for mine, twisteds in zip(ours, theirs):
            self.assertLessEqual(abs(mine.pop("log_time") - twisteds.pop("log_time")), 1)
            mine.pop("log_logger")
            twisteds.pop("log_logger")
            self.assertEqual(mine, twisteds)
        self.assertEqual(len(ours), 2)


class TwistdTests(SynchronousTestCase):
    """
    The daemon gives twistd L{LogLines} only where twistd would write to
    standard output with its own observer.
    """

    def test_when(self) -> None:
        """
        Only C{--nodaemon} without a log file, or C{--logfile -}, without
        C{--syslog} or C{--logger}, is standard output.
        """

        def parsed(*args: str) -> ServerOptions:
            options = ServerOptions()
            options.parseOptions([*args, "web"])
            return options

        self.assertTrue(twistd_logs_to_stdout(parsed("--nodaemon")))
        self.assertTrue(twistd_logs_to_stdout(parsed("--logfile", "-")))
        self.assertFalse(twistd_logs_to_stdout(parsed()))
        self.assertFalse(twistd_logs_to_stdout(parsed("-n", "--logfile", "x.log")))
        self.assertFalse(twistd_logs_to_stdout(parsed("-n", "--syslog")))
        self.assertFalse(twistd_logs_to_stdout(
            parsed("-n", "--logger", "twisted.logger.jsonFileLogObserver")))
        self.assertFalse(twistd_logs_to_stdout(None))

    def test_application_component(self) -> None:
        """
        Under C{twistd --nodaemon isso}, the application twistd makes is
        given the observer that twistd then logs with.
        """
        directory = os.path.abspath(self.mktemp())
        config = write_config(directory, "[server]\nlisten = tcp:0:interface=127.0.0.1\n")
        twistd = ServerOptions()
        twistd.parseOptions(["--nodaemon", "isso", "--config", config])
        application = Application("isso")
        top = makeService(twistd.subOptions, reactor)
        top.setServiceParent(application)
        self.assertIsInstance(application.getComponent(ILogObserver), LogLines)
