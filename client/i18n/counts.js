// The reduced catalogue used by count.js: only "num-comments" (named imports
// so that the bundler leaves the other messages out of count.min.js). Must
// list the same languages as langs.js (the build checks it).
import { n as cs } from "./cs.js";
import { n as de } from "./de.js";
import { n as en } from "./en.js";
import { n as es } from "./es.js";
import { n as fr } from "./fr.js";
import { n as it } from "./it.js";
import { n as nl } from "./nl.js";
import { n as pl } from "./pl.js";
import { n as pt_BR } from "./pt_BR.js";
import { n as ru } from "./ru.js";
import { n as sv } from "./sv.js";
import { n as uk } from "./uk.js";

const N = { cs, de, en, es, fr, it, nl, pl, pt: pt_BR, "pt-BR": pt_BR, ru, sv, uk };

export const catalogue = {};
for (const code in N) {
  catalogue[code] = (id) => (id == "num-comments" ? N[code].replace(/\|/g, "\n") : undefined);
}
