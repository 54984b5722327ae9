// Scenario "spam-admin": the owner's spam rules and bans, in the admin panel
// (/admin/rules, the "Ban" action of a comment) and on the delete page of
// a moderation mail's link.
//   ISSO_ADMIN_PASSWORD=... ISSO_BAN_LINK=... node tests/browser/spam-admin.mjs --server URL
// The server needs [admin] enabled = true with that password and
// [moderation] enabled = true. ISSO_BAN_LINK is JSON {uri, id, email, link}:
// a comment with an e-mail address on thread uri, and the path of its
// signed delete link (made with the server's secret, so whoever started
// the server passes it in: tests/slow/test_spam_browser.py).
//
// A rule that cannot be made is refused on the page with the reason and
// the typed value kept; markup typed into a rule shows as text; a holding
// rule holds a comment and counts the match; banning a comment deletes it
// and refuses its writer's next comment (403, X-Isso-Refusal: rule);
// deleting the rule lets the writer in again; the mail page bans an
// e-mail address and undoes it. No page may log an error or violate its
// Content-Security-Policy.
import { scenario } from "./harness.mjs";

const password = process.env.ISSO_ADMIN_PASSWORD;
const SPAMMER = "203.0.113.9";
const PAYLOAD = '<img src=x onerror="window.__pwned=1">';

