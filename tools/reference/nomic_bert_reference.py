"""nomic-bert encoder (nomic-embed-text-v1 / v1.5) forward pass in plain PyTorch.

The project's own statement of what Hugging Face's NomicBertModel (model_type nomic_bert, remote code
modeling_hf_nomic_bert.py) computes, written from the Nomic Embed report (Nussbaum et al., 2024) and the
model's config.json semantics; transformers is not needed. It is BERT with three modern changes:
  * no position table: rotary embeddings on q and k (rotate_half pairs (i, i + d/2) unless
    rotary_emb_interleaved, over the first rotary_emb_fraction of each head, base rotary_emb_base);
  * one fused, bias-free projection Wqkv producing [q; k; v];
  * a SwiGLU MLP without biases, fc2(fc11(x) * silu(fc12(x))).
Embeddings are word + token type, then LayerNorm (emb_ln); every layer is post-norm (prenorm false):
x = norm1(x + out_proj(attention(x))), x = norm2(x + mlp(x)).
"""
import math

import torch

from bert_reference import layer_norm


def rotate(x, positions, base, fraction):
    """x: [batch, heads, seq, d]; positions: [seq]. Rotates the first fraction·d features by rotate_half."""
    d = x.shape[-1]
    rot = int(d * fraction)
    half = rot // 2
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float32) / rot))
    angles = positions.to(torch.float32)[:, None] * inv_freq[None, :]  # [seq, rot/2]
    cos, sin = torch.cos(angles), torch.sin(angles)
    a, b, rest = x[..., :half], x[..., half:rot], x[..., rot:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin, rest], dim=-1)


def forward(config, w, input_ids, attention_mask, token_type_ids):
    """input_ids, attention_mask, token_type_ids: [batch, seq] int tensors; returns [batch, seq, hidden]."""
    if config.get("rotary_emb_interleaved", False):
        raise ValueError("this reference rotates halves; rotary_emb_interleaved is not modelled")
    if config.get("prenorm", False):
        raise ValueError("this reference is post-norm; prenorm is not modelled")
    batch, seq = input_ids.shape
    hidden, heads, eps = config["n_embd"], config["n_head"], config["layer_norm_epsilon"]
    d = hidden // heads
    x = w["embeddings.word_embeddings.weight"][input_ids] + w["embeddings.token_type_embeddings.weight"][token_type_ids]
    x = layer_norm(x, w["emb_ln.weight"], w["emb_ln.bias"], eps)
    key_bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
    positions = torch.arange(seq)
    for l in range(config["n_layer"]):
        p = f"encoder.layers.{l}."
        qkv = x @ w[p + "attn.Wqkv.weight"].T  # [batch, seq, 3·hidden]

        def split(t):
            return t.reshape(batch, seq, heads, d).transpose(1, 2)

        q, k, v = (split(t) for t in qkv.split(hidden, dim=-1))
        q = rotate(q, positions, config["rotary_emb_base"], config["rotary_emb_fraction"])
        k = rotate(k, positions, config["rotary_emb_base"], config["rotary_emb_fraction"])
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + key_bias
        att = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, hidden)
        x = layer_norm(x + att @ w[p + "attn.out_proj.weight"].T, w[p + "norm1.weight"], w[p + "norm1.bias"], eps)
        up = x @ w[p + "mlp.fc11.weight"].T
        gate = x @ w[p + "mlp.fc12.weight"].T
        f = (up * torch.nn.functional.silu(gate)) @ w[p + "mlp.fc2.weight"].T
        x = layer_norm(x + f, w[p + "norm2.weight"], w[p + "norm2.bias"], eps)
    return x
