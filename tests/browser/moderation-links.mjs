// Scenario "moderation-links": the confirmation pages behind the links of the
// owner's mails (/id/<id>/<activate|edit|delete>/<key>) and of reply mails
// (/id/<id>/unsubscribe/<email>/<key>), clicked through as a person would.
//   ISSO_MODERATION_LINKS='{...}' node tests/browser/moderation-links.mjs --server URL
// The links are signed with the server's secret, so whoever started the
// server passes them in (tests/slow/test_moderation_browser.py does); the JSON:
//   uri          the thread of the comments below
//   pending      {id, text, author, email}: a comment waiting for approval
//   published    {id, text}: a comment already on the thread
//   links        {activate, edit, unsubscribe} for "pending",
//                {delete} for "published", {mismatched}: "pending"'s id
//                with "published"'s key
//   newText      what the owner types into the edit form (its Markdown is
//                expected to make "<strong>edited</strong>")
//
// Opening a link changes nothing; its button does. Publish, then the same
// link again ("already published"); edit with the prefilled form; delete;
// a key for another comment refused (403); unsubscribe. No page may log an
// error or violate its Content-Security-Policy. Whoever passed the links
// checks the database afterwards (the notification flags).
import { scenario } from "./harness.mjs";

scenario("moderation-links", async (t) => {
  const { check } = t;
  const data = JSON.parse(process.env.ISSO_MODERATION_LINKS || "null");
  if (!data) throw new Error("set ISSO_MODERATION_LINKS (see the head of this file)");
  const { uri, pending, published, links, newText } = data;

  const page = await t.open("about:blank", { widget: false });
  // Every CSP violation is reported in the page itself as well as logged.
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // Each page's refusal status shows up as "Failed to load resource" in the
  // console; that one is expected when the page was answered with it.
  let expectedStatus = 200;
  page.on("console", (m) => {
    if (m.type() != "error") return;
    if (m.text().startsWith(`Failed to load resource: the server responded with a status of ${expectedStatus} `)) return;
    t.problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  // The pages load nothing but themselves.
  page.on("request", (r) => r.resourceType() != "document" && t.problems.push("the page requested " + r.url()));

  const ids = async () => {
    const thread = await t.api.thread(uri);
    return thread && thread.replies ? thread.replies.map((c) => c.id) : [];
  };
  const text = async (selector) => ((await page.textContent(selector)) || "").trim();
  const hasButton = async (label) => (await page.locator(`form[method=post] button[type=submit]:has-text("${label}")`).count()) == 1;

  // Checks every page shown: status, the protective headers, the inline
  // stylesheet applied (allowed by the CSP) and no CSP violation.
  async function shown(response, status, heading) {
    check(response.status() == status, `${heading}: HTTP ${status}`, response.status());
    check((await text("h1")) == heading, `the page is headed "${heading}"`, await text("h1"));
    const headers = response.headers();
    check((headers["content-security-policy"] || "").includes("default-src 'none'") && headers["referrer-policy"] == "no-referrer" && headers["cache-control"] == "no-store", "... sent with its CSP, no-referrer and no-store", headers);
    check((await page.evaluate(() => getComputedStyle(document.querySelector("main")).maxWidth)) == "640px", "... its stylesheet applies");
    const violations = await page.evaluate(() => window.__violations);
    check(violations.length == 0, "... no CSP violation", violations);
  }
  async function visit(url, status, heading) {
    expectedStatus = status;
    await shown(await page.goto(url), status, heading);
  }
  async function press(label, status, heading) {
    expectedStatus = status;
    const [response] = await Promise.all([page.waitForNavigation(), page.click(`form[method=post] button:has-text("${label}")`)]);
    check(response.request().method() == "POST", `"${label}" sends a POST`, response.request().method());
    await shown(response, status, heading);
  }

  check(JSON.stringify(await ids()) == JSON.stringify([published.id]), "the thread starts with the published comment only", await ids());

  // Publish: the link asks first.
  await visit(links.activate, 200, "Publish this comment?");
  check((await text(".comment .text")) == pending.text, "the page shows the comment's text", await text(".comment .text"));
  check((await text(".comment .meta")).includes(pending.author), "... and its author", await text(".comment .meta"));
  check(await hasButton("Publish"), "... and a Publish button");
  check(!(await ids()).includes(pending.id), "opening the link published nothing: the comment is still pending");
  await press("Publish", 200, "Published");
  check((await page.getAttribute("a", "href")).endsWith(`#isso-${pending.id}`), "the page links to the comment on the website", await page.getAttribute("a", "href"));
  check((await ids()).includes(pending.id), "the thread now lists the comment", await ids());
  await visit(links.activate, 200, "Already published");
  check((await page.locator("form").count()) == 0, "the link opened again offers nothing more to do");

  // Edit: the form holds the comment as it is.
  await visit(links.edit, 200, "Edit this comment");
  check((await page.inputValue("textarea[name=text]")) == pending.text, "the form holds the text exactly", await page.inputValue("textarea[name=text]"));
  check((await page.inputValue("input[name=author]")) == pending.author && (await page.inputValue("input[name=email]")) == pending.email, "... the author and the e-mail address");
  await page.fill("textarea[name=text]", newText);
  await press("Save", 200, "Saved");
  check((await text(".comment .text")) == newText, "the page shows the new text", await text(".comment .text"));
  const edited = (await t.api.thread(uri)).replies.find((c) => c.id == pending.id);
  const lastLine = newText.split("\n").pop();
  check(edited && edited.text.includes("<strong>edited</strong>") && edited.text.includes(lastLine), "the thread serves the new text", edited && edited.text);

  // Delete.
  await visit(links.delete, 200, "Delete this comment?");
  check((await text(".comment .text")) == published.text, "the page shows the comment to delete", await text(".comment .text"));
  check((await ids()).includes(published.id), "opening the link deleted nothing");
  await press("Delete", 200, "Deleted");
  check(!(await ids()).includes(published.id), "the comment is gone from the thread", await ids());
  await visit(links.delete, 404, "This comment no longer exists");
  check((await page.locator("form").count()) == 0, "the link opened again explains there is nothing left to do");

  // A key made for another comment.
  await visit(links.mismatched, 403, "This link does not work");
  check((await text("main")).includes("made for another comment"), "the page says the link was made for another comment");
  check((await page.locator("form").count()) == 0, "... and offers no button");
  check((await ids()).includes(pending.id), "the comment named in the address is untouched");

  // Unsubscribe from reply mails.
  await visit(links.unsubscribe, 200, "Stop mails about replies?");
  check((await text("main")).includes(pending.email), "the page names the address", await text("main"));
  check(await hasButton("Unsubscribe"), "... and has an Unsubscribe button");
  await press("Unsubscribe", 200, "Unsubscribed");
  check((await text("main")).includes(`${pending.email} will no longer get mails`), "the page confirms it", await text("main"));
  await page.close();
});
