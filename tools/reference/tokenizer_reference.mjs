// Builds the small byte-level BPE tokenizer.json fixtures of Tests/Transformer.Tokenizers.Tests/Fixtures
// and records the ids a third-party implementation (Hugging Face's tokenizers.js, npm
// @huggingface/tokenizers 0.2.0) gives for a set of texts, so the C# tests need no node at run time.
//
// Usage (from the repo root):
//   npm install --prefix /tmp/tokenizers-js @huggingface/tokenizers@0.2.0
//   TOKENIZERS_JS_PREFIX=/tmp/tokenizers-js node tools/reference/tokenizer_reference.mjs
//
// Nothing is trained. The vocabulary is GPT-2's byte alphabet (ids 0..255 in GPT-2's own order) plus
// the pieces formed by a hand-picked list of merges in the style of GPT-2's merges.txt, so every merge
// is a faithful instance of the byte-level scheme.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const prefix = process.env.TOKENIZERS_JS_PREFIX ?? "/tmp/tokenizers-js";
const require = createRequire(join(prefix, "node_modules", "/"));
const { Tokenizer } = require("@huggingface/tokenizers");
const packageJson = join(prefix, "node_modules", "@huggingface", "tokenizers", "package.json");
const producer = "@huggingface/tokenizers " + JSON.parse(readFileSync(packageJson, "utf8")).version;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtures = join(repoRoot, "Tests", "Transformer.Tokenizers.Tests", "Fixtures");

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to U+0100.. in order.
function byteAlphabet() {
  const printable = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars = new Map();
  let next = 256;
  for (let b = 0; b < 256; b++) chars.set(b, printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(next++));
  // GPT-2 numbers the printable bytes first, then the remapped ones.
  const order = [...printable, ...[...Array(256).keys()].filter((b) => !printable.includes(b))];
  return order.map((b) => chars.get(b));
}

// Merges in the spirit of GPT-2's merges.txt (spaces spelled Ġ, newlines Ċ, "é" as its two bytes "Ã©").
const MERGES = [
  ["Ġ", "t"], ["Ġ", "a"], ["h", "e"], ["i", "n"], ["r", "e"], ["o", "n"], ["Ġt", "he"], ["e", "r"],
  ["Ġ", "s"], ["a", "t"], ["Ġ", "w"], ["Ġ", "o"], ["e", "n"], ["Ġ", "c"], ["i", "t"], ["i", "s"],
  ["a", "n"], ["o", "r"], ["e", "s"], ["Ġ", "b"], ["e", "d"], ["Ġ", "f"], ["in", "g"], ["Ġ", "p"],
  ["o", "u"], ["n", "d"], ["Ġa", "nd"], ["a", "l"], ["a", "r"], ["Ġt", "o"], ["Ġ", "m"], ["Ġo", "f"], ["Ġ", "in"],
  ["Ġ", "d"], ["Ġ", "h"], ["l", "l"], ["Ġ", "l"], ["Ġc", "at"], ["Ġs", "at"], ["Ġo", "n"],
  ["Ġm", "at"], ["H", "e"], ["He", "ll"], ["Hell", "o"], ["Ġw", "or"], ["Ġwor", "l"], ["Ġworl", "d"],
  ["Ġ", "Ġ"], ["ĠĠ", "ĠĠ"], ["Ċ", "Ċ"], ["'", "s"], ["'", "t"], ["'", "m"], ["'", "ll"], ["1", "2"],
  ["12", "3"], ["Ã", "©"], ["a", "f"], ["Ġc", "af"], ["Ġcaf", "Ã©"], ["Ġ", "n"], ["a", "Ã"], ["L", "in"],
  ["Lin", "e"], ["Ġt", "w"], ["Ġtw", "o"], ["n", "e"], ["Ġo", "ne"], ["Ġ", "e"], ["Ġe", "nd"], ["Ġ", "I"],
];

// The byte-level spelling of UTF-8 bytes.
function spell(bytes) {
  const alphabet = byteAlphabet();
  const order = [];
  for (let b = 33; b <= 126; b++) order.push(b);
  for (let b = 161; b <= 172; b++) order.push(b);
  for (let b = 174; b <= 255; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return [...bytes].map((b) => alphabet[order.indexOf(b)]).join("");
}

// Merges across supplementary-plane characters, so a split pattern that treated 𝐀 (a letter) or 𝟑 (a
// digit) as two surrogates instead of one code point would change the ids: "a" + first byte of 𝐀, and
// last byte of 𝟑 + first byte of 𝟒 (which Llama 3's \p{N}{1,3} puts in different words).
MERGES.push(["a", spell([0xf0])], [spell([0x91]), spell([0xf0])]);

function buildVocab(extraPieces) {
  const vocab = {};
  byteAlphabet().forEach((c, i) => (vocab[c] = i));
  for (const [a, b] of MERGES) {
    for (const piece of [a, b]) if (!(piece in vocab)) throw new Error(`merge part ${piece} not in vocab`);
    if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
  }
  for (const piece of extraPieces) if (!(piece in vocab)) vocab[piece] = Object.keys(vocab).length;
  return vocab;
}

function addedToken(id, content) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function gpt2Style() {
  const vocab = buildVocab([]);
  const eot = Object.keys(vocab).length;
  vocab["<|endoftext|>"] = eot;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [addedToken(eot, "<|endoftext|>")],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
      fuse_unk: false, byte_fallback: false, vocab, merges: MERGES.map(([a, b]) => `${a} ${b}`),
    },
  };
}

const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function llama3Style() {
  // "Ġzebra" is in the vocabulary but no merge path builds it: only ignore_merges finds it.
  const vocab = buildVocab(["Ġzebra"]);
  const specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"];
  const base = Object.keys(vocab).length;
  const added = specials.map((content, i) => addedToken(base + i, content));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: LLAMA3_PATTERN }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "Sequence",
      processors: [
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [
            { SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [base], tokens: ["<|begin_of_text|>"] } },
        },
      ],
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges: MERGES,
    },
  };
}

const TEXTS = [
  "", "Hello world", "Hello world!", "the cat sat on the mat.", "  leading spaces", "trailing   ", "a  b   c    d",
  "Line one\nLine two\n\n", "tabs\tand\r\nCRLF", "It's 2023 and I'm 42, you'll see.", "don't YOU'LL we'VE HE'S",
  "12345 1234567 3.14", "naïve café ☃ 日本", "emoji 🤖 and 𝐀𝐁𝐂 letters 𠀀x", "<|endoftext|>the end<|endoftext|>",
  "<|begin_of_text|>Hello<|eot_id|>", "zebra zebra zebras", "x", "\u00a0non\u2009breaking", "end.\n",
  "a𝐀b 1𝐀", "𝟏𝟐𝟑𝟒 𝟑𝟒",
];

for (const [name, json] of [["gpt2-style", gpt2Style()], ["llama3-style", llama3Style()]]) {
  const tokenizer = new Tokenizer(json, {});
  const cases = TEXTS.map((text) => ({
    text,
    ids: tokenizer.encode(text, { add_special_tokens: false }).ids,
    ids_with_special_tokens: tokenizer.encode(text, { add_special_tokens: true }).ids,
  }));
  const dir = join(fixtures, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(json, null, 1) + "\n");
  writeFileSync(join(dir, "reference_ids.json"), JSON.stringify({ producer, cases }, null, 1) + "\n");
  console.log(`${name}: ${Object.keys(json.model.vocab).length} vocab, ${cases.length} cases`);
}
