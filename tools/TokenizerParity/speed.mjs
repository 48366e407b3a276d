// Encode speed of Hugging Face's Rust tokenizers on the inputs of Bench/Transformer.Bench's TokenizerBenchmarks:
// the TinyStories excerpt repeated 100 times (~3 MB, one call) and the stress corpus (one call per string, in one
// encodeBatch so the per-call cost of crossing into Rust is not counted; TOKENIZERS_PARALLELISM=false keeps it on
// one thread, as the engine's loop is). No special tokens. Prints the median of the runs per tokenizer.
//   TOKENIZERS_PARALLELISM=false node speed.mjs EXCERPT.txt NAME=tokenizer.json ...
import { Tokenizer } from '@anush008/tokenizers';
import { readFileSync } from 'node:fs';
import { buildCorpus } from './corpus.mjs';

const [excerpt, ...specs] = process.argv.slice(2);
const text = readFileSync(excerpt, 'utf8').repeat(100);
const corpus = buildCorpus();
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(runs, body) {
  await body(); // warm-up
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await body();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(ms);
}

for (const spec of specs) {
  const [name, path] = spec.split('=');
  const tokenizer = Tokenizer.fromFile(path);
  let ids = 0;
  const large = await time(5, async () => { ids = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds().length; });
  const batch = await time(5, async () => { await tokenizer.encodeBatch(corpus, { addSpecialTokens: false }); });
  console.log(`${name}: large text ${(text.length / 1e6).toFixed(2)} M chars, ${ids} ids: ${large.toFixed(1)} ms (${(text.length / 1e3 / large).toFixed(2)} MB/s); corpus ${corpus.length} strings: ${batch.toFixed(1)} ms`);
}
