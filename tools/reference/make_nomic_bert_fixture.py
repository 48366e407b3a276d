"""Write a tiny random-weight nomic-bert encoder as a sentence-transformers folder, with its PyTorch reference.

Output: Tests/Transformer.Runtime.Tests/Fixtures/nomic-bert/
  config.json (the keys of nomic-embed-text-v1.5's, small sizes), model.safetensors (F32, its names),
  modules.json, 1_Pooling/config.json (mean pooling), 2_Normalize/, and reference.json: for each sequence, run
  as one padded batch with an attention mask, the last hidden states and the mean/cls/max poolings.

Run: /usr/bin/python3 tools/reference/make_nomic_bert_fixture.py
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import nomic_bert_reference as nomic  # noqa: E402
from encoder_fixture import write_encoder_fixture  # noqa: E402

CONFIG = {
    "architectures": ["NomicBertModel"], "model_type": "nomic_bert", "activation_function": "swiglu",
    "n_embd": 32, "n_inner": 48, "n_layer": 2, "n_head": 4, "vocab_size": 100, "n_positions": 64,
    "max_trained_positions": 64, "type_vocab_size": 2, "layer_norm_epsilon": 1e-12, "pad_token_id": 0,
    "rotary_emb_base": 1000, "rotary_emb_fraction": 1.0, "rotary_emb_interleaved": False,
    "rotary_scaling_factor": None, "prenorm": False, "causal": False, "qkv_proj_bias": False,
    "mlp_fc1_bias": False, "mlp_fc2_bias": False, "use_rms_norm": False, "parallel_block": False,
    "torch_dtype": "float32",
}
# 10 and 12 positions turn every rotary pair through several angles; all token types 0 except the pair.
SEQUENCES = [[2, 15, 27, 3], [2, 40, 41, 42, 43, 44, 45, 46, 47, 3], [2, 7, 3], [2, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 3],
             [2, 11, 12, 3, 21, 22, 23, 3]]
TOKEN_TYPES = [[0] * 4, [0] * 10, [0] * 3, [0] * 12, [0, 0, 0, 0, 1, 1, 1, 1]]


def random_weights(gen):
    c, h, f = CONFIG, CONFIG["n_embd"], CONFIG["n_inner"]
    w = {}

    def normal(*shape, std=0.2):
        return torch.randn(*shape, generator=gen) * std

    def norm(name):
        w[name + ".weight"] = 1.0 + normal(h, std=0.1)
        w[name + ".bias"] = normal(h, std=0.1)

    w["embeddings.word_embeddings.weight"] = normal(c["vocab_size"], h, std=1.0)
    w["embeddings.token_type_embeddings.weight"] = normal(c["type_vocab_size"], h, std=0.5)
    norm("emb_ln")
    for l in range(c["n_layer"]):
        p = f"encoder.layers.{l}."
        w[p + "attn.Wqkv.weight"] = normal(3 * h, h, std=0.3)
        w[p + "attn.out_proj.weight"] = normal(h, h, std=0.3)
        norm(p + "norm1")
        w[p + "mlp.fc11.weight"] = normal(f, h, std=0.3)
        w[p + "mlp.fc12.weight"] = normal(f, h, std=0.3)
        w[p + "mlp.fc2.weight"] = normal(h, f, std=0.3)
        norm(p + "norm2")
    return w


def main():
    root = Path(__file__).resolve().parents[2]
    folder = root / "Tests/Transformer.Runtime.Tests/Fixtures/nomic-bert"
    gen = torch.Generator().manual_seed(20261203)
    weights = random_weights(gen)
    write_encoder_fixture(folder, CONFIG, CONFIG["n_embd"], weights, nomic.forward, SEQUENCES, TOKEN_TYPES,
                          "tiny random nomic-bert; hidden states and poolings from tools/reference/nomic_bert_reference.py")

    # The rotation is a rotation: it keeps each head's norm, and position 0 leaves it unchanged.
    x = torch.randn(1, 2, 5, 8, generator=gen)
    r = nomic.rotate(x, torch.arange(5), 1000, 1.0)
    assert torch.allclose(r.norm(dim=-1), x.norm(dim=-1), atol=1e-5) and torch.allclose(r[..., 0, :], x[..., 0, :])


if __name__ == "__main__":
    main()
