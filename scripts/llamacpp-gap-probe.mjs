// Measures llama.cpp's own top-1/top-2 logit gaps for a golden prompt, fed as one
// batch ("batch") or token by token ("one"), through node-llama-cpp (installed by
// ../shared/tools/llamacpp-bench/run). Used to show that llama.cpp's K-quant results
// depend on its batching path while its Q4_0 results do not (see README, Correctness).
// usage (ES modules resolve imports beside the script, so run a copy inside the cache):
//   cp scripts/llamacpp-gap-probe.mjs ~/.cache/llamacpp-bench/ &&
//   node ~/.cache/llamacpp-bench/llamacpp-gap-probe.mjs GOLDEN.json MODEL.gguf batch|one
import {getLlama} from "node-llama-cpp";
import fs from "fs";
const [goldenPath, modelPath, mode] = process.argv.slice(2);
const g = JSON.parse(fs.readFileSync(goldenPath));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const m = await llama.loadModel({modelPath, gpuLayers: 0});
const ctx = await m.createContext({contextSize: 512, threads: 2, batchSize: 512, flashAttention: false});
const seq = ctx.getSequence();
const toks = g.tokens;
let feed = toks;
if (mode === "one") {
  for (const t of toks.slice(0, -1)) await seq.evaluateWithoutGeneratingNewTokens([t]);
  feed = toks.slice(-1);
}
const out = [];
for await (const r of seq.evaluateWithMetadata(feed, {probabilities: true}, {temperature: 0})) {
  const probs = [...r.probabilities.entries()].slice(0, 3);
  out.push({token: r.token, gap: Math.log(probs[0][1] / probs[1][1])});
  if (out.length >= 3) break;
}
console.log(JSON.stringify({mode, out, golden: g.greedy.slice(0,3), golden_gap: g.greedy_gap.slice(0,3)}));
process.exit(0);
