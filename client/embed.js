// isso-tx embed client: comment counters, thread and postbox.
// <script data-isso="https://comments.example/" src="https://comments.example/js/embed.min.js"></script>
// <section id="isso-thread"></section>
import * as api from "./lib/api.js";
import { readAttrs } from "./lib/attrs.js";
import { counter } from "./lib/counter.js";
import { $, h } from "./lib/dom.js";
import { setup } from "./lib/i18n.js";
import { ready } from "./lib/ready.js";
import { S, announce, insert, loader, postbox } from "./lib/widget.js";
import { catalogue } from "./i18n/index.js";

const DEFAULTS = {
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
  "page-author-hashes": "",
};

const attrs = readAttrs();
const config = { ...DEFAULTS, ...attrs };
config["avatar-fg"] = String(config["avatar-fg"]).split(" ");
config["page-author-hashes"] = String(config["page-author-hashes"]).split(/[\s,]+/);
const { lang, t, p, ago } = setup(attrs, catalogue);
Object.assign(S, { config, lang, t, p, ago });

let configured = null; // promise: /config loaded and the skeleton is in place
let listening = false;

/** Adds .isso-target to the comment named by location.hash (#isso-<id>). */
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
      h("link", { id: "isso-style", rel: "stylesheet", type: "text/css", href: config["css-url"] || api.endpoint + "/css/isso.css" })
    );
  }
  configured = api.getConfig().then((rv) => {
    for (const key in rv.config) {
      const local = config[key];
      if (key in attrs && local != DEFAULTS[key] && local != rv.config[key]) {
        console.log("isso: data-isso-%s=%s overridden by the server: %s", key, local, rv.config[key]);
      }
      config[key] = rv.config[key];
    }
    if (config.feed && !$(".isso-feedlink")) {
      thread.append(h("span", { class: "isso-feedlink" }, h("a", { href: api.feedUrl(S.uri()) }, t("atom-feed"))));
    }
    if (!$("h4.isso-thread-heading")) thread.append(h("h4", { class: "isso-thread-heading" }));
    if (!$(".isso-postbox")) thread.append(postbox(null));
    if (!$("#isso-root")) thread.append(h("div", { id: "isso-root" }));
    announce(""); // creates the live region early, so later messages are read out
  });
  configured.catch(console.log);
  if (!listening) {
    listening = true;
    window.addEventListener("hashchange", () => markTarget(false));
  }
}

function fetchComments() {
  if (!configured) return Promise.resolve();
  return configured
    .then(() => {
      const root = $("#isso-root");
      const heading = $("h4.isso-thread-heading");
      root.textContent = "";
      return api
        .fetchThread({
          uri: S.uri(),
          sort: config.sorting,
          parent: null,
          offset: 0,
          limit: config["max-comments-top"],
          nested: config["max-comments-nested"],
        })
        .then((rv) => {
          if (rv.total_replies === 0) {
            heading.textContent = t("no-comments");
            return;
          }
          rv.replies.forEach((c) => insert(c));
          heading.textContent = p("num-comments", rv.total_replies);
          if (rv.hidden_replies > 0) loader(null, rv.hidden_replies, rv.replies.length);
          markTarget(true);
        });
    })
    .catch(console.log);
}

ready(() => {
  init();
  fetchComments();
});

window.Isso = { init, fetchComments };
