// Scenario "demo": the server's /demo/ page (our demo/index.html, which
// embeds ../js/embed.min.js with data-isso="../") loads, counts and posts.
// With --assets local (default) the page and the client come from --static,
// so this also works against a server that ships another demo page.
//   node tests/browser/demo.mjs --server http://127.0.0.1:8080 [--assets server]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scenario } from "./harness.mjs";

scenario("demo", async (t) => {
  const { check } = t;
  const demo = t.opts.server + "/demo/";
  if (t.opts.assets == "local") {
    const html = readFileSync(join(t.opts.static, "demo", "index.html"));
    await t.context.route((u) => u.href == demo || u.href == demo + "index.html", (route) =>
      route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html })
    );
  }
  const page = await t.open(demo);
  check((await page.title()) == "isso-tx demo", "demo page title");
  check((await page.getAttribute("#isso-thread", "data-title")) == "isso-tx demo", "thread has data-title");
  const counter = 'a[href="#isso-thread"]';
  await page.waitForFunction((s) => /\d|One/.test(document.querySelector(s).textContent), counter);
  const before = await page.textContent(counter);
  check(/^(One Comment|\d+ Comments)$/.test(before), "counter link shows the thread's count", before);
  check((await page.getAttribute("#isso-style", "href")) == "../css/isso.css", "stylesheet taken from the endpoint ../");
  const box = "#isso-thread > .isso-postbox";
  await page.fill(`${box} textarea`, "Hello from the demo scenario");
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${box} input[type=submit]`)]);
  check(res.status() == 201 || res.status() == 202, "posting from the demo works");
  check(res.url() == t.opts.server + "/new?uri=" + encodeURIComponent("/demo/"), "thread key is /demo/", res.url());
  const c = await res.json();
  await page.waitForSelector(`#isso-${c.id}`);
  await page.reload();
  await t.widgetReady(page);
  await page.waitForFunction((s) => /\d|One/.test(document.querySelector(s).textContent), counter);
  const after = await page.textContent(counter);
  const n = (s) => (s.startsWith("One") ? 1 : parseInt(s, 10));
  check(n(after) == n(before) + (res.status() == 201 ? 1 : 0), "counter went up by one after posting", `${before} -> ${after}`);
});
