// The "why a post failed" messages (export `e` of each catalogue), by the
// language codes of langs.js (the build checks that they match). Not part of
// any bundle: the build writes one js/i18n/<code>.json per code from it,
// which lib/widget.js fetches after a failed post.
import { e as cs } from "./cs.js";
import { e as de } from "./de.js";
import { e as en } from "./en.js";
import { e as es } from "./es.js";
import { e as fr } from "./fr.js";
import { e as it } from "./it.js";
import { e as nl } from "./nl.js";
import { e as pl } from "./pl.js";
import { e as pt_BR } from "./pt_BR.js";
import { e as ru } from "./ru.js";
import { e as sv } from "./sv.js";
import { e as uk } from "./uk.js";

export const FEEDBACK = { cs, de, en, es, fr, it, nl, pl, pt: pt_BR, "pt-BR": pt_BR, ru, sv, uk };
