"""
The admin panel: C{/login/}, C{/logout/} and C{/admin/}.

The site owner signs in with C{[admin] password} and gets a signed session
cookie; the panel lists comments by state (pending, approved, deleted), by
thread and by search, and approves, edits and deletes them, one at a time
or many at once; it bans a comment's writer (deletes the comment and adds
refusing rules for its network and/or e-mail), and lists (fifty a page),
adds and deletes the site's spam rules (C{/admin/rules}).  This module
holds the routes, the form parsing and the flow; the pages are rendered on
the server by the L{twisted.web.template} elements of
L{isso_tx.views.admin_pages}, and a little script (C{/js/admin.js}) only
adds a "select all" box.

Compared with Isso's panel:

  - C{GET /login/} shows the sign-in form (Isso answers 405);
  - a wrong password is a 403 with a message, repeated failures from one
    network are refused for a while (429);
  - the session cookie is HttpOnly and C{SameSite=Strict} (see
    L{isso_tx.views.admin_auth});
  - every change is a form POST carrying a token derived from the session
    (CSRF), answered with a redirect back to the list;
  - signing out (C{POST /logout/}) also revokes the session on the server;
  - the panel refuses to work while the password is empty or still Isso's
    example value.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

from klein import Klein
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.template import Element, flattenString

from ..addresses import Origins
from ..db import Database
from ..guard import InvalidRule, normalise_rule
from ..moderation import (
    BAN_TARGETS,
    EDITABLE,
    Moderation,
    Outcome,
    Result,
    ban_note,
    typed_changes,
)
from ..rendering import Renderer
from ..settings import AdminConfig
from ..store.admin import AdminQuery, admin_page_interaction
from ..store.rows import PENDING
from ..store.rules import (
    ACTIONS,
    KINDS,
    add_rules_interaction,
    delete_rule_interaction,
    page_count,
    rule_page_interaction,
    rules_count_interaction,
    rules_page_interaction,
)
from ..validation import InvalidComment, is_sqlite_int, parse_int
from .admin_auth import SESSION_AGE, AdminSessions, LoginThrottle
from .admin_pages import (
    STATES,
    LoginPage,
    MessagePage,
    PanelPage,
    RulesPage,
    query_string,
    rules_path,
)
from .http import query_arg, route_errors
from .pages import content_security_policy, owner_page
from .requests import Addressing

# Ids one bulk action may name; a page shows fewer.
MAX_BULK = 500

_DONE = {
    "activate": "approved",
    "delete": "deleted",
    "edit": "saved",
    "ban": "deleted and banned",
}

MAX_NOTE = 200

# The panel's stylesheet and script are served by this server.
POLICY = content_security_policy(
    "style-src 'self'", "script-src 'self'", "img-src 'self' data:"
)




def _form(request: IRequest) -> dict[str, list[str]]:
    """
    Return the fields of a form post (never those of the query string).
    """
    content_type = (request.getHeader(b"content-type") or b"").lower()
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        request.content.seek(0)
        body = request.content.read().decode("utf-8", "replace")
        return parse_qs(body, keep_blank_values=True)
    return {}


def _integer(value: str, default: int) -> int:
    number = parse_int(value)
    return default if number is None else number


def page_number(value: str) -> int:
    """
    Read a page number (from 1) from a query or form parameter: anything
    unusable is page 1, and a huge number is kept within bounds.
    """
    return max(1, min(_integer(value, 1), 1_000_000))


def query_from(values: dict[str, str]) -> AdminQuery:
    """
    Read what to list from query parameters (C{mode}, C{uri}, C{q},
    C{page}); anything unusable falls back to the default.
    """
    mode = _integer(values.get("mode", ""), PENDING)
    return AdminQuery(
        mode=mode if mode in STATES else PENDING,
        uri=values.get("uri", "").strip(),
        search=values.get("q", "").strip()[:200],
        page=page_number(values.get("page", "")),
    )



class AdminPanel:
    """
    The admin panel of one site.
    """

    app = Klein()
    log = Logger()

    def __init__(
        self,
        config: AdminConfig,
        site_name: str,
        sessions: AdminSessions,
        moderation: Moderation,
        database: Database,
        renderer: Renderer,
        origins: Origins,
        addressing: Addressing,
        clock: IReactorTime,
    ) -> None:
        self._config = config
        # Shown in the pages' titles.
        self._site_name = site_name or origins.default
        self._sessions = sessions
        self._moderation = moderation
        self._database = database
        self._renderer = renderer
        self._origins = origins
        self._addressing = addressing
        self._clock = clock
        self.throttle = LoginThrottle(database, clock)

    # Pages

    def _slots(self, request: IRequest) -> dict[str, Any]:
        return {
            "base": self._addressing.base_path(request),
            "site": self._site_name,
        }

    async def _render(
        self, request: IRequest, element: Element, code: int = 200
    ) -> bytes:
        owner_page(request, code, POLICY)
        body: bytes = await flattenString(request, element)
        return b"<!DOCTYPE html>\n" + body

    async def _message(
        self,
        request: IRequest,
        code: int,
        title: str,
        message: str,
        link: tuple[str, str] | None = None,
    ) -> bytes:
        slots = dict(self._slots(request), title=title, message=message)
        if link is not None:
            link = (slots["base"] + link[0], link[1])
        return await self._render(request, MessagePage(slots, link), code)

    async def _disabled(self, request: IRequest) -> bytes:
        return await self._message(
            request,
            200,
            "Administration is disabled",
            "This comment server has no admin panel switched on. To use it, set "
            "enabled = true and a password of your own in the [admin] section "
            "of the server's configuration, then restart the server.",
        )

    async def _login_page(
        self, request: IRequest, code: int = 200, notice: str = ""
    ) -> bytes:
        usable = self._sessions.password_usable()
        if not usable:
            notice = (
                "Sign-in is switched off until a password of your own is set "
                "in the [admin] section of the server's configuration."
            )
        page = LoginPage(self._slots(request), notice, form=usable)
        return await self._render(request, page, code)

    def _redirect(self, request: IRequest, path: str, code: int = 303) -> bytes:
        request.setResponseCode(code)
        location = self._addressing.base_path(request) + path
        request.setHeader(b"location", location.encode())
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return b""

    # Errors

    async def _no_route(self, request: IRequest) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        return await self._message(
            request, 404, "Not found", "There is no such page in the admin panel.",
            ("/admin/", "Back to the comments"),
        )

    async def _wrong_method(self, request: IRequest, allowed: list[str]) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        return await self._message(
            request, 405, "Method not allowed",
            f"This address only answers {', '.join(allowed)}.",
        )

    def _allow(self, allowed: list[str]) -> str | None:
        # A disabled panel does not tell which methods its pages take.
        return ", ".join(allowed) if self._config.enabled else None

    route_errors(app, _no_route, _wrong_method, allow=_allow)

    async def _owner_form(
        self, request: IRequest
    ) -> tuple[str, dict[str, list[str]]] | bytes:
        """
        The session and form of a change the signed-in owner posted, or the
        answer to give instead: the disabled panel, the way to sign in, or
        a refusal when the form's CSRF token is not the session's.
        """
        if not self._config.enabled:
            return await self._disabled(request)
        sid = await self._sessions.session(request)
        if sid is None:
            return self._redirect(request, "/login/")
        form = _form(request)
        if not self._sessions.check_csrf(sid, form):
            return await self._refused(request)
        return sid, form

    # Signing in and out

    @app.route("/login/", methods=["GET"])
    async def login_form(self, request: IRequest) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        if (await self._sessions.session(request)) is not None:
            return self._redirect(request, "/admin/")
        notice = "You are signed out." if query_arg(request, "bye") else ""
        return await self._login_page(request, notice=notice)

    @app.route("/login/", methods=["POST"])
    async def login(self, request: IRequest) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        if not self._sessions.password_usable():
            return await self._login_page(request, 403)
        network = self._addressing.client_network(request)
        passwords = _form(request).get("password")
        if passwords is None:
            wait = await self.throttle.retry_after(network)
        else:
            # Counted as a failure until the password turns out right.
            wait = await self.throttle.attempt(network)
        if wait is not None:
            self.log.warn(
                "Refused a sign-in to the admin panel from {network}: too many "
                "failed attempts",
                network=network,
            )
            request.setHeader(b"retry-after", str(wait).encode())
            minutes = -(-wait // 60)
            return await self._login_page(
                request,
                429,
                f"Too many wrong passwords. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.",
            )
        if passwords is None:
            return await self._login_page(request, 400, "Enter the password.")
        if not self._sessions.password_matches(passwords[0]):
            self.log.info(
                "Wrong password for the admin panel from {network}", network=network
            )
            return await self._login_page(request, 403, "Wrong password.")
        await self.throttle.succeeded(network)
        self._sessions.set_cookie(request, self._sessions.new_session(), SESSION_AGE)
        self.log.info("Signed in to the admin panel from {network}", network=network)
        # 302, as Isso answers a successful sign-in.
        return self._redirect(request, "/admin/", 302)

    @app.route("/logout/", methods=["POST"])
    async def logout(self, request: IRequest) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        sid = await self._sessions.session(request)
        if sid is not None:
            if not self._sessions.check_csrf(sid, _form(request)):
                return await self._refused(request)
            await self._sessions.revoke(sid)
            self.log.info("Signed out of the admin panel")
        self._sessions.set_cookie(request, "", 0)
        return self._redirect(request, "/login/?bye=1")

    async def _refused(self, request: IRequest) -> bytes:
        self.log.warn("Refused an admin form without a valid CSRF token")
        return await self._message(
            request,
            403,
            "Form refused",
            "This form did not come from your current admin session (it may be "
            "older than your last sign-in). Nothing was changed.",
            ("/admin/", "Back to the comments"),
        )

    # The panel

    @app.route("/admin/", methods=["GET"])
    async def panel(self, request: IRequest) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        sid = await self._sessions.session(request)
        if sid is None:
            return self._redirect(request, "/login/", 302)
        values = {
            key.decode("utf-8", "replace"): v[0].decode("utf-8", "replace")
            for key, v in request.args.items()
        }
        query = query_from(values)
        listing = await self._database.run(
            admin_page_interaction, query, self._renderer.fingerprint
        )
        await self._renderer.complete(listing.comments)
        notice = ""
        done = _DONE.get(values.get("done", ""))
        if done is not None:
            count = _integer(values.get("n", ""), 0)
            notice = (
                f"{count} comment{'s' if count != 1 else ''} {done}."
                if count
                else "Nothing changed: the comments were already handled."
            )
            if values.get("done") == "ban" and count:
                notice += " Undo by deleting its rules on the Spam rules page."
        slots = dict(
            self._slots(request),
            csrf=self._sessions.csrf_token(sid),
            back=query_string(query),
            state=STATES[query.mode][1],
            mode=str(query.mode),
            uri=query.uri,
            q=query.search,
        )
        page = PanelPage(slots, query, listing, notice, self._origins.default)
        return await self._render(request, page)

    @app.route("/admin/action", methods=["POST"])
    async def action(self, request: IRequest) -> bytes:
        signed_in = await self._owner_form(request)
        if isinstance(signed_in, bytes):
            return signed_in
        sid, form = signed_in
        back_values = {
            k: v[0] for k, v in parse_qs((form.get("back") or [""])[0]).items()
        }
        back = query_string(query_from(back_values))
        ids = []
        for value in form.get("id", [])[:MAX_BULK]:
            number = parse_int(value)
            if number is not None and is_sqlite_int(number):
                ids.append(number)
        action = (form.get("action") or [""])[0]
        if action == "activate":
            results = await self._moderation.activate_comments(
                ids,
                origin=self._origins.default,
                endpoint=self._addressing.endpoint(request),
            )
        elif action == "delete":
            results = await self._moderation.delete_comments(ids)
        elif action == "ban" and len(ids) == 1:
            targets = tuple(t for t in BAN_TARGETS if t in form.get("ban", []))
            if not targets:
                return await self._message(
                    request,
                    400,
                    "Not banned",
                    "Nothing was changed: choose the network, the e-mail "
                    "address, or both.",
                    ("/admin/?" + back, "Back to the comments"),
                )
            result, added = await self._moderation.ban_comment(
                ids[0], targets, ban_note(ids[0])
            )
            results = [result]
            if result.outcome is not Outcome.GONE:
                self.log.info(
                    "Banned the writer of comment {id} from the admin panel: "
                    "rules {rules}",
                    id=ids[0],
                    rules=", ".join(str(rule.id) for rule in added) or "none",
                )
        elif action == "edit" and len(ids) == 1:
            try:
                results = [await self._edit(ids[0], form)]
            except InvalidComment as e:
                return await self._message(
                    request,
                    400,
                    "Not saved",
                    f"The comment was not changed: {e}.",
                    ("/admin/?" + back, "Back to the comments"),
                )
        else:
            return await self._message(
                request, 400, "Unknown action", "Nothing was changed.",
                ("/admin/?" + back, "Back to the comments"),
            )
        count = sum(result.outcome is Outcome.DONE for result in results)
        done = urlencode({"done": action, "n": count})
        return self._redirect(request, "/admin/?" + (f"{back}&" if back else "") + done)

    async def _edit(self, comment_id: int, form: dict[str, list[str]]) -> Result:
        """
        Save an edit from the panel, marked as a modification.

        @raise InvalidComment: the new values break a rule.
        """
        changes = typed_changes({key: (form.get(key) or [""])[0] for key in EDITABLE})
        changes["modified"] = self._clock.seconds()
        return await self._moderation.edit_comment(comment_id, changes)

    # The spam rules

    async def _rules_page(
        self,
        request: IRequest,
        sid: str,
        page: int,
        code: int = 200,
        notice: str = "",
        error: str = "",
        typed: dict[str, str] | None = None,
    ) -> bytes:
        listing = await self._database.run(rules_page_interaction, page)
        slots = dict(self._slots(request), csrf=self._sessions.csrf_token(sid))
        element = RulesPage(slots, listing, notice, error, typed)
        return await self._render(request, element, code)

    @app.route("/admin/rules", methods=["GET"])
    async def rules(self, request: IRequest) -> bytes:
        if not self._config.enabled:
            return await self._disabled(request)
        sid = await self._sessions.session(request)
        if sid is None:
            return self._redirect(request, "/login/", 302)
        done = query_arg(request, "done") or ""
        rule_id = _integer(query_arg(request, "id") or "", 0)
        notice = {
            "added": f"Rule {rule_id} added.",
            "exists": f"That rule exists already: rule {rule_id}.",
            "deleted": f"Rule {rule_id} deleted.",
            "gone": "That rule was already deleted.",
        }.get(done, "")
        page = page_number(query_arg(request, "page") or "")
        return await self._rules_page(request, sid, page, notice=notice)

    @app.route("/admin/rules", methods=["POST"])
    async def change_rules(self, request: IRequest) -> bytes:
        signed_in = await self._owner_form(request)
        if isinstance(signed_in, bytes):
            return signed_in
        sid, form = signed_in
        # The page the form was on: a delete goes back to it.
        page = page_number((form.get("page") or [""])[0])
        action = (form.get("action") or [""])[0]
        if action == "delete":
            rule_id = parse_int((form.get("id") or [""])[0])
            deleted = None
            if rule_id is not None and is_sqlite_int(rule_id):
                deleted = await self._database.run(delete_rule_interaction, rule_id)
            # Back to the same page, or to the last one if that page is
            # now past the end.
            total = await self._database.run(rules_count_interaction)
            page = min(page, page_count(total))
            if deleted is None:
                return self._redirect(request, rules_path(page, done="gone"))
            self.log.info(
                "Deleted rule {id} ({action} {kind} {value!r}) from the admin panel",
                id=deleted.id,
                action=deleted.action,
                kind=deleted.kind,
                value=deleted.value,
            )
            return self._redirect(
                request, rules_path(page, done="deleted", id=deleted.id)
            )
        if action != "add":
            return await self._rules_page(
                request, sid, page, 400, error="Unknown action: nothing was changed."
            )
        typed = {
            name: (form.get(name) or [""])[0]
            for name in ("kind", "value", "rule_action", "note")
        }
        kind, action = typed["kind"], typed["rule_action"]
        note = " ".join(typed["note"].split())[:MAX_NOTE]
        try:
            value = normalise_rule(kind, action, typed["value"])
        except InvalidRule as e:
            return await self._rules_page(
                request,
                sid,
                page,
                400,
                error=f"The rule was not added: {e}.",
                typed=typed,
            )
        assert kind in KINDS and action in ACTIONS
        [(rule_id, new)] = await self._database.run(
            add_rules_interaction, [(kind, value, action)], note, self._clock.seconds()
        )
        if new:
            self.log.info(
                "Added rule {id} ({action} {kind} {value!r}) from the admin panel",
                id=rule_id,
                action=action,
                kind=kind,
                value=value,
            )
        # To the page that lists the rule, new (the last page) or not.
        page = await self._database.run(rule_page_interaction, rule_id)
        done = "added" if new else "exists"
        return self._redirect(request, rules_path(page, done=done, id=rule_id))
