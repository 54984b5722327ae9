// Scenario "counter": a page with several a[href$="#isso-thread"] links,
// with embed.min.js (no #isso-thread on the page) and with count.min.js alone.
//   node tests/browser/counter.mjs --server http://127.0.0.1:8080
import { rand, scenario } from "./harness.mjs";

scenario("counter", async (t) => {
  const { api, check } = t;
  const base = `/__isso_tx_test__/counted-${rand()}`;
  const two = base + "/two/", one = base + "/one/", none = base + "/none/", custom = "custom-key-" + rand();
  await api.post(two, { text: "first of two" });
  await api.post(two, { text: "second of two" });
  await api.post(one, { text: "only one" });
  await api.post(custom, { text: "keyed by data-isso-id" });
  await api.post(custom, { text: "keyed by data-isso-id, again" });
  await api.post(custom, { text: "keyed by data-isso-id, thrice" });
  const links =
    `<ul><li><a id="l-two" href="${two}#isso-thread">x</a></li>` +
    `<li><a id="l-one" href="${t.opts.pageOrigin}${one}#isso-thread">x</a></li>` +
    `<li><a id="l-one-again" href="${one}#isso-thread">x</a></li>` +
    `<li><a id="l-none" href="${none}#isso-thread">x</a></li>` +
    `<li><a id="l-custom" href="/elsewhere/#isso-thread" data-isso-id="${custom}">x</a></li>` +
    `<li><a id="l-plain" href="${two}">not a counter</a></li></ul>`;

  const expect = { "l-two": "2 Comments", "l-one": "One Comment", "l-one-again": "One Comment", "l-none": "0 Comments", "l-custom": "3 Comments", "l-plain": "not a counter" };

  for (const [label, src] of [["embed.min.js", "/js/embed.min.js"], ["count.min.js", "/js/count.min.js"]]) {
    const { url } = t.page({ src, body: links, thread: null });
    const page = await t.open(url, { widget: false });
    const [req] = await Promise.all([page.waitForRequest((r) => r.url().endsWith("/count")), page.reload()]);
    const keys = req.postDataJSON();
    check(JSON.stringify(keys) == JSON.stringify([two, one, none, custom]), `${label}: POST /count with the de-duplicated keys`, keys);
    await page.waitForFunction(() => document.getElementById("l-two").textContent != "x");
    for (const [id, text] of Object.entries(expect)) {
      check((await page.textContent("#" + id)) == text, `${label}: #${id} says "${text}"`, await page.textContent("#" + id));
    }
    check((await page.locator("#isso-style").count()) == 0, `${label}: no stylesheet injected without #isso-thread`);
    if (label == "count.min.js") check(!(await page.evaluate(() => "Isso" in window)), "count.min.js does not define window.Isso");
    await page.close();
  }

  // German counters with count.min.js
  const { url } = t.page({ src: "/js/count.min.js", body: links, thread: null, script: { "data-isso-lang": "de" } });
  const page = await t.open(url, { widget: false });
  await page.waitForFunction(() => document.getElementById("l-two").textContent != "x");
  check((await page.textContent("#l-two")) == "2 Kommentare" && (await page.textContent("#l-one")) == "Ein Kommentar", "count.min.js speaks German with data-isso-lang=de");
});
