"""
Moving comments in and out of a site's database: C{isso-tx import} and
C{isso-tx export}.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

from ..db import DatabaseError
from ..dialect import is_postgres_uri
from ..importers import (
    FORMAT_NAMES,
    FORMATS,
    ImportFailure,
    ImportSummary,
    import_dump,
    write_export,
)
from .common import (
    EXIT_OK,
    Command,
    CommandError,
    argument,
    dry_run,
    one_site,
    plural,
    progress_enabled,
    replacing,
)
from .database import counts, snapshot


def run_import(args: argparse.Namespace) -> int:
    """
    Import the dump C{args.file} and print what was imported.
    """
    config = one_site(args)
    path = args.file
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such file")
    bar = None
    if progress_enabled(args):
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
    importer = import_dump
    if is_postgres_uri(config.general.dbpath):
        from .postgres_import import import_into_postgres as importer
    try:
        summary = importer(
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
    for line in summary_lines(summary):
        print(line)
    return EXIT_OK


def summary_lines(summary: ImportSummary) -> list[str]:
    """
    Describe an import: one summary line, then notes, if any.
    """
    line = (
        f"{'would import' if summary.dry_run else 'imported'} "
        f"{plural(summary.comments, 'comment')} into "
        f"{plural(summary.threads, 'thread')} ({summary.new_threads} new) "
        f"from a {FORMAT_NAMES[summary.format]} dump"
    )
    total = sum(summary.skipped.values())
    if total:
        reasons = ", ".join(
            f"{count} {reason}" for reason, count in summary.skipped.most_common()
        )
        line += f"; skipped {plural(total, 'comment')}: {reasons}"
    else:
        line += "; skipped nothing"
    lines = [line]
    for reason, count in summary.threads_skipped.most_common():
        lines.append(f"note: {plural(count, 'thread')} skipped: {reason}")
    if summary.orphans:
        lines.append(
            f"note: {plural(summary.orphans, 'reply', 'replies')} answered a "
            "comment that is not imported; made top-level"
        )
    if summary.pending_stale:
        one = summary.pending_stale == 1
        lines.append(
            f"note: {plural(summary.pending_stale, 'imported comment')} "
            f"awaiting moderation {'is' if one else 'are'} older than "
            f"[moderation] purge-after ({duration(summary.purge_after)}): the "
            f"daemon deletes {'it' if one else 'them'} unless "
            f"{'it is' if one else 'they are'} approved first (or purge-after = 0)"
        )
    if summary.kept_ids:
        lines.append("note: the database was empty; ids are kept as in the file")
    if summary.dry_run:
        lines.append("note: dry run; nothing was written")
    return lines


def duration(seconds: int) -> str:
    """
    Say a duration in its largest whole unit: "3 days", "1 hour".
    """
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return plural(seconds // size, unit)
    return plural(seconds, "second")


IMPORT = Command(
    "import",
    "import a Disqus, WordPress or generic JSON dump",
    "Import comments from a Disqus export, a WordPress export "
    "(WXR) or Isso's generic JSON format (which 'export' writes). The "
    "whole dump is imported in one transaction or not at all. Comments "
    "already in the database (same thread, creation time, author and "
    "text) are skipped, so importing a dump again adds nothing.",
    run_import,
    (
        argument(
            "-t",
            "--type",
            choices=FORMATS,
            help="the dump's format (default: recognised from its beginning)",
        ),
        argument(
            "--empty-id",
            action="store_true",
            help="Disqus: also import threads whose <id> is empty (skipped by "
            "default: Disqus lists a page opened under several addresses once "
            "per address)",
        ),
        dry_run("read the dump and report what would be imported; write nothing"),
        argument("file", metavar="FILE", help="the dump to import"),
    ),
)


def run_export(args: argparse.Namespace) -> int:
    """
    Write the site's database as generic JSON to C{args.file} or standard
    output, and say how much was written on standard error.
    """
    config = one_site(args)
    # One read transaction: the counts and the file are one snapshot.
    try:
        with snapshot(config.general.dbpath) as conn:
            (orphans,) = conn.execute(
                "SELECT count(*) FROM comments AS c "
                "WHERE NOT EXISTS (SELECT 1 FROM threads AS t WHERE t.id = c.tid)"
            ).fetchone()
            threads, comments = counts(conn)
            if args.file:
                with (
                    replacing(args.file, ".isso-tx-export-", ".json") as temporary,
                    open(temporary, "w", encoding="utf-8") as target,
                ):
                    write_export(conn, target)
            elif hasattr(sys.stdout, "buffer"):
                # UTF-8 whatever the locale says.
                sys.stdout.flush()
                target = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
                try:
                    write_export(conn, target)
                finally:
                    target.detach()
            else:
                write_export(conn, sys.stdout)
    except OSError as e:
        raise CommandError(
            f"{args.file or 'standard output'}: {e.strerror or e}"
        ) from None
    print(
        f"exported {plural(comments - orphans, 'comment')} in "
        f"{plural(threads, 'thread')}" + (f" to {args.file}" if args.file else ""),
        file=sys.stderr,
    )
    if orphans:
        one = orphans == 1
        print(
            f"warning: {plural(orphans, 'comment')} "
            f"{'belongs' if one else 'belong'} to no thread (Isso never shows "
            f"{'it' if one else 'them'}) and {'was' if one else 'were'} not "
            "exported",
            file=sys.stderr,
        )
    return EXIT_OK


EXPORT = Command(
    "export",
    "write every thread and comment as generic JSON",
    "Write every thread and comment (with votes, moderation "
    "state, replies and times) as JSON in Isso's generic import format, "
    "extended with the fields 'import -t generic' needs to reproduce the "
    "database exactly. Isso itself can import the file too.",
    run_export,
    (
        argument(
            "file",
            metavar="FILE",
            nargs="?",
            help="where to write (default: standard output)",
        ),
    ),
)
