// English. These defaults are part of the client contract (spec client.md §8.4).
export const n = "One Comment|{{ n }} Comments";
export const t = `Type Comment Here (at least 3 chars)
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
// Shown after a failed post, and only then fetched (js/i18n/<lang>.json):
// one message per line in the order of FEEDBACK_IDS (ids.js).
export const e = `Too many comments for now; please try again later.
This comment could not be accepted.
Please give an e-mail address.
Please give a name.
The server is busy or cannot be reached; please try again shortly.
The server did not take the comment; you may try again later.`;
