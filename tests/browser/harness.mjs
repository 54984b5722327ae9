// Shared set-up of the browser scenarios: options, headless Chromium,
// virtual test pages, asset serving, checks and reporting.
//
// Options (command line or environment):
//   --server URL        ISSO_URL        comment server under test (required)
//   --page-origin URL   PAGE_ORIGIN     origin of the test pages; default: the
//                                       server's origin (same-origin). Any other
//                                       origin must be a [general] host of the
//                                       server (CORS), e.g. http://127.0.0.1:8090
//   --assets MODE       ISSO_ASSETS     "local" (default): /js/* and /css/* are
//                                       answered from --static; "server": the
//                                       server's own files are used
//   --static DIR        ISSO_STATIC     default: isso_tx/static of this repo
//   --moderated URL     ISSO_MODERATED_URL  a second server with moderation on
//                                       (moderation scenario only)
//   --chromium PATH     CHROMIUM        default /usr/bin/chromium
//   --verbose           ISSO_VERBOSE=1  print the page's console messages
//
// Test pages need no web server: Playwright answers every request for
// <page-origin>/__isso_tx_test__/… itself. Requests to any other origin than
// the page origin and the server(s) are refused and fail the scenario (the
// client must not talk to third parties).
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");

// ------------------------------------------------------------------ options

function parseOptions(argv) {
  const opts = {
    server: process.env.ISSO_URL,
    pageOrigin: process.env.PAGE_ORIGIN,
    assets: process.env.ISSO_ASSETS || "local",
    static: process.env.ISSO_STATIC || join(repo, "isso_tx", "static"),
    moderated: process.env.ISSO_MODERATED_URL,
    chromium: process.env.CHROMIUM || "/usr/bin/chromium",
    verbose: !!process.env.ISSO_VERBOSE,
    timeout: +(process.env.ISSO_TIMEOUT || 15000),
  };
  const names = { "--server": "server", "--page-origin": "pageOrigin", "--assets": "assets", "--static": "static", "--moderated": "moderated", "--chromium": "chromium", "--timeout": "timeout" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg == "--verbose") opts.verbose = true;
    else if (arg.includes("=") && names[arg.split("=")[0]]) opts[names[arg.split("=")[0]]] = arg.slice(arg.indexOf("=") + 1);
    else if (names[arg]) opts[names[arg]] = argv[++i];
    else if (!arg.startsWith("-") && !opts.server) opts.server = arg;
    else throw new Error("unknown argument " + arg);
  }
  if (!opts.server) throw new Error("no server: pass --server http://127.0.0.1:PORT (or set ISSO_URL)");
  opts.server = opts.server.replace(/\/+$/, "");
  opts.serverOrigin = new URL(opts.server).origin;
  opts.pageOrigin = (opts.pageOrigin || opts.serverOrigin).replace(/\/+$/, "");
  if (opts.moderated) opts.moderated = opts.moderated.replace(/\/+$/, "");
  opts.timeout = +opts.timeout;
  return opts;
}

// ------------------------------------------------------------------ helpers

export const rand = () => Math.random().toString(36).slice(2, 10);

const TYPES = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".map": "application/json", ".json": "application/json", ".html": "text/html; charset=utf-8" };

