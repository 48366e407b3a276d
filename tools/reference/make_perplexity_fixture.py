"""Reference perplexity of stories260K on the TinyStories validation excerpt, for `transformer eval ppl`.

Tokenizes the text with SentencePiece itself (Debian's python3-sentencepiece, the model's tok512.model),
BOS first, and scores it exactly as llama.cpp's perplexity tool does: windows of `ctx` tokens starting every
`stride` tokens (whole windows only), each window's first token replaced by BOS, positions ctx/2 ... ctx-2
scored on the next token, with this folder's PyTorch forward pass (llama_reference.py). Writes
Tests/Transformer.Cli.Tests/Fixtures/perplexity/stories260K-tinystories.json.

Run: /usr/bin/python3 tools/reference/make_perplexity_fixture.py [shared dir]
"""

import hashlib
import json
import struct
import sys
from pathlib import Path

import sentencepiece
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_reference as ref  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "Transformer.Cli.Tests" / "Fixtures" / "perplexity" / "stories260K-tinystories.json"
CUTS = [(256, 256), (128, 96)]  # (ctx, stride): disjoint windows, and overlapping ones
BOS = 1


def score(config, weights, tokens, ctx, stride):
    windows = (len(tokens) - ctx) // stride + 1
    nll, per_window = [], []
    for w in range(windows):
        window = list(tokens[w * stride: w * stride + ctx])
        window[0] = BOS
        logits = ref.forward(config, weights, window[:-1], torch.float32).double()
        logp = torch.log_softmax(logits, dim=-1)
        first = ctx // 2
        scores = [-float(logp[p, window[p + 1]]) for p in range(first, ctx - 1)]
        per_window.append(sum(scores) / len(scores))
        nll.extend(scores)
    return windows, nll, per_window


def main(argv):
    torch.set_num_threads(1)
    shared = Path(argv[1]) if len(argv) > 1 else REPO_ROOT.parent / "shared"
    model_dir = shared / "models" / "stories260K"
    # Bytes decoded as they are: text mode would turn the file's CRLF line ends into LF, which tokenize differently.
    text = (shared / "data" / "tinystories-valid-excerpt.txt").read_bytes().decode("utf-8")
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "tok512.model"))
    tokens = [BOS] + sp.encode(text)
    config, weights = ref.load_model(model_dir)
    cuts = []
    for ctx, stride in CUTS:
        windows, nll, per_window = score(config, weights, tokens, ctx, stride)
        mean = sum(nll) / len(nll)
        cuts.append({"ctx": ctx, "stride": stride, "chunks": windows, "tokens_scored": len(nll),
                     "mean_nll": mean, "ppl": float(torch.tensor(mean, dtype=torch.float64).exp()),
                     "chunk_mean_nll": per_window})
        print(f"ctx {ctx} stride {stride}: {windows} windows, {len(nll)} scored, PPL {cuts[-1]['ppl']:.6f}")
    token_bytes = b"".join(struct.pack("<i", t) for t in tokens)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "description": "stories260K (float32) on ../shared/data/tinystories-valid-excerpt.txt: SentencePiece tokens "
                       "(BOS first), llama.cpp's perplexity scoring, PyTorch reference forward",
        "text_tokens": len(tokens),
        "token_ids_sha256": hashlib.sha256(token_bytes).hexdigest(),
        "first_token_ids": tokens[:32],
        "cuts": cuts,
    }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
