"""
The C{isso-tx} command: import, export, backup, check and thread renames
for a site's database, from the site's configuration file.

It is a plain synchronous program: it talks to SQLite directly and is safe
to run while the daemon serves the same database (WAL mode lets it read
while the daemon writes, and its writes wait for the daemon's to finish).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Any

from .config import (
    DEFAULT_CONFIG,
    ConfigError,
    SiteConfig,
    check_sites,
    config_paths,
    load_site_config,
)
from .db import (
    ISSO_TABLES,
    SCHEMA_VERSION,
    DatabaseError,
    check_schema_version,
    table_names,
    user_version,
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """
    A command failed; the message says why, in one line.
    """


class UsageError(CommandError):
    """
    The command line itself is wrong (exit status 2).
    """


# Arguments


def _parser() -> argparse.ArgumentParser:
    # -c and -q are accepted before and after the command name.
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

    parser = argparse.ArgumentParser(
        prog="isso-tx",
        parents=[common],
        description="Maintain an isso-tx (or Isso) site's comment database. "
        "Every command works while the daemon is running.",
        epilog="Run 'isso-tx COMMAND --help' for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, parents=[common], help=summary, description=description
        )

    p = command(
        "import",
        "import a Disqus, WordPress or generic JSON dump",
        "Import comments from a Disqus export, a WordPress export "
        "(WXR) or Isso's generic JSON format (which 'export' writes). The "
        "whole dump is imported in one transaction or not at all. Comments "
        "already in the database (same thread, creation time, author and "
        "text) are skipped, so importing a dump again adds nothing.",
    )
    p.add_argument(
        "-t",
        "--type",
        choices=("disqus", "wordpress", "generic"),
        help="the dump's format (default: recognised from its beginning)",
    )
    p.add_argument(
        "--empty-id",
        action="store_true",
        help="Disqus: also import threads whose <id> is empty (skipped by "
        "default: Disqus lists a page opened under several addresses once "
        "per address)",
    )
    p.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="read the dump and report what would be imported; write nothing",
    )
    p.add_argument("file", metavar="FILE", help="the dump to import")

    p = command(
        "export",
        "write every thread and comment as generic JSON",
        "Write every thread and comment (with votes, moderation "
        "state, replies and times) as JSON in Isso's generic import format, "
        "extended with the fields 'import -t generic' needs to reproduce the "
        "database exactly. Isso itself can import the file too.",
    )
    p.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="where to write (default: standard output)",
    )

    p = command(
        "backup",
        "copy the database safely, then verify the copy",
        "Copy the live database with SQLite's online backup API "
        "(a consistent snapshot, even while the daemon writes), then check "
        "the copy with PRAGMA integrity_check. The copy is a single file "
        "(not in WAL mode).",
    )
    p.add_argument("dest", metavar="DEST", help="the file to write")
    p.add_argument(
        "-f", "--force", action="store_true", help="replace DEST if it exists"
    )

    command(
        "check",
        "check the configuration(s) and say what would be served where",
        "Load each configuration (-c is repeatable), open each "
        "database read-only without creating or upgrading it, and print what "
        "the daemon would serve where. Exits with status 1 on any problem, "
        "for use in ExecStartPre= or CI.",
    )

    p = command(
        "rename-thread",
        "move a thread to a new uri",
        "Give a thread a new uri, for example after the site's "
        "URL structure changed. Fails if OLD does not exist, or if NEW "
        "already does, unless --merge is given: then OLD's comments join "
        "NEW's thread (which keeps its title) and OLD is removed.",
    )
    p.add_argument("old", metavar="OLD", help="the thread's uri now, e.g. /2019/hello/")
    p.add_argument("new", metavar="NEW", help="its new uri, e.g. /posts/hello/")
    p.add_argument(
        "--prefix",
        action="store_true",
        help="rename every thread whose uri starts with OLD, replacing that "
        "beginning by NEW",
    )
    p.add_argument(
        "--merge",
        action="store_true",
        help="when a new uri is already a thread, move the comments into it",
    )
    return parser


def _config_paths(args: argparse.Namespace) -> list[str]:
    return config_paths(getattr(args, "configs", None) or [])


def _one_site(args: argparse.Namespace) -> SiteConfig:
    paths = _config_paths(args)
    if len(paths) > 1:
        raise UsageError(
            f"{args.command} works on one site; give its configuration with one -c"
        )
    try:
        return load_site_config(paths[0])
    except ConfigError as e:
        raise CommandError(str(e)) from None


def _progress_enabled(args: argparse.Namespace) -> bool:
    if getattr(args, "quiet", False):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


# Commands


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import ImportFailure, import_dump

    config = _one_site(args)
    path = args.file
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such file")
    bar = None
    if _progress_enabled(args):
        from tqdm import tqdm

        bar = tqdm(
            total=os.path.getsize(path),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=f"reading {os.path.basename(path)}",
            file=sys.stderr,
            leave=False,
            dynamic_ncols=True,
        )
    try:
        summary = import_dump(
            config.general.dbpath,
            path,
            kind=args.type,
            empty_id=args.empty_id,
            dry_run=args.dry_run,
            legacy_session_key=config.general.session_key,
            purge_after=config.moderation.purge_after,
            progress=bar.update if bar is not None else None,
        )
    except ImportFailure as e:
        raise CommandError(f"{e}; the database was not changed") from None
    except DatabaseError as e:
        raise CommandError(str(e)) from None
    finally:
        if bar is not None:
            bar.close()
    for line in summary.lines():
        print(line)
    return EXIT_OK


def _open_existing(path: str, *, readonly: bool) -> sqlite3.Connection:
    from .importers import connect

    if not os.path.exists(path):
        raise CommandError(f"{path}: no such database")
    try:
        conn = connect(path, readonly=readonly)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise CommandError(f"{path}: cannot open the database: {e}") from None
    return conn


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """
    Count the threads and the comments of an Isso database.
    """
    return conn.execute(
        "SELECT (SELECT count(*) FROM threads), (SELECT count(*) FROM comments)"
    ).fetchone()


@contextlib.contextmanager
def _replacing(dest: str, prefix: str, suffix: str) -> Iterator[str]:
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


_EXPORT_COLUMNS = (
    "c.id, c.parent, c.created, c.modified, c.mode, c.remote_addr, c.text, "
    "c.author, c.email, c.website, c.likes, c.dislikes, c.voters, c.notification"
)


def export_comment(row: tuple[Any, ...]) -> dict[str, Any]:
    """
    Describe one comment row in the generic format: Isso's fields first,
    then ours.
    """
    (
        comment_id,
        parent,
        created,
        modified,
        mode,
        remote_addr,
        text,
        author,
        email,
        website,
        likes,
        dislikes,
        voters,
        notification,
    ) = row
    if isinstance(voters, str):
        voters = voters.encode("utf-8")
    return {
        "id": comment_id,
        "text": text,
        "author": author,
        "email": email,
        "website": website,
        "remote_addr": remote_addr,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(created)),
        "created_unix": created,
        "modified": modified,
        "parent": parent,
        "mode": mode,
        "likes": likes,
        "dislikes": dislikes,
        "voters": base64.b64encode(voters or b"").decode("ascii"),
        "notification": notification,
    }


def export_chunks(conn: sqlite3.Connection) -> Iterator[str]:
    """
    Yield the generic JSON of the whole database, piece by piece.  Run it in
    one read transaction, for a consistent snapshot.

    Threads and comments are read in two passes ordered by thread id and
    merged here: comments has no index on its thread, so a join would scan
    it once per thread.
    """
    threads = conn.cursor()
    threads.execute("SELECT id, uri, title FROM threads ORDER BY id")
    comments = conn.cursor()
    comments.execute(
        f"SELECT c.tid, {_EXPORT_COLUMNS} FROM comments AS c ORDER BY c.tid, c.id"
    )
    pending = comments.fetchone()
    yield "["
    for number, (tid, uri, title) in enumerate(threads):
        head = json.dumps({"id": uri, "title": title, "tid": tid}, ensure_ascii=False)
        yield ("" if number == 0 else ",\n") + head[:-1] + ', "comments": ['
        # Comments of no thread (Isso never shows them) are passed over.
        while pending is not None and (
            not isinstance(pending[0], int) or pending[0] < tid
        ):
            pending = comments.fetchone()
        separator = "\n"
        while pending is not None and pending[0] == tid:
            yield separator + json.dumps(
                export_comment(pending[1:]), ensure_ascii=False
            )
            separator = ",\n"
            pending = comments.fetchone()
        yield "]}"
    yield "]\n"


def _write_export(conn: sqlite3.Connection, target: IO[str]) -> None:
    for chunk in export_chunks(conn):
        target.write(chunk)
    target.flush()


def cmd_export(args: argparse.Namespace) -> int:
    config = _one_site(args)
    conn = _open_existing(config.general.dbpath, readonly=True)
    try:
        # One read transaction: the counts and the file are one snapshot.
        conn.execute("BEGIN")
        (orphans,) = conn.execute(
            "SELECT count(*) FROM comments AS c "
            "WHERE NOT EXISTS (SELECT 1 FROM threads AS t WHERE t.id = c.tid)"
        ).fetchone()
        threads, comments = _counts(conn)
        if args.file:
            with (
                _replacing(args.file, ".isso-tx-export-", ".json") as temporary,
                open(temporary, "w", encoding="utf-8") as target,
            ):
                _write_export(conn, target)
        elif hasattr(sys.stdout, "buffer"):
            # UTF-8 whatever the locale says.
            sys.stdout.flush()
            target = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
            try:
                _write_export(conn, target)
            finally:
                target.detach()
        else:
            _write_export(conn, sys.stdout)
        conn.execute("COMMIT")
    except sqlite3.Error as e:
        raise CommandError(f"{config.general.dbpath}: {e}") from None
    except OSError as e:
        raise CommandError(
            f"{args.file or 'standard output'}: {e.strerror or e}"
        ) from None
    finally:
        conn.close()
    print(
        f"exported {comments - orphans} comments in {threads} threads"
        + (f" to {args.file}" if args.file else ""),
        file=sys.stderr,
    )
    if orphans:
        print(
            f"warning: {orphans} comments belong to no thread (Isso never shows "
            "them) and were not exported",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    config = _one_site(args)
    source_path = config.general.dbpath
    dest = args.dest
    if os.path.isdir(dest):
        raise CommandError(f"{dest}: is a directory; give a file name")
    if os.path.exists(dest):
        if os.path.exists(source_path) and os.path.samefile(dest, source_path):
            raise CommandError(f"{dest}: is the database itself")
        if not args.force:
            raise CommandError(f"{dest}: already exists (--force replaces it)")
    source = _open_existing(source_path, readonly=False)
    try:
        with _replacing(dest, ".isso-tx-backup-", ".db") as temporary:
            version, threads, comments = _copy_verified(source, temporary, dest)
    except sqlite3.Error as e:
        raise CommandError(f"backup of {source_path} failed: {e}") from None
    finally:
        source.close()
    print(
        f"backed up {source_path} to {dest}: schema version {version}, "
        f"{threads} threads, {comments} comments; integrity check ok"
    )
    return EXIT_OK


def _copy_verified(
    source: sqlite3.Connection, path: str, dest: str
) -> tuple[int, int, int]:
    """
    Copy the database of C{source} into the file at C{path}, check the copy
    and return its schema version and how many threads and comments it
    holds.

    @raise CommandError: the copy failed its integrity check.
    """
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        # All pages in one step: one read transaction, so the copy is one
        # consistent state of the database even while the daemon writes (in
        # WAL mode, the daemon does not wait for us).
        source.backup(copy)
        # A backup is one self-contained file.
        copy.execute("PRAGMA journal_mode = DELETE")
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise CommandError(
                f"{dest}: the copy failed its integrity check: "
                + "; ".join(problems[:5])
            )
        threads, comments = (
            _counts(copy) if {"threads", "comments"} <= table_names(copy) else (0, 0)
        )
        return user_version(copy), threads, comments
    finally:
        copy.close()


def _describe_database(path: str) -> tuple[str, list[str]]:
    """
    Return a description of the database at C{path} and its problems,
    opening it read-only and changing nothing.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return path, [f"{path}: directory {directory} does not exist"]
    problems = []
    if not os.access(directory, os.W_OK):
        problems.append(
            f"{path}: directory {directory} is not writable (SQLite needs it "
            "for its -wal and -shm files)"
        )
    if not os.path.exists(path):
        return f"{path} (does not exist yet; will be created)", problems
    if not os.access(path, os.W_OK):
        problems.append(f"{path}: not writable")
    from .importers import connect

    try:
        conn = connect(path, readonly=True)
    except sqlite3.Error as e:
        return path, problems + [f"{path}: cannot open: {e}"]
    try:
        version = user_version(conn)
        tables = table_names(conn)
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
        try:
            check_schema_version(path, version)
        except DatabaseError as e:
            return f"{path} (schema version {version})", problems + [str(e)]
        if not tables & ISSO_TABLES:
            return f"{path} (empty; will be set up)", problems
        if not {"threads", "comments"} <= tables:
            problems.append(f"{path}: an Isso database but tables are missing")
            return path, problems
        threads, comments = _counts(conn)
    except sqlite3.Error as e:
        return path, problems + [f"{path}: {e}"]
    finally:
        conn.close()
    upgrade = (
        f", will be upgraded from schema version {version} (a copy is kept)"
        if version < SCHEMA_VERSION
        else ""
    )
    return (
        f"{path} (schema version {version}{upgrade}, {journal} journal, "
        f"{threads} threads, {comments} comments)"
    ), problems


