#!/usr/bin/env python3
"""Writes the seed corpora under tools/Fuzz/corpus/ from real files: ../shared/models/stories260K and the
repository's test fixtures. Small real files are copied; the large ones are shrunk so AFL++ mutates a few
hundred bytes, not a megabyte: safetensors headers keep their real tensor names, dtypes and metadata with
every shape cut to 2 elements, and llama2.c checkpoints keep stories260K's layout at tiny sizes.
Run from the repository root: python3 tools/Fuzz/make_seeds.py"""
import json, os, shutil, struct, sys

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
shared = os.environ.get("TRANSFORMER_SHARED_DIR", os.path.join(os.path.dirname(repo), "shared"))
stories = os.path.join(shared, "models", "stories260K")
runtime_fixtures = os.path.join(repo, "Tests", "Transformer.Runtime.Tests", "Fixtures")
tokenizer_fixtures = os.path.join(repo, "Tests", "Transformer.Tokenizers.Tests", "Fixtures")
corpus = os.path.join(repo, "tools", "Fuzz", "corpus")
DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1}


def seed(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)


def header_of(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


def shrunk_safetensors(header, keep):
    """The same names, dtypes and metadata, the first `keep` tensors, each of shape [2], laid out back to back."""
    out, offset = {}, 0
    if "__metadata__" in header:
        out["__metadata__"] = header["__metadata__"]
    for name, entry in [(k, v) for k, v in header.items() if k != "__metadata__"][:keep]:
        size = 2 * DTYPE_BYTES[entry["dtype"]]
        out[name] = {"dtype": entry["dtype"], "shape": [2], "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(out, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(range(offset))


def llama2c_checkpoint(dim, hidden, layers, heads, kv_heads, vocab, seq_len):
    head = dim // heads
    floats = (abs(vocab) * dim + layers * dim + layers * dim * dim + 2 * layers * kv_heads * head * dim
              + layers * dim * dim + layers * dim + 3 * layers * hidden * dim + dim + seq_len * head)
    if vocab < 0:
        floats += -vocab * dim
    return struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq_len) + struct.pack(f"<{floats}f", *[i / 64 for i in range(floats)])


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def tiny_gguf():
    """A GGUF v3 file like llama.cpp's: scalar, string and array metadata, an F32 and a Q8_0 tensor, 32-byte aligned."""
    kv = [
        gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("llama"),
        gguf_string("llama.block_count") + struct.pack("<II", 4, 1),
        gguf_string("llama.rope.freq_base") + struct.pack("<If", 6, 10000.0),
        gguf_string("tokenizer.ggml.add_bos_token") + struct.pack("<IB", 7, 1),
        gguf_string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 3) + b"".join(gguf_string(t) for t in ["<unk>", "<s>", "\u2581a"]),
        gguf_string("tokenizer.ggml.scores") + struct.pack("<IIQ3f", 9, 6, 3, 0.0, 0.0, -1.5),
        gguf_string("tokenizer.ggml.token_type") + struct.pack("<IIQ3i", 9, 5, 3, 2, 3, 1),
    ]
    tensors = [
        gguf_string("token_embd.weight") + struct.pack("<IQQIQ", 2, 4, 3, 0, 0),
        gguf_string("blk.0.attn_q.weight") + struct.pack("<IQQIQ", 2, 32, 1, 8, 64),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv) + b"".join(tensors)
    header += b"\0" * (-len(header) % 32)
    data = struct.pack("<12f", *[i / 8 for i in range(12)]) + b"\0" * 16 + struct.pack("<e", 0.5) + bytes(range(32))
    return header + data


