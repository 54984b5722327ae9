// Languages bundled with the client: BCP 47 tag -> {n: "num-comments", t: the other messages}.
// (Named imports keep the bundle free of module namespace objects.)
// More catalogues written for isso-tx wait in extra/ (left out to keep
// embed.min.js under 12 KB gzipped); to bundle one, import it here and in
// counts.js.
import { n as cs_n, t as cs_t } from "./cs.js";
import { n as de_n, t as de_t } from "./de.js";
import { n as en_n, t as en_t } from "./en.js";
import { n as es_n, t as es_t } from "./es.js";
import { n as fr_n, t as fr_t } from "./fr.js";
import { n as it_n, t as it_t } from "./it.js";
import { n as nl_n, t as nl_t } from "./nl.js";
import { n as pl_n, t as pl_t } from "./pl.js";
import { n as pt_BR_n, t as pt_BR_t } from "./pt_BR.js";
import { n as ru_n, t as ru_t } from "./ru.js";
import { n as sv_n, t as sv_t } from "./sv.js";
import { n as uk_n, t as uk_t } from "./uk.js";

const pt = { n: pt_BR_n, t: pt_BR_t };

export const LANGS = {
  cs: { n: cs_n, t: cs_t },
  de: { n: de_n, t: de_t },
  en: { n: en_n, t: en_t },
  es: { n: es_n, t: es_t },
  fr: { n: fr_n, t: fr_t },
  it: { n: it_n, t: it_t },
  nl: { n: nl_n, t: nl_t },
  pl: { n: pl_n, t: pl_t },
  ru: { n: ru_n, t: ru_t },
  sv: { n: sv_n, t: sv_t },
  uk: { n: uk_n, t: uk_t },
  pt,
  "pt-BR": pt,
};
