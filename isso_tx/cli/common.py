"""
What every command of C{isso-tx} shares: its errors, how a command is
described, finding the site's configuration and opening its database.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..config import ConfigError, SiteConfig, config_paths, load_site_config

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """
    A command failed; the message says why, in one line.
    """


class UsageError(CommandError):
    """
    The command line itself is wrong (exit status 2).
    """


@dataclass(frozen=True, eq=False)
class Argument:
    """
    One argument of a command, as C{ArgumentParser.add_argument} takes it.
    """

    flags: tuple[str, ...]
    options: dict[str, Any]


def argument(*flags: str, **options: Any) -> Argument:
    """
    Describe an argument with C{add_argument}'s own parameters.
    """
    return Argument(flags, options)


def dry_run(help: str) -> Argument:
    """
    Describe C{-n}/C{--dry-run}, saying what a dry run of the command does.
    """
    return argument("-n", "--dry-run", action="store_true", help=help)


@dataclass(frozen=True, eq=False)
class Command:
    """
    One command of C{isso-tx}: its name, its help, what runs it (returning
    the exit status), its own arguments, and whether it works on the site
    that C{-c} names.
    """

    name: str
    summary: str
    description: str
    run: Callable[[argparse.Namespace], int]
    arguments: tuple[Argument, ...] = ()
    # False for a command that names its databases itself and reads no
    # site configuration (-c).
    of_a_site: bool = True


def site_config_paths(args: argparse.Namespace) -> list[str]:
    """
    Return the configuration files the command line names, or the default
    ones.
    """
    return config_paths(getattr(args, "configs", None) or [])


def one_site(args: argparse.Namespace) -> SiteConfig:
    """
    Load the one site's configuration a command works on.

    @raise UsageError: several were given.
    @raise CommandError: it cannot be loaded.
    """
    paths = site_config_paths(args)
    if len(paths) > 1:
        raise UsageError(
            f"{args.command} works on one site; give its configuration with one -c"
        )
    try:
        return load_site_config(paths[0])
    except ConfigError as e:
        raise CommandError(str(e)) from None


def plural(count: int, one: str, many: str | None = None) -> str:
    """
    Say C{count} things: "1 thread", "2 threads", "0 replies".
    """
    return f"{count} {one if count == 1 else (many or one + 's')}"


def progress_enabled(args: argparse.Namespace) -> bool:
    """
    Tell whether to show a progress bar: on a terminal, without --quiet.
    """
    if getattr(args, "quiet", False):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def replacing(dest: str, prefix: str, suffix: str) -> Iterator[str]:
    """
    Give the path of a new, empty file beside C{dest}, which replaces
    C{dest} when the block succeeds and is removed when it fails; C{dest}
    is never seen half-written.
    """
    try:
        fd, temporary = tempfile.mkstemp(
            prefix=prefix, suffix=suffix, dir=os.path.dirname(os.path.abspath(dest))
        )
    except OSError as e:
        raise CommandError(f"{dest}: cannot write: {e.strerror}") from None
    os.close(fd)
    try:
        yield temporary
        os.replace(temporary, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
