"""Write a tiny random-weight BERT encoder as a sentence-transformers folder, with its PyTorch reference.

Output: Tests/Transformer.Runtime.Tests/Fixtures/bert/
  config.json, model.safetensors (F32, Hugging Face names), modules.json, 1_Pooling/config.json
  (mean pooling), 2_Normalize/, and reference.json: for each token-id sequence, run as one padded
  batch with an attention mask, the last hidden states [len, hidden] and the mean/cls/max poolings,
  raw and L2-normalized.

Run: /usr/bin/python3 tools/reference/make_bert_fixture.py
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import bert_reference as bert  # noqa: E402
from llama_reference import encode_tensor, write_safetensors  # noqa: E402

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
    (folder / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    gen = torch.Generator().manual_seed(20261202)
    weights = random_weights(gen)
    entries, stored = [], {}
    for name, tensor in weights.items():
        raw, value = encode_tensor(tensor, "F32")
        entries.append((name, "F32", list(tensor.shape), raw))
        stored[name] = value
    write_safetensors(folder / "model.safetensors", entries)
    (folder / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    pooling = {"word_embedding_dimension": CONFIG["hidden_size"], "pooling_mode_cls_token": False,
               "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False}
    (folder / "1_Pooling/config.json").write_text(json.dumps(pooling, indent=2) + "\n")
    (folder / "2_Normalize/.keep").write_text("sentence-transformers' Normalize module has no files\n")

    # The hand-written ops agree with torch's own (a check on the reference, not part of the fixture).
    x = torch.randn(5, 32, generator=gen) * 3 + 7
    g, b = torch.randn(32, generator=gen), torch.randn(32, generator=gen)
    assert torch.allclose(bert.layer_norm(x, g, b, 1e-12), torch.nn.functional.layer_norm(x, (32,), g, b, 1e-12), atol=1e-5)
    assert torch.allclose(bert.gelu(x - 7), torch.nn.functional.gelu(x - 7), atol=1e-6)

    # One padded batch with an attention mask, so the reference exercises the mask the C# side replaces by packing.
    longest = max(len(s) for s in SEQUENCES)
    ids = torch.tensor([s + [CONFIG["pad_token_id"]] * (longest - len(s)) for s in SEQUENCES])
    types = torch.tensor([t + [0] * (longest - len(t)) for t in TOKEN_TYPES])
    mask = torch.tensor([[1] * len(s) + [0] * (longest - len(s)) for s in SEQUENCES])
    with torch.no_grad():
        states = bert.forward(CONFIG, stored, ids, mask, types)
        pooled = {f"{mode}{'_normalized' if n else ''}": bert.pool(states, mask, mode, n)
                  for mode in ["mean", "cls", "max"] for n in [False, True]}

    def rows(t):
        return [[float(f"{v:.9g}") for v in row] for row in t.tolist()]

    reference = {
        "description": "tiny random BERT; hidden states and poolings from tools/reference/bert_reference.py",
        "cases": [{
            "token_ids": s, "token_types": t,
            "last_hidden_state": rows(states[i, :len(s)]),
            "pooled": {k: [float(f"{v:.9g}") for v in p[i].tolist()] for k, p in pooled.items()},
        } for i, (s, t) in enumerate(zip(SEQUENCES, TOKEN_TYPES))],
    }
    (folder / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {folder}")


if __name__ == "__main__":
    main()
