// isso-tx counter client: only the comment counts of a[href$="#isso-thread"]
// links (use either this or embed.js on a page).
import { readAttrs } from "./lib/attrs.js";
import { counter } from "./lib/counter.js";
import { setup } from "./lib/i18n.js";
import { ready } from "./lib/ready.js";
import { catalogue } from "./i18n/counts.js";

const { p } = setup(readAttrs(), catalogue);
ready(() => counter(p));
