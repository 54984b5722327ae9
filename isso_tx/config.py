"""
Site configuration: Isso's INI files, their defaults, and our additions.

A configuration file describes one site.  L{load_site_config} reads it over
the built-in defaults and returns a frozen L{SiteConfig}; every problem is a
L{ConfigError} naming the file, the section and the key.
"""

from __future__ import annotations

import configparser
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from .dialect import is_postgres_uri, masked_uri
from .settings import (
    SAMPLE_ADMIN_PASSWORD,
    AdminConfig,
    DatabaseConfig,
    GeneralConfig,
    GuardConfig,
    HashConfig,
    MarkupConfig,
    ModerationConfig,
    RSSConfig,
    ServerConfig,
    SiteConfig,
    SMTPConfig,
    WebhookConfig,
)

# The value types can be imported from here as well, next to the reader
# that builds them.
__all__ = [
    "AdminConfig", "ConfigError", "GeneralConfig", "GuardConfig", "HashConfig",
    "MarkupConfig", "ModerationConfig", "RSSConfig", "SMTPConfig", "ServerConfig",
    "SiteConfig", "WebhookConfig", "check_sites", "config_paths", "listen_endpoint",
    "load_site_config", "parse_duration",
]


class ConfigError(Exception):
    """
    A configuration file cannot be used as it is.
    """

    def __init__(
        self, path: str, section: str | None, key: str | None, message: str
    ) -> None:
        super().__init__(path, section, key, message)
        self.path = path
        self.section = section
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = self.path
        if self.section is not None:
            where += f": [{self.section}]"
            if self.key is not None:
                where += f" {self.key}"
        return f"{where}: {self.message}"


# The built-in values, as Isso ships them, except where noted.  Every key a
# site may set is listed here: a key missing from this table is unknown.
DEFAULTS: dict[str, dict[str, str]] = {
    "general": {
        "dbpath": "/tmp/comments.db",
        "name": "",
        "host": "",
        "max-age": "15m",
        "notify": "stdout",
        "reply-notifications": "false",
        "log-file": "",
        "gravatar": "false",
        "gravatar-url": "https://www.gravatar.com/avatar/{}?d=identicon&s=55",
        "latest-enabled": "false",
        "session-key": "",
    },
    "admin": {
        "enabled": "false",
        "password": SAMPLE_ADMIN_PASSWORD,
    },
    "moderation": {
        "enabled": "false",
        "approve-if-email-previously-approved": "false",
        "purge-after": "30d",
    },
    "server": {
        "listen": "http://localhost:8080",
        "public-endpoint": "",
        "reload": "false",
        "profile": "false",
        "trusted-proxies": "",
        "samesite": "",
        "metrics-listen": "",
    },
    "smtp": {
        "username": "",
        "password": "",
        "host": "localhost",
        "port": "587",
        "security": "starttls",
        "to": "",
        "from": "",
        "timeout": "10",
    },
    "guard": {
        "enabled": "true",
        "ratelimit": "2",
        "direct-reply": "3",
        "reply-to-self": "false",
        "require-author": "false",
        "require-email": "false",
        "max-links": "0",
    },
    "markup": {
        # Isso 0.14 defaults to mistune; misaka is ours, and configs written
        # for Isso say "renderer = mistune" explicitly when they want it.
        "renderer": "misaka",
        "allowed-elements": "",
        "allowed-attributes": "",
        # Seed-era spellings of [markup.misaka] options and flags.
        "options": "",
        "flags": "",
    },
    "markup.misaka": {
        "options": "autolink, fenced-code, no-intra-emphasis, strikethrough, superscript",
        "flags": "",
    },
    "markup.mistune": {
        "plugins": "strikethrough, subscript, superscript",
        "parameters": "escape, hard_wrap",
    },
    "hash": {
        "salt": "Eech7co8Ohloopo9Ol6baimi",
        "algorithm": "pbkdf2",
    },
    "rss": {
        "base": "",
        "limit": "100",
    },
    # Ours: only read when [general] dbpath is a postgresql:// URI.
    "database": {
        "pool-size": "4",
        "statement-timeout": "5s",
    },
}

# Keys people carry over from older Isso versions, with what to do instead.
_RETIRED_KEYS = {
    ("server", "host"): "use listen = http://HOST:PORT instead",
    ("server", "port"): "use listen = http://HOST:PORT instead",
    ("smtp", "ssl"): "use security = ssl or starttls instead",
}