def cmd_check(args: argparse.Namespace) -> int:
    paths = _config_paths(args)
    problems: list[str] = []
    configs: list[SiteConfig] = []
    for path in paths:
        try:
            configs.append(load_site_config(path))
        except ConfigError as e:
            problems.append(str(e))
    several = len(paths) > 1
    if several and len(configs) == len(paths):
        try:
            check_sites(configs)
        except ConfigError as e:
            problems.append(str(e))

    for config in configs:
        database, database_problems = _describe_database(config.general.dbpath)
        problems += database_problems
        name = config.general.name
        print(f"{config.path}: site {name!r}" if name else f"{config.path}:")
        if not several:
            mount = "/"
        else:
            mount = f"/{name}/" if name else "(nowhere: a name is needed)"
        print(f"  served at  {mount}")
        print(f"  database   {database}")
        print(f"  websites   {', '.join(config.general.hosts)}")
        print(f"  listen     {', '.join(config.server.listen)}")
        for warning in config.warnings:
            print(f"  warning    {warning}")
    if several and configs:
        from .tap import Options, listen_addresses

        # As twistd isso would, given no --listen.
        print(f"listening on {', '.join(listen_addresses(Options(), configs))}")
    for problem in problems:
        print(f"isso-tx: check: {problem}", file=sys.stderr)
    if problems:
        return EXIT_FAILURE
    print(f"ok: {len(configs)} site{'s' if len(configs) != 1 else ''}")
    return EXIT_OK


