// Comment counters: every <a> whose href ends with "#isso-thread" gets the
// number of comments of the thread it points to.
import { count } from "./api.js";

export function counter(pluralize) {
  const links = new Map(); // thread key -> [a, ...]
  for (const a of document.getElementsByTagName("a")) {
    const href = a.href;
    if (typeof href != "string" || !href.endsWith("#isso-thread")) continue;
    const key =
      a.getAttribute("data-isso-id") || href.slice(0, -"#isso-thread".length).replace(/^[^/?#]*:\/\/[^/?#]*/, "");
    links.has(key) ? links.get(key).push(a) : links.set(key, [a]);
  }
  if (!links.size) return Promise.resolve();
  const keys = [...links.keys()];
  return count(keys).then(
    (counts) => keys.forEach((key, i) => links.get(key).forEach((a) => (a.textContent = pluralize("num-comments", counts[i])))),
    (err) => console.log(err)
  );
}