NOTIFIERS = ("stdout", "smtp")
SMTP_SECURITY = ("none", "starttls", "ssl")
SAMESITE = {"": "", "none": "None", "lax": "Lax", "strict": "Strict"}
RENDERERS = ("misaka", "mistune")
# What a [webhook.NAME] section may say, and the values it may give.
WEBHOOK_PREFIX = "webhook."
WEBHOOK_KEYS = ("url", "format", "events", "secret", "access-token")
WEBHOOK_FORMATS = ("json", "slack", "matrix")
WEBHOOK_EVENTS = ("created", "pending", "approved", "edited", "deleted")
_WEBHOOK_NAME = re.compile(r"[A-Za-z0-9_.-]+")

_DURATION = re.compile(
    r"^(?:(?P<w>\d+)w ?)?(?:(?P<d>\d+)d ?)?(?:(?P<h>\d+)h ?)?"
    r"(?:(?P<m>\d+)m ?)?(?:(?P<s>\d+)s ?)?"
)
_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_ENVIRONMENT_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})")


def parse_duration(value: str) -> int:
    """
    Read Isso's duration syntax (C{3w 12h}, C{1h30m37s}, C{15m}) or a plain
    number of seconds.

    @raise ValueError: for anything else, and for negative numbers.
    """
    match = _DURATION.match(value)
    seconds = sum(
        int(count) * _SECONDS[unit]
        for unit, count in match.groupdict().items()
        if count is not None
    )
    if seconds:
        return seconds
    try:
        seconds = int(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a duration (e.g. 900, 15m, 1h30m, 2d, 3w)"
        ) from None
    if seconds < 0:
        raise ValueError(f"{value!r}: a duration cannot be negative")
    return seconds


def listen_endpoint(address: str) -> str:
    """
    Translate one C{[server] listen} address into a Twisted endpoint string.

    Isso's two forms are C{http://HOST:PORT} and C{unix:///path}; anything
    else that looks like an endpoint string (C{tcp:8080}, C{systemd:…}) is
    passed through for Twisted to read.

    @raise ValueError: for an address that is neither.
    """
    if address.startswith("unix://"):
        path = address[len("unix://"):]
        if not path.startswith("/"):
            raise ValueError(f"{address!r}: a unix socket needs an absolute path")
        return f"unix:{_escape_endpoint(path)}:mode=660"
    if "://" in address:
        parts = urlsplit(address)
        if parts.scheme != "http":
            raise ValueError(
                f"{address!r}: only http:// and unix:// addresses are served; "
                "terminate TLS in a reverse proxy or give a Twisted ssl: endpoint"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"{address!r}: the port is not a number") from None
        if port is None:
            raise ValueError(f"{address!r}: give a port, e.g. http://localhost:8080")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"{address!r}: a listen address has no path")
        host = parts.hostname or ""
        if host == "localhost":
            host = "127.0.0.1"
        if not host:
            return f"tcp:{port}"
        if ":" in host:
            return f"tcp6:{port}:interface={_escape_endpoint(host)}"
        return f"tcp:{port}:interface={host}"
    prefix = address.partition(":")[0]
    if ":" in address and not re.search(r"\s", address) and prefix in _endpoint_types():
        return address
    raise ValueError(
        f"{address!r} is not an address: use http://HOST:PORT, unix:///PATH "
        "or a Twisted endpoint such as tcp:8080"
    )


def _endpoint_types() -> set[str]:
    """
    The kinds of Twisted server endpoint strings this installation knows:
    the built-in ones and those added by plugins (tcp6, systemd, …).
    """
    from twisted.internet.interfaces import IStreamServerEndpointStringParser
    from twisted.plugin import getPlugins

    return {"tcp", "unix", "ssl"} | {
        parser.prefix for parser in getPlugins(IStreamServerEndpointStringParser)
    }


