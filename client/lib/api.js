// Endpoint discovery and the HTTP calls of the client (XMLHttpRequest).

const scripts = document.getElementsByTagName("script");

function discover() {
  // 1. the first <script data-isso="..."> names the endpoint
  for (const s of scripts) {
    if (s.hasAttribute("data-isso")) {
      const value = s.getAttribute("data-isso");
      if (value) return value;
      break;
    }
  }
  // 2./3. otherwise derive it from the URL of this very script. Isso takes the
  // last <script> of the document, which is only right for synchronous
  // scripts; document.currentScript is right for async/defer ones too.
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

export const endpoint = discover().replace(/\/$/, "");

// server clock offsets (local - server, ms) seen in Date headers
const skews = [];

/** Current time as the server sees it. */
export const serverNow = () =>
  new Date(Date.now() - (skews.length ? skews.reduce((a, b) => a + b) / skews.length : 0));

/**
 * Sends a request; resolves with [status, parsed body, header(name)] for any
 * status below 500, rejects otherwise (or on network errors) with an Error
 * whose `status` is the HTTP status (0: no answer, e.g. a network error).
 */
function request(method, path, data) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, endpoint + path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.onload = () => {
      // getAllResponseHeaders() only lists readable headers, so unlike
      // getResponseHeader() it does not log "unsafe header" errors.
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
        // HTML error pages stay text
      }
      resolve([xhr.status, body, header]);
    };
    xhr.onerror = () => reject(failed(method, path, 0));
    xhr.send(data === undefined ? null : JSON.stringify(data));
  });
}

const failed = (method, path, status, refusal) =>
  Object.assign(new Error(method + " " + path + ": HTTP " + status), { status, refusal });

/**
 * Resolves with the body when the status is one of `ok`, rejects otherwise
 * (see request; `refusal` is the X-Isso-Refusal header of a 403).
 */
const expect = (ok, method, path, data) =>
  request(method, path, data).then(([status, body, header]) =>
    ok.includes(status) ? body : Promise.reject(failed(method, path, status, header("x-isso-refusal"))));

/** key=encodeURIComponent(value) pairs joined by "&"; null/undefined are left out. */
const query = (params) =>
  Object.keys(params)
    .filter((k) => params[k] != null)
    .map((k) => k + "=" + encodeURIComponent(params[k]))
    .join("&");

const inf = (v) => (v === "inf" ? null : v);

export const getConfig = () => expect([200], "GET", "/config");

export const fetchThread = ({ uri, sort, parent, offset, limit, nested }) =>
  expect([200], "GET", "/?" + query({ uri, sort, parent, offset, limit: inf(limit), nested_limit: inf(nested) }));

export const create = (uri, data) => expect([201, 202], "POST", "/new?" + query({ uri }), data);

export const modify = (id, text) => expect([200], "PUT", "/id/" + id, { text });

/** Resolves true when the comment was removed, false when it was soft-deleted. */
export const remove = (id) => expect([200], "DELETE", "/id/" + id).then((body) => body === null);

export const view = (id) => request("GET", "/id/" + id + "?plain=1").then(([, body]) => body);

export const vote = (id, up) => request("POST", "/id/" + id + (up ? "/like" : "/dislike")).then(([, body]) => body);

export const count = (uris) => expect([200], "POST", "/count", uris);

export const preview = (text) => expect([200], "POST", "/preview", { text }).then((body) => body.text);

export const feedUrl = (uri) => endpoint + "/feed?" + query({ uri });
