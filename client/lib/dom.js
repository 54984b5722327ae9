// Tiny DOM helpers. Everything is built with createElement/textContent.

/**
 * h("a", {class: "x", href: "#", onclick: fn}, "text", child, ...)
 * Attributes that are null/undefined/false are left out; "on*" keys add
 * event listeners; string children become text nodes.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const key in attrs) {
    const value = attrs[key];
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value);
  }
  el.append(...children.filter((c) => c != null && c !== false));
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const key in attrs) el.setAttribute(key, attrs[key]);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A link that behaves as a button: keeps the `a.isso-*` markup sites style,
 * adds role=button and activation with Space (Enter works natively).
 */
export const action = (cls, label, onclick, attrs) =>
  h(
    "a",
    {
      class: cls,
      href: "#",
      role: "button",
      ...attrs,
      onclick(e) {
        e.preventDefault();
        onclick(e);
      },
      onkeydown(e) {
        if (e.key == " ") {
          e.preventDefault();
          e.currentTarget.click();
        }
      },
    },
    label
  );

/** Focus an element that is not focusable by itself (tabindex=-1). */
export function focus(el) {
  if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus({ preventScroll: true });
}

/** Decodes the entities the server uses when it HTML-escapes author/website. */
export const unescape = (s) =>
  String(s).replace(/&(amp|lt|gt|quot|#x27|#39|#34);/g, (_, e) =>
    ({ amp: "&", lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'", "#34": '"' })[e]);
