"""
The C{isso-tx} command: import, export, backup, check and thread renames
for a site's database, from the site's configuration file; and copy-db,
which moves a database between SQLite and PostgreSQL.

It is a plain synchronous program: it talks to SQLite or PostgreSQL
directly and is safe to run while daemons serve the same database (it reads
in one transaction while they write, and its writes wait for theirs to
finish).
"""

from __future__ import annotations

import argparse
import io
import os
import sys

from ..config import DEFAULT_CONFIG
from .backup import BACKUP
from .check import CHECK
from .common import EXIT_FAILURE, EXIT_USAGE, Command, CommandError, UsageError
from .copydb import COPY_DB
from .rename import RENAME_THREAD
from .transfer import EXPORT, IMPORT

__all__ = ["COMMANDS", "main"]

# In the order --help lists them.
COMMANDS = {
    command.name: command for command in (
        IMPORT, EXPORT, BACKUP, CHECK, RENAME_THREAD, COPY_DB
    )
}


def _common_options() -> argparse.ArgumentParser:
    """
    The options accepted both before and after the command's name.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        dest="configs",
        action="append",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="site configuration file (Isso's INI format); repeatable for "
        "check. Default: $ISSO_SETTINGS (';'-separated), else "
        f"{DEFAULT_CONFIG}",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bar",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="isso-tx",
        parents=[common],
        description="Maintain an isso-tx (or Isso) site's comment database. "
        "Every command works while the daemon is running.",
        epilog="Run 'isso-tx COMMAND --help' for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        _add_command(commands, common, command)
    return parser


def _add_command(
    commands: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    command: Command,
) -> None:
    sub = commands.add_parser(
        command.name,
        parents=[common] if command.of_a_site else [],
        help=command.summary,
        description=command.description,
    )
    for argument in command.arguments:
        sub.add_argument(*argument.flags, **argument.options)


def main(argv: list[str] | None = None) -> int:
    """
    Run the command line C{argv} (default: the process's) and return the
    exit status: 0 on success, 1 when the command failed, 2 for a wrong
    command line.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        # --help (0) or a usage error (2); argparse has printed the message.
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        return COMMANDS[args.command].run(args)
    except UsageError as e:
        print(f"isso-tx: {args.command}: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as e:
        print(f"isso-tx: {args.command}: {_one_line(e)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"isso-tx: {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. "| head"): make the
        # interpreter's final flush of stdout harmless.
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        finally:
            os.close(devnull)
        return EXIT_FAILURE


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
