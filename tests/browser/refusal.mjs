// Scenario "refusal" (issue 14): the postbox's honeypot and what a refused or
// failed post tells the commenter; an edit the link limit holds.
//   node tests/browser/refusal.mjs --server URL
// The server must run its guard with [guard] ratelimit = 2, max-links = 1 (trial's
// tests/slow/test_client.py starts one); not part of run-all.mjs, whose
// servers run without the guard.
import { FEEDBACK } from "../../client/i18n/feedback.js";
import { FEEDBACK_IDS } from "../../client/i18n/ids.js";
import { rand, scenario } from "./harness.mjs";

/** The sentence of FEEDBACK_IDS message `id` in language `lang`. */
const say = (lang, id) => FEEDBACK[lang].split("\n")[FEEDBACK_IDS.indexOf(id)];

scenario("refusal", async (t) => {
  const { check } = t;
  const box = "#isso-thread > .isso-postbox";
  const server = new URL(t.opts.server);
  const isNew = (r) => r.url().startsWith(t.opts.server + "/new?") && r.method() == "POST";
  const newUrl = (url) => url.href.startsWith(t.opts.server + "/new?"); // for page.route

  /** Opens `url` as a reader at `ip`, noting the posts' bodies and message fetches. */
  const open = async (url, ip) => {
    const page = await t.open(url);
    await t.asClient(page, ip);
    page.posted = [];
    page.fetchedMessages = [];
    page.on("request", (r) => {
      if (isNew(r)) page.posted.push(r.postDataJSON());
      if (new URL(r.url()).pathname.startsWith(server.pathname.replace(/\/$/, "") + "/js/i18n/")) page.fetchedMessages.push(r.url());
    });
    return page;
  };
  /** Types `text`, submits, and returns the answer to POST /new (null: none). */
  const post = async (page, text) => {
    await page.fill(`${box} textarea`, text);
    const [res] = await Promise.all([page.waitForEvent("requestfinished", isNew).then((r) => r.response()).catch(() => null), page.click(`${box} input[type=submit]`)]);
    return res;
  };
  /** Waits for the postbox's error sentence and returns it. */
  const errorText = async (page, expected) => {
    await page.waitForFunction(
      ([sel, text]) => {
        const e = document.querySelector(sel);
        return e && e.textContent == text;
      },
      [`${box} .isso-post-error`, expected],
      { timeout: t.opts.timeout }
    ).catch(() => {});
    return page.textContent(`${box} .isso-post-error`).catch(() => null);
  };

  // ---- a reader who sees no field to fill, and posts as always
  const { url, uri } = t.page();
  const reader = await open(url, "198.51.100.10");
  const phone = `${box} input[name=phone]`;
  const field = await reader.$eval(phone, (el) => ({
    ariaHidden: el.getAttribute("aria-hidden"),
    tabindex: el.getAttribute("tabindex"),
    autocomplete: el.getAttribute("autocomplete"),
    labels: el.labels.length,
    label: el.getAttribute("aria-label") || el.getAttribute("placeholder") || el.getAttribute("title"),
    position: getComputedStyle(el).position,
    clip: getComputedStyle(el).clip,
    value: el.value,
  }));
  check(field.ariaHidden == "true" && field.tabindex == "-1" && field.autocomplete == "off", 'the honeypot "phone" is aria-hidden, out of the tab order, autocomplete=off', field);
  check(field.labels == 0 && !field.label, "the honeypot has no label, placeholder or title to read out", field);
  check(field.position == "absolute" && field.clip == "rect(0px, 0px, 0px, 0px)", "the honeypot is clipped away and takes no room in the layout", field);
  check((await reader.locator("#isso-postbox-author, #isso-postbox-email, #isso-postbox-website").count()) == 3, "the postbox keeps its ids (#isso-postbox-author/-email/-website)");
  let res = await post(reader, "A reader's comment");
  check(res && res.status() == 201, "the reader's comment is answered 201", res && res.status());
  const mine = await res.json();
  await reader.waitForSelector(`#isso-${mine.id}`);
  check(reader.posted.length == 1 && !("phone" in reader.posted[0]), "the reader's POST /new carries no phone key", reader.posted);
  check(reader.fetchedMessages.length == 0, "a post that succeeds fetches no failure messages", reader.fetchedMessages);

  // ---- a bot that fills every field it finds
  const bot = await open(url, "203.0.113.11");
  await bot.$eval(phone, (el) => (el.value = "+1 555 0100"));
  res = await post(bot, "Cheap pills here");
  check(res && res.status() == 403 && res.headers()["x-isso-refusal"] == "honeypot", "the bot's POST is refused: 403, X-Isso-Refusal: honeypot", res && [res.status(), res.headers()]);
  check(bot.posted[0].phone == "+1 555 0100", "the filled honeypot was sent as JSON key phone");
  check((await errorText(bot, say("en", "postbox-error-refused"))) == say("en", "postbox-error-refused"), `the bot is told "${say("en", "postbox-error-refused")}"`);
  check((await bot.inputValue(`${box} textarea`)) == "Cheap pills here", "the typed text stays in the postbox");
  const stored = await t.api.thread(uri);
  check(stored.replies.length == 1 && stored.replies[0].text.includes("A reader"), "nothing of the bot's was stored", stored.replies.map((c) => c.text));
  const role = await bot.getAttribute(`${box} .isso-post-error`, "role");
  check(role == "alert", "the sentence is announced (role=alert)", role);

  // ---- a German page: the rate limit, in German, keeping the text
  const de = t.page({ script: { "data-isso-lang": "de" } });
  const limited = "192.0.2.12"; // (a network of its own: the guard counts /24s)
  for (let i = 0; i < 2; i++) await t.api.post(de.uri, { text: `seeded ${i} ${rand()}` }, limited);
  const german = await open(de.url, limited);
  res = await post(german, "Dritter Versuch in einer Minute");
  check(res && res.status() == 403 && res.headers()["x-isso-refusal"] == "ratelimit", "the third comment within a minute is refused: X-Isso-Refusal: ratelimit", res && [res.status(), res.headers()]);
  const later = say("de", "postbox-error-later");
  check(later != say("en", "postbox-error-later"), "(the German sentence differs from the English one)");
  check((await errorText(german, later)) == later, `the German page says "${later}"`);
  check((await german.inputValue(`${box} textarea`)) == "Dritter Versuch in einer Minute", "the typed text stays in the postbox");
  check(german.fetchedMessages.length == 1 && german.fetchedMessages[0].endsWith("/js/i18n/de.json"), "the messages of the page's language were fetched once", german.fetchedMessages);

  // ---- an older server: a 403 without X-Isso-Refusal
  await german.route(newUrl, async (route) => {
    if (route.request().method() != "POST") return route.fallback();
    const answer = await route.fetch({ headers: { ...route.request().headers(), "x-forwarded-for": limited } });
    const headers = answer.headers();
    delete headers["x-isso-refusal"];
    await route.fulfill({ response: answer, headers });
  });
  res = await post(german, "Vierter Versuch");
  check(res && res.status() == 403 && !res.headers()["x-isso-refusal"], "a 403 without X-Isso-Refusal (as from an older server)", res && res.headers());
  const denied = say("de", "postbox-error-denied");
  check((await errorText(german, denied)) == denied, `the generic sentence: "${denied}"`);
  check(german.fetchedMessages.length == 1, "the messages were not fetched again");
  await german.unroute(newUrl);

  // ---- a busy server (503, Retry-After) and no answer at all
  const cors = { "Access-Control-Allow-Origin": t.opts.pageOrigin, "Access-Control-Allow-Credentials": "true", "Access-Control-Expose-Headers": "X-Set-Cookie, Date, X-Isso-Refusal" };
  const busy = say("en", "postbox-error-busy");
  await bot.route(newUrl, (route) => route.request().method() != "POST" ? route.fallback() : route.fulfill({ status: 503, headers: { ...cors, "Retry-After": "5" }, contentType: "text/html", body: "<h1>Service Unavailable</h1>" }));
  await bot.$eval(phone, (el) => (el.value = ""));
  res = await post(bot, "Anyone there?");
  check(res && res.status() == 503, "POST /new answered 503 with Retry-After");
  check((await errorText(bot, busy)) == busy, `a busy server: "${busy}"`);
  await bot.unroute(newUrl);
  await bot.route(newUrl, (route) => route.abort("connectionfailed"));
  await bot.fill(`${box} textarea`, "Hello?");
  await bot.evaluate(() => document.querySelector("#isso-thread > .isso-postbox .isso-post-error").remove());
  await bot.click(`${box} input[type=submit]`);
  check((await errorText(bot, busy)) == busy, `no answer at all: "${busy}"`);
  check((await bot.inputValue(`${box} textarea`)) == "Hello?", "the typed text stays in the postbox");

  // ---- the reader edits their comment past [guard] max-links = 1
  const m = `#isso-${mine.id}`;
  const footer = `${m} > .isso-text-wrapper > .isso-comment-footer`;
  const editArea = `${m} > .isso-text-wrapper > .isso-textarea-wrapper > textarea.isso-textarea`;
  await Promise.all([reader.waitForResponse((r) => r.url().includes(`/id/${mine.id}?plain=1`)), reader.click(`${footer} > a.isso-edit`)]);
  await reader.waitForSelector(editArea);
  await reader.fill(editArea, "See <https://a.example> and <https://b.example>");
  const [put] = await Promise.all([reader.waitForResponse((r) => r.request().method() == "PUT"), reader.click(`${footer} > a.isso-edit`)]);
  check(put.status() == 200 && (await put.json()).mode == 2, "the edit is saved but held: 200, mode 2", put.status());
  await reader.waitForSelector(`${m} > .isso-text-wrapper > .isso-text a[href="https://b.example"]`);
  const queued = await reader.textContent(`${m} .isso-comment-header > .isso-note`);
  check(queued == "Comment in queue for moderation.", 'the comment now says "Comment in queue for moderation."', queued);
  // (announce() sets the text after a tick)
  const live = "#isso-thread > .isso-status";
  await reader.waitForFunction(([sel, text]) => document.querySelector(sel)?.textContent == text, [live, queued], { timeout: t.opts.timeout }).catch(() => {});
  const status = await reader.textContent(live);
  check(status == queued, "... and it is announced to screen readers", status);
});
