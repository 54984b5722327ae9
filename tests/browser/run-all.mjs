// Runs every browser scenario one after the other with the same options and
// ends with "N passed, M failed". The moderation scenario needs a server with
// moderation on: it runs only when --moderated URL / ISSO_MODERATED_URL is
// given (otherwise it is reported as skipped). The admin scenario runs only
// with ISSO_ADMIN_PASSWORD set (the panel of the moderated server, if given).
//   node tests/browser/run-all.mjs --server http://127.0.0.1:8080 [--page-origin …] [--moderated …]
//   npm run test:browser -- --server http://127.0.0.1:8080
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = process.env.ISSO_SCENARIOS ? process.env.ISSO_SCENARIOS.split(/[ ,]+/) : null;
const all = ["thread", "votes", "counter", "i18n", "keyboard", "xss", "hidden", "deeplink", "options", "demo", "moderation", "admin"];
const moderated = args.includes("--moderated") || args.some((a) => a.startsWith("--moderated=")) || !!process.env.ISSO_MODERATED_URL;

let passed = 0, failed = 0, skipped = 0;
const failures = [];
for (const name of all) {
  if (only && !only.includes(name)) continue;
  if (name == "admin" && !process.env.ISSO_ADMIN_PASSWORD) {
    console.log("admin: SKIP (ISSO_ADMIN_PASSWORD not set)");
    skipped++;
    continue;
  }
  if (name == "moderation" && !moderated) {
    console.log("moderation: SKIP (no --moderated server given)");
    skipped++;
    continue;
  }
  const r = spawnSync(process.execPath, [join(here, name + ".mjs"), ...args], { stdio: "inherit", timeout: 180000 });
  if (r.status === 0) passed++;
  else {
    failed++;
    failures.push(name);
  }
}
if (failures.length) console.log("failed scenarios: " + failures.join(", "));
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(failed ? 1 : 0);
