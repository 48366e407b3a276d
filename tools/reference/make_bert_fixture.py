"""Write a tiny random-weight BERT encoder as a sentence-transformers folder, with its PyTorch reference.

Output: Tests/Transformer.Runtime.Tests/Fixtures/bert/
  config.json, model.safetensors (F32, Hugging Face names), modules.json, 1_Pooling/config.json
  (mean pooling), 2_Normalize/, and reference.json: for each token-id sequence, run as one padded
  batch with an attention mask, the last hidden states [len, hidden] and the mean/cls/max poolings,
  raw and L2-normalized.

Run: /usr/bin/python3 tools/reference/make_bert_fixture.py
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import bert_reference as bert  # noqa: E402
from encoder_fixture import write_encoder_fixture  # noqa: E402

CONFIG = {
    "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
    "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
    "vocab_size": 100, "max_position_embeddings": 64, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
    "pad_token_id": 0, "position_embedding_type": "absolute", "torch_dtype": "float32",
}
# [CLS] = 2 and [SEP] = 3 by convention; the last sequence is a sentence pair with token types 0 then 1.
SEQUENCES = [[2, 15, 27, 3], [2, 40, 41, 42, 43, 44, 45, 46, 47, 3], [2, 7, 3], [2, 11, 12, 3, 21, 22, 23, 3]]
TOKEN_TYPES = [[0] * 4, [0] * 10, [0] * 3, [0, 0, 0, 0, 1, 1, 1, 1]]


def random_weights(gen):
    c, h, f = CONFIG, CONFIG["hidden_size"], CONFIG["intermediate_size"]
    w = {}

    def normal(*shape, std=0.2):
        return torch.randn(*shape, generator=gen) * std

    def norm(name):
        w[name + ".weight"] = 1.0 + normal(h, std=0.1)
        w[name + ".bias"] = normal(h, std=0.1)

    w["embeddings.word_embeddings.weight"] = normal(c["vocab_size"], h, std=1.0)
    w["embeddings.position_embeddings.weight"] = normal(c["max_position_embeddings"], h, std=0.5)
    w["embeddings.token_type_embeddings.weight"] = normal(c["type_vocab_size"], h, std=0.5)
    norm("embeddings.LayerNorm")
    for l in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        for name, out, inp in [("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
                               ("attention.output.dense", h, h), ("intermediate.dense", f, h), ("output.dense", h, f)]:
            w[p + name + ".weight"] = normal(out, inp, std=0.3)
            w[p + name + ".bias"] = normal(out, std=0.1)
        norm(p + "attention.output.LayerNorm")
        norm(p + "output.LayerNorm")
    return w


def main():
    root = Path(__file__).resolve().parents[2]
    folder = root / "Tests/Transformer.Runtime.Tests/Fixtures/bert"
    gen = torch.Generator().manual_seed(20261202)
    weights = random_weights(gen)
    write_encoder_fixture(folder, CONFIG, CONFIG["hidden_size"], weights, bert.forward, SEQUENCES, TOKEN_TYPES,
                          "tiny random BERT; hidden states and poolings from tools/reference/bert_reference.py")

    # The hand-written ops agree with torch's own (a check on the reference, not part of the fixture).
    x = torch.randn(5, 32, generator=gen) * 3 + 7
    g, b = torch.randn(32, generator=gen), torch.randn(32, generator=gen)
    assert torch.allclose(bert.layer_norm(x, g, b, 1e-12), torch.nn.functional.layer_norm(x, (32,), g, b, 1e-12), atol=1e-5)
    assert torch.allclose(bert.gelu(x - 7), torch.nn.functional.gelu(x - 7), atol=1e-6)


if __name__ == "__main__":
    main()
