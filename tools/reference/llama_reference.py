"""Independent, readable PyTorch implementation of the Hugging Face Llama forward pass.

This is the project's specification of what a Llama-family decoder computes, written from the
math (not copied from transformers) so the C# engine can be held against it.  It also reads and
writes the safetensors format by hand, because the `safetensors` and `transformers` packages are
not assumed to be installed (Debian's python3-torch and numpy are enough).

Computation follows HF `LlamaForCausalLM` in eager mode:
  embedding -> for each layer:
      RMSNorm -> q/k/v projections (optional bias) -> RoPE (rotate_half) -> grouped-query causal
      attention (scale 1/sqrt(head_dim)) -> o_proj (optional bias) -> residual add
      RMSNorm -> SwiGLU MLP: down(silu(gate(x)) * up(x)) -> residual add
  -> final RMSNorm -> lm_head (its own weight, or the embedding table when tied).

Usage as a script (prints logits summary):
  /usr/bin/python3 tools/reference/llama_reference.py MODEL_DIR [token ids...]
"""

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch

# ---------------------------------------------------------------------------------------------
# safetensors I/O
# ---------------------------------------------------------------------------------------------

# Element size and little-endian numpy dtype of each safetensors dtype we handle.  BF16 has no
# numpy dtype, so it is read as raw uint16 and widened by hand.
_ELEMENT_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}


def _decode_tensor(dtype, shape, raw):
    """Turn a tensor's raw little-endian bytes into a float32 torch tensor (exact widening); I32 stays integer."""
    if dtype == "I32":
        values = np.frombuffer(raw, dtype="<i4").astype(np.int64)
    elif dtype == "F32":
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == "F64":
        values = np.frombuffer(raw, dtype="<f8").astype(np.float32)
    elif dtype == "F16":
        values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    elif dtype == "BF16":
        # bfloat16 is the top half of a float32, so shifting its bits up 16 widens it exactly.
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32)
        values = (halves << 16).view(np.float32)
    else:
        raise ValueError(f"unsupported safetensors dtype {dtype!r}")
    expected = int(np.prod(shape)) if shape else 1
    if values.size != expected:
        raise ValueError(f"tensor has {values.size} elements but shape {shape} needs {expected}")
    return torch.from_numpy(values.copy()).reshape(shape)


def read_safetensors(path):
    """Read one .safetensors file into {name: (stored dtype, float32 tensor)}."""
    blob = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    data = blob[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = (info["dtype"], _decode_tensor(info["dtype"], info["shape"], data[begin:end]))
    return tensors


def encode_tensor(tensor, dtype):
    """Round a tensor to the given safetensors dtype; return (raw little-endian bytes, float32 of
    the stored values) so a reference can be computed from exactly what was written."""
    t = tensor.detach().to(torch.float32).contiguous()
    if dtype == "F32":
        stored = t
        raw = stored.numpy().astype("<f4").tobytes()
    elif dtype == "F16":
        stored = t.to(torch.float16)
        raw = stored.numpy().astype("<f2").tobytes()
    elif dtype == "BF16":
        # torch rounds to nearest-even; the int16 view exposes the stored bit pattern.
        stored = t.to(torch.bfloat16)
        raw = stored.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raise ValueError(f"unsupported safetensors dtype {dtype!r}")
    return raw, stored.to(torch.float32)


def write_safetensors(path, entries):
    """Write [(name, dtype, shape, raw bytes)] as a safetensors file, in the given order.

    Layout: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}
    padded with spaces to a multiple of 8 bytes (so the data section stays aligned), then the
    tensors' bytes back to back.  Output is deterministic for the same entries.
    """
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, dtype, shape, raw in entries:
        expected = int(np.prod(shape)) * _ELEMENT_BYTES[dtype] if shape else _ELEMENT_BYTES[dtype]
        if len(raw) != expected:
            raise ValueError(f"{name}: {len(raw)} bytes for shape {shape} {dtype}")
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in entries:
            f.write(raw)


def load_model(model_dir):
    """Load config.json and all weights (single file or sharded with an index) as float32."""
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    index_path = model_dir / "model.safetensors.index.json"
    if index_path.exists():
        weight_map = json.loads(index_path.read_text())["weight_map"]
        files = sorted(set(weight_map.values()))
    else:
        files = ["model.safetensors"]
    weights = {}
    for file_name in files:
        for name, (_, tensor) in read_safetensors(model_dir / file_name).items():
            if name in weights:
                raise ValueError(f"tensor {name} appears in more than one shard")
            weights[name] = tensor
    return config, weights


# ---------------------------------------------------------------------------------------------
# Model pieces
# ---------------------------------------------------------------------------------------------


def head_dim_of(config):
    """HF uses config.head_dim when present, otherwise hidden_size / num_attention_heads."""
    head_dim = config.get("head_dim")
    return head_dim if head_dim else config["hidden_size"] // config["num_attention_heads"]


def rope_inverse_frequencies(config):
    """inv_freq[i] = 1 / theta^(2i/d), with the Llama 3 scaling rule applied when configured.

    Computed in float64 and rounded once to float32 at the end; HF computes it in float32, so
    the two can differ in the last bit, far below the tolerance any test uses.
    """
    d = head_dim_of(config)
    theta = float(config.get("rope_theta", 10000.0))
    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    scaling = config.get("rope_scaling")
    if scaling is None:
        return inv_freq
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type == "default":
        return inv_freq
    if rope_type != "llama3":
        raise ValueError(f"rope_scaling type {rope_type!r} is not supported by this reference")
    factor = float(scaling["factor"])
    low = float(scaling["low_freq_factor"])
    high = float(scaling["high_freq_factor"])
    original_max = float(scaling["original_max_position_embeddings"])
    low_freq_wavelen = original_max / low  # longer waves than this are slowed by `factor`
    high_freq_wavelen = original_max / high  # shorter waves than this are left alone
    scaled = []
    for f in inv_freq.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < high_freq_wavelen:
            scaled.append(f)
        elif wavelen > low_freq_wavelen:
            scaled.append(f / factor)
        else:
            smooth = (original_max / wavelen - low) / (high - low)
            scaled.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(scaled, dtype=torch.float64)


def rms_norm(x, weight, eps):
    """HF LlamaRMSNorm: normalise in (at least) float32, then scale by the weight."""
    work_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    h = x.to(work_dtype)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)


