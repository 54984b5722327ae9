// Scenario "hidden": "N Hidden" loaders with data-isso-max-comments-top,
// data-isso-max-comments-nested and data-isso-reveal-on-click.
//   node tests/browser/hidden.mjs --server http://127.0.0.1:8080
import { scenario } from "./harness.mjs";

scenario("hidden", async (t) => {
  const { api, check } = t;
  const { url, uri } = t.page({
    script: { "data-isso-max-comments-top": "2", "data-isso-max-comments-nested": "1", "data-isso-reveal-on-click": "1" },
  });
  const top = [];
  for (let i = 1; i <= 4; i++) top.push(await api.post(uri, { text: `top ${i}` }));
  const replies = [];
  for (let i = 1; i <= 3; i++) replies.push(await api.post(uri, { text: `reply ${i}`, parent: top[0].id }));

  const page = await t.open(url, { widget: false });
  const gets = [];
  page.on("request", (r) => r.method() == "GET" && r.url().startsWith(t.opts.server + "/?") && gets.push(r.url().slice(t.opts.server.length)));
  await page.reload();
  await t.widgetReady(page);
  const e = encodeURIComponent(uri);
  check(gets[0] == `/?uri=${e}&sort=oldest&offset=0&limit=2&nested_limit=1`, "initial request has limit=2&nested_limit=1", gets[0]);
  check((await page.textContent("h4.isso-thread-heading")) == "7 Comments", "heading counts all 7 comments");
  check((await page.locator("#isso-root > .isso-comment").count()) == 2, "2 top-level comments shown");
  check((await page.textContent("#isso-root > #isso-loader-null > a.isso-load-hidden")) == "2 Hidden", 'root loader says "2 Hidden"');
  const nestedLoader = `#isso-${top[0].id} > .isso-follow-up > #isso-loader-${top[0].id} > a.isso-load-hidden`;
  check((await page.locator(`#isso-${top[0].id} > .isso-follow-up > .isso-comment`).count()) == 1, "1 reply shown");
  check((await page.textContent(nestedLoader)) == "2 Hidden", 'nested loader says "2 Hidden"');
  check((await page.getAttribute(nestedLoader, "role")) == "button", "loader link has role=button");

  // root loader: one at a time
  let [res] = await Promise.all([page.waitForResponse((r) => r.url().includes("offset=2")), page.click("#isso-loader-null > a")]);
  check(res.url().endsWith(`/?uri=${e}&sort=oldest&offset=2&limit=1&nested_limit=1`), "root loader asks offset=2&limit=1", res.url());
  await page.waitForSelector(`#isso-root > #isso-${top[2].id}`);
  check((await page.textContent("#isso-root > #isso-loader-null > a")) == "1 Hidden", 'new root loader says "1 Hidden"');
  check(await page.evaluate((id) => document.activeElement.id == "isso-" + id, top[2].id), "focus moves to the first revealed comment");
  [res] = await Promise.all([page.waitForResponse((r) => r.url().includes("offset=3")), page.click("#isso-loader-null > a")]);
  await page.waitForSelector(`#isso-root > #isso-${top[3].id}`);
  check((await page.locator("#isso-loader-null").count()) == 0, "root loader gone when everything is shown");
  check((await page.locator("#isso-root > .isso-comment").count()) == 4, "all 4 top-level comments shown");

  // nested loader
  [res] = await Promise.all([page.waitForResponse((r) => r.url().includes(`parent=${top[0].id}`)), page.click(nestedLoader)]);
  check(res.url().endsWith(`/?uri=${e}&sort=oldest&parent=${top[0].id}&offset=1&limit=1&nested_limit=1`), "nested loader asks parent=<id>&offset=1&limit=1", res.url());
  await page.waitForSelector(`#isso-${top[0].id} > .isso-follow-up > #isso-${replies[1].id}`);
  check((await page.textContent(nestedLoader)) == "1 Hidden", 'nested loader now says "1 Hidden"');
  await Promise.all([page.waitForResponse((r) => r.url().includes("offset=2") && r.url().includes("parent=")), page.click(nestedLoader)]);
  await page.waitForSelector(`#isso-${top[0].id} > .isso-follow-up > #isso-${replies[2].id}`);
  check((await page.locator(`#isso-loader-${top[0].id}`).count()) == 0, "nested loader gone");
  const order = await page.evaluate((id) => [...document.querySelectorAll(`#isso-${id} > .isso-follow-up > .isso-comment`)].map((c) => c.id), top[0].id);
  check(JSON.stringify(order) == JSON.stringify(replies.map((r) => "isso-" + r.id)), "replies in order", order);
});
