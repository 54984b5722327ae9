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
