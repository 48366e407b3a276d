// The stress corpus: strings chosen to break tokenizers. Deterministic (a seeded generator), so the committed
// fixtures can be regenerated bit for bit. Every string is a JS string (UTF-16), lone surrogates included.

// Mulberry32: small, seedable, good enough to pick characters.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Special tokens of every family the fixtures cover, so each tokenizer meets its own and others' as text.
export const SPECIAL_TOKENS = [
  '<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>',
  '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<tool_call>', '<|vision_start|>',
  '<bos>', '<eos>', '<pad>', '<start_of_turn>', '<end_of_turn>', '<start_of_image>', '<mask>',
  '<s>', '</s>', '<unk>', '[CLS]', '[SEP]', '[MASK]', '[UNK]', '[PAD]',
];

const WORDS = ['the', 'cat', 'Hello', 'world', "don't", "I'm", "we'LL", 'tokenizer', 'naïve', 'café', 'straße',
  'Привет', 'мир', 'γειά', 'σου', 'שלום', 'مرحبا', 'नमस्ते', 'こんにちは', '世界', '你好', '안녕하세요', 'ไทย',
  'ẞig', 'İstanbul', 'ǅemal', 'ﬁne', '①②', 'Ⅻ', '½', '٣٤٥', '߀', 'x²', 'HTTP/1.1', 'e-mail', 'C++', 'a.b.c',
  '$12.50', '3.14159', '#hashtag', '@user', 'https://example.com/a?b=c&d=e', 'snake_case_name', 'camelCaseName'];

