"""
Reading Isso's generic JSON format, which C{isso-tx export} writes too: a
list of threads, each with its comments.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import IO, Any

from ..addresses import UNKNOWN_ADDRESS, anonymize
from ..store.rows import PUBLISHED
from .reading import DATE, is_int, is_number, utc_time
from .staging import Comment, ImportFailure, Staging


def _json_events(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    import ijson

    for _prefix, event, value in ijson.parse(stream, use_float=True):
        yield event, value


def _json_value(events: Iterator[tuple[str, Any]], event: str, value: Any) -> Any:
    """
    Build the JSON value that starts with C{(event, value)} from the events
    that follow.
    """
    if event == "start_map":
        result: dict[str, Any] = {}
        for inner, key in events:
            if inner == "end_map":
                return result
            result[key] = _json_value(events, *next(events))
    if event == "start_array":
        items = []
        for inner, item in events:
            if inner == "end_array":
                return items
            items.append(_json_value(events, inner, item))
    return value


_JSON_TYPES = {
    "start_map": "an object",
    "start_array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a number",
    "double": "a number",
    "boolean": "true or false",
    "null": "null",
}


def parse_generic(stream: IO[bytes], staging: Staging) -> None:
    """
    Read Isso's generic JSON format: a list of threads C{{"id": uri,
    "title": …, "comments": […]}}, read one comment at a time.

    Beyond the fields Isso reads, each comment may carry what
    C{isso-tx export} writes (see L{generic_comment}).
    """
    events = _json_events(stream)
    first = next(events, None)
    if first is None or first[0] != "start_array":
        raise ImportFailure(
            "the file must be a JSON list of threads, not "
            f"{_JSON_TYPES.get(first[0], first[0]) if first else 'empty'}"
        )
    for number, (event, _value) in enumerate(events, start=1):
        if event == "end_array":
            break
        if event != "start_map":
            raise ImportFailure(
                f"thread #{number}: must be an object, "
                f"not {_JSON_TYPES.get(event, event)}"
            )
        _generic_thread(events, staging, number)
    # Anything after the list is reported by the parser itself.
    for _ in events:
        pass


def _generic_thread(
    events: Iterator[tuple[str, Any]], staging: Staging, number: int
) -> None:
    thread: dict[str, Any] = {}
    comments = 0
    key = str(number)
    for event, value in events:
        if event == "end_map":
            break
        name = value
        event, value = next(events)
        if name != "comments":
            thread[name] = _json_value(events, event, value)
            continue
        if event == "null":
            continue
        if event != "start_array":
            raise ImportFailure(f"thread #{number}: comments must be a list")
        for event, value in events:
            if event == "end_array":
                break
            comments += 1
            raw = _json_value(events, event, value)
            where = (
                f"thread #{number}"
                + (f" ({thread['id']})" if isinstance(thread.get("id"), str) else "")
                + f", comment #{comments}"
            )
            if not isinstance(raw, dict):
                raise ImportFailure(f"{where}: must be an object")
            staging.add_comment(generic_comment(raw, key, where))
    uri = thread.get("id")
    if not isinstance(uri, str) or not uri:
        raise ImportFailure(
            f'thread #{number}: "id" (the thread\'s uri) must be a string'
        )
    title = thread.get("title")
    if title is not None and not isinstance(title, str):
        raise ImportFailure(f'thread #{number} ({uri}): "title" must be a string')
    tid = thread.get("tid")
    if tid is not None and not is_int(tid):
        raise ImportFailure(f'thread #{number} ({uri}): "tid" must be a whole number')
    staging.add_thread(key, uri, title, source_tid=tid, keep=True)



def _is_id(value: Any) -> bool:
    """
    Tell whether a generic dump's C{id} or C{parent} is of a usable kind: a
    number, a string, or absent.
    """
    return value is None or isinstance(value, str) or is_int(value)


def _date(value: Any, where: str, name: str) -> float:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return utc_time(value, DATE)
        except ValueError:
            pass
    raise ImportFailure(
        f'{where}: {name!r} must be a date like "2020-01-31 12:00:00" (UTC) '
        f"or a Unix time, not {value!r}"
    )


def generic_comment(raw: dict[str, Any], thread_key: str, where: str) -> Comment:
    """
    Check one comment of a generic dump and return it.

    Isso's fields: C{id} (orders the comments; kept as the row id when the
    target database is empty), C{text}, C{author}, C{email}, C{website},
    C{remote_addr}, C{created} (C{"YYYY-MM-DD HH:MM:SS"}, read as UTC).
    Ours, all optional: C{created_unix} (the exact time, preferred over
    C{created}), C{modified} (Unix time or null), C{parent} (the C{id} of the
    comment answered, in the same thread), C{mode}, C{likes}, C{dislikes},
    C{voters} (the bloom filter, base64), C{notification}.

    @raise ImportFailure: a field has the wrong type.
    """
    text = raw.get("text")
    if not isinstance(text, str):
        raise ImportFailure(f'{where}: "text" must be a string')
    for name in ("author", "email", "website", "remote_addr"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise ImportFailure(f"{where}: {name!r} must be a string or null")
    if "created_unix" in raw:
        created = _date(raw["created_unix"], where, "created_unix")
    elif "created" in raw:
        created = _date(raw["created"], where, "created")
    else:
        raise ImportFailure(f'{where}: "created" is missing')
    modified = raw.get("modified")
    if modified is not None:
        modified = _date(modified, where, "modified")
    source_id = raw.get("id")
    if not _is_id(source_id):
        raise ImportFailure(f'{where}: "id" must be a number or a string')
    wanted_id = None
    if is_int(source_id) and source_id > 0:
        wanted_id = source_id
    elif isinstance(source_id, str) and source_id.isdigit() and int(source_id) > 0:
        wanted_id = int(source_id)
    parent = raw.get("parent")
    if not _is_id(parent):
        raise ImportFailure(f'{where}: "parent" must be a comment id or null')
    for name in ("mode", "likes", "dislikes"):
        if raw.get(name) is not None and not is_int(raw[name]):
            raise ImportFailure(f"{where}: {name!r} must be a whole number")
    notification = raw.get("notification", 0)
    if isinstance(notification, (dict, list)):
        raise ImportFailure(f'{where}: "notification" must be a number')
    voters = raw.get("voters")
    if voters is not None:
        if not isinstance(voters, str):
            raise ImportFailure(f'{where}: "voters" must be base64 text')
        try:
            voters = base64.b64decode(voters, validate=True)
        except (binascii.Error, ValueError):
            raise ImportFailure(f'{where}: "voters" is not valid base64') from None
    remote_addr = raw.get("remote_addr")
    # Anonymising is a no-op for what Isso and isso-tx store; any other
    # address is a real one that should not be kept whole.
    if remote_addr and anonymize(remote_addr) != UNKNOWN_ADDRESS:
        remote_addr = anonymize(remote_addr)
    return Comment(
        thread_key=thread_key,
        text=text,
        created=created,
        source_id=str(source_id) if source_id is not None else None,
        source_parent=str(parent) if parent not in (None, 0, "0", "") else None,
        sort_key=wanted_id if wanted_id is not None else source_id,
        modified=modified,
        mode=raw.get("mode", PUBLISHED),
        remote_addr=remote_addr,
        author=raw.get("author"),
        email=raw.get("email"),
        website=raw.get("website"),
        likes=raw.get("likes", 0),
        dislikes=raw.get("dislikes", 0),
        voters=voters,
        notification=int(notification)
        if isinstance(notification, bool)
        else notification,
        wanted_id=wanted_id,
    )


def json_failure(path: str, error: Exception) -> str:
    """
    Say, in one line, where the JSON is broken.  The fast parser does not
    tell, so the file is read again by ijson's pure-Python parser, which
    counts.
    """
    import ijson

    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    position = None
    try:
        backend = ijson.get_backend("python")
        with open(path, "rb") as f:
            for _ in backend.parse(f):
                pass
    except (ijson.JSONError, ValueError) as again:
        match = re.search(r" at (\d+)$", str(again))
        if match:
            position = int(match.group(1))
    if "premature EOF" in first_line or "Incomplete" in first_line:
        line, column = _line_column(path, None)
        return (
            f"not valid JSON: the file ends in the middle of a value "
            f"(line {line}, column {column}; truncated?)"
        )
    if position is not None:
        line, column = _line_column(path, position)
        return f"not valid JSON: {first_line} (line {line}, column {column})"
    return f"not valid JSON: {first_line}"


def _line_column(path: str, offset: int | None) -> tuple[int, int]:
    """
    Return the line and column (both from 1) of a character offset, or of
    the end of the file.
    """
    line, column, seen = 1, 1, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        while chunk := f.read(65536):
            for char in chunk:
                if offset is not None and seen == offset:
                    return line, column
                seen += 1
                if char == "\n":
                    line, column = line + 1, 1
                else:
                    column += 1
    return line, column



def recognises(head: str) -> bool:
    """
    Tell whether the beginning of a file is that of a JSON list of threads.
    """
    return re.match(r"\A(\ufeff)?\s*\[\s*[{\]]", head) is not None
