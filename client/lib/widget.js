// The comment thread: comment elements, "N Hidden" loaders and postboxes.
// Markup (ids, classes, nesting) follows spec/client.md §6 so that CSS
// written for Isso keeps working.
import * as api from "./api.js";
import { $, action, focus, h, svg, unescape } from "./dom.js";
import { identicon } from "./identicon.js";

/** Shared state, filled in by embed.js before anything is rendered. */
export const S = {
  config: {},
  lang: "en",
  t: (id) => id,
  p: (id, n) => id + n,
  ago: () => "",
  /** thread key: data-isso-id of #isso-thread, else the page path */
  uri: () => ($("#isso-thread") || document.documentElement).getAttribute("data-isso-id") || location.pathname,
};

// ---------------------------------------------------------------- timers

const clocks = []; // [time element, Date]
const owners = []; // functions: return true when their job is over

const tick = ([el, date]) => (el.textContent = S.ago(api.serverNow(), date));

let timersStarted = false;
function startTimers() {
  if (timersStarted) return;
  timersStarted = true;
  // relative times every minute, own-comment cookies every 15 s
  setInterval(() => prune(clocks, (c) => !c[0].isConnected || (tick(c), false)), 60000);
  setInterval(checkOwn, 15000);
}

/** Removes (in place) the entries for which `done` returns true. */
function prune(list, done) {
  for (let i = list.length; i--; ) if (done(list[i])) list.splice(i, 1);
}

export const checkOwn = () => prune(owners, (f) => f());

/** Value of the page cookie "isso-<id>" (set from X-Set-Cookie) or "". */
const ownCookie = (id) => (new RegExp("(?:^|; )isso-" + id + "=([^;]*)").exec(document.cookie) || [])[1];

// ---------------------------------------------------------------- live region

// visually hidden even without our stylesheet (CSSOM, so CSP-friendly)
const HIDDEN = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";

/** Announces a message to screen readers (and keeps it in a hidden status element). */
export function announce(msg) {
  const thread = $("#isso-thread");
  if (!thread) return;
  let live = $(".isso-status", thread);
  if (!live) {
    live = h("div", { class: "isso-status", role: "status", "aria-live": "polite" });
    live.style.cssText = HIDDEN;
    thread.append(live);
  }
  live.textContent = "";
  // a fresh text node after a tick makes repeated messages audible
  setTimeout(() => (live.textContent = msg), 50);
}

// ---------------------------------------------------------------- pieces

const spacer = (text) => h("span", { class: "isso-spacer", "aria-hidden": "true" }, text);

const chevron = (up) => {
  const el = svg("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true" });
  el.append(svg("path", { d: up ? "M3.5 10.5 8 6l4.5 4.5" : "M3.5 5.5 8 10l4.5-4.5", fill: "none", stroke: "currentColor", "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round" }));
  return el;
};

