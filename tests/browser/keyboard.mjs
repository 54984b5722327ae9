// Scenario "keyboard": everything with the keyboard only (no mouse clicks):
// post (Tab/typing/Enter), reply (Space), edit (Enter, Ctrl+Enter), delete.
//   node tests/browser/keyboard.mjs --server http://127.0.0.1:8080
import { scenario } from "./harness.mjs";

scenario("keyboard", async (t) => {
  const { api, check } = t;
  const { url, uri } = t.page();
  const other = await api.post(uri, { text: "Somebody else's comment", author: "Other" });
  const page = await t.open(url);
  const active = () => page.evaluate(() => {
    const e = document.activeElement;
    return e ? e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className == "string" ? "." + e.className.split(" ").join(".") : "") + (e.name ? `[name=${e.name}]` : "") + (e.type ? `[type=${e.type}]` : "") : "";
  });
  /** Presses Tab until the focused element matches `selector` (at most `max` times). */
  const tabTo = async (selector, max = 40, key = "Tab") => {
    for (let i = 0; i < max; i++) {
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
      await page.keyboard.press(key);
    }
    throw new Error(`Tab never reached ${selector} (focus on ${await active()})`);
  };

  // ---- post a comment
  await tabTo("#isso-thread > .isso-postbox textarea.isso-textarea");
  check(true, "Tab reaches the postbox textarea");
  await page.keyboard.type("Typed without a mouse");
  await page.keyboard.press("Tab");
  check((await active()) == "input#isso-postbox-author[name=author][type=text]", "Tab -> author field", await active());
  await page.keyboard.type("Keyboard User");
  await page.keyboard.press("Tab");
  check((await active()) == "input#isso-postbox-email[name=email][type=email]", "Tab -> e-mail field", await active());
  await page.keyboard.press("Tab");
  check((await active()) == "input#isso-postbox-website[name=website][type=text]", "Tab -> website field", await active());
  await page.keyboard.press("Tab");
  check((await active()) == "input[type=submit]", "Tab -> Submit", await active());
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.keyboard.press("Enter")]);
  check(res.status() == 201, "Enter on Submit posts the comment");
  const mine = await res.json();
  await page.waitForSelector(`#isso-${mine.id}`);
  check((await active()).startsWith(`div#isso-${mine.id}.isso-comment`), "focus moves to the new comment", await active());
  check((await page.textContent(`#isso-${mine.id} .isso-author`)) == "Keyboard User", "author was typed in");

  // ---- edit: Enter on Edit, Ctrl+Enter saves
  const footer = `#isso-${mine.id} > .isso-text-wrapper > .isso-comment-footer`;
  await tabTo(`${footer} > a.isso-edit`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline != "none", "focused link has a visible outline", outline);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#isso-${mine.id} textarea.isso-textarea`);
  await page.waitForFunction((s) => document.activeElement == document.querySelector(s), `#isso-${mine.id} textarea.isso-textarea`);
  check(true, "Enter on Edit opens the editor with focus in it");
  await page.keyboard.press("End");
  await page.keyboard.type(" (edited)");
  const [put] = await Promise.all([page.waitForResponse((r) => r.request().method() == "PUT"), page.keyboard.press("Control+Enter")]);
  check(put.status() == 200, "Ctrl+Enter in the editor saves");
  await page.waitForFunction((s) => document.querySelector(s).textContent.includes("(edited)"), `#isso-${mine.id} > .isso-text-wrapper > .isso-text`);
  check((await active()) == "a.isso-edit", "focus returns to the Edit link", await active());

  // ---- reply with Space, send with Ctrl+Enter
  const oFooter = `#isso-${other.id} > .isso-text-wrapper > .isso-comment-footer`;
  await tabTo(`${oFooter} > a.isso-reply`, 60, "Shift+Tab");
  check((await page.getAttribute(`${oFooter} > a.isso-reply`, "aria-expanded")) == "false", "Reply has aria-expanded=false");
  await page.keyboard.press("Space");
  await page.waitForSelector(`${oFooter} + .isso-postbox textarea`);
  check((await page.getAttribute(`${oFooter} > a.isso-reply`, "aria-expanded")) == "true", "Space opens the reply box (aria-expanded=true)");
  check(await page.evaluate((s) => document.activeElement == document.querySelector(s), `${oFooter} + .isso-postbox textarea`), "focus is in the reply textarea");
  const labelTarget = await page.evaluate((s) => {
    const label = document.querySelector(s + " + .isso-postbox label");
    return label.control == document.querySelector(s + " + .isso-postbox input[name=author]");
  }, oFooter);
  check(labelTarget, "reply postbox labels point at their own fields");
  await page.keyboard.type("A keyboard reply");
  const [r2] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.keyboard.press("Control+Enter")]);
  const reply = await r2.json();
  check(r2.status() == 201 && reply.parent == other.id, "Ctrl+Enter in the reply box posts the reply");
  await page.waitForSelector(`#isso-${other.id} > .isso-follow-up > #isso-${reply.id}`);
  check((await active()).startsWith(`div#isso-${reply.id}.isso-comment`), "focus moves to the new reply", await active());

  // ---- delete with Enter, Enter
  await tabTo(`#isso-${reply.id} a.isso-delete`);
  await page.keyboard.press("Enter");
  check((await page.textContent(`#isso-${reply.id} a.isso-delete`)) == "Confirm", 'Enter on Delete asks "Confirm"');
  const [del] = await Promise.all([page.waitForResponse((r) => r.request().method() == "DELETE"), page.keyboard.press("Enter")]);
  check(del.status() == 200, "second Enter deletes");
  await page.waitForSelector(`#isso-${reply.id}`, { state: "detached" });
  const focusAfter = await active();
  check(focusAfter != "body", "focus is kept inside the widget after deleting", focusAfter);
  check(!(await page.evaluate(() => document.activeElement == document.body)), "focus did not fall back to <body>");
});
