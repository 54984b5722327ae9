// Identicons drawn from the comment's hash (spec client.md §6.1): a 5x5
// grid, mirrored left/right, in one of the configured colours.
import { svg } from "./dom.js";

export function identicon(hash, bg, colours) {
  const el = svg("svg", {
    viewBox: "0 0 48 48",
    "shape-rendering": "crispEdges",
    "aria-hidden": "true",
  });
  const square = (x, y, size, fill) => el.append(svg("rect", { x, y, width: size, height: size, fill }));
  square(0, 0, 56, bg);
  if (!hash) return el;
  el.setAttribute("data-hash", hash);
  // Same arithmetic as Isso (a JS number), so avatars look the same there and here.
  const bits = ((parseInt(hash.slice(-16), 16) % 262144) || 0).toString(2).padStart(18, "0");
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
