"""
Tests for L{isso_tx.config}: Isso's file format, defaults and our checks.
"""

from __future__ import annotations

import os

from twisted.trial.unittest import SynchronousTestCase

from isso_tx.config import (
    DEFAULT_CONFIG,
    ConfigError,
    check_sites,
    config_paths,
    listen_endpoint,
    load_site_config,
    parse_duration,
)
from isso_tx.settings import SiteConfig

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "etc", "isso", "isso.cfg")


class ConfigFileMixin:
    def load(self, text: str, environ: dict[str, str] | None = None):
        directory = self.mktemp()
        os.makedirs(directory)
        path = os.path.join(directory, "site.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return load_site_config(path, environ=environ or {})

    def refused(self, text: str) -> ConfigError:
        return self.assertRaises(ConfigError, self.load, text)


class DurationTests(SynchronousTestCase):
    def test_forms(self) -> None:
        """
        Durations are read as seconds or as weeks, days, hours, minutes and
        seconds, as Isso writes them.
        """
        self.assertEqual(parse_duration("90"), 90)
        self.assertEqual(parse_duration("15m"), 900)
        self.assertEqual(parse_duration("3w"), 21 * 86400)
        self.assertEqual(parse_duration("3w 12h 57m"), 21 * 86400 + 12 * 3600 + 57 * 60)
        self.assertEqual(parse_duration("1h30m37s"), 5437)
        self.assertEqual(parse_duration("2d3h"), 2 * 86400 + 3 * 3600)
        self.assertEqual(parse_duration("0"), 0)

    def test_fixed_order(self) -> None:
        """
        Units are read in the order w d h m s; what follows is ignored, as
        Isso does.
        """
        self.assertEqual(parse_duration("3h2d"), 3 * 3600)
        self.assertEqual(parse_duration("15mjunk"), 900)

    def test_bad(self) -> None:
        """
        A duration with an unknown unit, no number or a sign is refused.
        """
        for value in ("1y", "soon", "", "-5"):
            self.assertRaises(ValueError, parse_duration, value)


class ListenTests(SynchronousTestCase):
    def test_isso_forms(self) -> None:
        """
        Isso's http://host:port and unix:///path listen addresses become
        Twisted endpoints, a unix socket with mode 660.
        """
        self.assertEqual(listen_endpoint("http://localhost:8080"), "tcp:8080:interface=127.0.0.1")
        self.assertEqual(listen_endpoint("http://0.0.0.0:80/"), "tcp:80:interface=0.0.0.0")
        self.assertEqual(listen_endpoint("http://:8080"), "tcp:8080")
        self.assertEqual(listen_endpoint("http://[::1]:8080"), "tcp6:8080:interface=\\:\\:1")
        self.assertEqual(
            listen_endpoint("unix:///run/isso/isso.sock"), "unix:/run/isso/isso.sock:mode=660"
        )

    def test_endpoint_strings_pass_through(self) -> None:
        """
        A Twisted endpoint string is used as written.
        """
        for endpoint in ("tcp:8080:interface=127.0.0.1", "systemd:domain=INET:index=0",
                         "unix:/run/a.sock:mode=660"):
            self.assertEqual(listen_endpoint(endpoint), endpoint)

    def test_bad(self) -> None:
        """
        Listen addresses with https, no port, a bad port, a path, a relative
        socket path or an unknown endpoint type are refused.
        """
        for address in ("https://localhost:8443", "http://localhost", "http://h:x",
                        "localhost:8080", "tcp:80 80", "bogus:8080", "unix://relative.sock", "http://h:80/path"):
            self.assertRaises(ValueError, listen_endpoint, address)


class SampleConfigTests(SynchronousTestCase):
    def test_sample_is_complete_and_clean(self) -> None:
        """
        The shipped sample loads without a warning, and states exactly the
        built-in defaults except where a site has to choose.
        """
        config = load_site_config(SAMPLE, environ={})
        self.assertEqual(config.warnings, ())
        self.assertEqual(config.general.dbpath, "/var/lib/isso-tx/comments.db")
        self.assertEqual(
            config.general.hosts, ("http://localhost:8080/", "http://127.0.0.1:8080/")
        )
        self.assertEqual(config.server.listen, ("tcp:8080:interface=127.0.0.1",))
        self.assertEqual(config.markup.renderer, "misaka")
        self.assertEqual(config.general.max_age, 900)
        self.assertEqual(config.moderation.purge_after, 30 * 86400)
        self.assertTrue(config.guard.enabled)
        self.assertEqual(config.guard.max_links, 0)


class LoadTests(ConfigFileMixin, SynchronousTestCase):
    def test_defaults(self) -> None:
        """
        A configuration naming only the website gets Isso's defaults,
        without a warning.
        """
        config = self.load("[general]\nhost = http://example.org/\n")
        self.assertEqual(config.general.hosts, ("http://example.org/",))
        self.assertEqual(config.general.notify, ("stdout",))
        self.assertEqual(config.general.max_age, 900)
        self.assertEqual(config.general.dbpath, "/tmp/comments.db")
        self.assertEqual(config.guard.ratelimit, 2)
        self.assertEqual(config.guard.direct_reply, 3)
        self.assertEqual(config.guard.max_links, 0)
        self.assertEqual(config.smtp.port, 587)
        self.assertEqual(config.smtp.security, "starttls")
        self.assertEqual(config.hash.algorithm, "pbkdf2")
        self.assertEqual(config.rss.limit, 100)
        self.assertEqual(
            config.markup.misaka_extensions,
            ("autolink", "fenced-code", "no-intra-emphasis", "strikethrough", "superscript"),
        )
        self.assertEqual(config.markup.mistune_parameters, ("escape", "hard_wrap"))
        self.assertEqual(config.server.samesite, "")
        self.assertEqual(config.warnings, ())

    def test_hosts_are_a_line_list(self) -> None:
        """
        Several website addresses are given one per line, blank lines
        ignored.
        """
        config = self.load(
            "[general]\nhost =\n    https://a.example/\n\n    http://b.example:8000\n"
        )
        self.assertEqual(config.general.hosts, ("https://a.example/", "http://b.example:8000"))

    def test_commas_do_not_separate_hosts(self) -> None:
        """
        Addresses separated by commas are one address, with a warning to put
        one per line.
        """
        config = self.load("[general]\nhost = http://a.example, http://b.example\n")
        self.assertEqual(config.general.hosts, ("http://a.example, http://b.example",))
        self.assertIn("one address per line", config.warnings[0])

    def test_no_host(self) -> None:
        """
        A configuration without a website address is refused, naming the
        file, section and key.
        """
        error = self.refused("[general]\nname = blog\n")
        self.assertEqual((error.section, error.key), ("general", "host"))
        self.assertIn("site.cfg: [general] host: no website configured", str(error))

    def test_environment_expansion(self) -> None:
        """
        $NAME and ${NAME} are replaced by the environment once; unknown
        names and % are kept as written.
        """
        config = self.load(
            "[general]\nhost = http://example.org\n"
            "[admin]\npassword = ${SECRET}-$OTHER-$MISSING-%s\n",
            environ={"SECRET": "s3cret", "OTHER": "$SECRET"},
        )
        # Not expanded twice; unknown names stay; no % interpolation.
        self.assertEqual(config.admin.password, "s3cret-$SECRET-$MISSING-%s")

    def test_inline_hash_is_part_of_the_value(self) -> None:
        """
        A # after a value is part of the value, not a comment.
        """
        config = self.load("[general]\nhost = http://example.org\n[admin]\npassword = a # b\n")
        self.assertEqual(config.admin.password, "a # b")

    def test_booleans_and_durations(self) -> None:
        """
        Booleans may be written yes, on or 1, and durations in Isso's units.
        """
        config = self.load(
            "[general]\nhost = http://example.org\nmax-age = 1h30m\n"
            "gravatar = Yes\nlatest-enabled = on\n"
            "[moderation]\nenabled = 1\npurge-after = 3600\n"
        )
        self.assertEqual(config.general.max_age, 5400)
        self.assertTrue(config.general.gravatar)
        self.assertTrue(config.general.latest_enabled)
        self.assertTrue(config.moderation.enabled)
        self.assertEqual(config.moderation.purge_after, 3600)

    def test_bad_values_name_section_and_key(self) -> None:
        """
        A bad value is refused with a message naming the file, section and
        key, and what was expected.
        """
        cases = [
            ("[guard]\nenabled = maybe\n", "guard", "enabled", "not a boolean"),
            ("[general]\nmax-age = 1y\n", "general", "max-age", "not a duration"),
            ("[guard]\nratelimit = many\n", "guard", "ratelimit", "not a whole number"),
            ("[guard]\nmax-links = -1\n", "guard", "max-links", "at least 0"),
            ("[smtp]\nsecurity = tls\n", "smtp", "security", "none, starttls or ssl"),
            ("[smtp]\nport = 70000\n", "smtp", "port", "not a port"),
            ("[server]\nsamesite = sometimes\n", "server", "samesite", "None, Lax or Strict"),
            ("[server]\nlisten = https://localhost:443\n", "server", "listen", "reverse proxy"),
            ("[markup]\nrenderer = commonmark\n", "markup", "renderer", "misaka or mistune"),
            ("[hash]\nalgorithm = nosuchhash\n", "hash", "algorithm", ""),
            ("[rss]\nlimit = 0\n", "rss", "limit", "at least 1"),
            ("[general]\nname = a/b\n", "general", "name", "cannot contain"),
            ("[server]\ntrusted-proxies = 10.0.0.300\n", "server", "trusted-proxies",
             "10.0.0.300"),
        ]
        for text, section, key, message in cases:
            error = self.refused("[general]\nhost = http://example.org\n" + text
                                 if not text.startswith("[general]")
                                 else text.replace("[general]\n",
                                                   "[general]\nhost = http://example.org\n"))
            self.assertEqual((error.section, error.key), (section, key), text)
            self.assertIn(message, error.message, text)
            self.assertTrue(str(error).startswith(error.path + f": [{section}] {key}: "))

    def test_bad_host(self) -> None:
        """
        A website address that is not one is refused, naming [general] host.
        """
        error = self.refused("[general]\nhost = http://example.org:port/\n")
        self.assertEqual((error.section, error.key), ("general", "host"))
        self.assertIn("not a website address", error.message)

    def test_unknown_markup_names(self) -> None:
        """
        An unknown misaka option is refused, naming it and its section.
        """
        error = self.refused(
            "[general]\nhost = http://example.org\n[markup.misaka]\noptions = sparkles\n"
        )
        self.assertEqual(error.section, "markup.misaka")
        self.assertIn("sparkles", str(error))

    def test_duplicate_key(self) -> None:
        """
        A key given twice in a section is refused.
        """
        error = self.refused("[general]\nhost = http://a\nhost = http://b\n")
        self.assertEqual((error.section, error.key), ("general", "host"))
        self.assertIn("given twice", error.message)

    def test_missing_and_garbled_files(self) -> None:
        """
        A missing file, or one that is not an INI file, is refused with one
        line saying so.
        """
        error = self.assertRaises(ConfigError, load_site_config, "/nonexistent/isso.cfg")
        self.assertEqual(str(error), "/nonexistent/isso.cfg: no such file")
        error = self.refused("host = http://example.org\n")
        self.assertIn("not an INI file", error.message)

    def test_unknown_keys_warn_with_hints(self) -> None:
        """
        Unknown keys and sections are warned about, with the right key to
        use where there is one.
        """
        config = self.load(
            "[general]\nhost = http://example.org\ncolour = blue\n"
            "[server]\nport = 8080\n[smtp]\nssl = yes\n[extras]\na = b\n"
        )
        text = "\n".join(config.warnings)
        self.assertIn("[general] colour is not a known option; ignored", text)
        self.assertIn("[server] port is not a known option; use listen", text)
        self.assertIn("[smtp] ssl is not a known option; use security", text)
        self.assertIn("[extras] is not a known section", text)

    def test_listen_several_addresses(self) -> None:
        """
        Several listen addresses are given one per line, and one given twice
        is used once.
        """
        config = self.load(
            "[general]\nhost = http://example.org\n"
            "[server]\nlisten =\n    http://localhost:8080\n    unix:///run/isso.sock\n"
            "    http://localhost:8080\n    tcp6:8080\n"
        )
        self.assertEqual(
            config.server.listen,
            ("tcp:8080:interface=127.0.0.1", "unix:/run/isso.sock:mode=660", "tcp6:8080"),
        )

    def test_server_normalisation(self) -> None:
        """
        The public endpoint loses its trailing slash with a warning,
        SameSite is capitalised, trusted proxies are a list.
        """
        config = self.load(
            "[general]\nhost = http://example.org\n"
            "[server]\npublic-endpoint = https://comments.example.org/\nsamesite = strict\n"
            "trusted-proxies =\n    10.0.0.1\n    ::1\n"
        )
        self.assertEqual(config.server.public_endpoint, "https://comments.example.org")
        self.assertIn("trailing '/' removed", config.warnings[0])
        self.assertEqual(config.server.samesite, "Strict")
        self.assertEqual(config.server.trusted_proxies, ("10.0.0.1", "::1"))

    def test_notify(self) -> None:
        """
        Notifier names are read case-insensitively, an unknown one is warned
        about and dropped, and an empty list turns notifications off.
        """
        config = self.load("[general]\nhost = http://example.org\nnotify = SMTP, stdout, pager\n")
        self.assertEqual(config.general.notify, ("smtp", "stdout"))
        self.assertIn("unknown notifier 'pager'", config.warnings[0])
        config = self.load("[general]\nhost = http://example.org\nnotify =\n")
        self.assertEqual(config.general.notify, ())

    def test_relative_paths(self) -> None:
        """
        A relative database or log file path is relative to the
        configuration file, ~ is the home directory, and no log file means
        none.
        """
        config = self.load("[general]\nhost = http://example.org\ndbpath = data/c.db\n")
        self.assertEqual(
            config.general.dbpath,
            os.path.join(os.path.dirname(os.path.abspath(config.path)), "data", "c.db"),
        )
        config = self.load("[general]\nhost = http://example.org\ndbpath = ~/c.db\n")
        self.assertEqual(config.general.dbpath, os.path.expanduser("~/c.db"))
        config = self.load("[general]\nhost = http://example.org\nlog-file = isso.log\n")
        self.assertEqual(
            config.general.log_file,
            os.path.join(os.path.dirname(os.path.abspath(config.path)), "isso.log"),
        )
        self.assertEqual(self.load("[general]\nhost = http://example.org\n").general.log_file, "")

    def test_legacy_misaka_keys(self) -> None:
        """
        Seed-era configurations set misaka options in [markup]; they are
        used when [markup.misaka] does not say otherwise.
        """
        config = self.load(
            "[general]\nhost = http://example.org\n"
            "[markup]\noptions = strikethrough, fenced_code\nflags = hard_wrap\n"
        )
        self.assertEqual(config.markup.misaka_extensions, ("strikethrough", "fenced-code"))
        self.assertEqual(config.markup.misaka_render_flags, ("hard-wrap",))
        self.assertIn("old spelling", config.warnings[0])
        config = self.load(
            "[general]\nhost = http://example.org\n"
            "[markup]\noptions = strikethrough\n[markup.misaka]\noptions = autolink\n"
        )
        self.assertEqual(config.markup.misaka_extensions, ("autolink",))

    def test_isso_014_config(self) -> None:
        """
        A configuration written for Isso 0.14 that picks mistune keeps it.
        """
        config = self.load(
            "[general]\ndbpath = /var/lib/isso/comments.db\nhost = https://blog.example/\n"
            "[markup]\nrenderer = mistune\n[markup.mistune]\nplugins = strikethrough, url\n"
        )
        self.assertEqual(config.markup.renderer, "mistune")
        self.assertEqual(config.markup.mistune_plugins, ("strikethrough", "url"))


class FileErrorTests(ConfigFileMixin, SynchronousTestCase):
    """
    Files that cannot be read as configurations at all.
    """

    def test_message_forms(self) -> None:
        """
        A problem is shown as one line naming the file, then the section and
        key when there are some.
        """
        self.assertEqual(str(ConfigError("a.cfg", None, None, "bad")), "a.cfg: bad")
        self.assertEqual(
            str(ConfigError("a.cfg", "general", None, "bad")), "a.cfg: [general]: bad"
        )
        self.assertEqual(
            str(ConfigError("a.cfg", "general", "name", "bad")),
            "a.cfg: [general] name: bad",
        )

    def test_duplicate_section(self) -> None:
        """
        A section given twice is refused, with the line of the second.
        """
        error = self.refused(
            "[general]\nhost = http://example.org\n[guard]\n[guard]\n"
        )
        self.assertEqual((error.section, error.key), ("guard", None))
        self.assertEqual(error.message, "given twice (line 4)")

    def test_not_utf8(self) -> None:
        """
        A file that is not UTF-8 is refused as unreadable.
        """
        directory = self.mktemp()
        os.makedirs(directory)
        path = os.path.join(directory, "site.cfg")
        with open(path, "wb") as f:
            f.write(b"[general]\nhost = http://example.org\nname = caf\xe9\n")
        error = self.assertRaises(ConfigError, load_site_config, path, {})
        self.assertTrue(error.message.startswith("cannot be read: "), error.message)

    def test_default_section_is_unknown(self) -> None:
        """
        A [DEFAULT] section has no special meaning: it is warned about like
        any unknown section, and its keys apply nowhere.
        """
        config = self.load(
            "[DEFAULT]\nmax-age = 1h\n[general]\nhost = http://example.org\n"
        )
        self.assertEqual(config.general.max_age, 900)
        self.assertIn("[DEFAULT] is not a known section", "\n".join(config.warnings))


class ConfigPathsTests(SynchronousTestCase):
    """
    Which configuration files a command reads.
    """

    def test_given(self) -> None:
        """
        Files named on the command line win over the environment.
        """
        self.assertEqual(
            config_paths(["a.cfg", "b.cfg"], {"ISSO_SETTINGS": "c.cfg"}),
            ["a.cfg", "b.cfg"],
        )

    def test_environment(self) -> None:
        """
        Without files on the command line, ISSO_SETTINGS names them,
        separated by semicolons, empty names skipped.
        """
        self.assertEqual(
            config_paths([], {"ISSO_SETTINGS": "a.cfg;;b.cfg;"}), ["a.cfg", "b.cfg"]
        )

    def test_default(self) -> None:
        """
        With neither, /etc/isso/isso.cfg is read.
        """
        for environ in ({}, {"ISSO_SETTINGS": ""}, {"ISSO_SETTINGS": ";"}):
            self.assertEqual(config_paths([], environ), [DEFAULT_CONFIG])
        self.assertEqual(DEFAULT_CONFIG, "/etc/isso/isso.cfg")


class CheckSitesTests(ConfigFileMixin, SynchronousTestCase):
    """
    Whether several sites can be served by one daemon.
    """

    def site(self, name: str, dbpath: str = "comments.db") -> SiteConfig:
        """
        Load a site with this name and database, each in a directory of
        its own.
        """
        name_line = f"name = {name}\n" if name else ""
        return self.load(
            f"[general]\nhost = http://example.org\n{name_line}dbpath = {dbpath}\n"
        )

    def not_together(self, configs: list[SiteConfig]) -> ConfigError:
        """
        Check sites that must not be served together; return the problem.
        """
        return self.assertRaises(ConfigError, check_sites, configs)

    def test_distinct(self) -> None:
        """
        Sites with names and databases of their own can be served together.
        """
        check_sites([self.site("blog"), self.site("docs")])

    def test_name_required(self) -> None:
        """
        A site served with others needs a name, its URL prefix.
        """
        second = self.site("")
        error = self.not_together([self.site("blog"), second])
        self.assertEqual(
            str(error),
            f"{second.path}: [general] name: "
            "a site served with others needs a name, its URL prefix",
        )

    def test_dot_names(self) -> None:
        """
        A name of . or .. cannot be a URL prefix.
        """
        for name in (".", ".."):
            error = self.not_together([self.site(name), self.site("blog")])
            self.assertEqual((error.section, error.key), ("general", "name"))
            self.assertEqual(error.message, f"{name!r} cannot be a URL prefix")

    def test_same_name(self) -> None:
        """
        Two sites with one name are refused, naming the file of the first.
        """
        first = self.site("blog")
        error = self.not_together([first, self.site("blog")])
        self.assertEqual(error.message, f"'blog' is already the name of {first.path}")

    def test_same_database(self) -> None:
        """
        Two sites sharing a database file, however its path is spelled,
        are refused, naming the file of the first.
        """
        directory = os.path.abspath(self.mktemp())
        os.makedirs(directory)
        database = os.path.join(directory, "comments.db")
        first = self.site("blog", database)
        spelled = os.path.join(
            directory, "..", os.path.basename(directory), "comments.db"
        )
        error = self.not_together([first, self.site("docs", spelled)])
        self.assertEqual((error.section, error.key), ("general", "dbpath"))
        self.assertEqual(
            error.message,
            f"{os.path.realpath(database)} is already the database of {first.path}",
        )


BASE = "[general]\ndbpath = comments.db\nhost = https://example.org/\n"


class WebhookConfigTests(ConfigFileMixin, SynchronousTestCase):
    def test_sections(self) -> None:
        """
        Each [webhook.NAME] section is one target; format defaults to json,
        events to all five, and a $VARIABLE keeps the secret out of the file.
        """
        config = self.load(
            BASE
            + "[webhook.audit]\nurl = https://hooks.example.org/isso\n"
            "secret = $HOOK_SECRET\n"
            "[webhook.chat]\nurl = https://hooks.slack.com/services/T/B/X\n"
            "format = Slack\nevents = pending, created\n"
            "[webhook.room]\nformat = matrix\naccess-token = tok\n"
            "url = https://matrix.example.org/_matrix/client/v3/rooms/"
            "%21r%3Aexample.org/send/m.room.message\nevents = deleted\n",
            environ={"HOOK_SECRET": "s3cret"},
        )
        self.assertEqual(config.warnings, ())
        audit, chat, room = config.webhooks
        self.assertEqual(
            (audit.name, audit.format, audit.secret, audit.events),
            ("audit", "json", "s3cret",
             ("created", "pending", "approved", "edited", "deleted")),
        )
        self.assertEqual((chat.name, chat.format, chat.events),
                         ("chat", "slack", ("created", "pending")))
        self.assertEqual((room.format, room.access_token, room.events),
                         ("matrix", "tok", ("deleted",)))
        self.assertEqual(self.load(BASE).webhooks, ())

    def test_repr_hides_credentials(self) -> None:
        """
        A webhook's settings printed anywhere show neither its URL (a Slack
        hook's address is a credential) nor its secret or token.
        """
        [hook] = self.load(
            BASE + "[webhook.a]\nurl = https://h.example/PRIVATEPATH\n"
            "secret = SECRETVALUE\n"
        ).webhooks
        for shown in (repr(hook), str(hook)):
            self.assertNotIn("SECRETVALUE", shown)
            self.assertNotIn("PRIVATEPATH", shown)

    def test_refused(self) -> None:
        """
        A webhook that could not work stops the start with one line naming
        the file, the section and the key, never repeating the URL's value.
        """
        cases = [
            ("[webhook]\nurl = https://h.example/\nsecret = s\n",
             "[webhook]", "name each webhook"),
            ("[webhook.a b]\nurl = https://h.example/\nsecret = s\n",
             "[webhook.a b]", "letters, digits"),
            ("[webhook.a]\nsecret = s\n", "[webhook.a] url", "give the address"),
            ("[webhook.a]\nurl = ftp://h.example/private\nsecret = s\n",
             "[webhook.a] url", "https://"),
            ("[webhook.a]\nurl = https:///private\nsecret = s\n",
             "[webhook.a] url", "no host"),
            ("[webhook.a]\nurl = https://h.example:99999/private\nsecret = s\n",
             "[webhook.a] url", "port"),
            ("[webhook.a]\nurl = https://h.example/\nformat = xml\n",
             "[webhook.a] format", "'xml': use json, slack or matrix"),
            ("[webhook.a]\nurl = https://h.example/\nsecret = s\nevents = created, liked\n",
             "[webhook.a] events", "unknown event 'liked'"),
            ("[webhook.a]\nurl = https://h.example/\nsecret = s\nevents =\n",
             "[webhook.a] events", "at least one event"),
            ("[webhook.a]\nurl = https://h.example/\n",
             "[webhook.a] secret", "needs a secret"),
            (("[webhook.a]\nformat = matrix\nurl = https://m.example/_matrix/"
              "client/v3/rooms/r/send/m.room.message\n"),
             "[webhook.a] access-token", "access token"),
            (("[webhook.a]\nformat = matrix\naccess-token = t\n"
              "url = https://m.example/private\n"),
             "[webhook.a] url", "send endpoint"),
        ]
        for text, where, message in cases:
            error = self.refused(BASE + text)
            self.assertIn(f"site.cfg: {where}", str(error), text)
            self.assertIn(message, str(error), text)
            self.assertEqual(len(str(error).splitlines()), 1)
            self.assertNotIn("private", str(error))

    def test_warnings(self) -> None:
        """
        Unknown keys, and a credential the format does not use, are warned
        about and the webhook still works.
        """
        config = self.load(
            BASE + "[webhook.chat]\nurl = https://hooks.example/x\nformat = slack\n"
            "secret = s\nretries = 3\n"
        )
        self.assertEqual(len(config.webhooks), 1)
        text = "\n".join(config.warnings)
        self.assertIn("[webhook.chat] retries is not a known option", text)
        self.assertIn("[webhook.chat] secret is used by json webhooks only", text)
        self.assertEqual(len(config.warnings), 2)
