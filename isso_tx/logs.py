"""
The daemon's log on standard output, as twistd writes it, for less work
per line.

Under C{twistd --nodaemon} without C{--logfile} (the systemd unit, C{make
run}, the README's examples), twistd writes every event with
C{textFileLogObserver(sys.stdout)}: that formats the event's time with
C{strftime} in the local time zone, and parses the event's format string,
for every line, and the access log writes a line per request.
L{LogLines} writes the same lines with the time formatted once per second
and the access log's lines, which are already text, written as they are.
"""

from __future__ import annotations

from typing import IO, Any

from twisted.logger import (
    ILogObserver,
    LogEvent,
    formatEventAsClassicLogText,
    formatTime,
    timeFormatRFC3339,
)
from zope.interface import implementer

# The access log's namespace and the one field of its events (see
# isso_tx.tap.IssoWebSite.log).
ACCESS_NAMESPACE = "isso_tx.access"
ACCESS_FIELD = "request_line"


@implementer(ILogObserver)
class LogLines:
    """
    Writes each event to C{out} as twistd's C{textFileLogObserver} does:
    C{<time> [<system>] <text>}, with continuation lines indented by a tab.
    """

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._second: int | None = None
        self._stamp = "-"

    def __call__(self, event: LogEvent) -> None:
        text = self.format(event)
        if text:
            self._out.write(text)
            self._out.flush()

    def format(self, event: LogEvent) -> str | None:
        if (
            event.get("log_namespace") == ACCESS_NAMESPACE
            and event.get("log_format") == "{" + ACCESS_FIELD + "}"
            and "log_system" not in event
            and "log_failure" not in event
        ):
            level = event["log_level"].name
            text = str(event[ACCESS_FIELD]).replace("\n", "\n\t")
            stamp = self.time(event.get("log_time"))
            return f"{stamp} [{ACCESS_NAMESPACE}#{level}] {text}\n"
        return formatEventAsClassicLogText(event, formatTime=self.time)

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