def cmd_rename_thread(args: argparse.Namespace) -> int:
    config = _one_site(args)
    old, new = args.old, args.new
    if old == new:
        raise UsageError("OLD and NEW are the same")
    if not new:
        raise UsageError("NEW cannot be empty")
    conn = _open_existing(config.general.dbpath, readonly=False)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            renamed = _rename(conn, old, new, prefix=args.prefix, merge=args.merge)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as e:
        raise CommandError(f"{config.general.dbpath}: {e}") from None
    finally:
        conn.close()
    for before, after, into in renamed:
        verb = "merged into" if into else "renamed to"
        print(f"{before} {verb} {after}")
    if args.prefix:
        merged = sum(into for _, _, into in renamed)
        print(f"{len(renamed)} threads moved ({merged} merged)")
    return EXIT_OK


def _rename(
    conn: sqlite3.Connection, old: str, new: str, *, prefix: bool, merge: bool
) -> list[tuple[str, str, bool]]:
    """
    Move threads inside an open transaction; return (old uri, new uri,
    merged) for each.
    """
    if prefix:
        moves = [
            (tid, uri, new + uri[len(old) :])
            for tid, uri in conn.execute(
                "SELECT id, uri FROM threads WHERE substr(uri, 1, ?) = ? ORDER BY id",
                (len(old), old),
            )
        ]
        if not moves:
            raise CommandError(f"no thread's uri starts with {old!r}")
    else:
        row = conn.execute("SELECT id FROM threads WHERE uri = ?", (old,)).fetchone()
        if row is None:
            raise CommandError(f"there is no thread {old!r}")
        moves = [(row[0], old, new)]
    moving = {tid for tid, _, _ in moves}
    targets: dict[int, int] = {}
    for tid, before, after in moves:
        row = conn.execute("SELECT id FROM threads WHERE uri = ?", (after,)).fetchone()
        if row is not None and row[0] not in moving:
            if not merge:
                (count,) = conn.execute(
                    "SELECT count(*) FROM comments WHERE tid = ?", (row[0],)
                ).fetchone()
                raise CommandError(
                    f"thread {after!r} already exists ({count} comments); "
                    "--merge moves the comments into it"
                )
            targets[tid] = row[0]
    # Out of the way first, so that renames within the moved set cannot
    # collide with each other halfway.
    for tid, _, _ in moves:
        if tid not in targets:
            conn.execute(
                "UPDATE threads SET uri = ? WHERE id = ?",
                (f"\0isso-tx-moving-{tid}", tid),
            )
    result = []
    for tid, before, after in moves:
        if tid in targets:
            conn.execute(
                "UPDATE comments SET tid = ? WHERE tid = ?", (targets[tid], tid)
            )
            conn.execute("DELETE FROM threads WHERE id = ?", (tid,))
            result.append((before, after, True))
        else:
            conn.execute("UPDATE threads SET uri = ? WHERE id = ?", (after, tid))
            result.append((before, after, False))
    return result


COMMANDS = {
    "import": cmd_import,
    "export": cmd_export,
    "backup": cmd_backup,
    "check": cmd_check,
    "rename-thread": cmd_rename_thread,
}


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
        return COMMANDS[args.command](args)
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


if __name__ == "__main__":
    sys.exit(main())
