// Scenario "deeplink": #isso-<id> in the URL scrolls to the comment and marks
// it with .isso-target; hashchange moves the mark.
//   node tests/browser/deeplink.mjs --server http://127.0.0.1:8080
import { scenario } from "./harness.mjs";

scenario("deeplink", async (t) => {
  const { api, check } = t;
  const { url, uri } = t.page({ head: "<style>#isso-thread{margin-top:3000px}</style>" });
  const cs = [];
  for (let i = 1; i <= 3; i++) cs.push(await api.post(uri, { text: `comment ${i}\n\n` + "filler text. ".repeat(200) }));
  const page = await t.open(url + "#isso-" + cs[1].id, { widget: false });
  await page.waitForSelector(`#isso-${cs[1].id} > .isso-text-wrapper.isso-target`);
  check(true, "#isso-<id> in the URL adds .isso-target to its .isso-text-wrapper");
  const visible = await page.evaluate((id) => {
    const r = document.getElementById("isso-" + id).getBoundingClientRect();
    return r.top < innerHeight && r.bottom > 0;
  }, cs[1].id);
  check(visible, "the target comment was scrolled into view");
  check((await page.locator(".isso-target").count()) == 1, "exactly one .isso-target");
  await page.evaluate((id) => (location.hash = "#isso-" + id), cs[2].id);
  await page.waitForSelector(`#isso-${cs[2].id} > .isso-text-wrapper.isso-target`);
  check((await page.locator(".isso-target").count()) == 1, "hashchange moves .isso-target");
  await page.click(`#isso-${cs[0].id} a.isso-permalink`);
  await page.waitForSelector(`#isso-${cs[0].id} > .isso-text-wrapper.isso-target`);
  check((await page.locator(".isso-target").count()) == 1, "clicking a permalink moves .isso-target");
});
