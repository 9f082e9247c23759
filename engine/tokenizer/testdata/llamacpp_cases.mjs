// Re-records the expected ids of llamacpp_cases.json with llama.cpp itself.
//
// usage: node llamacpp_cases.mjs /path/to/shared/fixtures [NODE_MODULES_DIR]
//
// Needs node-llama-cpp (prebuilt libllama from the npm registry), e.g. the
// copy that shared/tools/llamacpp-bench/run installs into
// ~/.cache/llamacpp-bench/node_modules. For every case it calls
// llama_tokenize(text, add_special=false, parse_special) on the case's
// vocabulary and rewrites the file, so adding a case means adding an entry
// with any ids and running this script.
import fs from "fs";
import path from "path";
import {fileURLToPath} from "url";

const [fixtures, modules = path.join(process.env.HOME, ".cache/llamacpp-bench/node_modules")] = process.argv.slice(2);
if (!fixtures) {
  console.error("usage: node llamacpp_cases.mjs FIXTURES_DIR [NODE_MODULES_DIR]");
  process.exit(2);
}
const {getLlama} = await import(path.join(modules, "node-llama-cpp/dist/index.js"));
const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, "llamacpp_cases.json");
const data = JSON.parse(fs.readFileSync(file, "utf8"));

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const models = new Map();
for (const c of data.cases) {
  if (!models.has(c.vocab)) {
    models.set(c.vocab, await llama.loadModel({modelPath: path.join(fixtures, c.vocab), vocabOnly: true}));
  }
  // _model.tokenize is llama_tokenize without node-llama-cpp's extras.
  c.ids = Array.from(models.get(c.vocab)._model.tokenize(c.text, c.parse_special));
}
const lines = data.cases.map(c => JSON.stringify(c));
fs.writeFileSync(file, `{"provenance": ${JSON.stringify(data.provenance)},\n"cases": [\n${lines.join(",\n")}\n]}\n`);
console.log(`${data.cases.length} cases recorded`);
process.exit(0);
