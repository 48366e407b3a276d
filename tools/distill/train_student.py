"""Train a small student on a `transformer teacher export` folder with a KL loss: the proof that the export
is usable by a PyTorch trainer.

Reads manifest.json and the safetensors shards (with tools/reference's hand-written reader), rebuilds the
windows from input_ids (each window is ctx - 1 consecutive positions), and minimises, per position,

    KL(teacher || student) over the teacher's top-k entries plus one bucket for the rest:
    sum_i p_i (log p_i - log q_i) + T (log T - log Q)

with p_i = exp(top_logprobs), T = tail_mass, q_i the student's probabilities of the same ids and Q = 1 - sum q_i.
The student is the Llama forward pass of tools/reference/llama_reference.py with trainable weights. Prints the
loss at the start and the end (each averaged over 10 steps) and exits non-zero if it did not fall.

Run: /usr/bin/python3 tools/distill/train_student.py EXPORT_DIR [steps] [hidden] [layers] [--student DIR] [--save DIR]

--student DIR starts from a Hugging Face folder (`transformer student init`: its config.json and weights) instead
of a random student of the given hidden size and depth; --save DIR writes the trained student there as a folder
the engine loads (float32 model.safetensors, config.json, the student folder's other files such as the tokenizer),
so `transformer eval kld --model DIR --base TEACHER` measures what training brought.
"""

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import llama_reference as ref  # noqa: E402


def load_export(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest.get("format") != "transformer-teacher-topk":
        raise SystemExit(f"{folder}: not a teacher export")
    parts = {name: [] for name in ("input_ids", "target_ids", "top_ids", "top_logprobs", "tail_mass")}
    for shard in manifest["shards"]:
        tensors = ref.read_safetensors(folder / shard["file"])
        for name in parts:
            parts[name].append(tensors[name][1])
    data = {name: torch.cat(chunks) for name, chunks in parts.items()}
    if len(data["input_ids"]) != manifest["count"]:
        raise SystemExit(f"{folder}: {len(data['input_ids'])} positions, the manifest says {manifest['count']}")
    return manifest, data


def student_config(manifest, hidden, layers):
    heads = max(1, hidden // 16)
    return {"hidden_size": hidden, "intermediate_size": hidden * 8 // 3, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": heads, "head_dim": hidden // heads,
            "vocab_size": manifest["vocab_size"], "max_position_embeddings": manifest["ctx"], "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False, "tie_word_embeddings": True}


def init_weights(config, gen):
    h, f, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    d = config["head_dim"] * config["num_attention_heads"]
    w = {"model.embed_tokens.weight": torch.randn(v, h, generator=gen) * 0.02, "model.norm.weight": torch.ones(h)}
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        for name, shape in (("self_attn.q_proj", (d, h)), ("self_attn.k_proj", (d, h)), ("self_attn.v_proj", (d, h)),
                            ("self_attn.o_proj", (h, d)), ("mlp.gate_proj", (f, h)), ("mlp.up_proj", (f, h)),
                            ("mlp.down_proj", (h, f))):
            w[p + name + ".weight"] = torch.randn(*shape, generator=gen) * (1 / math.sqrt(shape[1]))
        w[p + "input_layernorm.weight"] = torch.ones(h)
        w[p + "post_attention_layernorm.weight"] = torch.ones(h)
    for t in w.values():
        t.requires_grad_(True)
    return w


def kl_loss(logits, top_ids, top_logprobs, tail):
    logq = torch.log_softmax(logits, dim=-1)
    valid = top_ids >= 0
    ids = top_ids.clamp(min=0)
    lp = top_logprobs.masked_fill(~valid, 0.0)
    p = lp.exp() * valid
    lq = logq.gather(-1, ids)
    head = (p * (lp - lq)).sum(-1)
    q_tail = (1 - (lq.exp() * valid).sum(-1)).clamp(min=1e-12)
    t = tail.clamp(min=0)
    tail_term = torch.where(t > 0, t * (t.clamp(min=1e-12).log() - q_tail.log()), torch.zeros_like(t))
    return (head + tail_term).mean()


def load_student(folder, manifest):
    config, weights = ref.load_model(folder)
    if config["vocab_size"] != manifest["vocab_size"]:
        raise SystemExit(f"{folder}: vocabulary {config['vocab_size']}, the teacher's is {manifest['vocab_size']}")
    for t in weights.values():
        t.requires_grad_(True)
    return config, weights


def save_student(folder, config, weights, source):
    folder.mkdir(parents=True, exist_ok=True)
    if source is not None:
        for f in source.iterdir():
            if f.is_file() and not f.name.endswith(".safetensors") and f.name != "model.safetensors.index.json":
                shutil.copy(f, folder / f.name)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    entries = []
    for name, t in weights.items():
        raw, _ = ref.encode_tensor(t, "F32")
        entries.append((name, "F32", list(t.shape), raw))
    ref.write_safetensors(folder / "model.safetensors", entries)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("steps", type=int, nargs="?", default=300)
    parser.add_argument("hidden", type=int, nargs="?", default=32)
    parser.add_argument("layers", type=int, nargs="?", default=2)
    parser.add_argument("--student", type=Path, help="start from this Hugging Face folder")
    parser.add_argument("--save", type=Path, help="write the trained student here")
    args = parser.parse_args(argv[1:])
    folder, steps, hidden, layers = args.export, args.steps, args.hidden, args.layers
    torch.manual_seed(0)
    torch.set_num_threads(2)
    manifest, data = load_export(folder)
    per_window = manifest["ctx"] - 1
    windows = len(data["input_ids"]) // per_window
    if args.student is not None:
        config, weights = load_student(args.student, manifest)
        hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    else:
        config = student_config(manifest, hidden, layers)
        weights = init_weights(config, torch.Generator().manual_seed(1))
    optimizer = torch.optim.Adam(weights.values(), lr=3e-3)
    losses = []
    for step in range(steps):
        w = step % windows
        at = slice(w * per_window, (w + 1) * per_window)
        logits = ref.forward(config, weights, data["input_ids"][at].tolist())
        loss = kl_loss(logits, data["top_ids"][at], data["top_logprobs"][at], data["tail_mass"][at])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    if args.save is not None:
        save_student(args.save, config, weights, args.student)
    print(json.dumps({"positions": manifest["count"], "k": manifest["k"], "steps": steps, "student_hidden": hidden,
                      "student_layers": layers, "first_loss": round(first, 4), "last_loss": round(last, 4)}))
    return 0 if last < first else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
