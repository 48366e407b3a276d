"""Independent PyTorch statement of the Hugging Face Gemma 2 / Gemma 3 text decoder, and the generator of the
Gemma fixtures under Tests/Transformer.Runtime.Tests/Fixtures/pytorch/.

Written from the papers (Gemma Team 2024, 2025) and the semantics of HF `Gemma2ForCausalLM` /
`Gemma3ForCausalLM` in eager mode, not copied from transformers (not installed here):

  x = embed_tokens[t] * sqrt(hidden)            (the normalizer cast to the weights' dtype first, as HF does)
  per layer:
    h = RMSNorm_in(x)                           RMSNorm(x) = x * rsqrt(mean(x^2) + eps) * (1 + w), in float32
    q, k, v = h Wq^T, h Wk^T, h Wv^T            split into heads of head_dim
    Gemma 3: q, k = RMSNorm_q(q), RMSNorm_k(k)  per head, same (1 + w) form
    RoPE (rotate_half); Gemma 3 local layers use rope_local_base_freq without scaling, global layers
      rope_theta with rope_scaling (linear: inv_freq / factor)
    scores = q k^T * query_pre_attn_scalar^-0.5
    Gemma 2: scores = cap * tanh(scores / cap)  (attn_logit_softcapping)
    causal mask; sliding layers also mask keys with q - k >= sliding_window
    x = x + RMSNorm_post_attn(softmax(scores) v Wo^T)
    x = x + RMSNorm_post_ffn(W_down (gelu_tanh(W_gate h) * W_up h)),  h = RMSNorm_pre_ffn(x)
  logits = RMSNorm_final(x) E^T                 (tied); Gemma 2: cap * tanh(logits / cap) (final_logit_softcapping)

Sliding layers follow `layer_types` when given, else every `sliding_window_pattern`-th layer (1-based) is global
(Gemma 2's default pattern 2, Gemma 3's 6).

Usage:
  /usr/bin/python3 tools/reference/gemma_reference.py            regenerate Fixtures/pytorch/gemma*
  /usr/bin/python3 tools/reference/gemma_reference.py MODEL_DIR  print a logits summary for a checkpoint
"""

import json
import math
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llama_reference import load_model, rotate_half  # noqa: E402  (the hand-written safetensors reader)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Transformer.Runtime.Tests" / "Fixtures"


def text_config(config):
    """`gemma3` multimodal configs nest the decoder under text_config."""
    return config.get("text_config", config) if config.get("model_type") == "gemma3" else config


def is_gemma3(config):
    return config.get("model_type") in ("gemma3_text", "gemma3")


def gemma_rms_norm(x, weight, eps):
    """HF Gemma RMSNorm: normalise in float32, scale by (1 + w) in float32, cast back."""
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return (h * (1.0 + weight.float())).to(x.dtype)


def sliding_layers(config):
    n = config["num_hidden_layers"]
    types = config.get("layer_types")
    if types is not None:
        if len(types) != n:
            raise ValueError(f"layer_types has {len(types)} entries for {n} layers")
        return [t == "sliding_attention" for t in types]
    pattern = config.get("sliding_window_pattern") or (6 if is_gemma3(config) else 2)
    return [(i + 1) % pattern != 0 for i in range(n)]