def _escape_endpoint(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


DEFAULT_CONFIG = "/etc/isso/isso.cfg"


def config_paths(
    given: list[str], environ: Mapping[str, str] | None = None
) -> list[str]:
    """
    Return the configuration files to read: those given on the command
    line, else those in C{$ISSO_SETTINGS} (separated by C{;}), else
    L{DEFAULT_CONFIG}.
    """
    if given:
        return list(given)
    if environ is None:
        environ = os.environ
    settings = environ.get("ISSO_SETTINGS", "")
    return [path for path in settings.split(";") if path] or [DEFAULT_CONFIG]


def load_site_config(path: str, environ: Mapping[str, str] | None = None) -> SiteConfig:
    """
    Read one site's configuration file over the built-in defaults.

    @param environ: the variables that C{$NAME} in values expands to;
        the process environment by default.
    @raise ConfigError: naming the file, section and key of the first
        problem found.
    """
    if environ is None:
        environ = os.environ
    parser = configparser.ConfigParser(
        interpolation=None,
        strict=True,
        allow_no_value=True,
        # No section is special: "[DEFAULT]" in a file is just unknown.
        default_section="\x00",
    )
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f, source=path)
    except FileNotFoundError:
        raise ConfigError(path, None, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, None, None, f"cannot be read: {e}") from None
    except configparser.DuplicateOptionError as e:
        raise ConfigError(
            path, e.section, e.option, f"given twice (line {e.lineno})"
        ) from None
    except configparser.DuplicateSectionError as e:
        raise ConfigError(path, e.section, None, f"given twice (line {e.lineno})") from None
    except configparser.Error as e:
        first_line = str(e).splitlines()[0]
        raise ConfigError(path, None, None, f"not an INI file: {first_line}") from None
    return _SiteReader(path, parser, environ).read()


