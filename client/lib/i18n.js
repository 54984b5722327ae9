// Language selection, translation lookup, plural rules and relative dates.

const ONE_OTHER = "bg ca cs da de el en eo es fa fi gl hr hu id it ja ko nl pt sv tr vi zh".split(" ");
const few = (n) => n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20);

const M = 60, H = 3600, D = 86400;
// Relative dates (spec client.md §6.1): [message, unit in seconds, largest
// value in that unit, divisor of the value for "n" (0: n = 1)]
const AGO = [
  ["date-minute", M, 45, 1],
  ["date-hour", M, 90, 0],
  ["date-hour", H, 22, 1],
  ["date-day", H, 36, 0],
  ["date-day", D, 5, 1],
  ["date-week", D, 8, 0],
  ["date-week", D, 21, 7],
  ["date-month", D, 45, 0],
  ["date-month", D, 345, 30],
  ["date-year", D, 547, 0],
  ["date-year", D, Infinity, 365.25],
];

/** Plural rule for a language: n -> index of the variant, or null if unknown. */
export function pluralRule(lang) {
  const primary = lang.split("-")[0];
  switch (primary) {
    case "fr":
    case "oc":
      return (n) => (n > 1 ? 1 : 0);
    case "ru":
    case "uk":
      return (n) => (n % 10 == 1 && n % 100 != 11 ? 0 : few(n) ? 1 : 2);
    case "pl":
      return (n) => (n == 1 ? 0 : few(n) ? 1 : 2);
    case "sk":
      return (n) => (n == 1 ? 0 : n == 2 || n == 3 || n == 4 ? 1 : 2);
  }
  return ONE_OTHER.includes(primary) ? (n) => (n == 1 ? 0 : 1) : null;
}

/** BCP 47 casing: "pt_br" -> "pt-BR", "zh-hant-tw" -> "zh-Hant-TW". */
export function normalizeTag(tag) {
  let singleton = false;
  return String(tag)
    .toLowerCase()
    .split(/[_-]/)
    .map((sub, i) => {
      if (sub.length == 1) singleton = true;
      else if (i == 0 || singleton) singleton = false;
      else if (sub.length == 2) return sub.toUpperCase();
      else if (sub.length == 4) return sub[0].toUpperCase() + sub.slice(1);
      return sub;
    })
    .join("-");
}

/** Candidate languages in order of preference (spec §8.2). */
export function candidates(attrs, nav = navigator) {
  const list = [];
  const add = (v) => v && list.push(normalizeTag(v));
  add(attrs.lang);
  const navs = (nav.languages || []).filter(Boolean);
  if (navs.length) navs.forEach(add);
  else add(nav.language || nav.userLanguage);
  add("default-lang" in attrs ? attrs["default-lang"] : "en");
  list.push("en");
  return list;
}

/**
 * attrs: the data-isso-* attributes (for "lang", "default-lang" and
 * "<msgid>-text-<lang>" overrides); catalogue: lang -> (msgid -> text).
 */
export function setup(attrs, catalogue, nav) {
  let lang = "en";
  find: for (const cand of candidates(attrs, nav)) {
    for (const code of [cand, cand.split("-")[0]]) {
      if (catalogue[code] && pluralRule(code)) {
        lang = code;
        break find;
      }
    }
  }
  const rule = pluralRule(lang);
  const override = "-text-" + lang.toLowerCase();

  // `more`: messages kept out of the catalogue (i18n/ids.js FEEDBACK_IDS),
  // fetched for `lang`; one missing there falls back to "postbox-error".
  const t = (id, more) => {
    const own = attrs[id + override];
    return (
      (own != null && own !== "" && String(own)) ||
      catalogue[lang](id) ||
      (more ? more[id] || t("postbox-error") : catalogue.en(id) || "[?" + id + "]")
    );
  };

  const p = (id, n) => {
    n = +n;
    let msg = t(id);
    if (msg.includes("\n")) {
      const variants = msg.split("\n");
      msg = variants[Math.min(rule(n), variants.length - 1)];
    }
    return msg.replace("{{ n }}", n);
  };

  /** "3 minutes ago" etc. for `date` seen from `now` (both Date). */
  const ago = (now, date) => {
    const secs = Math.max((now - date) / 1000, 0) || 0;
    if (secs <= 45) return t("date-now");
    if (secs <= 90) return p("date-minute", 1);
    for (const [id, unit, max, div] of AGO) {
      const value = Math.floor(secs / unit);
      if (value <= max) return p(id, div ? Math.floor(value / div) : 1);
    }
  };

  return { lang, t, p, ago };
}