def rope_tables(theta, head_dim, positions, scale_factor=1.0):
    """cos/sin [T, d] for inv_freq = 1/theta^(2i/d) / factor, each angle repeated for both halves."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim)
    inv_freq = inv_freq / scale_factor
    angles = torch.outer(positions.float(), inv_freq)
    angles = torch.cat((angles, angles), dim=-1)
    return angles.cos(), angles.sin()


def global_rope_factor(config):
    scaling = config.get("rope_scaling")
    if not scaling:
        return 1.0
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type == "default":
        return 1.0
    if rope_type != "linear":
        raise ValueError(f"rope_scaling type {rope_type!r} is not supported by this reference")
    return float(scaling["factor"])


def attention(h, layer, config, w, cos, sin, sliding):
    T = h.shape[0]
    d = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    n_heads = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_heads
    eps = float(config.get("rms_norm_eps", 1e-6))
    p = f"model.layers.{layer}.self_attn."
    q = (h @ w[p + "q_proj.weight"].T).view(T, n_heads, d).transpose(0, 1)  # [H, T, d]
    k = (h @ w[p + "k_proj.weight"].T).view(T, n_kv, d).transpose(0, 1)  # [KV, T, d]
    v = (h @ w[p + "v_proj.weight"].T).view(T, n_kv, d).transpose(0, 1)
    if is_gemma3(config):
        q = gemma_rms_norm(q, w[p + "q_norm.weight"], eps)
        k = gemma_rms_norm(k, w[p + "k_norm.weight"], eps)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    group = n_heads // n_kv
    k = k.repeat_interleave(group, dim=0)
    v = v.repeat_interleave(group, dim=0)
    scores = (q @ k.transpose(1, 2)) * float(config["query_pre_attn_scalar"]) ** -0.5  # [H, T, T]
    cap = config.get("attn_logit_softcapping")
    if cap:
        scores = torch.tanh(scores / cap) * cap
    masked = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # future keys
    if sliding:
        masked |= torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-config["sliding_window"])  # q - k >= window
    scores = scores.masked_fill(masked, float("-inf"))
    out = (torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v).transpose(0, 1).reshape(T, n_heads * d)
    return out @ w[p + "o_proj.weight"].T


def mlp(h, layer, w):
    p = f"model.layers.{layer}.mlp."
    gate = torch.nn.functional.gelu(h @ w[p + "gate_proj.weight"].T, approximate="tanh")
    return (gate * (h @ w[p + "up_proj.weight"].T)) @ w[p + "down_proj.weight"].T


def forward(config, weights, token_ids, dtype=torch.float32):
    """Logits [len(token_ids), vocab] for every position."""
    config = text_config(config)
    w = {name: t.to(dtype) for name, t in weights.items()}
    eps = float(config.get("rms_norm_eps", 1e-6))
    d = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    ids = torch.tensor(token_ids, dtype=torch.long)
    positions = torch.arange(len(token_ids))
    x = w["model.embed_tokens.weight"][ids] * torch.tensor(config["hidden_size"] ** 0.5, dtype=dtype)

    if is_gemma3(config):
        global_rope = rope_tables(float(config.get("rope_theta", 1_000_000.0)), d, positions, global_rope_factor(config))
        local_rope = rope_tables(float(config.get("rope_local_base_freq", 10_000.0)), d, positions)
    else:
        global_rope = local_rope = rope_tables(float(config.get("rope_theta", 10_000.0)), d, positions)

    for layer, sliding in enumerate(sliding_layers(config)):
        p = f"model.layers.{layer}."
        cos, sin = local_rope if sliding else global_rope
        h = gemma_rms_norm(x, w[p + "input_layernorm.weight"], eps)
        a = attention(h, layer, config, w, cos, sin, sliding)
        x = x + gemma_rms_norm(a, w[p + "post_attention_layernorm.weight"], eps)
        h = gemma_rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps)
        x = x + gemma_rms_norm(mlp(h, layer, w), w[p + "post_feedforward_layernorm.weight"], eps)
    x = gemma_rms_norm(x, w["model.norm.weight"], eps)
    logits = x @ w["model.embed_tokens.weight"].T
    cap = config.get("final_logit_softcapping")
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits.float()


# Fixtures: the llama.cpp fixtures' weights (tools/LlamaCppFixtures) reused, under configs that also exercise what
# llama.cpp cannot take (query_pre_attn_scalar other than head_dim, explicit layer_types). 12 tokens over a window
# of 4, so the local layers see a different context from the global ones.
TOKENS = [1, 17, 42, 5, 63, 30, 8, 21, 55, 2, 40, 11]
VARIANTS = {
    "gemma2": ("gemma2", {}),
    "gemma2_qpas": ("gemma2", {"query_pre_attn_scalar": 24, "layer_types": ["full_attention", "sliding_attention"]}),
    "gemma3": ("gemma3", {}),
    "gemma3_qpas": ("gemma3", {"query_pre_attn_scalar": 12, "sliding_window": 3}),
}


def write_fixtures():
    for name, (source, overrides) in VARIANTS.items():
        src = FIXTURES / "llamacpp" / source
        dst = FIXTURES / "pytorch" / name
        dst.mkdir(parents=True, exist_ok=True)
        config = json.loads((src / "config.json").read_text())
        config.update(overrides)
        (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        shutil.copyfile(src / "model.safetensors", dst / "model.safetensors")
        config, weights = load_model(dst)
        logits = forward(config, weights, TOKENS)
        reference = {
            "source": "tools/reference/gemma_reference.py (plain PyTorch, float32, HF Gemma semantics)",
            "tokens": TOKENS,
            "vocab": int(logits.shape[1]),
            "logits": [[float(v) for v in row] for row in logits],
        }
        (dst / "reference.json").write_text(json.dumps(reference) + "\n")
        print(f"{name}: {len(TOKENS)} positions x {logits.shape[1]} logits, sliding {sliding_layers(text_config(config))} -> {dst}")


def main(argv):
    if len(argv) < 2:
        write_fixtures()
        return 0
    config, weights = load_model(argv[1])
    ids = [int(a) for a in argv[2:]] or TOKENS
    for pos, row in enumerate(forward(config, weights, ids)):
        print(pos, ids[pos], "argmax", int(torch.argmax(row)), "max", float(row.max()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
