// Scenario "i18n": data-isso-lang, plural forms, attribute overrides,
// fallbacks through data-isso-default-lang.
//   node tests/browser/i18n.mjs --server http://127.0.0.1:8080
import { rand, scenario } from "./harness.mjs";

scenario("i18n", async (t) => {
  const { api, check } = t;
  const uri = `/__isso_tx_test__/i18n-${rand()}/`;
  const a = await api.post(uri, { text: "Erster Kommentar" });
  await api.post(uri, { text: "Eine Antwort", parent: a.id });

  // German, with one message overridden and a plural override
  let { url } = t.page({
    thread: { "data-isso-id": uri },
    script: {
      "data-isso-lang": "de",
      "data-isso-postbox-text-text-de": "Schreib uns was",
      "data-isso-comment-reply-text-en": "not German",
    },
  });
  let page = await t.open(url);
  check((await page.textContent("h4.isso-thread-heading")) == "2 Kommentare", 'German plural: "2 Kommentare"', await page.textContent("h4.isso-thread-heading"));
  check((await page.getAttribute("#isso-thread > .isso-postbox textarea", "placeholder")) == "Schreib uns was", "data-isso-postbox-text-text-de overrides the placeholder");
  check((await page.textContent(`#isso-${a.id} a.isso-reply`)) == "Antworten", 'Reply link: "Antworten" (the -en override is ignored)');
  check((await page.textContent(`#isso-${a.id} time`)) == "gerade eben", 'relative time: "gerade eben"');
  check((await page.getAttribute("#isso-thread .isso-postbox input[type=submit]", "value")) == "Absenden", 'submit button: "Absenden"');
  check((await page.textContent('label[for="isso-postbox-author"]')) == "Name (freiwillig)", 'label: "Name (freiwillig)"');
  await page.close();

  // plural override with \n, upper-case/underscore attribute spelling
  ({ url } = t.page({ thread: { "data-isso-id": uri }, script: { "data-isso-lang": "pt_BR", "data-isso-num-comments-text-pt_BR": "Um recado\\n{{ n }} recados" } }));
  page = await t.open(url);
  check((await page.textContent("h4.isso-thread-heading")) == "2 recados", "data-isso-num-comments-text-pt_BR with \\n picks the plural variant", await page.textContent("h4.isso-thread-heading"));
  check((await page.textContent(`#isso-${a.id} a.isso-reply`)) == "Responder", "pt_BR selects the Brazilian catalogue");
  await page.close();

  // Russian: three plural forms (counters)
  const base = `/__isso_tx_test__/i18n-ru-${rand()}`;
  const sizes = { one: 1, three: 3, five: 5 };
  for (const [name, n] of Object.entries(sizes)) for (let i = 0; i < n; i++) await api.post(`${base}/${name}/`, { text: "комментарий номер " + i });
  const body = Object.keys(sizes).map((name) => `<a id="${name}" href="${base}/${name}/#isso-thread">x</a> `).join("");
  ({ url } = t.page({ thread: { "data-isso-id": uri }, body, script: { "data-isso-lang": "ru" } }));
  page = await t.open(url);
  await page.waitForFunction(() => document.getElementById("five").textContent != "x");
  check((await page.textContent("#one")) == "1 комментарий", "ru, 1: комментарий", await page.textContent("#one"));
  check((await page.textContent("#three")) == "3 комментария", "ru, 3: комментария", await page.textContent("#three"));
  check((await page.textContent("#five")) == "5 комментариев", "ru, 5: комментариев", await page.textContent("#five"));
  check((await page.textContent("h4.isso-thread-heading")) == "2 комментария", "ru heading, 2: комментария");
  await page.close();

  // French: 0 and 1 take the singular
  ({ url } = t.page({ thread: { "data-isso-id": uri }, body: `<a id="zero" href="/__isso_tx_test__/nothing-${rand()}/#isso-thread">x</a>`, script: { "data-isso-lang": "fr-CA" } }));
  page = await t.open(url);
  await page.waitForFunction(() => document.getElementById("zero").textContent != "x");
  check((await page.textContent("#zero")) == "0 commentaire", 'fr-CA falls back to fr, 0 -> "0 commentaire"');
  check((await page.textContent("h4.isso-thread-heading")) == "2 commentaires", 'fr heading: "2 commentaires"');
  await page.close();

  // unknown language -> browser language (en-US here) before default-lang
  ({ url } = t.page({ thread: { "data-isso-id": uri }, script: { "data-isso-lang": "tlh", "data-isso-default-lang": "sv" } }));
  page = await t.open(url);
  check((await page.textContent("h4.isso-thread-heading")) == "2 Comments", "unsupported data-isso-lang falls through to the browser's language (en-US)");
  await page.close();

  // empty no-comments thread in Polish
  ({ url } = t.page({ script: { "data-isso-lang": "pl" } }));
  page = await t.open(url);
  check((await page.textContent("h4.isso-thread-heading")) == "Brak komentarzy", 'empty thread in Polish: "Brak komentarzy"');
});