class _SiteReader:
    """
    Typed access to one parsed file, remembering what is wrong with it.
    """

    def __init__(
        self,
        path: str,
        parser: configparser.ConfigParser,
        environ: Mapping[str, str],
    ) -> None:
        self.path = path
        self.parser = parser
        self.environ = environ
        self.warnings: list[str] = []

    def given(self, section: str, key: str) -> bool:
        return self.parser.has_option(section, key)

    def text(self, section: str, key: str) -> str:
        if self.given(section, key):
            value = self.parser.get(section, key) or ""
        else:
            value = DEFAULTS[section][key]
        return _ENVIRONMENT_VARIABLE.sub(self._expand, value).strip()

    def _expand(self, match: re.Match[str]) -> str:
        name = match.group(1).strip("{}")
        return self.environ.get(name, match.group(0))

    def error(self, section: str, key: str, message: str) -> ConfigError:
        return ConfigError(self.path, section, key, message)

    def boolean(self, section: str, key: str) -> bool:
        value = self.text(section, key).lower()
        if value in ("1", "yes", "true", "on"):
            return True
        if value in ("0", "no", "false", "off"):
            return False
        raise self.error(
            section, key, f"{value!r} is not a boolean (use true or false)"
        )

    def duration(self, section: str, key: str) -> int:
        try:
            return parse_duration(self.text(section, key))
        except ValueError as e:
            raise self.error(section, key, str(e)) from None

    def count(self, section: str, key: str, minimum: int = 0) -> int:
        value = self.text(section, key)
        try:
            number = int(value)
        except ValueError:
            raise self.error(section, key, f"{value!r} is not a whole number") from None
        if number < minimum:
            raise self.error(section, key, f"must be at least {minimum}")
        return number

    def comma_list(self, section: str, key: str) -> tuple[str, ...]:
        items = (item.strip() for item in self.text(section, key).split(","))
        return tuple(item for item in items if item)

    def line_list(self, section: str, key: str) -> tuple[str, ...]:
        items = (line.strip() for line in self.text(section, key).splitlines())
        return tuple(item for item in items if item)

    def read(self) -> SiteConfig:
        self.check_known_keys()
        config = SiteConfig(
            path=self.path,
            general=self.general(),
            admin=AdminConfig(
                enabled=self.boolean("admin", "enabled"),
                password=self.text("admin", "password"),
            ),
            moderation=ModerationConfig(
                enabled=self.boolean("moderation", "enabled"),
                approve_if_email_previously_approved=self.boolean(
                    "moderation", "approve-if-email-previously-approved"
                ),
                purge_after=self.duration("moderation", "purge-after"),
            ),
            server=self.server(),
            smtp=self.smtp(),
            guard=GuardConfig(
                enabled=self.boolean("guard", "enabled"),
                ratelimit=self.count("guard", "ratelimit"),
                direct_reply=self.count("guard", "direct-reply"),
                reply_to_self=self.boolean("guard", "reply-to-self"),
                require_author=self.boolean("guard", "require-author"),
                require_email=self.boolean("guard", "require-email"),
                max_links=self.count("guard", "max-links"),
            ),
            markup=self.markup(),
            hash=self.hash(),
            rss=RSSConfig(
                base=self.text("rss", "base"),
                limit=self.count("rss", "limit", minimum=1),
            ),
            database=DatabaseConfig(
                pool_size=self.count("database", "pool-size", minimum=1),
                statement_timeout=self.duration("database", "statement-timeout"),
            ),
            webhooks=self.webhooks(),
            warnings=(),
        )
        return replace(config, warnings=tuple(self.warnings))

    def check_known_keys(self) -> None:
        """
        Warn of unknown sections and keys, with a hint where there is one.

        @raise ConfigError: for an unknown section that is a misspelling of
            a known one the file lacks (C{[generl]} without C{[general]}):
            everything in it would be silently ignored, and the first
            complaint would otherwise be about its missing keys.
        """
        sections = self.parser.sections()
        for section in sections:
            if section == "webhook" or section.startswith(WEBHOOK_PREFIX):
                # Their keys are checked as each webhook is read.
                continue
            if section not in DEFAULTS:
                meant = difflib.get_close_matches(section.lower(), DEFAULTS, n=1, cutoff=0.75)
                if meant and meant[0] not in sections:
                    raise ConfigError(
                        self.path, None, None,
                        f"unknown section [{section}], did you mean [{meant[0]}]?",
                    )
                hint = f"ignored (did you mean [{meant[0]}]?)" if meant else "ignored"
                self.warnings.append(
                    f"{self.path}: [{section}] is not a known section; {hint}"
                )
                continue
            for key in self.parser.options(section):
                if key in DEFAULTS[section]:
                    continue
                hint = _RETIRED_KEYS.get((section, key), "ignored")
                self.warnings.append(
                    f"{self.path}: [{section}] {key} is not a known option; {hint}"
                )

    def relative_path(self, path: str) -> str:
        """
        Expand C{~} and read a relative path from the folder of the file
        that says it, not from wherever the daemon happens to be started.
        """
        if not path:
            return path
        path = os.path.expanduser(path)
        return os.path.join(os.path.dirname(os.path.abspath(self.path)), path)

    def general(self) -> GeneralConfig:
        hosts = self.line_list("general", "host")
        if not hosts:
            raise self.error(
                "general", "host",
                "no website configured: give the address of each site that "
                "embeds the comments, one per line",
            )
        from .addresses import Origins

        try:
            Origins(hosts)
        except ValueError as e:
            raise self.error("general", "host", str(e)) from None
        for host in hosts:
            if "," in host or " " in host:
                self.warnings.append(
                    f"{self.path}: [general] host {host!r}: give one address "
                    "per line (commas do not separate hosts)"
                )
        notify = []
        for name in self.comma_list("general", "notify"):
            if name.lower() in NOTIFIERS:
                notify.append(name.lower())
            else:
                self.warnings.append(
                    f"{self.path}: [general] notify: unknown notifier {name!r} "
                    f"ignored (known: {', '.join(NOTIFIERS)})"
                )
        dbpath = self.text("general", "dbpath")
        if not dbpath:
            raise self.error("general", "dbpath", "the database path is empty")
        if not is_postgres_uri(dbpath):
            dbpath = self.relative_path(dbpath)
        name = self.text("general", "name")
        if "/" in name:
            raise self.error("general", "name", f"{name!r}: a site name cannot contain '/'")
        return GeneralConfig(
            dbpath=dbpath,
            name=name,
            hosts=hosts,
            max_age=self.duration("general", "max-age"),
            notify=tuple(notify),
            reply_notifications=self.boolean("general", "reply-notifications"),
            log_file=self.relative_path(self.text("general", "log-file")),
            gravatar=self.boolean("general", "gravatar"),
            gravatar_url=self.text("general", "gravatar-url"),
            latest_enabled=self.boolean("general", "latest-enabled"),
            session_key=self.text("general", "session-key") or None,
        )

    def endpoints(self, key: str) -> tuple[str, ...]:
        """
        Read a list of C{[server]} addresses as endpoint strings, each once.
        """
        endpoints: list[str] = []
        for address in self.line_list("server", key):
            try:
                endpoint = listen_endpoint(address)
            except ValueError as e:
                raise self.error("server", key, str(e)) from None
            if endpoint not in endpoints:
                endpoints.append(endpoint)
        return tuple(endpoints)

    def server(self) -> ServerConfig:
        listen = self.endpoints("listen")
        if not listen:
            raise self.error("server", "listen", "no address given")
        public_endpoint = self.text("server", "public-endpoint")
        if public_endpoint.endswith("/"):
            public_endpoint = public_endpoint.rstrip("/")
            self.warnings.append(
                f"{self.path}: [server] public-endpoint: trailing '/' removed"
            )
        if public_endpoint and urlsplit(public_endpoint).scheme not in ("http", "https"):
            raise self.error(
                "server", "public-endpoint",
                f"{public_endpoint!r} must start with http:// or https://",
            )
        samesite = self.text("server", "samesite")
        if samesite.lower() not in SAMESITE:
            raise self.error(
                "server", "samesite",
                f"{samesite!r}: use None, Lax or Strict (or leave it empty)",
            )
        trusted_proxies = self.line_list("server", "trusted-proxies")
        from .addresses import ProxyPolicy

        try:
            ProxyPolicy(trusted_proxies)
        except ValueError as e:
            raise self.error("server", "trusted-proxies", str(e)) from None
        return ServerConfig(
            listen=listen,
            public_endpoint=public_endpoint,
            reload=self.boolean("server", "reload"),
            profile=self.boolean("server", "profile"),
            trusted_proxies=trusted_proxies,
            samesite=SAMESITE[samesite.lower()],
            metrics_listen=self.endpoints("metrics-listen"),
        )

    def smtp(self) -> SMTPConfig:
        security = self.text("smtp", "security").lower()
        if security not in SMTP_SECURITY:
            raise self.error(
                "smtp", "security",
                f"{security!r}: use none, starttls or ssl",
            )
        port = self.count("smtp", "port", minimum=1)
        if port > 65535:
            raise self.error("smtp", "port", f"{port} is not a port number")
        return SMTPConfig(
            username=self.text("smtp", "username"),
            password=self.text("smtp", "password"),
            host=self.text("smtp", "host"),
            port=port,
            security=security,
            to=self.text("smtp", "to"),
            from_=self.text("smtp", "from"),
            timeout=self.duration("smtp", "timeout"),
        )

    def markup(self) -> MarkupConfig:
        renderer = self.text("markup", "renderer").lower()
        if renderer not in RENDERERS:
            raise self.error(
                "markup", "renderer", f"{renderer!r}: use misaka or mistune"
            )
        options = self.misaka_names("options")
        flags = self.misaka_names("flags")
        config = MarkupConfig(
            renderer=renderer,
            allowed_elements=self.comma_list("markup", "allowed-elements"),
            allowed_attributes=self.comma_list("markup", "allowed-attributes"),
            misaka_extensions=options,
            misaka_render_flags=flags,
            mistune_plugins=self.comma_list("markup.mistune", "plugins"),
            mistune_parameters=self.comma_list("markup.mistune", "parameters"),
        )
        from .markup import Markup

        try:
            Markup(config)
        except ValueError as e:
            section = "markup.misaka" if renderer == "misaka" else "markup.mistune"
            raise ConfigError(self.path, section, None, str(e)) from None
        return config

    def misaka_names(self, key: str) -> tuple[str, ...]:
        """
        Misaka extensions or flags: C{[markup.misaka]}, or the seed-era
        C{[markup]} key of the same name when only that one is given.
        """
        section = "markup.misaka"
        if self.given("markup", key) and not self.given("markup.misaka", key):
            self.warnings.append(
                f"{self.path}: [markup] {key} is the old spelling of "
                f"[markup.misaka] {key}; it still works"
            )
            section = "markup"
        return tuple(name.replace("_", "-") for name in self.comma_list(section, key))

    def webhooks(self) -> tuple[WebhookConfig, ...]:
        return _WebhookReader(self).read_all()

    def hash(self) -> HashConfig:
        config = HashConfig(
            salt=self.text("hash", "salt"),
            algorithm=self.text("hash", "algorithm"),
        )
        from .hashing import make_hash_function

        try:
            make_hash_function(config)
        except ValueError as e:
            raise self.error("hash", "algorithm", str(e)) from None
        return config


