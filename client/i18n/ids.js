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
