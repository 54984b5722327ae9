// Scenario "thread": load a thread, preview, post, reply (client-side
// flattening), edit and delete own comments (with and without replies).
//   node tests/browser/thread.mjs --server http://127.0.0.1:8080 [--page-origin …]
import { scenario } from "./harness.mjs";

scenario("thread", async (t) => {
  const { api, check } = t;
  const { url, uri } = t.page();

  // a thread written by someone else: one comment with one reply
  const first = await api.post(uri, { text: "Hello *world*", author: "Seeder <b>x</b>", website: "example.org", email: "seed@example.org" });
  const reply = await api.post(uri, { text: "A seeded reply", author: "Replier", parent: first.id });

  const requests = [];
  const page = await t.open(url, { widget: false });
  page.on("request", (r) => r.url().startsWith(t.opts.server) && requests.push(r.method() + " " + r.url().slice(t.opts.server.length)));
  await page.reload();
  await t.widgetReady(page);

  // ---- loading
  check((await page.textContent("h4.isso-thread-heading")) == "2 Comments", 'heading says "2 Comments"', await page.textContent("h4.isso-thread-heading"));
  const fetch = requests.find((r) => r.startsWith("GET /?"));
  check(
    fetch == `GET /?uri=${encodeURIComponent(uri)}&sort=oldest&offset=0&nested_limit=5`,
    "thread request has uri, sort, offset and nested_limit (no limit, no parent)",
    fetch
  );
  check(requests.includes("GET /config"), "GET /config was requested");
  const c1 = `#isso-${first.id}`;
  check(await page.isVisible(`#isso-root > ${c1}.isso-comment`), "top-level comment is in #isso-root");
  check(await page.isVisible(`${c1} > .isso-follow-up > #isso-${reply.id}`), "reply is inside the parent's .isso-follow-up");
  check((await page.textContent(`${c1} .isso-comment-header .isso-author`)) == "Seeder <b>x</b>", "escaped author is shown as plain text");
  check((await page.getAttribute(`${c1} .isso-comment-header a.isso-author`, "href")) == "http://example.org", "author links to the normalised website");
  check((await page.getAttribute(`${c1} .isso-comment-header a.isso-author`, "rel")) == "nofollow", "author link is rel=nofollow");
  check((await page.innerHTML(`${c1} > .isso-text-wrapper > .isso-text`)).includes("<em>world</em>"), "comment text is the server's HTML");
  check((await page.textContent(`${c1} .isso-permalink time`)) == "right now", 'time says "right now"');
  check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(await page.getAttribute(`${c1} .isso-permalink time`, "datetime")), "time has a UTC datetime attribute");
  check((await page.getAttribute(`${c1} .isso-permalink`, "href")) == c1, "permalink points at #isso-<id>");
  check((await page.locator(`${c1} > .isso-avatar > svg rect`).count()) > 1, "identicon is drawn");
  check((await page.getAttribute(c1, "data-hash")) == first.hash, "comment carries data-hash");
  check((await page.locator(`${c1} > .isso-text-wrapper > .isso-comment-footer > a.isso-edit`).count()) == 0, "no Edit link on someone else's comment");
  const css = await page.getAttribute("link#isso-style", "href");
  check(css == t.opts.server + "/css/isso.css", "stylesheet link #isso-style points at the server", css);
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#isso-thread .isso-preview")).display == "none");
  check(true, "stylesheet is applied (preview hidden)");
  check(
    (await page.evaluate(() => [...document.querySelector("#isso-thread").children].map((e) => e.tagName.toLowerCase() + "." + e.className).join(" "))).startsWith(
      "h4.isso-thread-heading div.isso-postbox div."
    ),
    "skeleton order: heading, postbox, root"
  );

  // ---- preview
  const box = "#isso-thread > .isso-postbox";
  await page.fill(`${box} textarea.isso-textarea`, "Some *preview* text");
  const [prev] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/preview")), page.click(`${box} input[name=preview]`)]);
  check(prev.status() == 200, "POST /preview answered 200");
  await page.waitForSelector(`${box}.isso-preview-mode .isso-preview .isso-text em`);
  check((await page.textContent(`${box} .isso-preview .isso-text em`)) == "preview", "preview shows the rendered text");
  check(!(await page.isVisible(`${box} textarea.isso-textarea`)), "textarea hidden in preview mode");
  await page.click(`${box} input[name=edit]`);
  check(!(await page.locator(`${box}.isso-preview-mode`).count()), "Edit leaves preview mode");
  check(await page.evaluate(() => document.activeElement.matches("#isso-thread > .isso-postbox textarea")), "focus is back in the textarea");

  // ---- post
  await page.fill("#isso-postbox-author", "Tester");
  await page.fill("#isso-postbox-email", "tester@example.org");
  await page.fill("#isso-postbox-website", "https://tester.example.org/");
  await page.fill(`${box} textarea.isso-textarea`, "My **first** comment");
  const [created] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${box} input[type=submit]`)]);
  check(created.status() == 201, "POST /new answered 201");
  const body = created.request().postDataJSON();
  check(
    body.author == "Tester" && body.email == "tester@example.org" && body.website == "https://tester.example.org/" && body.parent === null && body.title == "Test thread" && body.notification === 0,
    "POST body has author, email, website, parent null, title, notification 0",
    body
  );
  check(created.url() == `${t.opts.server}/new?uri=${encodeURIComponent(uri)}`, "POST /new?uri=<thread>");
  const mine = await created.json();
  const m = `#isso-${mine.id}`;
  await page.waitForSelector(`#isso-root > ${m}`);
  check((await page.textContent(`${m} .isso-text strong`)) == "first", "new comment is shown");
  check((await page.inputValue(`${box} textarea.isso-textarea`)) == "", "textarea is cleared");
  check(await page.evaluate(() => JSON.parse(localStorage.getItem("isso-author")) == "Tester"), "author remembered in localStorage");
  check(await page.evaluate((id) => document.cookie.includes("isso-" + id + "="), mine.id), "X-Set-Cookie copied into document.cookie");
  check(await page.evaluate((sel) => document.activeElement == document.querySelector(sel), m), "focus moved to the new comment");
  const footer = `${m} > .isso-text-wrapper > .isso-comment-footer`;
  check((await page.locator(`${footer} > a.isso-edit`).count()) == 1 && (await page.locator(`${footer} > a.isso-delete`).count()) == 1, "own comment has Edit and Delete");
  check((await page.locator(`${footer} > a.isso-reply`).count()) == 0, "no Reply link on own comment (reply-to-self off)");

  // ---- reply to a reply: parent becomes the top-level comment
  const rf = `#isso-${reply.id} > .isso-text-wrapper`;
  await page.click(`${rf} > .isso-comment-footer > a.isso-reply`);
  await page.waitForSelector(`${rf} > .isso-comment-footer + .isso-postbox`);
  check((await page.textContent(`${rf} > .isso-comment-footer > a.isso-reply`)) == "Close", 'Reply link turns into "Close"');
  check(await page.evaluate((sel) => document.activeElement == document.querySelector(sel), `${rf} > .isso-postbox textarea`), "reply textarea has focus");
  check((await page.inputValue(`${rf} > .isso-postbox input[name=author]`)) == "Tester", "reply postbox prefilled from localStorage");
  await page.fill(`${rf} > .isso-postbox textarea`, "Replying to the reply");
  const [r2] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${rf} > .isso-postbox input[type=submit]`)]);
  check(r2.request().postDataJSON().parent == first.id, "reply to a reply is sent with the top-level parent", r2.request().postDataJSON().parent);
  const nested = await r2.json();
  await page.waitForSelector(`${c1} > .isso-follow-up > #isso-${nested.id}`);
  check(true, "new reply appended to the top-level comment's follow-up");
  check((await page.locator(`${rf} > .isso-postbox`).count()) == 0, "reply postbox closed");
  check((await page.textContent(`${rf} > .isso-comment-footer > a.isso-reply`)) == "Reply", 'link says "Reply" again');

  // ---- edit own comment
  await Promise.all([page.waitForResponse((r) => r.url().includes(`/id/${mine.id}?plain=1`)), page.click(`${footer} > a.isso-edit`)]);
  const editArea = `${m} > .isso-text-wrapper > .isso-textarea-wrapper > textarea.isso-textarea`;
  await page.waitForSelector(editArea);
  check((await page.inputValue(editArea)) == "My **first** comment", "editor holds the raw markdown");
  check((await page.textContent(`${footer} > a.isso-edit`)) == "Save" && (await page.locator(`${footer} > a.isso-cancel`).count()) == 1, "Edit became Save, Cancel appeared");
  check(!(await page.isVisible(`${m} > .isso-avatar`)), "avatar hidden while editing");
  await page.fill(editArea, "My **edited** comment");
  const [put] = await Promise.all([page.waitForResponse((r) => r.request().method() == "PUT"), page.click(`${footer} > a.isso-edit`)]);
  check(put.status() == 200 && put.request().postDataJSON().text == "My **edited** comment", "PUT /id/<id> with the new text");
  await page.waitForSelector(`${m} > .isso-text-wrapper > .isso-text strong`);
  check((await page.textContent(`${m} > .isso-text-wrapper > .isso-text strong`)) == "edited", "edited HTML shown");
  check((await page.textContent(`${footer} > a.isso-edit`)) == "Edit" && (await page.locator(`${footer} > a.isso-cancel`).count()) == 0, "back to Edit, Cancel gone");

  // cancel keeps the text
  await page.click(`${footer} > a.isso-edit`);
  await page.waitForSelector(editArea);
  await page.fill(editArea, "this will be thrown away");
  await page.click(`${footer} > a.isso-cancel`);
  check((await page.textContent(`${m} > .isso-text-wrapper > .isso-text strong`)) == "edited", "Cancel restores the shown text");

  // ---- delete own comment without replies
  await page.click(`${footer} > a.isso-delete`);
  check((await page.textContent(`${footer} > a.isso-delete`)) == "Confirm", 'first click asks "Confirm"');
  const [del] = await Promise.all([page.waitForResponse((r) => r.request().method() == "DELETE"), page.click(`${footer} > a.isso-delete`)]);
  check(del.status() == 200 && (await del.text()) == "null", "DELETE answered null (removed)");
  await page.waitForSelector(m, { state: "detached" });
  check(true, "deleted comment removed from the page");
  check(!(await page.evaluate((id) => document.cookie.includes("isso-" + id + "="), mine.id)), "page cookie cleared by X-Set-Cookie");

  // ---- delete own comment that has a reply -> "Comment deleted."
  await page.fill(`${box} textarea.isso-textarea`, "I will get a reply");
  const [c3] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${box} input[type=submit]`)]);
  const parentOwn = await c3.json();
  await api.post(uri, { text: "A reply to the doomed one", parent: parentOwn.id }, "203.0.113.9");
  await page.reload();
  await t.widgetReady(page);
  const p3 = `#isso-${parentOwn.id}`;
  const f3 = `${p3} > .isso-text-wrapper > .isso-comment-footer`;
  await page.waitForSelector(`${p3} > .isso-follow-up > .isso-comment`);
  check((await page.locator(`${f3} > a.isso-delete`).count()) == 1, "after reload own comment still has Delete (cookie)");
  await page.click(`${f3} > a.isso-delete`);
  const [del2] = await Promise.all([page.waitForResponse((r) => r.request().method() == "DELETE"), page.click(`${f3} > a.isso-delete`)]);
  check(del2.status() == 200 && (await del2.json()).mode == 4, "DELETE answered the soft-deleted comment");
  await page.waitForFunction((sel) => document.querySelector(sel).textContent == "Comment deleted.", `${p3} .isso-note`);
  check(true, 'note says "Comment deleted."');
  check((await page.evaluate((sel) => document.querySelector(sel).innerHTML, `${p3} > .isso-text-wrapper > .isso-text`)) == "<p>&nbsp;</p>", "text blanked");
  check((await page.locator(`${f3} > a.isso-edit, ${f3} > a.isso-delete`).count()) == 0, "Edit and Delete removed");
  check((await page.locator(`${p3} > .isso-follow-up > .isso-comment`).count()) == 1, "the reply stays");
  await page.reload();
  await t.widgetReady(page);
  check((await page.textContent(`${p3} .isso-note`)) == "Comment deleted.", 'after reload the placeholder says "Comment deleted."');
  check((await page.textContent(`${p3} .isso-author`)) == "Anonymous", 'placeholder author is "Anonymous"');
});
