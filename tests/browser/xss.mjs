// Scenario "xss": script-ish payloads in text, author and website stay inert
// (no dialog, no injected element, no handler run), in the thread, after
// posting and in the preview.
//   node tests/browser/xss.mjs --server http://127.0.0.1:8080
import { scenario } from "./harness.mjs";

const TEXT = [
  "<script>alert('text-script');window.__pwned='script'</script>",
  "<img src=x onerror=\"alert('text-img');window.__pwned='img'\">",
  "<svg onload=\"alert('svg')\"><a href=\"javascript:alert('svg-a')\">svg</a></svg>",
  "[click me](javascript:alert('md-link'))",
  "<iframe src=\"javascript:alert('iframe')\"></iframe>",
  "<a href=\"#\" onclick=\"alert('click')\" id=\"evil\">link</a>",
  "<details open ontoggle=\"alert('toggle')\">x</details>",
].join("\n\n");
const AUTHOR = "<img src=x onerror=\"alert('author')\">\"'><script>alert('author2')</script>&amp;";
const WEBSITE = "http://example.org/\"onmouseover=\"alert('web')\"x='";

scenario("xss", async (t) => {
  const { api, check } = t;
  const { url, uri } = t.page();
  const seeded = await api.post(uri, { text: TEXT, author: AUTHOR, website: WEBSITE });
  const page = await t.open(url);

  const inert = async (where) => {
    await page.waitForTimeout(300); // let any onerror/onload fire
    const report = await page.evaluate(() => {
      const thread = document.getElementById("isso-thread");
      const bad = [];
      for (const el of thread.querySelectorAll("*")) {
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) bad.push(`${el.tagName}[${a.name}]`);
          if (/^(href|src|xlink:href|action|formaction)$/i.test(a.name) && /^\s*javascript:/i.test(a.value)) bad.push(`${el.tagName}[${a.name}=${a.value}]`);
        }
        if (/^(script|iframe|object|embed|style|base|meta|link)$/i.test(el.tagName)) bad.push(el.tagName);
      }
      return { bad, pwned: window.__pwned || null };
    });
    check(report.bad.length == 0, `${where}: no script, iframe, event handler or javascript: URL inside #isso-thread`, report.bad);
    check(report.pwned === null, `${where}: no injected code ran`, report.pwned);
    check(t.dialogs.length == 0, `${where}: no dialog opened`, t.dialogs);
  };

  const c = `#isso-${seeded.id}`;
  check((await page.textContent(`${c} .isso-comment-header .isso-author`)) == AUTHOR, "author shown literally, as text", await page.textContent(`${c} .isso-author`));
  const href = await page.getAttribute(`${c} a.isso-author`, "href");
  check(href.startsWith("http://example.org/"), "website stays one http URL in href", href);
  check((await page.locator(`${c} .isso-comment-header *`).count()) <= 7, "header holds only the widget's own elements");
  await page.hover(`${c} a.isso-author`);
  await inert("seeded comment");

  // posting the same payloads through the postbox
  await page.fill("#isso-postbox-author", AUTHOR);
  await page.fill("#isso-postbox-website", WEBSITE);
  const box = "#isso-thread > .isso-postbox";
  await page.fill(`${box} textarea`, TEXT);
  await page.click(`${box} input[name=preview]`);
  await page.waitForSelector(`${box}.isso-preview-mode`);
  await inert("preview");
  await page.click(`${box} input[name=edit]`);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${box} input[type=submit]`)]);
  const mine = await res.json();
  await page.waitForSelector(`#isso-${mine.id}`);
  check((await page.textContent(`#isso-${mine.id} .isso-author`)) == AUTHOR, "posted author shown literally");
  await inert("posted comment");

  // a javascript: website is refused by the server and reported
  await page.fill("#isso-postbox-website", "javascript:alert('web2')");
  await page.fill(`${box} textarea`, "website check");
  const [bad] = await Promise.all([page.waitForResponse((r) => r.url().includes("/new?")), page.click(`${box} input[type=submit]`)]);
  check(bad.status() == 400, "server refuses a javascript: website (400)");
  await page.waitForSelector(`${box} [role=alert]`);
  check((await page.textContent(`${box} [role=alert]`)) == "Could not save the comment.", "the failure is shown in an alert");
  await inert("after the refused post");

  // reload: everything rendered from the server again
  await page.reload();
  await t.widgetReady(page);
  await inert("reloaded thread");
});