/** Plain-Node API calls (for seeding threads, with any client address). */
export function makeApi(base) {
  const call = async (method, path, body, headers = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch (e) {
      // not JSON
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  return {
    call,
    /** Creates a comment as a visitor from `ip`; returns the comment JSON. */
    async post(uri, data, ip = "198.51.100.7") {
      const r = await call("POST", "/new?uri=" + encodeURIComponent(uri), { title: "test thread", ...data }, { "X-Forwarded-For": ip });
      if (r.status != 201 && r.status != 202) throw new Error(`seeding ${uri} failed: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      return r.json;
    },
    async thread(uri, query = "") {
      const r = await call("GET", "/?uri=" + encodeURIComponent(uri) + query);
      return r.json;
    },
  };
}

// ------------------------------------------------------------------ scenario runner

/**
 * Runs `body(t)` with a fresh browser; prints the checks; exits 0 when all
 * passed, 1 with a readable message otherwise.
 */
export async function scenario(name, body) {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    process.exit(2);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), "isso-tx-chromium-"));
  let context;
  const problems = []; // page errors, third-party requests, dialogs
  let checks = 0;
  const started = Date.now();
  const log = (msg) => console.log(`  ${msg}`);
  console.log(`${name}: server ${opts.server}, pages on ${opts.pageOrigin}, assets ${opts.assets}`);
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: opts.chromium,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights"],
      viewport: { width: 1000, height: 800 },
      locale: "en-US",
    });
    context.setDefaultTimeout(opts.timeout);

    const allowed = new Set([opts.pageOrigin, opts.serverOrigin]);
    if (opts.moderated) allowed.add(new URL(opts.moderated).origin);
    const pages = new Map(); // path -> html
    const dialogs = [];

    // 1. anything not ours is refused (registered first = lowest priority)
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.protocol == "data:" || url.protocol == "blob:" || allowed.has(url.origin)) return route.fallback();
      problems.push("request to a third party: " + url.href);
      return route.abort("blockedbyclient");
    });
    // 2. our built client instead of whatever the server ships
    if (opts.assets == "local") {
      await context.route(
        (url) => allowed.has(url.origin) && /\/(js|css)\/(i18n\/)?[\w.-]+$/.test(url.pathname),
        (route) => {
          const url = new URL(route.request().url());
          const file = normalize(join(opts.static, /\/(js|css)\/(i18n\/)?[\w.-]+$/.exec(url.pathname)[0]));
          if (!file.startsWith(normalize(opts.static)) || !existsSync(file)) return route.fulfill({ status: 404, body: "not found" });
          return route.fulfill({ status: 200, contentType: TYPES[extname(file)] || "application/octet-stream", body: readFileSync(file), headers: { "Access-Control-Allow-Origin": "*" } });
        }
      );
    }
    // 3. virtual test pages
    await context.route(
      (url) => url.origin == opts.pageOrigin && url.pathname.startsWith("/__isso_tx_test__/"),
      (route) => {
        const url = new URL(route.request().url());
        const html = pages.get(url.pathname);
        return html == null ? route.fulfill({ status: 404, body: "no such test page" }) : route.fulfill({ status: 200, contentType: TYPES[".html"], body: html });
      }
    );

    const t = {
      opts,
      api: makeApi(opts.server),
      log,
      dialogs,
      context,
      /** Checks `cond`; throws with `what` when false. */
      check(cond, what, detail) {
        if (!cond) throw new Error(what + (detail !== undefined ? ` (got: ${typeof detail == "string" ? detail : JSON.stringify(detail)})` : ""));
        checks++;
        log("ok - " + what);
      },
      /**
       * Registers a test page; returns its URL. The thread key (pathname)
       * is unique per call. `head`/`body` are HTML snippets; `script` are the
       * attributes of the embed <script> (without src unless given).
       */
      page({ script = {}, src = "/js/embed.min.js", body, head = "", thread = {}, path } = {}) {
        path = path || `/__isso_tx_test__/${name}-${rand()}/`;
        const attrs = (o) => Object.entries(o).map(([k, v]) => (v === true ? ` ${k}` : ` ${k}="${String(v).replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`)).join("");
        const scriptAttrs = { "data-isso": opts.server + "/", ...script };
        const srcUrl = /^https?:/.test(src) ? src : (opts.assets == "local" ? opts.pageOrigin : opts.serverOrigin) + src;
        const threadHtml = thread === null ? "" : `<section id="isso-thread"${attrs({ "data-title": "Test " + name, ...thread })}></section>`;
        pages.set(
          path,
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title>${head}</head><body><h1>${name}</h1>` +
            (body != null ? body : "") +
            `<script src="${srcUrl}"${attrs(scriptAttrs)}></script>${threadHtml}</body></html>`
        );
        return { url: opts.pageOrigin + path, uri: path };
      },
      /** Opens a new tab on `url`, waiting for the widget when `widget` is set. */
      async open(url, { widget = true, headers } = {}) {
        const page = await context.newPage();
        page.on("pageerror", (err) => problems.push("uncaught error in the page: " + err.message));
        page.on("dialog", (d) => {
          dialogs.push(d.message());
          d.dismiss().catch(() => {});
        });
        page.on("console", (m) => opts.verbose && log(`[console.${m.type()}] ${m.text()}`));
        if (headers) await page.setExtraHTTPHeaders(headers);
        await page.goto(url);
        if (widget) await widgetReady(page);
        return page;
      },
      widgetReady,
      /** Routes the page's API requests as if they came from `ip`. */
      async asClient(page, ip) {
        await page.unroute(routeMatcher);
        if (ip) {
          await page.route(routeMatcher, (route) => route.fallback({ headers: { ...route.request().headers(), "x-forwarded-for": ip } }));
        }
      },
      problems,
    };
    function routeMatcher(url) {
      return url.href.startsWith(opts.server + "/") && !/^\/(js|css)\//.test(url.pathname.slice(new URL(opts.server).pathname.replace(/\/$/, "").length));
    }

    await body(t);
    if (dialogs.length) problems.push("dialogs were opened: " + dialogs.join(" | "));
    if (problems.length) throw new Error(problems.join("\n  "));
    console.log(`${name}: PASS (${checks} checks, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    process.exit(0);
  } catch (err) {
    const extra = problems.length && !String(err.message).includes(problems[0]) ? "\n  also: " + problems.join("\n  also: ") : "";
    console.log(`${name}: FAIL: ${err.message}${extra}`);
    if (opts.verbose && err.stack) console.log(err.stack);
    try {
      if (context) await context.close();
    } catch (e) {
      // ignore
    }
    rmSync(userDataDir, { recursive: true, force: true });
    process.exit(1);
  }
}

/** Waits until the widget has rendered its heading text (thread loaded). */
export async function widgetReady(page) {
  await page.waitForFunction(() => {
    const h = document.querySelector("#isso-thread > h4.isso-thread-heading");
    return h && h.textContent.trim().length > 0;
  });
}
