// The full catalogue used by embed.js.
import { IDS } from "./ids.js";
import { LANGS } from "./langs.js";

// lang -> function(msgid) returning the translation or undefined
export const catalogue = {};
for (const code in LANGS) {
  const mod = LANGS[code];
  let lines;
  catalogue[code] = (id) => {
    if (id == "num-comments") return mod.n.replace(/\|/g, "\n");
    lines ||= mod.t.split("\n");
    const m = lines[IDS.indexOf(id)];
    return m && m.replace(/\|/g, "\n");
  };
}
