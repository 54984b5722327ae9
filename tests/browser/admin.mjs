// Scenario "admin": the owner moderates in the admin panel (/login/, /admin/).
//   ISSO_ADMIN_PASSWORD=... node tests/browser/admin.mjs --server URL
// The server needs [admin] enabled = true with that password, and
// [moderation] enabled = true (new comments wait in the queue); with
// --moderated URL that server is used instead of --server.
//
// A wrong password is refused; signed in, the owner approves a pending
// comment and sees it on the thread, edits it, bulk-deletes the others with
// "select all", and signs out.
import { makeApi, scenario } from "./harness.mjs";

const password = process.env.ISSO_ADMIN_PASSWORD;

scenario("admin", async (t) => {
  const { check, opts } = t;
  if (!password) throw new Error("set ISSO_ADMIN_PASSWORD to the server's [admin] password");
  // Among several servers (run-all.mjs), the one with moderation on.
  const server = opts.moderated || opts.server;
  const api = opts.moderated ? makeApi(opts.moderated) : t.api;

  // Seed three pending comments on a fresh thread.
  const { url: threadUrl, uri } = t.page({ script: { "data-isso": server + "/" } });
  const seeded = [];
  for (const text of ["Please approve me", "Spam number one", "Spam number two"]) {
    const c = await api.post(uri, { text, author: "Reader " + (seeded.length + 1) });
    check(c.mode == 2, `"${text}" waits for moderation`, c.mode);
    seeded.push(c);
  }
  const [good, spam1, spam2] = seeded;

  const page = await t.open(server + "/login/", { widget: false });
  // Content-Security-Policy violations and script errors count as failures;
  // the 403 of the wrong password is expected.
  page.on("console", (m) => m.type() == "error" && !m.text().startsWith("Failed to load resource") && t.problems.push("console error on " + page.url() + ": " + m.text()));

  // A wrong password is refused.
  await page.fill("input[name=password]", "not the password");
  const [refused] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check(refused.status() == 403, "a wrong password is answered 403", refused.status());
  check((await page.textContent("[role=alert]")).includes("Wrong password."), 'the login page says "Wrong password."');
  check((await t.context.cookies(server)).every((c) => c.name != "isso-tx-admin"), "no session cookie after a wrong password");
  await page.goto(server + "/admin/");
  check(new URL(page.url()).pathname == "/login/", "the panel sends a stranger to /login/", page.url());

  // The right password opens the panel on the pending tab.
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check(new URL(page.url()).pathname == "/admin/", "signed in, the browser is on /admin/", page.url());
  const cookie = (await t.context.cookies(server)).find((c) => c.name == "isso-tx-admin");
  check(cookie && cookie.httpOnly && cookie.sameSite == "Strict", "the session cookie is HttpOnly and SameSite=Strict", cookie);
  const listed = async () => page.$$eval("article.comment", (els) => els.map((e) => +e.id.replace("comment-", "")));
  check(JSON.stringify(await listed()) == JSON.stringify([spam2.id, spam1.id, good.id]), "the pending tab lists the three comments, newest first", await listed());
  check((await page.textContent("[aria-current=page]")).includes("Pending"), "the pending tab is the current one");
  check((await page.evaluate(() => getComputedStyle(document.body).maxWidth)) == "960px", "the panel's stylesheet applies (allowed by its CSP)");

  // Approve one comment; it shows on the thread.
  await Promise.all([page.waitForNavigation(), page.click(`#comment-${good.id} button.approve`)]);
  check((await page.textContent(".notice")).trim() == "1 comment approved.", 'the panel says "1 comment approved."');
  check(!(await listed()).includes(good.id), "the approved comment left the pending tab");
  const reader = await t.open(threadUrl);
  await reader.waitForSelector(`#isso-${good.id}`);
  check((await reader.textContent(`#isso-${good.id} .isso-text`)).includes("Please approve me"), "the approved comment is on the thread");
  check((await reader.locator(`#isso-${spam1.id}`).count()) == 0, "pending comments are not on the thread");
  await reader.close();

  // Edit it from the approved tab.
  await page.click(".tabs a:has-text('Approved')");
  await page.waitForSelector(`#comment-${good.id}`);
  await page.click(`#comment-${good.id} details.edit summary`);
  await page.fill(`#comment-${good.id} textarea[name=text]`, "Approved and **edited**");
  await Promise.all([page.waitForNavigation(), page.click(`#comment-${good.id} button[value=edit]`)]);
  check((await page.textContent(".notice")).trim() == "1 comment saved.", 'the panel says "1 comment saved."');
  check((await page.innerHTML(`#comment-${good.id} .text`)).includes("<strong>edited</strong>"), "the panel shows the new text rendered");
  const thread = await api.thread(uri);
  check(thread.replies[0].text.includes("<strong>edited</strong>"), "the thread serves the edited text", thread.replies[0].text);

  // Bulk-delete the rest of the queue with "select all".
  await page.click(".tabs a:has-text('Pending')");
  await page.waitForSelector("#select-all");
  check(await page.isVisible("#select-all"), 'the script shows the "select all" box');
  await page.click("#bulk button[value=delete]");
  check(await page.isVisible("#bulk-note"), "deleting with nothing selected only asks to select comments");
  check(new URL(page.url()).searchParams.get("done") == null, "... and sends nothing");
  await page.check("#select-all");
  const boxes = await page.$$eval("input[name=id][form=bulk]", (els) => els.map((e) => e.checked));
  check(boxes.length == 2 && boxes.every(Boolean), '"select all" checks both pending comments', boxes);
  await Promise.all([page.waitForNavigation(), page.click("#bulk button[value=delete]")]);
  check((await page.textContent(".notice")).trim() == "2 comments deleted.", 'the panel says "2 comments deleted."');
  check((await page.textContent(".empty")).trim() == "No pending comments.", "the queue is empty");
  check((await page.textContent(".tabs a:has-text('Pending') .count")) == "0", "the pending count is 0");

  // Sign out: the panel is closed again.
  await Promise.all([page.waitForNavigation(), page.click("form.logout button")]);
  check(new URL(page.url()).pathname == "/login/", "signing out leads to the login page", page.url());
  check((await page.textContent("[role=alert]")).includes("You are signed out."), 'the login page says "You are signed out."');
  check((await t.context.cookies(server)).every((c) => c.name != "isso-tx-admin"), "the session cookie is gone");
  await page.goto(server + "/admin/");
  check(new URL(page.url()).pathname == "/login/", "after signing out /admin/ leads to /login/ again", page.url());
});