def tiny_gguf_model():
    """A whole Llama model GGUF as GgufModelWriter writes one (hidden 32, 1 layer, 4 heads of 8, 2 KV heads, vocab 8),
    F32 vectors, Q8_0 and F16 matrices, with a SentencePiece-style tokenizer: every stage of the gguf target runs."""
    hidden, ffn, vocab, kv = 32, 32, 8, 16
    kv_pairs = [
        gguf_string("general.architecture") + struct.pack("<I", 8) + gguf_string("llama"),
        gguf_string("general.alignment") + struct.pack("<II", 4, 32),
    ] + [gguf_string("llama." + k) + struct.pack("<II", 4, v) for k, v in [
        ("context_length", 64), ("embedding_length", hidden), ("block_count", 1), ("feed_forward_length", ffn),
        ("attention.head_count", 4), ("attention.head_count_kv", 2), ("attention.key_length", 8)]] + [
        gguf_string("llama.attention.layer_norm_rms_epsilon") + struct.pack("<If", 6, 1e-5),
        gguf_string("llama.rope.freq_base") + struct.pack("<If", 6, 10000.0),
        gguf_string("tokenizer.ggml.model") + struct.pack("<I", 8) + gguf_string("llama"),
        gguf_string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, vocab) + b"".join(gguf_string(t) for t in ["<unk>", "<s>", "</s>", "a", "b", "ab", "\u2581", "\u2581a"]),
        gguf_string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, vocab) + struct.pack(f"<{vocab}f", *[0, 0, 0, -1, -2, -3, -4, -5]),
        gguf_string("tokenizer.ggml.token_type") + struct.pack("<IIQ", 9, 5, vocab) + struct.pack(f"<{vocab}i", 2, 3, 3, 1, 1, 1, 1, 1),
        gguf_string("tokenizer.ggml.bos_token_id") + struct.pack("<II", 4, 1),
        gguf_string("tokenizer.ggml.eos_token_id") + struct.pack("<II", 4, 2),
    ]
    # (name, ggml type, dims innermost first); types: 0 F32, 1 F16, 8 Q8_0
    tensors = [("token_embd.weight", 8, [hidden, vocab]), ("blk.0.attn_norm.weight", 0, [hidden]),
               ("blk.0.attn_q.weight", 8, [hidden, hidden]), ("blk.0.attn_k.weight", 8, [hidden, kv]),
               ("blk.0.attn_v.weight", 1, [hidden, kv]), ("blk.0.attn_output.weight", 8, [hidden, hidden]),
               ("blk.0.ffn_norm.weight", 0, [hidden]), ("blk.0.ffn_gate.weight", 8, [hidden, ffn]),
               ("blk.0.ffn_up.weight", 8, [hidden, ffn]), ("blk.0.ffn_down.weight", 8, [ffn, hidden]),
               ("output_norm.weight", 0, [hidden])]
    infos, data = [], b""
    for name, kind, dims in tensors:
        count = 1
        for d in dims:
            count *= d
        if kind == 0:
            blob = struct.pack(f"<{count}f", *[1.0] * count)
        elif kind == 1:
            blob = struct.pack(f"<{count}e", *[(i % 7 - 3) / 8 for i in range(count)])
        else:
            blob = b"".join(struct.pack("<e", 0.01) + bytes((i * 37 + j) % 255 for j in range(32)) for i in range(count // 32))
        infos.append(gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", kind, len(data)))
        data += blob + b"\0" * (-len(blob) % 32)
    header = b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kv_pairs)) + b"".join(kv_pairs) + b"".join(infos)
    return header + b"\0" * (-len(header) % 32) + data


def main():
    if not os.path.isdir(stories):
        sys.exit(f"{stories} not found (set TRANSFORMER_SHARED_DIR)")
    shutil.rmtree(corpus, ignore_errors=True)

    seed("safetensors", "stories260K-shrunk", shrunk_safetensors(header_of(os.path.join(stories, "model.safetensors")), 6))
    for fixture in ("bf16", "f16", "attention_bias"):
        seed("safetensors", f"{fixture}-shrunk", shrunk_safetensors(header_of(os.path.join(runtime_fixtures, fixture, "model.safetensors")), 4))

    with open(os.path.join(runtime_fixtures, "sharded", "model.safetensors.index.json"), "rb") as f:
        seed("safetensors-index", "sharded-fixture", f.read())

    with open(os.path.join(stories, "stories260K.bin"), "rb") as f:
        seed("llama2c-checkpoint", "stories260K-header-only", f.read(28))
    seed("llama2c-checkpoint", "tiny-shared-classifier", llama2c_checkpoint(4, 6, 1, 2, 1, 3, 2))
    seed("llama2c-checkpoint", "tiny-separate-classifier", llama2c_checkpoint(4, 6, 1, 2, 2, -3, 2))

    os.makedirs(os.path.join(corpus, "config-json"), exist_ok=True)
    shutil.copyfile(os.path.join(stories, "config.json"), os.path.join(corpus, "config-json", "stories260K"))
    for fixture in ("llama3_rope", "attention_bias", "head_dim"):
        shutil.copyfile(os.path.join(runtime_fixtures, fixture, "config.json"), os.path.join(corpus, "config-json", fixture))

    os.makedirs(os.path.join(corpus, "tokenizer-json"), exist_ok=True)
    for fixture in ("gpt2-style", "llama3-style"):
        shutil.copyfile(os.path.join(tokenizer_fixtures, fixture, "tokenizer.json"), os.path.join(corpus, "tokenizer-json", fixture))

    os.makedirs(os.path.join(corpus, "sentencepiece-model"), exist_ok=True)
    shutil.copyfile(os.path.join(stories, "tok512.model"), os.path.join(corpus, "sentencepiece-model", "tok512.model"))
    os.makedirs(os.path.join(corpus, "llama2c-tokenizer"), exist_ok=True)
    shutil.copyfile(os.path.join(stories, "tok512.bin"), os.path.join(corpus, "llama2c-tokenizer", "tok512.bin"))
    seed("gguf", "tiny-llama", tiny_gguf())
    seed("gguf", "tiny-llama-model", tiny_gguf_model())


main()
