// Builds the embed client into isso_tx/static/ (run: npm run build).
//
//   js/embed.min.js, js/count.min.js          minified bundles
//   js/embed.dev.js, js/count.dev.js (+ .map)  readable bundles with source maps
//   css/isso.css                              default stylesheet
//   demo/index.html                           demo page
//   js/i18n/<lang>.json                       the messages of a failed post
//                                             (fetched only then)
//   *.gz                                      gzip -9 copies (no timestamp)
//
// The output depends only on the sources and the pinned esbuild version, so
// the committed files can be compared with a fresh build:
//
//   npm run build -- --out DIR   (or ISSO_TX_BUILD_OUT=DIR npm run build)
//
// writes the same files into DIR instead; the bundles are still laid out as
// if in isso_tx/static, so the source maps' relative paths do not change.
import * as esbuild from "esbuild";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "client");
const out = join(root, "isso_tx", "static");
const dest = resolve(outOption() || out);

function outOption() {
  const args = process.argv.slice(2);
  if (args.length == 0) return process.env.ISSO_TX_BUILD_OUT;
  if (args.length == 1 && args[0].startsWith("--out=")) return args[0].slice("--out=".length);
  if (args.length == 2 && args[0] == "--out") return args[1];
  throw new Error("usage: node client/build.mjs [--out DIR]");
}

const written = [];
function emit(rel, data) {
  const file = join(dest, rel);
  mkdirSync(dirname(file), { recursive: true });
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  writeFileSync(file, buf);
  // gzip header: mtime 0, no file name -> reproducible
  const gz = gzipSync(buf, { level: 9 });
  writeFileSync(file + ".gz", gz);
  written.push([rel, buf.length, gz.length]);
}

// -- sanity checks of the catalogues -------------------------------------
async function checkCatalogues() {
  const { IDS, FEEDBACK_IDS } = await import(pathToFileURL(join(src, "i18n", "ids.js")));
  const { FEEDBACK } = await import(pathToFileURL(join(src, "i18n", "feedback.js")));
  const { LANGS } = await import(pathToFileURL(join(src, "i18n", "langs.js")));
  const { pluralRule } = await import(pathToFileURL(join(src, "lib", "i18n.js")));
  const { catalogue: counts } = await import(pathToFileURL(join(src, "i18n", "counts.js")));
  const forms = (code) => Math.max(...[0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25].map(pluralRule(code))) + 1;
  const plural = new Set(["comment-hidden", "date-minute", "date-hour", "date-day", "date-week", "date-month", "date-year"]);
  const problems = [];
  for (const [code, mod] of Object.entries(LANGS)) {
    if (!pluralRule(code)) problems.push(`${code}: no plural rule`);
    const lines = mod.t.split("\n");
    if (lines.length != IDS.length) problems.push(`${code}: ${lines.length} messages, expected ${IDS.length}`);
    lines.forEach((line, i) => {
      const n = line.split("|").length;
      if (!line.trim()) problems.push(`${code}: ${IDS[i]} is empty`);
      if (n > 1 && n != forms(code)) problems.push(`${code}: ${IDS[i]} has ${n} variants, the rule has ${forms(code)}`);
      if (n > 1 && !plural.has(IDS[i])) problems.push(`${code}: ${IDS[i]} is not a plural message`);
    });
    const n = mod.n.split("|").length;
    if (n != forms(code)) problems.push(`${code}: num-comments has ${n} variants, the rule has ${forms(code)}`);
    if (!counts[code] || counts[code]("num-comments") != mod.n.replace(/\|/g, "\n")) {
      problems.push(`${code}: i18n/counts.js does not match i18n/langs.js`);
    }
  }
  for (const code in counts) if (!LANGS[code]) problems.push(`${code}: in i18n/counts.js only`);
  for (const code of new Set([...Object.keys(LANGS), ...Object.keys(FEEDBACK)])) {
    if (!LANGS[code] || !FEEDBACK[code]) problems.push(`${code}: i18n/feedback.js does not match i18n/langs.js`);
  }
  // every catalogue file, bundled or waiting in extra/: both message lists complete
  for (const dir of ["i18n", "i18n/extra"]) {
    for (const file of readdirSync(join(src, dir)).filter((f) => f.endsWith(".js"))) {
      const mod = await import(pathToFileURL(join(src, dir, file)));
      if (mod.t === undefined) continue; // not a catalogue
      for (const [name, ids] of [["t", IDS], ["e", FEEDBACK_IDS]]) {
        const lines = String(mod[name] ?? "").split("\n");
        if (lines.length != ids.length) problems.push(`${dir}/${file}: ${name} has ${lines.length} messages, expected ${ids.length}`);
      }
      String(mod.e ?? "").split("\n").forEach((line, i) => {
        if (!line.trim() || line.includes("|")) problems.push(`${dir}/${file}: ${FEEDBACK_IDS[i]} is empty or has variants`);
      });
    }
  }
  if (problems.length) throw new Error("catalogue problems:\n  " + problems.join("\n  "));
  // id -> message, for the client to fetch after a failed post
  for (const code in FEEDBACK) {
    const lines = FEEDBACK[code].split("\n");
    emit(`js/i18n/${code}.json`, JSON.stringify(Object.fromEntries(FEEDBACK_IDS.map((id, i) => [id, lines[i]]))) + "\n");
  }
  return Object.keys(LANGS);
}

// -- bundles ---------------------------------------------------------------
const common = {
  absWorkingDir: root,
  bundle: true,
  format: "iife",
  target: "es2020",
  platform: "browser",
  charset: "utf8",
  legalComments: "none",
  write: false,
  logLevel: "warning",
};

async function bundle(name) {
  const entry = join(src, name + ".js");
  const banner = { js: `/* isso-tx ${name} client, MIT licence */` };
  const min = await esbuild.build({ ...common, entryPoints: [entry], minify: true, banner, outfile: join(out, "js", name + ".min.js") });
  emit(`js/${name}.min.js`, min.outputFiles[0].contents);
  const dev = await esbuild.build({
    ...common,
    entryPoints: [entry],
    banner,
    sourcemap: "linked",
    sourcesContent: true,
    outfile: join(out, "js", name + ".dev.js"),
  });
  for (const f of dev.outputFiles) emit("js/" + relative(join(out, "js"), f.path), f.contents);
}

const langs = await checkCatalogues();
await bundle("embed");
await bundle("count");
emit("css/isso.css", readFileSync(join(src, "isso.css")));
emit("demo/index.html", readFileSync(join(src, "demo", "index.html")));

for (const [rel, size, gz] of written) console.log(`${rel.padEnd(22)} ${String(size).padStart(7)} B  gzip ${String(gz).padStart(6)} B`);
console.log(`languages: ${langs.join(" ")}`);
