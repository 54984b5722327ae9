// Scenario "options": data-isso-* switches (avatar, vote, css, sorting,
// page-author-hashes, data-isso-id) and the single-page-app API
// window.Isso.init/fetchComments.
//   node tests/browser/options.mjs --server http://127.0.0.1:8080
import { rand, scenario } from "./harness.mjs";

scenario("options", async (t) => {
  const { api, check } = t;
  const uri = `/__isso_tx_test__/options-${rand()}/`;
  const a = await api.post(uri, { text: "older", author: "A", email: "a@example.org" });
  const b = await api.post(uri, { text: "newer", author: "B" });

  // avatar/vote/css off, newest first, page author marked
  let { url } = t.page({
    thread: { "data-isso-id": uri },
    script: {
      "data-isso-avatar": "false",
      "data-isso-vote": "false",
      "data-isso-css": "false",
      "data-isso-sorting": "newest",
      "data-isso-page-author-hashes": `0123456789ab, ${a.hash}`,
    },
  });
  let page = await t.open(url);
  const order = await page.evaluate(() => [...document.querySelectorAll("#isso-root > .isso-comment")].map((c) => c.id));
  check(JSON.stringify(order) == JSON.stringify([`isso-${b.id}`, `isso-${a.id}`]), "sorting=newest lists the newer comment first", order);
  check((await page.locator(".isso-avatar").count()) == 0, "avatar=false: no avatars");
  check((await page.locator(".isso-upvote, .isso-votes").count()) == 0, "vote=false: no vote controls");
  check((await page.locator("#isso-style").count()) == 0, "css=false: no stylesheet injected");
  check(await page.evaluate((id) => document.getElementById("isso-" + id).classList.contains("isso-is-page-author"), a.id), "page author's comment has .isso-is-page-author");
  check((await page.textContent(`#isso-${a.id} .isso-page-author-suffix`)) == "Author", 'page author suffix "Author"');
  check((await page.locator(`#isso-${b.id} .isso-page-author-suffix`).count()) == 0, "other comments have no suffix");

  // single-page app: switch data-isso-id and reload the list
  const other = `/__isso_tx_test__/options-other-${rand()}/`;
  const o = await api.post(other, { text: "on another page" });
  await page.evaluate((k) => {
    document.getElementById("isso-thread").setAttribute("data-isso-id", k);
    window.Isso.init();
    window.Isso.fetchComments();
  }, other);
  await page.waitForSelector(`#isso-${o.id}`);
  check((await page.locator("#isso-root > .isso-comment").count()) == 1, "Isso.fetchComments() reloads the list for the new data-isso-id");
  check((await page.locator("#isso-thread > .isso-postbox").count()) == 1 && (await page.locator("h4.isso-thread-heading").count()) == 1, "Isso.init() does not duplicate the skeleton");
  check((await page.textContent("h4.isso-thread-heading")) == "One Comment", 'heading updated: "One Comment"');
  await page.close();

  // a data-isso attribute without trailing slash and a reply postbox per comment
  ({ url } = t.page({ thread: { "data-isso-id": uri }, script: { "data-isso": t.opts.server } }));
  page = await t.open(url);
  check((await page.locator("#isso-root > .isso-comment").count()) == 2, "endpoint without trailing slash works");
  check((await page.locator(`#isso-${a.id} > .isso-avatar > svg`).count()) == 1, "identicon shown by default");
  const rects = await page.evaluate((id) => [...document.querySelectorAll(`#isso-${id} > .isso-avatar rect`)].map((r) => [r.getAttribute("x"), r.getAttribute("y"), r.getAttribute("width")].join(",")), a.id);
  check(rects[0] == "0,0,56" && rects.slice(1).every((r) => /^(4|12|20|28|36),(4|12|20|28|36),8$/.test(r)), "identicon: background 56x56, 8x8 cells on the 5x5 grid", rects);
});
