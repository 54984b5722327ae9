"""
Running the installed C{isso-tx} command in a child process, on sites made
up for a test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys

from isso_tx.cli import main

# The checkout these tests belong to, whose code the child must run.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def console_script() -> str:
    """
    Return the path of the installed C{isso-tx} script.
    """
    script = os.path.join(os.path.dirname(sys.executable), "isso-tx")
    found = script if os.path.exists(script) else shutil.which("isso-tx")
    if found is None:
        raise RuntimeError("the isso-tx console script is not installed")
    return found


def child_environment() -> dict[str, str]:
    """
    Return this process's environment, with this checkout first on the
    module path (trial runs tests in _trial_temp, where a relative
    PYTHONPATH no longer leads here).
    """
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": ROOT + (os.pathsep + path if path else "")}


def isso_tx(*argv: str) -> subprocess.CompletedProcess:
    """
    Run C{isso-tx ARGV} as a user would and return what it did, as text.
    """
    return subprocess.run(
        [console_script(), *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=child_environment(),
    )


def write_config(directory: str, listen: str, extra: str = "") -> str:
    """
    Write a site's configuration, its database in C{directory} and listening
    on C{listen}; return its path.
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "site.cfg")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "[general]\n"
            f"dbpath = {os.path.join(os.path.abspath(directory), 'comments.db')}\n"
            "host = https://blog.example.org/\n"
            f"[server]\nlisten = {listen}\n" + extra
        )
    return path


def import_threads(config: str, directory: str, uris: list[str]) -> None:
    """
    Give the site of C{config} one thread, with one comment, per uri.
    """
    dump = os.path.join(directory, "threads.json")
    with open(dump, "w", encoding="utf-8") as f:
        json.dump(
            [
                {
                    "id": uri,
                    "title": uri,
                    "comments": [
                        {"id": 1, "text": f"On {uri}", "created": "2020-01-01 10:00:00"}
                    ],
                }
                for uri in uris
            ],
            f,
        )
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["-c", config, "import", "-q", dump])
    if code != 0:
        raise RuntimeError(f"importing {dump} failed")