const EMOJI = ['😀', '👍🏽', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇺🇸', '🇯🇵', '❤️', '🤦🏼‍♂️', '🧑🏿‍🚀', '1️⃣', '🫠', '👋🏻👋🏼👋🏽👋🏾👋🏿', '©️', '☺︎'];

const COMBINING = ['e\u0301', 'a\u0300\u0316', 'n\u0303', 'o\u0308\u0304', 'Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334',
  '\u0915\u094d\u0937', 'A\u030a', '\u1100\u1161\u11a8', 'i\u0307', 'q\u0323\u0307'];

const RTL = ['שלום עולם', 'مرحبا بالعالم', '\u202eevil\u202c', 'abc \u200fמשהו\u200e def', 'ערבית 123 عربي', '\u061c\u0627\u0644'];

const WHITESPACE = [' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\r\n', '\r\n\r\n', '\r', ' \t \n', '\u00a0', '\u2003', '\u3000',
  '\u200b', '\ufeff', '\u2028', '\u2029', '\u000b', '\u000c', '\u0085', '    \n    ', '\n \n', ' \r\n\t'];

// One representative code point range per Unicode general category (letters, marks, numbers, punctuation,
// symbols, separators, others), plus the ends of the planes.
const CATEGORY_RANGES = [
  [0x41, 0x5a], [0x61, 0x7a], [0x1c5, 0x1cb], [0x2b0, 0x2ff], [0x5d0, 0x5ea], [0x4e00, 0x9fff], [0x3400, 0x4dbf],
  [0x20000, 0x2a6df], [0xac00, 0xd7a3], [0x3040, 0x30ff], [0x300, 0x36f], [0x903, 0x903], [0x20dd, 0x20e0],
  [0x30, 0x39], [0x660, 0x669], [0x16ee, 0x16f0], [0xb2, 0xb3], [0x2160, 0x2188], [0x21, 0x2f], [0x2010, 0x2027],
  [0x3001, 0x3003], [0xff01, 0xff0f], [0x2200, 0x22ff], [0x20a0, 0x20c0], [0x2c2, 0x2c5], [0x2190, 0x21ff],
  [0x1f300, 0x1f5ff], [0x1f900, 0x1f9ff], [0x2000, 0x200a], [0x0, 0x1f], [0x7f, 0x9f], [0x200b, 0x200f],
  [0xe000, 0xe0ff], [0xf0000, 0xf00ff], [0xfff9, 0xfffd], [0x1d400, 0x1d7ff], [0x10000, 0x100ff], [0xe0001, 0xe007f],
  [0x10fffd, 0x10fffd], [0xfdd0, 0xfdef],
];

export function buildCorpus() {
  const random = rng(20260101);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const codePoint = () => {
    const [lo, hi] = pick(CATEGORY_RANGES);
    return String.fromCodePoint(int(lo, hi));
  };
  const corpus = [];
  const add = (s) => corpus.push(s);

  // Empty, whitespace-only, and every whitespace run alone and around words.
  add('');
  for (const w of WHITESPACE) {
    add(w);
    add(w + 'word');
    add('word' + w);
    add('a' + w + 'b');
    add(w + w + 'x' + w);
  }

  // Leading spaces of every width before words, digits and punctuation.
  for (let n = 1; n <= 8; n++) {
    for (const w of ['hello', '123', '!', '世界', '😀', "'s"]) add(' '.repeat(n) + w);
  }

  // Digit runs of every length (splitting by 1 or 3 digits), with separators.
  for (let n = 1; n <= 24; n++) add('1234567890'.repeat(3).slice(0, n));
  for (let n = 1; n <= 12; n++) add('x' + '9'.repeat(n) + 'y ' + '0'.repeat(n) + '.' + '5'.repeat(n));
  add('١٢٣٤٥٦٧٨٩٠'); add('１２３４５'); add('Ⅰ Ⅱ Ⅲ'); add('3,141,592.65 -0.5e-10 0x1F 1_000_000');

  // Every word, emoji, combined sequence and RTL run, alone and in company.
  for (const w of [...WORDS, ...EMOJI, ...COMBINING, ...RTL]) {
    add(w);
    add(' ' + w);
    add(w.toUpperCase());
    add(`${w} ${w}${w}`);
  }

  // Contractions in every casing (the (?i:'s|...) alternation).
  for (const c of ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D"]) {
    add('it' + c); add('IT' + c + ' go'); add(c); add(' ' + c + c);
  }

  // Special tokens inside text, back to back, and followed or preceded by spaces and newlines.
  for (const t of SPECIAL_TOKENS) {
    add(t);
    add(t + t);
    add(t + ' ' + t);
    add('Hello' + t + 'world');
    add('Hello ' + t + ' world');
    add(t + ' after');
    add(t + '  two spaces');
    add(t + '\nline');
    add('before ' + t);
    add(' ' + t);
    add(t.slice(0, -1)); // a near miss
  }
  for (let i = 0; i < 60; i++) {
    let s = '';
    for (let k = int(2, 6); k > 0; k--) s += random() < 0.6 ? pick(SPECIAL_TOKENS) : pick([' ', '\n', 'x', ' hi ', '']);
    add(s);
  }
  add('<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n');
  add('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>');
  add('<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n');
  add('<s>[INST] Hi [/INST] Hello</s>');
  add('[CLS] first [SEP] second [SEP]');

  // Very long words, long runs of one character, long runs of punctuation.
  for (const [unit, n] of [['a', 100], ['a', 1000], ['ab', 600], ['x', 250], ['!', 300], ['-', 200], ['=', 150],
    ['世', 300], ['😀', 200], ['e\u0301', 150], ['Supercalifragilisticexpialidocious', 30], [' ', 500], ['\n', 200], ['\t', 100],
    ['9', 1000], ['.', 120], ['ab ', 200]]) {
    add(unit.repeat(n));
  }

  // Lone surrogates (high, low, reversed pairs) alone and inside text.
  for (const s of ['\ud800', '\udfff', '\udbff', '\udc00', 'a\ud800b', 'x\udc00y', '\udc00\ud800', '\ud83d', ' \ud83d', '\ud83d hi',
    'hello\ud800', '\ud800\ud800', '😀\ud83d', '\ude00😀', '<|im_end|>\ud800', '\ud800<s>']) {
    add(s);
  }

  // Every category range: runs of code points from one range, and mixtures across ranges.
  for (const [lo, hi] of CATEGORY_RANGES) {
    let run = '';
    for (let k = 0; k < 12; k++) run += String.fromCodePoint(int(lo, hi));
    add(run);
    add(' ' + run + ' ');
    add('a' + String.fromCodePoint(lo) + 'b' + String.fromCodePoint(hi) + '1');
  }

  // Random mixtures of everything above until the corpus is large.
  const parts = [() => pick(WORDS), () => pick(EMOJI), () => pick(COMBINING), () => pick(RTL), () => pick(WHITESPACE),
    () => pick(SPECIAL_TOKENS), codePoint, codePoint, () => String(int(0, 99999)), () => pick(['.', ',', '!', '?', '...', '—', '"', "'", '(', ')', '```', '//', '<', '>'])];
  while (corpus.length < 2400) {
    let s = '';
    for (let k = int(1, 14); k > 0; k--) {
      s += pick(parts)();
      if (random() < 0.5) s += ' ';
    }
    add(s);
  }

  return corpus;
}
