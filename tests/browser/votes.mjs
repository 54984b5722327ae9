// Scenario "votes": up/down votes from different client addresses (the
// address is set with X-Forwarded-For on the page's API requests), a
// repeated vote being refused, vote levels, Space on a vote button.
//   node tests/browser/votes.mjs --server http://127.0.0.1:8080
import { scenario } from "./harness.mjs";

scenario("votes", async (t) => {
  const { api, check } = t;
  const { url, uri } = t.page({ script: { "data-isso-vote-levels": "0,2" } });
  const c = await api.post(uri, { text: "Vote on me", author: "Candidate" }, "198.51.100.20");
  const sel = `#isso-${c.id}`;
  const footer = `${sel} > .isso-text-wrapper > .isso-comment-footer`;

  const page = await t.open(url);
  check(await page.isVisible(`${footer} > a.isso-upvote[role=button] svg`), "upvote button rendered");
  check((await page.getAttribute(`${footer} > a.isso-upvote`, "aria-label")) == "Upvote", 'upvote labelled "Upvote"');
  check((await page.getAttribute(`${footer} > a.isso-downvote`, "aria-label")) == "Downvote", 'downvote labelled "Downvote"');
  check((await page.evaluate((s) => document.querySelector(s).firstElementChild.className, footer)) == "isso-votes", "span.isso-votes is the footer's first child");
  check(await page.evaluate((s) => document.querySelector(s).classList.contains("isso-no-votes"), sel), "score 0 -> .isso-no-votes");
  check(await page.evaluate((s) => document.querySelector(s).classList.contains("isso-vote-level-1"), sel), "score 0 with levels 0,2 -> .isso-vote-level-1");

  const vote = async (which) => {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/id/${c.id}/${which}`)),
      page.click(`${footer} > a.isso-${which == "like" ? "upvote" : "downvote"}`),
    ]);
    return res.json();
  };
  const score = () => page.textContent(`${footer} > .isso-votes`);

  await t.asClient(page, "10.1.1.1");
  let rv = await vote("like");
  check(rv.likes == 1 && rv.dislikes == 0, "first voter: like accepted", rv);
  await page.waitForFunction((s) => document.querySelector(s).textContent == "1", `${footer} > .isso-votes`);
  check(!(await page.evaluate((s) => document.querySelector(s).classList.contains("isso-no-votes"), sel)), "score 1 -> no .isso-no-votes");
  check(await page.evaluate((s) => document.querySelector(s).classList.contains("isso-vote-level-1"), sel), "score 1 -> .isso-vote-level-1");

  rv = await vote("like");
  check(rv.likes == 1 && typeof rv.message == "string", "same voter again: refused by the server", rv);
  check((await score()) == "1", "score unchanged after a refused vote");

  await t.asClient(page, "10.2.2.2");
  rv = await vote("like");
  check(rv.likes == 2, "second address: like accepted", rv);
  await page.waitForFunction((s) => document.querySelector(s).textContent == "2", `${footer} > .isso-votes`);
  check(await page.evaluate((s) => document.querySelector(s).classList.contains("isso-vote-level-2"), sel), "score 2 -> .isso-vote-level-2");

  await t.asClient(page, "10.3.3.3");
  rv = await vote("dislike");
  check(rv.likes == 2 && rv.dislikes == 1, "third address: dislike accepted", rv);
  await page.waitForFunction((s) => document.querySelector(s).textContent == "1", `${footer} > .isso-votes`);
  check(true, "score shows likes - dislikes = 1");

  // keyboard: Space on the focused upvote button
  await t.asClient(page, "10.4.4.4");
  await page.focus(`${footer} > a.isso-upvote`);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/id/${c.id}/like`)), page.keyboard.press("Space")]);
  check((await res.json()).likes == 3, "Space on the focused upvote votes");
  await page.waitForFunction((s) => document.querySelector(s).textContent == "2", `${footer} > .isso-votes`);
  check(true, "score shows 2");
  check((await page.evaluate(() => window.scrollY)) == 0, "Space did not scroll the page");

  // the author's own address cannot vote
  await t.asClient(page, "198.51.100.20");
  rv = await vote("like");
  check(rv.likes == 3 && rv.message, "author's address: vote refused", rv);

  const server = await api.thread(uri);
  check(server.replies[0].likes == 3 && server.replies[0].dislikes == 1, "server stored 3 likes, 1 dislike", server.replies[0]);
});
