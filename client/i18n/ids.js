// Order of the messages in every catalogue file of this folder: line i of a
// catalogue's `t` text is the translation of IDS[i]. "num-comments" is kept
// apart (export `n`) because count.js needs nothing else.
// In catalogue files, plural variants are separated by "|" (turned into the
// "\n" separator of the data-isso-*-text-* overrides when loaded).
export const IDS = [
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
  "postbox-error",
];

// The messages of export `e`: why a post failed (issue 14). They are shown
// only after a failed POST /new, so they stay out of embed.min.js (its
// budget is 12 KiB gzipped): the build writes them to js/i18n/<lang>.json,
// which the client fetches then. "postbox-error" (above) is the fallback.
export const FEEDBACK_IDS = [
  "postbox-error-later", // X-Isso-Refusal: ratelimit, direct-reply, reply-to-self
  "postbox-error-refused", // rule, honeypot
  "postbox-error-email", // require-email
  "postbox-error-author", // require-author
  "postbox-error-busy", // no answer, or 502/503/504
  "postbox-error-denied", // 403 without X-Isso-Refusal (an older server)
];