/** Only http(s) links are made clickable; anything else gets "http://". */
const safeUrl = (url) => (/^https?:\/\//i.test(url) ? url : "http://" + url);

const isoDate = (d) => d.toISOString().slice(0, 19) + "Z";

/** Fills .isso-text with the server's sanitised HTML (or a blank for mode 4). */
function showText(el, comment) {
  if (comment.mode == 4) el.replaceChildren(h("p", null, "\u00a0"));
  else el.innerHTML = comment.text; // sanitised by the server (the only innerHTML)
}

const container = (parent) => (parent == null ? null : $("#isso-" + parent + " > .isso-follow-up")) || $("#isso-root");

// ---------------------------------------------------------------- comment

/**
 * Renders `comment` (and its embedded replies) and appends it to #isso-root
 * or to its parent's .isso-follow-up. Returns the .isso-comment element.
 */
export function insert(comment, scroll) {
  const { config: C, t } = S;
  const id = comment.id;
  const date = new Date(parseInt(comment.created, 10) * 1000);
  const pageAuthor = C["page-author-hashes"].includes(comment.hash);

  const el = h("div", {
    class: "isso-comment" + (pageAuthor ? " isso-is-page-author" : ""),
    id: "isso-" + id,
    "data-hash": comment.hash,
  });
  const avatars = [];
  if (C.gravatar) avatars.push(h("div", { class: "isso-avatar" }, h("img", { src: comment.gravatar_image, alt: "", loading: "lazy" })));
  if (C.avatar) avatars.push(h("div", { class: "isso-avatar" }, identicon(comment.hash, C["avatar-bg"], C["avatar-fg"])));

  // header: author • [Author •] time  note
  const name = comment.author ? unescape(comment.author) : t("comment-anonymous");
  const time = h("time", { title: date.toString(), datetime: isoDate(date) });
  const clock = [time, date];
  tick(clock);
  clocks.push(clock);
  const note = h("span", { class: "isso-note" }, comment.mode == 2 ? t("comment-queued") : comment.mode == 4 ? t("comment-deleted") : "");
  const header = h(
    "div",
    { class: "isso-comment-header" },
    comment.website
      ? h("a", { class: "isso-author", href: safeUrl(unescape(comment.website)), rel: "nofollow" }, name)
      : h("span", { class: "isso-author" }, name),
    pageAuthor && spacer("•"),
    pageAuthor && h("span", { class: "isso-page-author-suffix" }, t("comment-page-author-suffix")),
    spacer("•"),
    h("a", { class: "isso-permalink", href: "#isso-" + id }, time),
    note
  );

  const text = h("div", { class: "isso-text" });
  showText(text, comment);
  const footer = h("div", { class: "isso-comment-footer" });
  el.append(...avatars, h("div", { class: "isso-text-wrapper" }, header, text, footer), h("div", { class: "isso-follow-up" }));

  // votes
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
          found ||= here;
          el.classList.toggle("isso-vote-level-" + i, here);
        }
      }
    };
    const vote = (up) =>
      api.vote(id, up).then((rv) => {
        if (!rv) return;
        setScore(rv.likes - rv.dislikes);
        if (rv.message) console.log(rv.message);
      }, console.log);
    footer.append(
      score,
      action("isso-upvote", chevron(true), () => vote(true), { "aria-label": t("comment-upvote") }),
      spacer("|"),
      action("isso-downvote", chevron(false), () => vote(false), { "aria-label": t("comment-downvote") })
    );
    setScore(comment.likes - comment.dislikes);
  }

  // reply: toggles a postbox below the footer
  let box = null;
  const toggleReply = (open, refocus) => {
    if (open) {
      // replies to replies go to the top-level comment (the server flattens too)
      box = postbox(comment.parent == null ? id : comment.parent, () => toggleReply(false));
      footer.after(box);
      $(".isso-textarea", box).focus();
    } else if (box) {
      box.remove();
      box = null;
      if (refocus) reply.focus();
    }
    reply.textContent = t(open ? "comment-close" : "comment-reply");
    reply.setAttribute("aria-expanded", !!open);
  };
  const reply = action("isso-reply", t("comment-reply"), () => toggleReply(!box, true), { "aria-expanded": "false" });
  footer.append(reply);

  // own comment (page cookie isso-<id> present): edit and delete
  if (ownCookie(id)) {
    let editing = null; // {cancel, area}
    const edit = action("isso-edit", t("comment-edit"), () => (editing ? stopEditing(true) : startEditing()));

    const startEditing = () => {
      const cancel = action("isso-cancel", t("comment-cancel"), () => stopEditing(false));
      editing = { cancel };
      edit.textContent = t("comment-save");
      edit.after(cancel);
      avatars.forEach((a) => (a.style.display = "none"));
      api.view(id).then((rv) => {
        if (!editing || editing.cancel != cancel) return;
        const area = h("textarea", {
          class: "isso-textarea",
          rows: 5,
          minlength: 3,
          maxlength: 65535,
          "aria-label": t("postbox-text"),
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
      avatars.forEach((a) => (a.style.display = ""));
      edit.textContent = t("comment-edit");
      edit.focus();
    };

    const stopEditing = (save) => {
      const area = editing.area;
      if (!save || !area) return finish();
      if (area.value.length < 3) return area.focus();
      edit.setAttribute("aria-disabled", "true");
      api.modify(id, area.value).then(
        (rv) => {
          edit.removeAttribute("aria-disabled");
          comment.text = rv.text;
          // a spam rule or the link limit may send the edit to moderation
          if (rv.mode == 2) announce((note.textContent = t("comment-queued")));
          finish();
        },
        (err) => {
          edit.removeAttribute("aria-disabled");
          console.log(err);
          announce(t("postbox-error"));
          area.focus();
        }
      );
    };

    // delete: the first activation asks for confirmation
    let armed = false;
    const disarm = () => {
      armed = false;
      del.textContent = t("comment-delete");
    };
    const del = action("isso-delete", t("comment-delete"), () => {
      if (!armed) {
        armed = true;
        del.textContent = t("comment-confirm");
        return;
      }
      disarm();
      api.remove(id).then((removed) => {
        announce(t("comment-deleted"));
        if (removed) {
          const next = el.nextElementSibling || el.previousElementSibling || el.parentElement.closest(".isso-comment");
          el.remove();
          const heading = $(".isso-thread-heading");
          if (next && next.matches(".isso-comment")) focus(next);
          else if (heading) focus(heading);
        } else {
          note.textContent = t("comment-deleted");
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
    // no replies to oneself while the edit window is open, unless configured
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

// ---------------------------------------------------------------- loader

/** "N Hidden" link under `parent` (null: the root), loading from `offset`. */
export function loader(parent, hidden, offset) {
  const { config: C, p } = S;
  const el = h("div", { class: "isso-comment-loader", id: "isso-loader-" + (parent == null ? "null" : parent) });
  el.append(
    action("isso-load-hidden", p("comment-hidden", hidden), () => {
      el.remove();
      api
        .fetchThread({
          uri: S.uri(),
          sort: C.sorting,
          parent,
          offset,
          limit: C["reveal-on-click"],
          nested: C["max-comments-nested"],
        })
        .then((rv) => {
          if (rv.total_replies === 0) return;
          const shown = rv.replies.map((c) => insert(c));
          if (rv.hidden_replies > 0) loader(parent, rv.hidden_replies, offset + rv.replies.length);
          // keyboard focus was on the removed link: move it to the first new comment
          if (shown[0]) focus(shown[0]);
        }, console.log);
    })
  );
  container(parent).append(el);
  return el;
}

// ---------------------------------------------------------------- postbox

// localStorage, or an in-memory stand-in where it throws (private modes)
let store;
try {
  localStorage.setItem("isso-test", "1");
  localStorage.removeItem("isso-test");
  store = localStorage;
} catch (e) {
  const mem = {};
  store = { getItem: (k) => (k in mem ? mem[k] : null), setItem: (k, v) => (mem[k] = String(v)) };
}

const remembered = (key) => {
  try {
    return JSON.parse(store.getItem("isso-" + key));
  } catch (e) {
    return null;
  }
};

let boxes = 0;

// Why a post failed, by X-Isso-Refusal (the suffix of a FEEDBACK_IDS
// message); "rule", "honeypot" and kinds unknown here are "refused".
const REFUSALS = {
  ratelimit: "later",
  "direct-reply": "later",
  "reply-to-self": "later",
  "require-email": "email",
  "require-author": "author",
};

// The FEEDBACK_IDS messages of S.lang, fetched once, when first needed: a
// simple request (no cookie, no preflight), so a copy of the client's files
// on another host (Access-Control-Allow-Origin: *) serves too.
let feedback = null;
const loadFeedback = () =>
  (feedback ||= fetch(api.endpoint + "/js/i18n/" + S.lang + ".json")
    .then((r) => r.json())
    .catch(() => (feedback = null)));

/** The :autofill state, where the browser knows it (else undefined). */
const autofilled = (input) => {
  try {
    return input.matches(":autofill");
  } catch (e) {
    // an older browser
  }
};

/**
 * A postbox for a new top-level comment (parent null) or a reply.
 * `done` is called after a successful post of a reply.
 */
export function postbox(parent, done) {
  const { config: C, t } = S;
  // the main postbox keeps the ids of the contract; reply boxes get unique
  // ones so that every label points at its own field
  const suffix = parent == null ? "" : "-" + ++boxes;

  const field = (name, type, required, autocomplete) => {
    let label = t("postbox-" + name);
    if (required) label = label.replace(/\s*[(（][^()（）]*[)）]/, "");
    const input = h("input", {
      id: "isso-postbox-" + name + suffix,
      type,
      name,
      placeholder: t("postbox-" + name + "-placeholder"),
      value: remembered(name) || null,
      autocomplete,
      "aria-required": required && "true",
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
    placeholder: t("postbox-text"),
    "aria-label": t("postbox-text"),
  });
  const previewText = h("div", { class: "isso-text" });
  const preview = h(
    "div",
    { class: "isso-preview", onclick: () => leavePreview(true) },
    h("div", { class: "isso-comment" }, h("div", { class: "isso-text-wrapper" }, previewText))
  );
  const submit = h("input", { type: "submit", value: t("postbox-submit") });
  const previewButton = h("input", { type: "button", name: "preview", value: t("postbox-preview") });
  const editButton = h("input", { type: "button", name: "edit", value: t("postbox-edit") });
  const notify = h("input", { type: "checkbox", name: "notification", checked: !!C["reply-notifications-default-enabled"] });
  const notifySection = h("div", { class: "isso-notification-section" }, h("label", null, notify, t("postbox-notification")));
  // The honeypot (issue 14): a field that people never see, reach or hear,
  // so never fill; a bot that fills every input gives itself away.
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
    h("div", { class: "isso-form-wrapper" }, h("div", { class: "isso-textarea-wrapper" }, area, preview), auth, notifySection, phone)
  );

  // the notification checkbox only makes sense with an e-mail address
  const showNotify = () => (notifySection.style.display = C["reply-notifications"] && email.value ? "" : "none");
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

  previewButton.addEventListener("click", () =>
    api.preview(area.value).then((html) => {
      previewText.innerHTML = html; // sanitised by the server
      el.classList.add("isso-preview-mode");
      editButton.focus(); // the preview button is hidden now
    }, console.log)
  );
  editButton.addEventListener("click", () => leavePreview(true));

  const validate = () => {
    for (const [bad, input] of [
      [area.value.length < 3, area],
      [C["require-email"] && !email.value, email],
      [C["require-author"] && !author.value, author],
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
      title: (thread && thread.getAttribute("data-title")) || null,
      notification: notify.checked ? 1 : 0,
    };
    // sent only when filled, and not when the browser's autofill did it
    if (phone.value && !autofilled(phone)) data.phone = phone.value;
    const attempt = ++tries;
    api.create(S.uri(), data).then(
      (comment) => {
        submit.disabled = false;
        setError(null);
        area.value = "";
        const added = insert(comment, true);
        if (comment.mode == 2) announce(t("comment-queued"));
        if (parent != null && done) done();
        focus(added);
      },
      (err) => {
        submit.disabled = false;
        console.log(err);
        // what the user typed stays; one sentence says why
        const status = err.status;
        const why =
          status == 403
            ? err.refusal
              ? REFUSALS[err.refusal] || "refused"
              : "denied"
            : !status || status > 501 // no answer; 502, 503 (with Retry-After), 504
              ? "busy"
              : "";
        if (!why) return setError(t("postbox-error"));
        loadFeedback().then((more) => attempt == tries && setError(t("postbox-error-" + why, more || {})));
      }
    );
  });

  // Ctrl/Cmd+Enter in the text area submits
  area.addEventListener("keydown", (e) => {
    if (e.key == "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit.click();
    }
  });

  return el;
}
