// Scenario "moderation": a comment answered with 202 (moderation on) shows the
// "queued" note and is announced in the live region.
//   node tests/browser/moderation.mjs --server URL-of-a-server-with-moderation
//   (or --server URL --moderated URL, ISSO_MODERATED_URL)
import { scenario } from "./harness.mjs";


scenario("moderation", async (t) => {
  const { check } = t;
  const server = t.opts.moderated || t.opts.server;
  const { url } = t.page({ script: { "data-isso": server + "/" } });
  const info = await fetch(server + "/info").then((r) => (r.ok ? r.json() : null), () => null);
  if (info && info.moderation === false) throw new Error(`${server} has moderation disabled; pass a server with [moderation] enabled = true (--moderated URL)`);
  const page = await t.open(url);
  check((await page.textContent("h4.isso-thread-heading")) == "No Comments Yet", 'empty thread: "No Comments Yet"');
  const box = "#isso-thread > .isso-postbox";
  await page.fill(`${box} textarea`, "Please approve me");
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${box} input[type=submit]`)]);
  check(res.status() == 202, "POST /new answered 202 Accepted");
  const c = await res.json();
  await page.waitForSelector(`#isso-${c.id}`);
  check((await page.textContent(`#isso-${c.id} .isso-note`)) == "Comment in queue for moderation.", 'note says "Comment in queue for moderation."');
  await page.waitForFunction(() => {
    const s = document.querySelector("#isso-thread [role=status]");
    return s && s.textContent == "Comment in queue for moderation.";
  });
  check(true, "live region (role=status) announces the queued comment");
  await page.reload();
  await t.widgetReady(page);
  check((await page.locator(`#isso-${c.id}`).count()) == 0, "after reload the pending comment is not listed");
});
