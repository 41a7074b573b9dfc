// Builds dist/clickstream.min.js (a script tag exposing window.clickstream) and dist/clickstream.esm.js, and
// reports the snippet's minified + gzipped size, failing the build above the 4 KB budget.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 4096;
// Private members are spelled _name in the source so they can be shortened here.
const common = { bundle: true, minify: true, target: "es2020", legalComments: "none", mangleProps: /^_/ };
await build({ ...common, entryPoints: ["src/browser.ts"], format: "iife", outfile: "dist/clickstream.min.js" });
await build({ ...common, entryPoints: ["src/index.ts"], format: "esm", outfile: "dist/clickstream.esm.js" });

const min = readFileSync("dist/clickstream.min.js");
const gz = gzipSync(min, { level: 9 }).length;
console.log(`dist/clickstream.min.js: ${min.length} B minified, ${gz} B minified+gzipped (budget ${BUDGET} B)`);
if (gz > BUDGET) {
  console.error(`clickstream.min.js is over its ${BUDGET} B gzipped budget`);
  process.exit(1);
}
