"""
The configuration's values: what one site is set up to do.

These are plain frozen records; L{isso_tx.config} reads them from Isso's INI
files, and every other module takes the part it needs.  Nothing here imports
the rest of the package, so any module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The admin password Isso's sample configuration ships with: the panel stays
# closed while it is still the password.
SAMPLE_ADMIN_PASSWORD = "please_choose_a_strong_password"


@dataclass(frozen=True)
class GeneralConfig:
    dbpath: str
    name: str
    hosts: tuple[str, ...]
    max_age: int
    notify: tuple[str, ...]
    reply_notifications: bool
    log_file: str
    gravatar: bool
    gravatar_url: str
    latest_enabled: bool
    # Only read by the schema 1 -> 2 migration; Isso keeps the key in the
    # database since then.
    session_key: str | None


@dataclass(frozen=True)
class AdminConfig:
    enabled: bool
    password: str


@dataclass(frozen=True)
class ModerationConfig:
    enabled: bool
    approve_if_email_previously_approved: bool
    purge_after: int


@dataclass(frozen=True)
class ServerConfig:
    # Twisted endpoint strings, already translated from Isso's
    # http://host:port and unix:///path forms.
    listen: tuple[str, ...]
    public_endpoint: str
    reload: bool
    profile: bool
    trusted_proxies: tuple[str, ...]
    # "" (decided per request), "Strict", "Lax" or "None".
    samesite: str
    # Where the Prometheus metrics are served (endpoint strings, as
    # listen); none by default.
    metrics_listen: tuple[str, ...] = ()


@dataclass(frozen=True)
class SMTPConfig:
    username: str
    password: str
    host: str
    port: int
    # "none", "starttls" or "ssl".
    security: str
    to: str
    from_: str
    timeout: int


@dataclass(frozen=True)
class GuardConfig:
    enabled: bool
    ratelimit: int
    direct_reply: int
    reply_to_self: bool
    require_author: bool
    require_email: bool
    # Ours: a comment with more links than this waits for moderation
    # (0: no limit).
    max_links: int = 0


@dataclass(frozen=True)
class MarkupConfig:
    # "misaka" or "mistune".
    renderer: str
    allowed_elements: tuple[str, ...]
    allowed_attributes: tuple[str, ...]
    # misaka extension and render-flag names, with "_" turned into "-".
    misaka_extensions: tuple[str, ...]
    misaka_render_flags: tuple[str, ...]
    mistune_plugins: tuple[str, ...]
    mistune_parameters: tuple[str, ...]


@dataclass(frozen=True)
class HashConfig:
    salt: str
    # "pbkdf2[:iterations[:dklen[:prf]]]", "none" or a hashlib name.
    algorithm: str


@dataclass(frozen=True)
class RSSConfig:
    base: str
    limit: int


@dataclass(frozen=True)
class DatabaseConfig:
    """
    How a site talks to a PostgreSQL database (C{[database]}); a SQLite
    file ignores it.
    """

    # Connections kept open to the server.
    pool_size: int = 4
    # Seconds a statement may run before the server cancels it; 0: no limit.
    statement_timeout: int = 5


@dataclass(frozen=True)
class WebhookConfig:
    """
    One C{[webhook.NAME]} section: where to send which events, and how.
    """

    name: str
    url: str
    # "json", "slack" or "matrix".
    format: str
    # Among "created", "pending", "approved", "edited", "deleted".
    events: tuple[str, ...]
    # Signs json bodies; never sent, logged or stored.
    secret: str
    # Matrix's bearer token; never logged or stored.
    access_token: str

    def __repr__(self) -> str:
        # A repr may end up in a log line: leave the credentials out.
        return (
            f"WebhookConfig(name={self.name!r}, format={self.format!r}, "
            f"events={self.events!r})"
        )


@dataclass(frozen=True)
class SiteConfig:
    path: str
    general: GeneralConfig
    admin: AdminConfig
    moderation: ModerationConfig
    server: ServerConfig
    smtp: SMTPConfig
    guard: GuardConfig
    markup: MarkupConfig
    hash: HashConfig
    rss: RSSConfig
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    # One per [webhook.NAME] section, in the file's order.
    webhooks: tuple[WebhookConfig, ...] = ()
    # Harmless problems found while loading (unknown keys, deprecated
    # spellings), to be logged at start-up.
    warnings: tuple[str, ...] = field(default=(), compare=False)