class _WebhookReader:
    """
    Reads the C{[webhook.NAME]} sections of one file.
    """

    def __init__(self, site: _SiteReader) -> None:
        self.site = site
        self.path = site.path

    def error(self, section: str, key: str | None, message: str) -> ConfigError:
        return ConfigError(self.path, section, key, message)

    def text(self, section: str, key: str) -> str:
        value = self.site.parser.get(section, key, fallback="") or ""
        return _ENVIRONMENT_VARIABLE.sub(self.site._expand, value).strip()

    def read_all(self) -> tuple[WebhookConfig, ...]:
        webhooks = []
        for section in self.site.parser.sections():
            if section == "webhook":
                raise self.error(
                    section, None, "name each webhook: [webhook.NAME], e.g. "
                    "[webhook.chat]",
                )
            if section.startswith(WEBHOOK_PREFIX):
                webhooks.append(self.read(section))
        return tuple(webhooks)

    def read(self, section: str) -> WebhookConfig:
        name = section[len(WEBHOOK_PREFIX):]
        if not _WEBHOOK_NAME.fullmatch(name):
            raise self.error(
                section, None,
                "a webhook's name is letters, digits, '.', '_' and '-'",
            )
        for key in self.site.parser.options(section):
            if key not in WEBHOOK_KEYS:
                self.site.warnings.append(
                    f"{self.path}: [{section}] {key} is not a known option; "
                    f"ignored (known: {', '.join(WEBHOOK_KEYS)})"
                )
        url = self.text(section, "url")
        self.check_url(section, url)
        fmt = self.text(section, "format").lower() or "json"
        if fmt not in WEBHOOK_FORMATS:
            raise self.error(
                section, "format", f"{fmt!r}: use json, slack or matrix"
            )
        events = self.events(section)
        secret = self.text(section, "secret")
        access_token = self.text(section, "access-token")
        if fmt == "json" and not secret:
            raise self.error(
                section, "secret",
                "a json webhook needs a secret to sign its requests, so that "
                "the receiver can tell them from forgeries",
            )
        if fmt == "matrix":
            if not access_token:
                raise self.error(
                    section, "access-token",
                    "a matrix webhook needs the access token of the account "
                    "that posts",
                )
            if "/send/m.room.message" not in urlsplit(url).path:
                raise self.error(
                    section, "url",
                    "give the room's send endpoint: https://HOMESERVER/"
                    "_matrix/client/v3/rooms/ROOM_ID/send/m.room.message",
                )
        for key, value, used_by in (
            ("secret", secret, "json"),
            ("access-token", access_token, "matrix"),
        ):
            if value and fmt != used_by:
                self.site.warnings.append(
                    f"{self.path}: [{section}] {key} is used by {used_by} "
                    f"webhooks only; ignored with format = {fmt}"
                )
        return WebhookConfig(
            name=name,
            url=url,
            format=fmt,
            events=events,
            secret=secret,
            access_token=access_token,
        )

    def check_url(self, section: str, url: str) -> None:
        if not url:
            raise self.error(section, "url", "give the address to send events to")
        parts = urlsplit(url)
        # The value itself may hold a credential (a Slack hook's path):
        # name the problem without repeating it.
        if parts.scheme not in ("http", "https"):
            raise self.error(section, "url", "must start with https:// or http://")
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            raise self.error(section, "url", "the port is not a port number")
        if not parts.hostname:
            raise self.error(section, "url", "names no host")

    def events(self, section: str) -> tuple[str, ...]:
        if not self.site.parser.has_option(section, "events"):
            return WEBHOOK_EVENTS
        given = [
            item.strip().lower()
            for item in self.text(section, "events").split(",")
            if item.strip()
        ]
        if not given:
            raise self.error(
                section, "events",
                f"name at least one event ({', '.join(WEBHOOK_EVENTS)}), or "
                "leave the key out for all of them",
            )
        for event in given:
            if event not in WEBHOOK_EVENTS:
                raise self.error(
                    section, "events",
                    f"unknown event {event!r} (known: {', '.join(WEBHOOK_EVENTS)})",
                )
        return tuple(event for event in WEBHOOK_EVENTS if event in given)


def check_sites(configs: list[SiteConfig]) -> None:
    """
    Check that sites can be served by one daemon: each needs a name of its
    own (its URL prefix) and a database of its own.

    @raise ConfigError: naming the file and key of the first problem.
    """
    names: dict[str, str] = {}
    databases: dict[str, str] = {}
    for config in configs:
        name = config.general.name
        if not name:
            raise ConfigError(
                config.path, "general", "name",
                "a site served with others needs a name, its URL prefix",
            )
        if name in (".", ".."):
            raise ConfigError(
                config.path, "general", "name", f"{name!r} cannot be a URL prefix"
            )
        if name in names:
            raise ConfigError(
                config.path, "general", "name",
                f"{name!r} is already the name of {names[name]}",
            )
        names[name] = config.path
        database = config.general.dbpath
        if not is_postgres_uri(database):
            database = os.path.realpath(database)
        if database in databases:
            raise ConfigError(
                config.path, "general", "dbpath",
                f"{masked_uri(database) if is_postgres_uri(database) else database}"
                f" is already the database of {databases[database]}",
            )
        databases[database] = config.path
