/* isso-tx embed client, MIT licence */
(() => {
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
  var serverNow = () => new Date(Date.now() - (skews.length ? skews.reduce((a, b) => a + b) / skews.length : 0));
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
  var query = (params) => Object.keys(params).filter((k) => params[k] != null).map((k) => k + "=" + encodeURIComponent(params[k])).join("&");
  var inf = (v) => v === "inf" ? null : v;
  var getConfig = () => expect([200], "GET", "/config");
  var fetchThread = ({ uri, sort, parent, offset, limit, nested }) => expect([200], "GET", "/?" + query({ uri, sort, parent, offset, limit: inf(limit), nested_limit: inf(nested) }));
  var create = (uri, data) => expect([201, 202], "POST", "/new?" + query({ uri }), data);
  var modify = (id, text) => expect([200], "PUT", "/id/" + id, { text });
  var remove = (id) => expect([200], "DELETE", "/id/" + id).then((body) => body === null);
  var view = (id) => request("GET", "/id/" + id + "?plain=1").then(([, body]) => body);
  var vote = (id, up) => request("POST", "/id/" + id + (up ? "/like" : "/dislike")).then(([, body]) => body);
  var count = (uris) => expect([200], "POST", "/count", uris);
  var preview = (text) => expect([200], "POST", "/preview", { text }).then((body) => body.text);
  var feedUrl = (uri) => endpoint + "/feed?" + query({ uri });

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

  // client/lib/dom.js
  function h(tag, attrs2, ...children) {
    const el = document.createElement(tag);
    for (const key in attrs2) {
      const value = attrs2[key];
      if (value == null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value);
    }
    el.append(...children.filter((c) => c != null && c !== false));
    return el;
  }
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs2) {
    const el = document.createElementNS(SVG, tag);
    for (const key in attrs2) el.setAttribute(key, attrs2[key]);
    return el;
  }
  var $ = (selector, root = document) => root.querySelector(selector);
  var action = (cls, label, onclick, attrs2) => h(
    "a",
    {
      class: cls,
      href: "#",
      role: "button",
      ...attrs2,
      onclick(e) {
        e.preventDefault();
        onclick(e);
      },
      onkeydown(e) {
        if (e.key == " ") {
          e.preventDefault();
          e.currentTarget.click();
        }
      }
    },
    label
  );
  function focus(el) {
    if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
  }
  var unescape = (s) => String(s).replace(/&(amp|lt|gt|quot|#x27|#39|#34);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'", "#34": '"' })[e]);

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
  function pluralRule(lang2) {
    const primary = lang2.split("-")[0];
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
  function candidates(attrs2, nav = navigator) {
    const list = [];
    const add = (v) => v && list.push(normalizeTag(v));
    add(attrs2.lang);
    const navs = (nav.languages || []).filter(Boolean);
    if (navs.length) navs.forEach(add);
    else add(nav.language || nav.userLanguage);
    add("default-lang" in attrs2 ? attrs2["default-lang"] : "en");
    list.push("en");
    return list;
  }
  function setup(attrs2, catalogue2, nav) {
    let lang2 = "en";
    find: for (const cand of candidates(attrs2, nav)) {
      for (const code of [cand, cand.split("-")[0]]) {
        if (catalogue2[code] && pluralRule(code)) {
          lang2 = code;
          break find;
        }
      }
    }
    const rule = pluralRule(lang2);
    const override = "-text-" + lang2.toLowerCase();
    const t14 = (id, more) => {
      const own = attrs2[id + override];
      return own != null && own !== "" && String(own) || catalogue2[lang2](id) || (more ? more[id] || t14("postbox-error") : catalogue2.en(id) || "[?" + id + "]");
    };
    const p2 = (id, n13) => {
      n13 = +n13;
      let msg = t14(id);
      if (msg.includes("\n")) {
        const variants = msg.split("\n");
        msg = variants[Math.min(rule(n13), variants.length - 1)];
      }
      return msg.replace("{{ n }}", n13);
    };
    const ago2 = (now, date) => {
      const secs = Math.max((now - date) / 1e3, 0) || 0;
      if (secs <= 45) return t14("date-now");
      if (secs <= 90) return p2("date-minute", 1);
      for (const [id, unit, max, div] of AGO) {
        const value = Math.floor(secs / unit);
        if (value <= max) return p2(id, div ? Math.floor(value / div) : 1);
      }
    };
    return { lang: lang2, t: t14, p: p2, ago: ago2 };
  }

  // client/lib/ready.js
  function ready(fn) {
    let done = false;
    const once = () => done || (done = true, fn());
    if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", once);
    else once();
  }

  // client/lib/identicon.js
  function identicon(hash, bg, colours) {
    const el = svg("svg", {
      viewBox: "0 0 48 48",
      "shape-rendering": "crispEdges",
      "aria-hidden": "true"
    });
    const square = (x, y, size, fill) => el.append(svg("rect", { x, y, width: size, height: size, fill }));
    square(0, 0, 56, bg);
    if (!hash) return el;
    el.setAttribute("data-hash", hash);
    const bits = (parseInt(hash.slice(-16), 16) % 262144 || 0).toString(2).padStart(18, "0");
    const colour = colours[parseInt(bits.slice(-3), 2) % colours.length];
    let i = 0;
    for (let x = 0; x < 3; x++) {
      for (let y = 0; y < 5; y++) {
        if (bits[i++] == "1") {
          square(4 + 8 * x, 4 + 8 * y, 8, colour);
          if (x < 2) square(4 + 8 * (4 - x), 4 + 8 * y, 8, colour);
        }
      }
    }
    return el;
  }

  // client/lib/widget.js
  var S = {
    config: {},
    lang: "en",
    t: (id) => id,
    p: (id, n13) => id + n13,
    ago: () => "",
    /** thread key: data-isso-id of #isso-thread, else the page path */
    uri: () => ($("#isso-thread") || document.documentElement).getAttribute("data-isso-id") || location.pathname
  };
  var clocks = [];
  var owners = [];
  var tick = ([el, date]) => el.textContent = S.ago(serverNow(), date);
  var timersStarted = false;
  function startTimers() {
    if (timersStarted) return;
    timersStarted = true;
    setInterval(() => prune(clocks, (c) => !c[0].isConnected || (tick(c), false)), 6e4);
    setInterval(checkOwn, 15e3);
  }
  function prune(list, done) {
    for (let i = list.length; i--; ) if (done(list[i])) list.splice(i, 1);
  }
  var checkOwn = () => prune(owners, (f) => f());
  var ownCookie = (id) => (new RegExp("(?:^|; )isso-" + id + "=([^;]*)").exec(document.cookie) || [])[1];
  var HIDDEN = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";
  function announce(msg) {
    const thread = $("#isso-thread");
    if (!thread) return;
    let live = $(".isso-status", thread);
    if (!live) {
      live = h("div", { class: "isso-status", role: "status", "aria-live": "polite" });
      live.style.cssText = HIDDEN;
      thread.append(live);
    }
    live.textContent = "";
    setTimeout(() => live.textContent = msg, 50);
  }
  var spacer = (text) => h("span", { class: "isso-spacer", "aria-hidden": "true" }, text);
  var chevron = (up) => {
    const el = svg("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true" });
    el.append(svg("path", { d: up ? "M3.5 10.5 8 6l4.5 4.5" : "M3.5 5.5 8 10l4.5-4.5", fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round" }));
    return el;
  };
  var safeUrl = (url) => /^https?:\/\//i.test(url) ? url : "http://" + url;
  var isoDate = (d) => d.toISOString().slice(0, 19) + "Z";
  function showText(el, comment) {
    if (comment.mode == 4) el.replaceChildren(h("p", null, " "));
    else el.innerHTML = comment.text;
  }
  var container = (parent) => (parent == null ? null : $("#isso-" + parent + " > .isso-follow-up")) || $("#isso-root");
  function insert(comment, scroll) {
    const { config: C, t: t14 } = S;
    const id = comment.id;
    const date = new Date(parseInt(comment.created, 10) * 1e3);
    const pageAuthor = C["page-author-hashes"].includes(comment.hash);
    const el = h("div", {
      class: "isso-comment" + (pageAuthor ? " isso-is-page-author" : ""),
      id: "isso-" + id,
      "data-hash": comment.hash
    });
    const avatars = [];
    if (C.gravatar) avatars.push(h("div", { class: "isso-avatar" }, h("img", { src: comment.gravatar_image, alt: "", loading: "lazy" })));
    if (C.avatar) avatars.push(h("div", { class: "isso-avatar" }, identicon(comment.hash, C["avatar-bg"], C["avatar-fg"])));
    const name = comment.author ? unescape(comment.author) : t14("comment-anonymous");
    const time = h("time", { title: date.toString(), datetime: isoDate(date) });
    const clock = [time, date];
    tick(clock);
    clocks.push(clock);
    const note = h("span", { class: "isso-note" }, comment.mode == 2 ? t14("comment-queued") : comment.mode == 4 ? t14("comment-deleted") : "");
    const header = h(
      "div",
      { class: "isso-comment-header" },
      comment.website ? h("a", { class: "isso-author", href: safeUrl(unescape(comment.website)), rel: "nofollow" }, name) : h("span", { class: "isso-author" }, name),
      pageAuthor && spacer("•"),
      pageAuthor && h("span", { class: "isso-page-author-suffix" }, t14("comment-page-author-suffix")),
      spacer("•"),
      h("a", { class: "isso-permalink", href: "#isso-" + id }, time),
      note
    );
    const text = h("div", { class: "isso-text" });
    showText(text, comment);
    const footer = h("div", { class: "isso-comment-footer" });
    el.append(...avatars, h("div", { class: "isso-text-wrapper" }, header, text, footer), h("div", { class: "isso-follow-up" }));
    if (C.vote) {
      let levels = C["vote-levels"];
      if (typeof levels == "string") levels = levels.split(",");
      else if (typeof levels == "number") levels = [levels];
      const score = h("span", { class: "isso-votes" });
      const setScore = (value) => {
        score.textContent = value;
        el.classList.toggle("isso-no-votes", !value);
        if (Array.isArray(levels)) {
          let found = false;
          for (let i = 0; i <= levels.length; i++) {
            const here = !found && (i == levels.length || value < +levels[i]);
            found || (found = here);
            el.classList.toggle("isso-vote-level-" + i, here);
          }
        }
      };
      const vote2 = (up) => vote(id, up).then((rv) => {
        if (!rv) return;
        setScore(rv.likes - rv.dislikes);
        if (rv.message) console.log(rv.message);
      }, console.log);
      footer.append(
        score,
        action("isso-upvote", chevron(true), () => vote2(true), { "aria-label": t14("comment-upvote") }),
        spacer("|"),
        action("isso-downvote", chevron(false), () => vote2(false), { "aria-label": t14("comment-downvote") })
      );
      setScore(comment.likes - comment.dislikes);
    }
    let box = null;
    const toggleReply = (open, refocus) => {
      if (open) {
        box = postbox(comment.parent == null ? id : comment.parent, () => toggleReply(false));
        footer.after(box);
        $(".isso-textarea", box).focus();
      } else if (box) {
        box.remove();
        box = null;
        if (refocus) reply.focus();
      }
      reply.textContent = t14(open ? "comment-close" : "comment-reply");
      reply.setAttribute("aria-expanded", !!open);
    };
    const reply = action("isso-reply", t14("comment-reply"), () => toggleReply(!box, true), { "aria-expanded": "false" });
    footer.append(reply);
    if (ownCookie(id)) {
      let editing = null;
      const edit = action("isso-edit", t14("comment-edit"), () => editing ? stopEditing(true) : startEditing());
      const startEditing = () => {
        const cancel = action("isso-cancel", t14("comment-cancel"), () => stopEditing(false));
        editing = { cancel };
        edit.textContent = t14("comment-save");
        edit.after(cancel);
        avatars.forEach((a) => a.style.display = "none");
        view(id).then((rv) => {
          if (!editing || editing.cancel != cancel) return;
          const area = h("textarea", {
            class: "isso-textarea",
            rows: 5,
            minlength: 3,
            maxlength: 65535,
            "aria-label": t14("postbox-text")
          });
          area.value = rv && rv.text != null ? rv.text : "";
          area.addEventListener("keydown", (e) => {
            if (e.key == "Escape") stopEditing(false);
            else if (e.key == "Enter" && (e.ctrlKey || e.metaKey)) stopEditing(true);
          });
          editing.area = area;
          text.className = "isso-textarea-wrapper";
          text.replaceChildren(area);
          area.focus();
        }, console.log);
      };
      const finish = () => {
        editing.cancel.remove();
        editing = null;
        text.className = "isso-text";
        showText(text, comment);
        avatars.forEach((a) => a.style.display = "");
        edit.textContent = t14("comment-edit");
        edit.focus();
      };
      const stopEditing = (save) => {
        const area = editing.area;
        if (!save || !area) return finish();
        if (area.value.length < 3) return area.focus();
        edit.setAttribute("aria-disabled", "true");
        modify(id, area.value).then(
          (rv) => {
            edit.removeAttribute("aria-disabled");
            comment.text = rv.text;
            if (rv.mode == 2) announce(note.textContent = t14("comment-queued"));
            finish();
          },
          (err) => {
            edit.removeAttribute("aria-disabled");
            console.log(err);
            announce(t14("postbox-error"));
            area.focus();
          }
        );
      };
      let armed = false;
      const disarm = () => {
        armed = false;
        del.textContent = t14("comment-delete");
      };
      const del = action("isso-delete", t14("comment-delete"), () => {
        if (!armed) {
          armed = true;
          del.textContent = t14("comment-confirm");
          return;
        }
        disarm();
        remove(id).then((removed) => {
          announce(t14("comment-deleted"));
          if (removed) {
            const next = el.nextElementSibling || el.previousElementSibling || el.parentElement.closest(".isso-comment");
            el.remove();
            const heading = $(".isso-thread-heading");
            if (next && next.matches(".isso-comment")) focus(next);
            else if (heading) focus(heading);
          } else {
            note.textContent = t14("comment-deleted");
            showText(text, { mode: 4 });
            edit.remove();
            del.remove();
            if (editing) editing.cancel.remove();
            focus(el);
          }
          checkOwn();
        }, console.log);
      });
      del.addEventListener("mouseout", disarm);
      del.addEventListener("blur", disarm);
      footer.append(edit, del);
      if (!C["reply-to-self"]) reply.remove();
      owners.push(() => {
        if (!el.isConnected) return true;
        if (ownCookie(id)) return false;
        edit.remove();
        del.remove();
        if (!reply.isConnected) footer.append(reply);
        return true;
      });
    }
    container(comment.parent).append(el);
    if (scroll) el.scrollIntoView();
    if (comment.replies) {
      comment.replies.forEach((r) => insert(r));
      if (comment.hidden_replies > 0) loader(id, comment.hidden_replies, comment.replies.length);
    }
    startTimers();
    return el;
  }
  function loader(parent, hidden, offset) {
    const { config: C, p: p2 } = S;
    const el = h("div", { class: "isso-comment-loader", id: "isso-loader-" + (parent == null ? "null" : parent) });
    el.append(
      action("isso-load-hidden", p2("comment-hidden", hidden), () => {
        el.remove();
        fetchThread({
          uri: S.uri(),
          sort: C.sorting,
          parent,
          offset,
          limit: C["reveal-on-click"],
          nested: C["max-comments-nested"]
        }).then((rv) => {
          if (rv.total_replies === 0) return;
          const shown = rv.replies.map((c) => insert(c));
          if (rv.hidden_replies > 0) loader(parent, rv.hidden_replies, offset + rv.replies.length);
          if (shown[0]) focus(shown[0]);
        }, console.log);
      })
    );
    container(parent).append(el);
    return el;
  }
  var store;
  try {
    localStorage.setItem("isso-test", "1");
    localStorage.removeItem("isso-test");
    store = localStorage;
  } catch (e) {
    const mem = {};
    store = { getItem: (k) => k in mem ? mem[k] : null, setItem: (k, v) => mem[k] = String(v) };
  }
  var remembered = (key) => {
    try {
      return JSON.parse(store.getItem("isso-" + key));
    } catch (e) {
      return null;
    }
  };
  var boxes = 0;
  var REFUSALS = {
    ratelimit: "later",
    "direct-reply": "later",
    "reply-to-self": "later",
    "require-email": "email",
    "require-author": "author"
  };
  var feedback = null;
  var loadFeedback = () => feedback || (feedback = fetch(endpoint + "/js/i18n/" + S.lang + ".json").then((r) => r.json()).catch(() => feedback = null));
  var autofilled = (input) => {
    try {
      return input.matches(":autofill");
    } catch (e) {
    }
  };
  function postbox(parent, done) {
    const { config: C, t: t14 } = S;
    const suffix = parent == null ? "" : "-" + ++boxes;
    const field = (name, type, required, autocomplete) => {
      let label = t14("postbox-" + name);
      if (required) label = label.replace(/\s*[(（][^()（）]*[)）]/, "");
      const input = h("input", {
        id: "isso-postbox-" + name + suffix,
        type,
        name,
        placeholder: t14("postbox-" + name + "-placeholder"),
        value: remembered(name) || null,
        autocomplete,
        "aria-required": required && "true"
      });
      return [h("p", { class: "isso-input-wrapper" }, h("label", { for: input.id }, label), input), input];
    };
    const [authorP, author] = field("author", "text", C["require-author"], "name");
    const [emailP, email] = field("email", "email", C["require-email"], "email");
    const [websiteP, website] = field("website", "text", false, "url");
    const area = h("textarea", {
      class: "isso-textarea",
      rows: 5,
      minlength: 3,
      maxlength: 65535,
      placeholder: t14("postbox-text"),
      "aria-label": t14("postbox-text")
    });
    const previewText = h("div", { class: "isso-text" });
    const preview2 = h(
      "div",
      { class: "isso-preview", onclick: () => leavePreview(true) },
      h("div", { class: "isso-comment" }, h("div", { class: "isso-text-wrapper" }, previewText))
    );
    const submit = h("input", { type: "submit", value: t14("postbox-submit") });
    const previewButton = h("input", { type: "button", name: "preview", value: t14("postbox-preview") });
    const editButton = h("input", { type: "button", name: "edit", value: t14("postbox-edit") });
    const notify = h("input", { type: "checkbox", name: "notification", checked: !!C["reply-notifications-default-enabled"] });
    const notifySection = h("div", { class: "isso-notification-section" }, h("label", null, notify, t14("postbox-notification")));
    const phone = h("input", { type: "text", name: "phone", "aria-hidden": "true", tabindex: "-1", autocomplete: "off" });
    phone.style.cssText = HIDDEN;
    const auth = h(
      "div",
      { class: "isso-auth-section" },
      authorP,
      emailP,
      websiteP,
      h("p", { class: "isso-post-action" }, submit),
      h("p", { class: "isso-post-action" }, previewButton),
      h("p", { class: "isso-post-action" }, editButton)
    );
    const el = h(
      "div",
      { class: "isso-postbox" },
      h("div", { class: "isso-form-wrapper" }, h("div", { class: "isso-textarea-wrapper" }, area, preview2), auth, notifySection, phone)
    );
    const showNotify = () => notifySection.style.display = C["reply-notifications"] && email.value ? "" : "none";
    email.addEventListener("input", showNotify);
    showNotify();
    let error = null;
    const setError = (msg) => {
      if (error) error.remove();
      error = msg ? h("p", { class: "isso-post-error", role: "alert" }, msg) : null;
      if (error) auth.prepend(error);
    };
    const leavePreview = (refocus) => {
      if (!el.classList.contains("isso-preview-mode")) return;
      previewText.textContent = "";
      el.classList.remove("isso-preview-mode");
      if (refocus) area.focus();
    };
    previewButton.addEventListener(
      "click",
      () => preview(area.value).then((html) => {
        previewText.innerHTML = html;
        el.classList.add("isso-preview-mode");
        editButton.focus();
      }, console.log)
    );
    editButton.addEventListener("click", () => leavePreview(true));
    const validate = () => {
      for (const [bad, input] of [
        [area.value.length < 3, area],
        [C["require-email"] && !email.value, email],
        [C["require-author"] && !author.value, author]
      ]) {
        if (bad) {
          input.focus();
          return false;
        }
      }
      return true;
    };
    let tries = 0;
    submit.addEventListener("click", () => {
      leavePreview(false);
      if (!validate()) return;
      submit.disabled = true;
      const values = { author: author.value || null, email: email.value || null, website: website.value || null };
      for (const key in values) store.setItem("isso-" + key, JSON.stringify(values[key]));
      const thread = $("#isso-thread");
      const data = {
        ...values,
        text: area.value,
        parent: parent == null ? null : parent,
        title: thread && thread.getAttribute("data-title") || null,
        notification: notify.checked ? 1 : 0
      };
      if (phone.value && !autofilled(phone)) data.phone = phone.value;
      const attempt = ++tries;
      create(S.uri(), data).then(
        (comment) => {
          submit.disabled = false;
          setError(null);
          area.value = "";
          const added = insert(comment, true);
          if (comment.mode == 2) announce(t14("comment-queued"));
          if (parent != null && done) done();
          focus(added);
        },
        (err) => {
          submit.disabled = false;
          console.log(err);
          const status = err.status;
          const why = status == 403 ? err.refusal ? REFUSALS[err.refusal] || "refused" : "denied" : !status || status > 501 ? "busy" : "";
          if (!why) return setError(t14("postbox-error"));
          loadFeedback().then((more) => attempt == tries && setError(t14("postbox-error-" + why, more || {})));
        }
      );
    });
    area.addEventListener("keydown", (e) => {
      if (e.key == "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        submit.click();
      }
    });
    return el;
  }

  // client/i18n/ids.js
  var IDS = [
    "postbox-text",
    "postbox-author",
    "postbox-author-placeholder",
    "postbox-email",
    "postbox-email-placeholder",
    "postbox-website",
    "postbox-website-placeholder",
    "postbox-preview",
    "postbox-edit",
    "postbox-submit",
    "postbox-notification",
    "no-comments",
    "atom-feed",
    "comment-reply",
    "comment-edit",
    "comment-save",
    "comment-delete",
    "comment-confirm",
    "comment-close",
    "comment-cancel",
    "comment-deleted",
    "comment-queued",
    "comment-anonymous",
    "comment-hidden",
    "comment-page-author-suffix",
    "date-now",
    "date-minute",
    "date-hour",
    "date-day",
    "date-week",
    "date-month",
    "date-year",
    // isso-tx additions (accessibility and error reporting)
    "comment-upvote",
    "comment-downvote",
    "postbox-error"
  ];

  // client/i18n/cs.js
  var n = "Jeden komentář|Počet komentářů: {{ n }}";
  var t = `Napište komentář (alespoň 3 znaky)
Jméno (nepovinné)
Jana Nováková
E-mail (nepovinný)
jana@example.com
Web (nepovinný)
https://example.com
Náhled
Upravit
Odeslat
Upozorňovat mě e-mailem na odpovědi
Zatím žádné komentáře
Kanál Atom
Odpovědět
Upravit
Uložit
Smazat
Opravdu smazat?
Zavřít
Zrušit
Komentář byl smazán.
Komentář čeká na schválení.
Anonym
Skryto: {{ n }}
Autor
právě teď
před minutou|před {{ n }} minutami
před hodinou|před {{ n }} hodinami
včera|před {{ n }} dny
minulý týden|před {{ n }} týdny
minulý měsíc|před {{ n }} měsíci
loni|před {{ n }} lety
Hlasovat pro
Hlasovat proti
Uložení se nezdařilo.`;

  // client/i18n/de.js
  var n2 = "Ein Kommentar|{{ n }} Kommentare";
  var t2 = `Kommentar schreiben (mindestens 3 Zeichen)
Name (freiwillig)
Erika Muster
E-Mail (freiwillig)
erika@example.com
Webseite (freiwillig)
https://example.com
Vorschau
Bearbeiten
Absenden
Bei Antworten per E-Mail benachrichtigen
Noch keine Kommentare
Atom-Feed
Antworten
Bearbeiten
Speichern
Löschen
Wirklich löschen?
Schließen
Abbrechen
Kommentar wurde gelöscht.
Kommentar wartet auf Freischaltung.
Anonym
{{ n }} ausgeblendet
Autor
gerade eben
vor einer Minute|vor {{ n }} Minuten
vor einer Stunde|vor {{ n }} Stunden
gestern|vor {{ n }} Tagen
letzte Woche|vor {{ n }} Wochen
letzten Monat|vor {{ n }} Monaten
letztes Jahr|vor {{ n }} Jahren
Positiv bewerten
Negativ bewerten
Speichern fehlgeschlagen.`;

  // client/i18n/en.js
  var n3 = "One Comment|{{ n }} Comments";
  var t3 = `Type Comment Here (at least 3 chars)
Name (optional)
John Doe
E-mail (optional)
johndoe@example.com
Website (optional)
https://example.com
Preview
Edit
Submit
Subscribe to email notification of replies
No Comments Yet
Atom feed
Reply
Edit
Save
Delete
Confirm
Close
Cancel
Comment deleted.
Comment in queue for moderation.
Anonymous
{{ n }} Hidden
Author
right now
a minute ago|{{ n }} minutes ago
an hour ago|{{ n }} hours ago
Yesterday|{{ n }} days ago
last week|{{ n }} weeks ago
last month|{{ n }} months ago
last year|{{ n }} years ago
Upvote
Downvote
Could not save the comment.`;

  // client/i18n/es.js
  var n4 = "Un comentario|{{ n }} comentarios";
  var t4 = `Escribe tu comentario (mínimo 3 caracteres)
Nombre (opcional)
Ana García
Correo electrónico (opcional)
ana@example.com
Sitio web (opcional)
https://example.com
Vista previa
Editar
Enviar
Avisarme por correo cuando haya respuestas
Todavía no hay comentarios
Feed Atom
Responder
Editar
Guardar
Borrar
Confirmar
Cerrar
Cancelar
Comentario borrado.
Comentario pendiente de moderación.
Anónimo
{{ n }} oculto|{{ n }} ocultos
Autor
ahora mismo
hace un minuto|hace {{ n }} minutos
hace una hora|hace {{ n }} horas
ayer|hace {{ n }} días
la semana pasada|hace {{ n }} semanas
el mes pasado|hace {{ n }} meses
el año pasado|hace {{ n }} años
Votar a favor
Votar en contra
No se pudo guardar.`;

  // client/i18n/fr.js
  var n5 = "{{ n }} commentaire|{{ n }} commentaires";
  var t5 = `Écrivez votre commentaire (3 caractères minimum)
Nom (facultatif)
Camille Martin
Courriel (facultatif)
camille@example.com
Site web (facultatif)
https://example.com
Aperçu
Modifier
Envoyer
Me prévenir par courriel des réponses
Aucun commentaire pour l’instant
Flux Atom
Répondre
Modifier
Enregistrer
Supprimer
Confirmer
Fermer
Annuler
Commentaire supprimé.
Commentaire en attente de modération.
Anonyme
{{ n }} masqué|{{ n }} masqués
Auteur
à l’instant
il y a une minute|il y a {{ n }} minutes
il y a une heure|il y a {{ n }} heures
hier|il y a {{ n }} jours
la semaine dernière|il y a {{ n }} semaines
le mois dernier|il y a {{ n }} mois
l’an dernier|il y a {{ n }} ans
Voter pour
Voter contre
Échec de l’enregistrement.`;

  // client/i18n/it.js
  var n6 = "Un commento|{{ n }} commenti";
  var t6 = `Scrivi qui il tuo commento (almeno 3 caratteri)
Nome (facoltativo)
Mario Bianchi
E-mail (facoltativa)
mario@example.com
Sito web (facoltativo)
https://example.com
Anteprima
Modifica
Invia
Avvisami via e-mail quando qualcuno risponde
Ancora nessun commento
Feed Atom
Rispondi
Modifica
Salva
Elimina
Conferma
Chiudi
Annulla
Commento eliminato.
Commento in attesa di moderazione.
Anonimo
{{ n }} nascosto|{{ n }} nascosti
Autore
proprio ora
un minuto fa|{{ n }} minuti fa
un’ora fa|{{ n }} ore fa
ieri|{{ n }} giorni fa
la settimana scorsa|{{ n }} settimane fa
il mese scorso|{{ n }} mesi fa
l’anno scorso|{{ n }} anni fa
Vota a favore
Vota contro
Salvataggio non riuscito.`;

  // client/i18n/nl.js
  var n7 = "Eén reactie|{{ n }} reacties";
  var t7 = `Schrijf hier je reactie (minstens 3 tekens)
Naam (niet verplicht)
Jan Jansen
E-mail (niet verplicht)
jan@example.com
Website (niet verplicht)
https://example.com
Voorbeeld
Bewerken
Versturen
Stuur me een e-mail bij antwoorden
Nog geen reacties
Atom-feed
Antwoorden
Bewerken
Opslaan
Verwijderen
Bevestigen
Sluiten
Annuleren
Reactie verwijderd.
Reactie wacht op goedkeuring.
Anoniem
{{ n }} verborgen
Auteur
zojuist
een minuut geleden|{{ n }} minuten geleden
een uur geleden|{{ n }} uur geleden
gisteren|{{ n }} dagen geleden
vorige week|{{ n }} weken geleden
vorige maand|{{ n }} maanden geleden
vorig jaar|{{ n }} jaar geleden
Stem omhoog
Stem omlaag
Opslaan mislukt.`;

  // client/i18n/pl.js
  var n8 = "Jeden komentarz|{{ n }} komentarze|{{ n }} komentarzy";
  var t8 = `Napisz komentarz (co najmniej 3 znaki)
Imię (opcjonalnie)
Jan Kowalski
E-mail (opcjonalnie)
jan@example.com
Strona WWW (opcjonalnie)
https://example.com
Podgląd
Edytuj
Wyślij
Powiadamiaj mnie e-mailem o odpowiedziach
Brak komentarzy
Kanał Atom
Odpowiedz
Edytuj
Zapisz
Usuń
Potwierdź
Zamknij
Anuluj
Komentarz usunięty.
Komentarz czeka na moderację.
Anonim
{{ n }} ukryty|{{ n }} ukryte|{{ n }} ukrytych
Autor
przed chwilą
minutę temu|{{ n }} minuty temu|{{ n }} minut temu
godzinę temu|{{ n }} godziny temu|{{ n }} godzin temu
wczoraj|{{ n }} dni temu|{{ n }} dni temu
w zeszłym tygodniu|{{ n }} tygodnie temu|{{ n }} tygodni temu
w zeszłym miesiącu|{{ n }} miesiące temu|{{ n }} miesięcy temu
w zeszłym roku|{{ n }} lata temu|{{ n }} lat temu
Głosuj za
Głosuj przeciw
Nie udało się zapisać.`;

  // client/i18n/pt_BR.js
  var n9 = "Um comentário|{{ n }} comentários";
  var t9 = `Escreva seu comentário (no mínimo 3 caracteres)
Nome (opcional)
João da Silva
E-mail (opcional)
joao@example.com
Site (opcional)
https://example.com
Pré-visualizar
Editar
Enviar
Avise-me por e-mail quando houver respostas
Ainda não há comentários
Feed Atom
Responder
Editar
Salvar
Excluir
Confirmar
Fechar
Cancelar
Comentário excluído.
Comentário aguardando moderação.
Anônimo
{{ n }} oculto|{{ n }} ocultos
Autor
agora mesmo
há um minuto|há {{ n }} minutos
há uma hora|há {{ n }} horas
ontem|há {{ n }} dias
semana passada|há {{ n }} semanas
mês passado|há {{ n }} meses
ano passado|há {{ n }} anos
Votar a favor
Votar contra
Não foi possível salvar.`;

  // client/i18n/ru.js
  var n10 = "{{ n }} комментарий|{{ n }} комментария|{{ n }} комментариев";
  var t10 = `Напишите комментарий (не менее 3 символов)
Имя (необязательно)
Иван Петров
Эл. почта (необязательно)
ivan@example.com
Сайт (необязательно)
https://example.com
Предпросмотр
Редактировать
Отправить
Сообщать об ответах по эл. почте
Комментариев пока нет
Atom-лента
Ответить
Изменить
Сохранить
Удалить
Точно удалить?
Закрыть
Отмена
Комментарий удалён.
Комментарий ждёт проверки модератором.
Аноним
Скрыто: {{ n }}
Автор
только что
{{ n }} минуту назад|{{ n }} минуты назад|{{ n }} минут назад
{{ n }} час назад|{{ n }} часа назад|{{ n }} часов назад
вчера|{{ n }} дня назад|{{ n }} дней назад
на прошлой неделе|{{ n }} недели назад|{{ n }} недель назад
в прошлом месяце|{{ n }} месяца назад|{{ n }} месяцев назад
{{ n }} год назад|{{ n }} года назад|{{ n }} лет назад
Голосовать за
Голосовать против
Не удалось сохранить.`;

  // client/i18n/sv.js
  var n11 = "En kommentar|{{ n }} kommentarer";
  var t11 = `Skriv din kommentar här (minst 3 tecken)
Namn (frivilligt)
Anna Andersson
E-post (frivilligt)
anna@example.com
Webbplats (frivilligt)
https://example.com
Förhandsgranska
Redigera
Skicka
Meddela mig via e-post när någon svarar
Inga kommentarer än
Atom-flöde
Svara
Redigera
Spara
Radera
Bekräfta
Stäng
Avbryt
Kommentaren har raderats.
Kommentaren väntar på granskning.
Anonym
{{ n }} dold|{{ n }} dolda
Författare
just nu
för en minut sedan|för {{ n }} minuter sedan
för en timme sedan|för {{ n }} timmar sedan
i går|för {{ n }} dagar sedan
förra veckan|för {{ n }} veckor sedan
förra månaden|för {{ n }} månader sedan
förra året|för {{ n }} år sedan
Rösta upp
Rösta ned
Det gick inte att spara.`;

  // client/i18n/uk.js
  var n12 = "{{ n }} коментар|{{ n }} коментарі|{{ n }} коментарів";
  var t12 = `Напишіть коментар (щонайменше 3 символи)
Ім’я (необов’язково)
Олена Коваль
Ел. пошта (необов’язково)
olena@example.com
Вебсайт (необов’язково)
https://example.com
Попередній перегляд
Редагувати
Надіслати
Повідомляти про відповіді електронною поштою
Коментарів ще немає
Atom-стрічка
Відповісти
Змінити
Зберегти
Видалити
Точно видалити?
Закрити
Скасувати
Коментар видалено.
Коментар очікує на модерацію.
Анонім
Приховано: {{ n }}
Автор
щойно
{{ n }} хвилину тому|{{ n }} хвилини тому|{{ n }} хвилин тому
{{ n }} годину тому|{{ n }} години тому|{{ n }} годин тому
учора|{{ n }} дні тому|{{ n }} днів тому
минулого тижня|{{ n }} тижні тому|{{ n }} тижнів тому
минулого місяця|{{ n }} місяці тому|{{ n }} місяців тому
{{ n }} рік тому|{{ n }} роки тому|{{ n }} років тому
Голосувати за
Голосувати проти
Не вдалося зберегти.`;

  // client/i18n/langs.js
  var pt = { n: n9, t: t9 };
  var LANGS = {
    cs: { n, t },
    de: { n: n2, t: t2 },
    en: { n: n3, t: t3 },
    es: { n: n4, t: t4 },
    fr: { n: n5, t: t5 },
    it: { n: n6, t: t6 },
    nl: { n: n7, t: t7 },
    pl: { n: n8, t: t8 },
    ru: { n: n10, t: t10 },
    sv: { n: n11, t: t11 },
    uk: { n: n12, t: t12 },
    pt,
    "pt-BR": pt
  };

  // client/i18n/index.js
  var catalogue = {};
  for (const code in LANGS) {
    const mod = LANGS[code];
    let lines;
    catalogue[code] = (id) => {
      if (id == "num-comments") return mod.n.replace(/\|/g, "\n");
      lines || (lines = mod.t.split("\n"));
      const m = lines[IDS.indexOf(id)];
      return m && m.replace(/\|/g, "\n");
    };
  }

  // client/embed.js
  var DEFAULTS = {
    css: true,
    "css-url": null,
    lang: null,
    "default-lang": "en",
    "reply-to-self": false,
    "require-email": false,
    "require-author": false,
    "reply-notifications": false,
    "reply-notifications-default-enabled": false,
    "max-comments-top": "inf",
    "max-comments-nested": 5,
    "reveal-on-click": 5,
    sorting: "oldest",
    gravatar: false,
    avatar: true,
    "avatar-bg": "#f0f0f0",
    "avatar-fg": "#9abf88 #5698c4 #e279a3 #9163b6 #be5168 #f19670 #e4bf80 #447c69",
    vote: true,
    "vote-levels": null,
    feed: false,
    "page-author-hashes": ""
  };
  var attrs = readAttrs();
  var config = { ...DEFAULTS, ...attrs };
  config["avatar-fg"] = String(config["avatar-fg"]).split(" ");
  config["page-author-hashes"] = String(config["page-author-hashes"]).split(/[\s,]+/);
  var { lang, t: t13, p, ago } = setup(attrs, catalogue);
  Object.assign(S, { config, lang, t: t13, p, ago });
  var configured = null;
  var listening = false;
  function markTarget(scroll) {
    if (!/^#isso-\d+$/.test(location.hash)) return;
    const el = document.getElementById(location.hash.slice(1));
    const wrapper = el && $(":scope > .isso-text-wrapper", el);
    if (!wrapper) return;
    const old = $(".isso-target");
    if (old) old.classList.remove("isso-target");
    if (scroll) el.scrollIntoView();
    wrapper.classList.add("isso-target");
  }
  function init() {
    counter(p);
    const thread = $("#isso-thread");
    if (!thread) {
      configured = null;
      return console.log("abort, #isso-thread is missing");
    }
    if (config.css && !$("#isso-style")) {
      document.head.append(
        h("link", { id: "isso-style", rel: "stylesheet", type: "text/css", href: config["css-url"] || endpoint + "/css/isso.css" })
      );
    }
    configured = getConfig().then((rv) => {
      for (const key in rv.config) {
        const local = config[key];
        if (key in attrs && local != DEFAULTS[key] && local != rv.config[key]) {
          console.log("isso: data-isso-%s=%s overridden by the server: %s", key, local, rv.config[key]);
        }
        config[key] = rv.config[key];
      }
      if (config.feed && !$(".isso-feedlink")) {
        thread.append(h("span", { class: "isso-feedlink" }, h("a", { href: feedUrl(S.uri()) }, t13("atom-feed"))));
      }
      if (!$("h4.isso-thread-heading")) thread.append(h("h4", { class: "isso-thread-heading" }));
      if (!$(".isso-postbox")) thread.append(postbox(null));
      if (!$("#isso-root")) thread.append(h("div", { id: "isso-root" }));
      announce("");
    });
    configured.catch(console.log);
    if (!listening) {
      listening = true;
      window.addEventListener("hashchange", () => markTarget(false));
    }
  }
  function fetchComments() {
    if (!configured) return Promise.resolve();
    return configured.then(() => {
      const root = $("#isso-root");
      const heading = $("h4.isso-thread-heading");
      root.textContent = "";
      return fetchThread({
        uri: S.uri(),
        sort: config.sorting,
        parent: null,
        offset: 0,
        limit: config["max-comments-top"],
        nested: config["max-comments-nested"]
      }).then((rv) => {
        if (rv.total_replies === 0) {
          heading.textContent = t13("no-comments");
          return;
        }
        rv.replies.forEach((c) => insert(c));
        heading.textContent = p("num-comments", rv.total_replies);
        if (rv.hidden_replies > 0) loader(null, rv.hidden_replies, rv.replies.length);
        markTarget(true);
      });
    }).catch(console.log);
  }
  ready(() => {
    init();
    fetchComments();
  });
  window.Isso = { init, fetchComments };
})();
//# sourceMappingURL=embed.dev.js.map
