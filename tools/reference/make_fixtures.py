"""Generate tiny random Llama-family checkpoints plus reference logits for the engine's tests.

Each variant covers one thing the real stories260K model does not exercise (MHA, MQA, an untied
lm_head, attention biases, Llama 3 RoPE scaling, head_dim != hidden/heads, F16 and BF16 storage,
sharded files).  For every variant this writes, under
Tests/Transformer.Runtime.Tests/Fixtures/<variant>/:
  config.json          HF LlamaForCausalLM-style config (model_type llama)
  model.safetensors    weights (or model-0000N-of-00002.safetensors + model.safetensors.index.json)
  reference.json       float32 logits at 16 positions, a 12-token greedy continuation, and the
                       float32-vs-float64 difference of this reference as a sanity figure

Weights are random but seeded per variant, and the reference is computed from the values as
stored (F16/BF16 rounded, then widened to float32), so an engine that widens them matches.
Output is deterministic: re-running produces byte-identical files.

Run: /usr/bin/python3 tools/reference/make_fixtures.py [output dir]
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_reference as ref  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "Transformer.Runtime.Tests" / "Fixtures"

SEQUENCE_LENGTH = 16
PROMPT_LENGTH = 4
GREEDY_STEPS = 12
BOS, EOS = 1, 2

# The shared shape: GQA 2:1, tied embeddings, no biases, F32.  Variants override single keys.
BASE = {
    "hidden_size": 32,
    "intermediate_size": 86,  # ~2.7 x hidden, like Llama's 8/3 ratio
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 8,
    "vocab_size": 96,
    "max_position_embeddings": 128,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "attention_bias": False,
    "tie_word_embeddings": True,
}

# name -> (seed, description, config overrides, storage dtype, shard count)
VARIANTS = {
    "mha": (101, "multi-head attention: num_key_value_heads == num_attention_heads",
            {"num_key_value_heads": 4, "vocab_size": 128}, "F32", 1),
    "mqa": (102, "multi-query attention: a single key/value head shared by all query heads",
            {"num_key_value_heads": 1, "rms_norm_eps": 1e-6}, "F32", 1),
    "untied": (103, "separate lm_head.weight (tie_word_embeddings false)",
               {"tie_word_embeddings": False}, "F32", 1),
    "attention_bias": (104, "attention_bias true: biases on q_proj, k_proj, v_proj and o_proj",
                       {"attention_bias": True}, "F32", 1),
    "llama3_rope": (105, "Llama 3 RoPE: theta 500000 with rope_scaling rope_type llama3 "
                         "(all three frequency bands occur at head_dim 16)",
                    {"num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
                     "max_position_embeddings": 256, "rope_theta": 500000.0, "rms_norm_eps": 1e-6,
                     "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 64}}, "F32", 1),
    "head_dim": (106, "head_dim (16) != hidden_size / num_attention_heads (32 / 4 = 8): "
                      "q_proj is [64, 32], k/v_proj [32, 32], o_proj [32, 64]",
                 {"head_dim": 16}, "F32", 1),
    "f16": (107, "all weights stored as F16; reference uses the stored values widened to float32",
            {}, "F16", 1),
    "bf16": (108, "all weights stored as BF16; reference uses the stored values widened to float32",
             {}, "BF16", 1),
    "sharded": (109, "F32 weights split over two safetensors files with model.safetensors.index.json",
                {}, "F32", 2),
    "sliding_window": (110, "Mistral sliding-window attention: model_type mistral, sliding_window 5, so at the "
                            "16 reference positions every row from the sixth on attends only its last 5 positions",
                       {"model_type": "mistral", "sliding_window": 5}, "F32", 1),
    "layer_windows": (111, "Qwen2 per-layer sliding window: use_sliding_window with sliding_window 4 and "
                           "max_window_layers 1 (alone: layer 1 slides), overridden by layer_types (layer 0 slides, "
                           "layer 1 full), so over the 16 positions the two layers mask differently",
                      {"model_type": "qwen2", "use_sliding_window": True, "sliding_window": 4, "max_window_layers": 1,
                       "layer_types": ["sliding_attention", "full_attention"]}, "F32", 1),
}

TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def make_config(overrides, storage_dtype):
    """HF-style config.json content for one variant."""
    c = dict(BASE)
    c.update(overrides)
    model_type = c.get("model_type", "llama")
    config = {
        "architectures": [{"mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"}.get(model_type, "LlamaForCausalLM")],
        "model_type": model_type,
        "hidden_size": c["hidden_size"],
        "intermediate_size": c["intermediate_size"],
        "num_hidden_layers": c["num_hidden_layers"],
        "num_attention_heads": c["num_attention_heads"],
        "num_key_value_heads": c["num_key_value_heads"],
        "head_dim": c["head_dim"],
        "vocab_size": c["vocab_size"],
        "max_position_embeddings": c["max_position_embeddings"],
        "rms_norm_eps": c["rms_norm_eps"],
        "rope_theta": c["rope_theta"],
        "rope_scaling": c["rope_scaling"],
        "hidden_act": "silu",
        "attention_bias": c["attention_bias"],
        "mlp_bias": False,
        "tie_word_embeddings": c["tie_word_embeddings"],
        "bos_token_id": BOS,
        "eos_token_id": EOS,
        "torch_dtype": TORCH_DTYPE_NAME[storage_dtype],
    }
    for key in ("sliding_window", "use_sliding_window", "max_window_layers", "layer_types"):
        if key in c:
            config[key] = c[key]
    return config


def random_weights(config, gen):
    """Ordered [(name, float32 tensor)] with scales chosen so attention is not uniform and logits
    are spread out: projections std 0.1 (output projections 0.05), norms 1 +- 0.1."""
    hidden, inter = config["hidden_size"], config["intermediate_size"]
    d = config["head_dim"]
    q_width = config["num_attention_heads"] * d
    kv_width = config["num_key_value_heads"] * d

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    def norm_weight():
        return 1.0 + normal(hidden, std=0.1)

    out = [("model.embed_tokens.weight", normal(config["vocab_size"], hidden, std=0.1))]
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        out.append((p + "input_layernorm.weight", norm_weight()))
        for name, rows, std in (("q_proj", q_width, 0.1), ("k_proj", kv_width, 0.1), ("v_proj", kv_width, 0.1)):
            out.append((p + f"self_attn.{name}.weight", normal(rows, hidden, std=std)))
            # Qwen2 always has q/k/v biases (and never an o_proj bias).
            if config["attention_bias"] or config["model_type"] == "qwen2":
                out.append((p + f"self_attn.{name}.bias", normal(rows, std=0.05)))
        out.append((p + "self_attn.o_proj.weight", normal(hidden, q_width, std=0.05)))
        if config["attention_bias"] and config["model_type"] != "qwen2":
            out.append((p + "self_attn.o_proj.bias", normal(hidden, std=0.05)))
        out.append((p + "post_attention_layernorm.weight", norm_weight()))
        out.append((p + "mlp.gate_proj.weight", normal(inter, hidden, std=0.1)))
        out.append((p + "mlp.up_proj.weight", normal(inter, hidden, std=0.1)))
        out.append((p + "mlp.down_proj.weight", normal(hidden, inter, std=0.05)))
    out.append(("model.norm.weight", norm_weight()))
    if not config["tie_word_embeddings"]:
        out.append(("lm_head.weight", normal(config["vocab_size"], hidden, std=0.1)))
    return out


def write_weights(folder, named, storage_dtype, shards):
    """Write the weights; return {name: float32 tensor of the stored values}."""
    entries, stored = [], {}
    for name, tensor in named:
        raw, as_stored = ref.encode_tensor(tensor, storage_dtype)
        entries.append((name, storage_dtype, tuple(tensor.shape), raw))
        stored[name] = as_stored
    if shards == 1:
        ref.write_safetensors(folder / "model.safetensors", entries)
        return stored
    # Split at a layer boundary-ish point: the first half of the tensors in shard 1.
    cut = len(entries) // 2
    parts = [entries[:cut], entries[cut:]]
    weight_map = {}
    for i, part in enumerate(parts, start=1):
        file_name = f"model-{i:05d}-of-{len(parts):05d}.safetensors"
        ref.write_safetensors(folder / file_name, part)
        for name, *_ in part:
            weight_map[name] = file_name
    index = {
        "metadata": {"total_size": sum(len(raw) for *_, raw in entries)},
        "weight_map": dict(sorted(weight_map.items())),
    }
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    return stored


def fmt(x):
    """A float32 value with 9 significant digits: enough to round-trip exactly."""
    return format(float(x), ".9g")


def reference_json(description, token_ids, logits, prompt, generated, min_margin, f64_diff):
    """reference.json text, one logits row per line so diffs stay readable."""
    rows = ",\n    ".join("[" + ", ".join(fmt(v) for v in row.tolist()) + "]" for row in logits)
    return (
        "{\n"
        f'  "description": {json.dumps(description)},\n'
        f'  "token_ids": {json.dumps(token_ids)},\n'
        f'  "logits": [\n    {rows}\n  ],\n'
        f'  "greedy": {{"prompt_ids": {json.dumps(prompt)}, "generated_ids": {json.dumps(generated)}, '
        f'"min_argmax_margin": {fmt(min_margin)}}},\n'
        f'  "float64_max_abs_diff": {fmt(f64_diff)}\n'
        "}\n"
    )


def greedy_with_margin(config, weights, prompt):
    """Greedy ids plus the smallest top-1 minus top-2 gap seen (how fragile the ids are)."""
    ids, generated, min_margin = list(prompt), [], float("inf")
    for _ in range(GREEDY_STEPS):
        last = ref.forward(config, weights, ids)[-1]
        top2 = torch.topk(last, 2).values
        min_margin = min(min_margin, float(top2[0] - top2[1]))
        next_id = int(torch.argmax(last))
        generated.append(next_id)
        ids.append(next_id)
    return generated, min_margin


def build_variant(out_root, name, seed, description, overrides, storage_dtype, shards):
    folder = out_root / name
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.safetensors*"):
        stale.unlink()
    config = make_config(overrides, storage_dtype)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    gen = torch.Generator().manual_seed(seed)
    weights = write_weights(folder, random_weights(config, gen), storage_dtype, shards)
    token_ids = [BOS] + torch.randint(3, config["vocab_size"], (SEQUENCE_LENGTH - 1,), generator=gen).tolist()

    logits32 = ref.forward(config, weights, token_ids, torch.float32)
    logits64 = ref.forward(config, weights, token_ids, torch.float64)
    f64_diff = float((logits32.double() - logits64).abs().max())
    prompt = token_ids[:PROMPT_LENGTH]
    generated, margin = greedy_with_margin(config, weights, prompt)
    if generated != ref.greedy(config, weights, prompt, GREEDY_STEPS, torch.float64):
        print(f"  warning: {name} greedy ids differ between float32 and float64")

    (folder / "reference.json").write_text(
        reference_json(description, token_ids, logits32, prompt, generated, margin, f64_diff))
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"{name:15s} {storage_dtype:4s} logits std {float(logits32.std()):.3f} "
          f"f32-f64 {f64_diff:.2e} min margin {margin:.3g} bytes {size}")


def main(argv):
    # One thread keeps float32 reductions in a fixed order, so reruns are byte-identical.
    torch.set_num_threads(1)
    out_root = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    for name, (seed, description, overrides, storage_dtype, shards) in VARIANTS.items():
        build_variant(out_root, name, seed, description, overrides, storage_dtype, shards)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
