// Writes the tokenizer parity fixtures: the stress corpus once, and per tokenizer file the ids Hugging Face's
// Rust tokenizers (0.22.2, through @anush008/tokenizers) give for every string, with and without special tokens,
// and the decode of each (special tokens skipped), and for 200 pairs of strings the ids and token type ids. Usage:
//   node generate.mjs OUT_DIR NAME=path/to/tokenizer.json [NAME=...]
// Strings with lone surrogates are written as UTF-16 code unit arrays ({"u16": [...]}), which every JSON reader
// takes; a decode equal to the (well-formed) input is written as null, to keep the fixtures small.
import { Tokenizer } from '@anush008/tokenizers';
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { buildCorpus } from './corpus.mjs';

const [outDir, ...specs] = process.argv.slice(2);
if (!outDir || specs.length === 0) {
  console.error('usage: node generate.mjs OUT_DIR NAME=tokenizer.json [NAME=tokenizer.json ...]');
  process.exit(2);
}

const corpus = buildCorpus();
const wellFormed = (s) => s.isWellFormed();
const stored = corpus.map((s) => (wellFormed(s) ? s : { u16: Array.from({ length: s.length }, (_, i) => s.charCodeAt(i)) }));
mkdirSync(outDir, { recursive: true });
writeGz(join(outDir, 'corpus.json.gz'), { strings: stored });

for (const spec of specs) {
  const [name, path] = spec.split('=');
  const tokenizer = Tokenizer.fromFile(path);
  const withSpecial = [], withoutSpecial = [], decodeWith = [], decodeWithout = [];
  for (const text of corpus) {
    const a = (await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds();
    const b = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
    const expected = text.toWellFormed();
    const da = await tokenizer.decode(a, true);
    const db = await tokenizer.decode(b, true);
    withSpecial.push(a);
    withoutSpecial.push(b);
    decodeWith.push(da === expected ? null : da);
    decodeWithout.push(db === expected ? null : db);
  }
  // Pairs (each of the first 200 strings with the one after it), with their token type ids.
  const pairIds = [], pairTypeIds = [];
  for (let i = 0; i < 200; i++) {
    const pair = await tokenizer.encode(corpus[i], corpus[i + 1], { addSpecialTokens: true });
    pairIds.push(pair.getIds());
    pairTypeIds.push(pair.getTypeIds());
  }
  const file = join(outDir, `${name}.json.gz`);
  const bytes = writeGz(file, {
    tokenizer: name, reference: '@anush008/tokenizers 0.6.0 (Hugging Face tokenizers 0.22.2)', strings: corpus.length,
    ids: withSpecial, idsNoSpecial: withoutSpecial, decode: decodeWith, decodeNoSpecial: decodeWithout, pairIds, pairTypeIds,
  });
  console.log(`${name}: ${corpus.length} strings, ${withSpecial.flat().length} ids -> ${file} (${bytes} bytes)`);
}

function writeGz(file, value) {
  const data = gzipSync(Buffer.from(JSON.stringify(value)), { level: 9 });
  writeFileSync(file, data);
  return data.length;
}
