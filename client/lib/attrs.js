// Collects every data-isso-<key> attribute of every <script> element
// (document order, later ones win). Keys: "_" -> "-", lower case. Values: a
// literal "\n" becomes a newline, then JSON is tried, else the raw string.
export function readAttrs() {
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