def rotate_half(x):
    """(x1, x2) -> (-x2, x1) over the two halves of the last dimension."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin):
    """x: [heads, T, d]; cos/sin: [T, d] with each angle repeated for both halves."""
    return x * cos + rotate_half(x) * sin


def linear(x, weight, bias=None):
    """y = x W^T (+ b); weights keep PyTorch's [out, in] orientation."""
    y = x @ weight.T
    return y + bias if bias is not None else y


def attention(x, layer, config, cos, sin, w):
    """Grouped-query causal self-attention for one layer over the whole sequence."""
    T = x.shape[0]
    d = head_dim_of(config)
    n_heads = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_heads
    p = f"model.layers.{layer}.self_attn."

    def proj(name):
        return linear(x, w[p + name + ".weight"], w.get(p + name + ".bias"))

    q = proj("q_proj").view(T, n_heads, d).transpose(0, 1)  # [H, T, d]
    k = proj("k_proj").view(T, n_kv, d).transpose(0, 1)  # [KV, T, d]
    v = proj("v_proj").view(T, n_kv, d).transpose(0, 1)
    q = apply_rope(q, cos, sin)
    k = apply_rope(k, cos, sin)
    # Each group of n_heads / n_kv consecutive query heads shares one key/value head.
    group = n_heads // n_kv
    k = k.repeat_interleave(group, dim=0)
    v = v.repeat_interleave(group, dim=0)
    scores = (q @ k.transpose(1, 2)) / math.sqrt(d)  # [H, T, T]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    window = layer_window(config, layer)
    if window:
        # Mistral: position i attends to keys j with i - j < window, i.e. the last `window` positions.
        too_old = torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-window)
        scores = scores.masked_fill(too_old, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    out = (probs @ v).transpose(0, 1).reshape(T, n_heads * d)
    return linear(out, w[p + "o_proj.weight"], w.get(p + "o_proj.bias"))


def layer_window(config, layer):
    """The sliding window of one layer, as transformers reads the config: layer_types when given (it takes
    precedence), else for Qwen2/Qwen3/SmolLM3 with use_sliding_window the layers from max_window_layers on,
    else Mistral's sliding_window on every layer."""
    window = config.get("sliding_window")
    if config.get("layer_types"):
        return window if config["layer_types"][layer] == "sliding_attention" else None
    if config.get("model_type") in ("qwen2", "qwen3", "smollm3"):
        return window if config.get("use_sliding_window") and layer >= config.get("max_window_layers", 28) else None
    return window


def mlp(x, layer, w):
    """SwiGLU: down(silu(gate(x)) * up(x)), with optional biases."""
    p = f"model.layers.{layer}.mlp."
    gate = linear(x, w[p + "gate_proj.weight"], w.get(p + "gate_proj.bias"))
    up = linear(x, w[p + "up_proj.weight"], w.get(p + "up_proj.bias"))
    return linear(torch.nn.functional.silu(gate) * up, w[p + "down_proj.weight"], w.get(p + "down_proj.bias"))


def forward(config, weights, token_ids, dtype=torch.float32):
    """Logits [len(token_ids), vocab] for every position, computed in `dtype`."""
    w = {name: t.to(dtype) for name, t in weights.items()}
    eps = float(config.get("rms_norm_eps", 1e-6))
    ids = torch.tensor(token_ids, dtype=torch.long)
    x = w["model.embed_tokens.weight"][ids]  # [T, hidden]

    # Angles: position * inv_freq, duplicated so each half of a head sees the same angle.
    inv_freq = rope_inverse_frequencies(config).to(dtype)
    positions = torch.arange(len(token_ids), dtype=dtype)
    angles = torch.outer(positions, inv_freq)
    angles = torch.cat((angles, angles), dim=-1)
    cos, sin = angles.cos(), angles.sin()

    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        x = x + attention(rms_norm(x, w[p + "input_layernorm.weight"], eps), layer, config, cos, sin, w)
        x = x + mlp(rms_norm(x, w[p + "post_attention_layernorm.weight"], eps), layer, w)
    x = rms_norm(x, w["model.norm.weight"], eps)
    if config.get("tie_word_embeddings", False):
        head = w["model.embed_tokens.weight"]
    else:
        head = w["lm_head.weight"]
    return x @ head.T


def greedy(config, weights, prompt_ids, steps, dtype=torch.float32):
    """Append `steps` argmax tokens, recomputing the whole forward each step (no cache), so the
    result does not depend on any cache logic.  Ties go to the lowest id (torch.argmax)."""
    ids = list(prompt_ids)
    generated = []
    for _ in range(steps):
        next_id = int(torch.argmax(forward(config, weights, ids, dtype)[-1]))
        generated.append(next_id)
        ids.append(next_id)
    return generated


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    config, weights = load_model(argv[1])
    ids = [int(a) for a in argv[2:]] or [1]
    logits = forward(config, weights, ids)
    for pos, row in enumerate(logits):
        print(pos, ids[pos], "argmax", int(torch.argmax(row)), "max", float(row.max()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
