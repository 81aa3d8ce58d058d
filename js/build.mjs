// Bundle src/index.js into ../kms_jupyter/static/formula_editor.js (ES module, for anywidget).
// `npm run build -- --outfile=PATH` writes elsewhere (used by the up-to-date test).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = process.argv.slice(2).find((a) => a.startsWith("--outfile="));
const outfile = arg ? path.resolve(arg.slice("--outfile=".length)) : path.join(here, "..", "kms_jupyter", "static", "formula_editor.js");

await build({
  absWorkingDir: here,
  entryPoints: ["src/index.js"],
  bundle: true,
  format: "esm",
  target: "es2020",
  platform: "browser",
  outfile,
  legalComments: "none",
  charset: "utf8",
  banner: { js: "// Built from js/src by `cd js && npm run build`; do not edit by hand." },
  logLevel: "warning",
});
console.log(`wrote ${path.relative(process.cwd(), outfile) || outfile}`);