scenario("spam-admin", async (t) => {
  const { check, api, opts } = t;
  if (!password) throw new Error("set ISSO_ADMIN_PASSWORD to the server's [admin] password");
  const banLink = JSON.parse(process.env.ISSO_BAN_LINK || "null");
  if (!banLink) throw new Error("set ISSO_BAN_LINK (see the head of this file)");
  const server = opts.server;
  const uri = `/spam-${Date.now()}/`;
  const post = (data, ip) => api.call("POST", "/new?uri=" + encodeURIComponent(uri), { title: "spam thread", ...data }, { "X-Forwarded-For": ip });

  const page = await t.open("about:blank", { widget: false });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // A refused form is answered 400 on purpose; that one error is expected.
  page.on("console", (m) => m.type() == "error" && !m.text().startsWith("Failed to load resource: the server responded with a status of 400") && t.problems.push("console error on " + page.url() + ": " + m.text()));
  const clean = async (where) => {
    const violations = await page.evaluate(() => window.__violations);
    check(violations.length == 0 && !(await page.evaluate(() => window.__pwned)), `${where}: no CSP violation, nothing injected ran`, violations);
  };
  const text = async (selector) => ((await page.textContent(selector)) || "").trim();

  // A comment from the spammer waits in the queue.
  const spam = await post({ text: "Cheap watches, visit my shop", author: "Spammer", email: "spammer@example.org" }, SPAMMER);
  check(spam.status == 202, "the spammer's comment waits for moderation", spam.status);

  // Sign in; the panel links to the rules page.
  await page.goto(server + "/login/");
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  check(new URL(page.url()).pathname == "/admin/", "signed in, on /admin/", page.url());
  await Promise.all([page.waitForNavigation(), page.click("a.rules-link")]);
  check(new URL(page.url()).pathname == "/admin/rules", 'the "Spam rules" link leads to /admin/rules', page.url());
  check((await text(".empty")) == "No rules yet.", 'a site without rules says "No rules yet."');
  await clean("the rules page");

  // A pattern that backtracks catastrophically is refused, with the reason.
  await page.selectOption("select[name=kind]", "regex");
  await page.fill("input[name=value]", "(a|aa)+$");
  const [refused] = await Promise.all([page.waitForNavigation(), page.click("button[value=add]")]);
  check(refused.status() == 400, "a too slow regular expression is answered 400", refused.status());
  check((await text("#rule-error")).includes("too slow"), "the page says the expression is too slow", await text("#rule-error"));
  check((await page.inputValue("input[name=value]")) == "(a|aa)+$", "the typed pattern is kept in the form");
  check((await page.inputValue("select[name=kind]")) == "regex", "the chosen kind is kept");
  check((await page.locator("table.rules").count()) == 0, "no rule was added");

  // Markup typed into a rule is shown as text.
  await page.selectOption("select[name=kind]", "words");
  await page.fill("input[name=value]", PAYLOAD);
  await page.selectOption("select[name=rule_action]", "hold");
  await page.fill("input[name=note]", "<b>owner</b>");
  await Promise.all([page.waitForNavigation(), page.click("button[value=add]")]);
  check((await text(".notice")) == "Rule 1 added.", 'adding says "Rule 1 added."', await text(".notice"));
  check((await text("#rule-1 code.value")) == PAYLOAD, "the rule's value is shown as typed, as text", await text("#rule-1 code.value"));
  check((await page.locator("#rule-1 img, #rule-1 b").count()) == 0, "no element was made from the typed markup");
  check((await text("#rule-1 .note")) == "<b>owner</b>", "the note is shown as text");
  await clean("after adding a rule with markup");

  // A holding rule holds a comment and counts the match.
  await page.selectOption("select[name=kind]", "words");
  await page.fill("input[name=value]", "lottery win");
  await page.selectOption("select[name=rule_action]", "hold");
  await page.fill("input[name=note]", "");
  await Promise.all([page.waitForNavigation(), page.click("button[value=add]")]);
  const held = await post({ text: "A LOTTERY   win for you" }, "198.51.100.20");
  check(held.status == 202, "a comment with the held words waits for moderation (202)", held.status);
  await page.reload();
  check((await text("#rule-2 .matches")) == "1", "the holding rule counts one match", await text("#rule-2 .matches"));

  // Ban the spammer from the panel.
  await page.goto(server + "/admin/");
  await page.click(`#comment-${spam.json.id} details.ban summary`);
  const boxes = await page.$$eval(`#comment-${spam.json.id} details.ban input[name=ban]`, (els) => els.map((e) => e.value + ":" + e.checked));
  check(JSON.stringify(boxes) == JSON.stringify(["network:true", "email:true"]), "the ban offers the network and the e-mail, both ticked", boxes);
  await Promise.all([page.waitForNavigation(), page.click(`#comment-${spam.json.id} button[value=ban]`)]);
  check((await text(".notice")).startsWith("1 comment deleted and banned."), "the panel says the comment was deleted and banned", await text(".notice"));
  check((await page.locator(`#comment-${spam.json.id}`).count()) == 0, "the banned comment left the queue");
  const again = await post({ text: "Me again, from the same network" }, SPAMMER);
  check(again.status == 403 && again.headers.get("x-isso-refusal") == "rule", "the spammer's next comment is refused: 403, X-Isso-Refusal: rule", [again.status, again.headers.get("x-isso-refusal")]);
  const elsewhere = await post({ text: "Me again, from elsewhere", email: "SPAMMER@example.org" }, "192.0.2.200");
  check(elsewhere.status == 403, "... and from another network with the same e-mail", elsewhere.status);

  // The rules page lists the ban's rules; deleting the network one undoes it.
  await page.click("a.rules-link");
  await page.waitForSelector("table.rules");
  const rows = await page.$$eval("table.rules tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(1, 5).map((td) => td.textContent.trim()).join("|")));
  check(rows.includes(`Network|203.0.113.0|Refuse|banned from comment ${spam.json.id}`), "the ban's network rule is listed with its note", rows);
  check(rows.includes(`E-mail|spammer@example.org|Refuse|banned from comment ${spam.json.id}`), "the ban's e-mail rule is listed", rows);
  const networkRow = page.locator("table.rules tbody tr", { hasText: "203.0.113.0" });
  check((await networkRow.locator(".matches").textContent()).trim() == "1", "the network rule counts the refused comment");
  await Promise.all([page.waitForNavigation(), networkRow.locator("button[value=delete]").click()]);
  check(/^Rule \d+ deleted\.$/.test(await text(".notice")), "deleting says which rule was deleted", await text(".notice"));
  const back = await post({ text: "Honest this time" }, SPAMMER);
  check(back.status == 202, "with the network rule gone, the network may comment again", back.status);
  await clean("the rules page after the ban");

  // The mail's delete page bans the e-mail address, and undoes it.
  await page.goto(server + banLink.link);
  check((await text("h1")) == "Delete this comment?", "the mail's delete link shows its page");
  const offered = await page.$$eval("fieldset.ban input[name=ban]", (els) => els.map((e) => e.value + ":" + e.checked));
  check(JSON.stringify(offered) == JSON.stringify(["network:false", "email:false"]), "it offers to ban the network and the e-mail, unticked", offered);
  await page.check("fieldset.ban input[value=email]");
  await Promise.all([page.waitForNavigation(), page.click("button[value=yes]")]);
  check((await text("h1")) == "Deleted and banned", 'the page is headed "Deleted and banned"', await text("h1"));
  check((await page.textContent("main")).includes(`e-mail address ${banLink.email} are refused`), "it names the refused e-mail address");
  const byMail = await post({ text: "Still here", email: banLink.email }, "192.0.2.77");
  check(byMail.status == 403, "that address's next comment is refused", byMail.status);
  await Promise.all([page.waitForNavigation(), page.click("button[value=undo]")]);
  check((await text("h1")) == "Ban undone", 'the undo button says "Ban undone"', await text("h1"));
  const afterUndo = await post({ text: "Welcome back", email: banLink.email }, "192.0.2.77");
  check(afterUndo.status == 202, "after the undo that address may comment again", afterUndo.status);
  await clean("the mail's pages");
});
