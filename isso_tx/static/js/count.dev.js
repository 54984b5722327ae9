/* isso-tx count client, MIT licence */
(() => {
  // client/lib/attrs.js
  function readAttrs() {
    const out = {};
    for (const script of document.getElementsByTagName("script")) {
      for (const { name, value } of script.attributes) {
        if (!name.startsWith("data-isso-")) continue;
        const key = name.slice(10).replace(/_/g, "-").toLowerCase();
        const raw = value.replace(/\\n/g, "\n");
        try {
          out[key] = JSON.parse(raw);
        } catch (e) {
          out[key] = raw;
        }
      }
    }
    return out;
  }

  // client/lib/api.js
  var scripts = document.getElementsByTagName("script");
  function discover() {
    for (const s of scripts) {
      if (s.hasAttribute("data-isso")) {
        const value = s.getAttribute("data-isso");
        if (value) return value;
        break;
      }
    }
    const me = document.currentScript;
    if (!me) {
      for (const s of scripts) {
        if (s.hasAttribute("async") || s.hasAttribute("defer")) {
          throw new Error("isso: add a data-isso attribute");
        }
      }
    }
    const src = (me || scripts[scripts.length - 1]).src;
    const m = /^(.*)\/js\/[^/?#]*\.js(?:[?#].*)?$/.exec(src);
    return m ? m[1] : src.slice(0, -16);
  }
  var endpoint = discover().replace(/\/$/, "");
  var skews = [];
  function request(method, path, data) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, endpoint + path);
      xhr.withCredentials = true;
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.onload = () => {
        const headers = xhr.getAllResponseHeaders();
        const header = (name) => (new RegExp("^" + name + ":[ \\t]*([^\\r\\n]*)", "im").exec(headers) || [])[1];
        const date = Date.parse(header("date"));
        if (date) skews.push(Date.now() - date);
        const cookie = header("x-set-cookie");
        if (cookie && /^isso-/.test(cookie)) document.cookie = cookie;
        if (xhr.status >= 500) return reject(failed(method, path, xhr.status));
        let body = xhr.responseText;
        try {
          body = JSON.parse(body);
        } catch (e) {
        }
        resolve([xhr.status, body, header]);
      };
      xhr.onerror = () => reject(failed(method, path, 0));
      xhr.send(data === void 0 ? null : JSON.stringify(data));
    });
  }
  var failed = (method, path, status, refusal) => Object.assign(new Error(method + " " + path + ": HTTP " + status), { status, refusal });
  var expect = (ok, method, path, data) => request(method, path, data).then(([status, body, header]) => ok.includes(status) ? body : Promise.reject(failed(method, path, status, header("x-isso-refusal"))));
  var count = (uris) => expect([200], "POST", "/count", uris);

  // client/lib/counter.js
  function counter(pluralize) {
    const links = /* @__PURE__ */ new Map();
    for (const a of document.getElementsByTagName("a")) {
      const href = a.href;
      if (typeof href != "string" || !href.endsWith("#isso-thread")) continue;
      const key = a.getAttribute("data-isso-id") || href.slice(0, -"#isso-thread".length).replace(/^[^/?#]*:\/\/[^/?#]*/, "");
      links.has(key) ? links.get(key).push(a) : links.set(key, [a]);
    }
    if (!links.size) return Promise.resolve();
    const keys = [...links.keys()];
    return count(keys).then(
      (counts) => keys.forEach((key, i) => links.get(key).forEach((a) => a.textContent = pluralize("num-comments", counts[i]))),
      (err) => console.log(err)
    );
  }

  // client/lib/i18n.js
  var ONE_OTHER = "bg ca cs da de el en eo es fa fi gl hr hu id it ja ko nl pt sv tr vi zh".split(" ");
  var few = (n13) => n13 % 10 >= 2 && n13 % 10 <= 4 && (n13 % 100 < 10 || n13 % 100 >= 20);
  var M = 60;
  var H = 3600;
  var D = 86400;
  var AGO = [
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
    ["date-year", D, Infinity, 365.25]
  ];
  function pluralRule(lang) {
    const primary = lang.split("-")[0];
    switch (primary) {
      case "fr":
      case "oc":
        return (n13) => n13 > 1 ? 1 : 0;
      case "ru":
      case "uk":
        return (n13) => n13 % 10 == 1 && n13 % 100 != 11 ? 0 : few(n13) ? 1 : 2;
      case "pl":
        return (n13) => n13 == 1 ? 0 : few(n13) ? 1 : 2;
      case "sk":
        return (n13) => n13 == 1 ? 0 : n13 == 2 || n13 == 3 || n13 == 4 ? 1 : 2;
    }
    return ONE_OTHER.includes(primary) ? (n13) => n13 == 1 ? 0 : 1 : null;
  }
  function normalizeTag(tag) {
    let singleton = false;
    return String(tag).toLowerCase().split(/[_-]/).map((sub, i) => {
      if (sub.length == 1) singleton = true;
      else if (i == 0 || singleton) singleton = false;
      else if (sub.length == 2) return sub.toUpperCase();
      else if (sub.length == 4) return sub[0].toUpperCase() + sub.slice(1);
      return sub;
    }).join("-");
  }
  function candidates(attrs, nav = navigator) {
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
  function setup(attrs, catalogue2, nav) {
    let lang = "en";
    find: for (const cand of candidates(attrs, nav)) {
      for (const code of [cand, cand.split("-")[0]]) {
        if (catalogue2[code] && pluralRule(code)) {
          lang = code;
          break find;
        }
      }
    }
    const rule = pluralRule(lang);
    const override = "-text-" + lang.toLowerCase();
    const t = (id, more) => {
      const own = attrs[id + override];
      return own != null && own !== "" && String(own) || catalogue2[lang](id) || (more ? more[id] || t("postbox-error") : catalogue2.en(id) || "[?" + id + "]");
    };
    const p2 = (id, n13) => {
      n13 = +n13;
      let msg = t(id);
      if (msg.includes("\n")) {
        const variants = msg.split("\n");
        msg = variants[Math.min(rule(n13), variants.length - 1)];
      }
      return msg.replace("{{ n }}", n13);
    };
    const ago = (now, date) => {
      const secs = Math.max((now - date) / 1e3, 0) || 0;
      if (secs <= 45) return t("date-now");
      if (secs <= 90) return p2("date-minute", 1);
      for (const [id, unit, max, div] of AGO) {
        const value = Math.floor(secs / unit);
        if (value <= max) return p2(id, div ? Math.floor(value / div) : 1);
      }
    };
    return { lang, t, p: p2, ago };
  }

  // client/lib/ready.js
  function ready(fn) {
    let done = false;
    const once = () => done || (done = true, fn());
    if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", once);
    else once();
  }

  // client/i18n/cs.js
  var n = "Jeden komentář|Počet komentářů: {{ n }}";

  // client/i18n/de.js
  var n2 = "Ein Kommentar|{{ n }} Kommentare";

  // client/i18n/en.js
  var n3 = "One Comment|{{ n }} Comments";

  // client/i18n/es.js
  var n4 = "Un comentario|{{ n }} comentarios";

  // client/i18n/fr.js
  var n5 = "{{ n }} commentaire|{{ n }} commentaires";

  // client/i18n/it.js
  var n6 = "Un commento|{{ n }} commenti";

  // client/i18n/nl.js
  var n7 = "Eén reactie|{{ n }} reacties";

  // client/i18n/pl.js
  var n8 = "Jeden komentarz|{{ n }} komentarze|{{ n }} komentarzy";

  // client/i18n/pt_BR.js
  var n9 = "Um comentário|{{ n }} comentários";

  // client/i18n/ru.js
  var n10 = "{{ n }} комментарий|{{ n }} комментария|{{ n }} комментариев";

  // client/i18n/sv.js
  var n11 = "En kommentar|{{ n }} kommentarer";

  // client/i18n/uk.js
  var n12 = "{{ n }} коментар|{{ n }} коментарі|{{ n }} коментарів";

  // client/i18n/counts.js
  var N = { cs: n, de: n2, en: n3, es: n4, fr: n5, it: n6, nl: n7, pl: n8, pt: n9, "pt-BR": n9, ru: n10, sv: n11, uk: n12 };
  var catalogue = {};
  for (const code in N) {
    catalogue[code] = (id) => id == "num-comments" ? N[code].replace(/\|/g, "\n") : void 0;
  }

  // client/count.js
  var { p } = setup(readAttrs(), catalogue);
  ready(() => counter(p));
})();
//# sourceMappingURL=count.dev.js.map
