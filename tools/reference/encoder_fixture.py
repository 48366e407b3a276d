"""Shared writer for the tiny encoder fixtures (BERT, nomic-bert): a sentence-transformers folder with mean
pooling and normalization, and reference.json holding, for each sequence run as one padded batch with an
attention mask, the last hidden states and the mean/cls/max poolings, raw and L2-normalized.

The padded batch is deliberate: it exercises the mask, which the C# side replaces by packing sequences.
"""
import json
from pathlib import Path

import torch

from bert_reference import pool
from llama_reference import encode_tensor, write_safetensors

MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
]


def write_encoder_fixture(folder: Path, config, hidden_size, weights, forward, sequences, token_types, description):
    """Writes weights and config, runs `forward(config, weights, ids, mask, types)` and writes reference.json."""
    (folder / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    entries, stored = [], {}
    for name, tensor in weights.items():
        raw, value = encode_tensor(tensor, "F32")
        entries.append((name, "F32", list(tensor.shape), raw))
        stored[name] = value
    write_safetensors(folder / "model.safetensors", entries)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "modules.json").write_text(json.dumps(MODULES, indent=2) + "\n")
    pooling = {"word_embedding_dimension": hidden_size, "pooling_mode_cls_token": False,
               "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False}
    (folder / "1_Pooling/config.json").write_text(json.dumps(pooling, indent=2) + "\n")
    (folder / "2_Normalize/.keep").write_text("sentence-transformers' Normalize module has no files\n")

    longest = max(len(s) for s in sequences)
    ids = torch.tensor([s + [config["pad_token_id"]] * (longest - len(s)) for s in sequences])
    types = torch.tensor([t + [0] * (longest - len(t)) for t in token_types])
    mask = torch.tensor([[1] * len(s) + [0] * (longest - len(s)) for s in sequences])
    with torch.no_grad():
        states = forward(config, stored, ids, mask, types)
        pooled = {f"{mode}{'_normalized' if n else ''}": pool(states, mask, mode, n)
                  for mode in ["mean", "cls", "max"] for n in [False, True]}

    def rows(t):
        return [[float(f"{v:.9g}") for v in row] for row in t.tolist()]

    reference = {
        "description": description,
        "cases": [{
            "token_ids": s, "token_types": t,
            "last_hidden_state": rows(states[i, :len(s)]),
            "pooled": {k: [float(f"{v:.9g}") for v in p[i].tolist()] for k, p in pooled.items()},
        } for i, (s, t) in enumerate(zip(sequences, token_types))],
    }
    (folder / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {folder}")
