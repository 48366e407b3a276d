"""Record PyTorch's logits on folders cut by `transformer prune`: the proof that a pruned folder is a normal
Hugging Face checkpoint whose config.json was shrunk consistently with its tensors.

Runs the built CLI's `importance` once on a fixed text (stats.json, committed so the cuts are reproducible),
then `prune` on stories260K (the Hugging Face folder in ../shared/models) once per case below, loads each
folder with tools/reference/llama_reference.py (which reads every shape from config.json) and writes
Tests/Transformer.Cli.Tests/Fixtures/pruned/reference.json: per case the prune arguments, the SHA-256 of the
folder's config.json and model.safetensors, and the float32 logits at every position of TOKENS. The test
re-runs the same prune and compares the engine's logits on the folder with these.

Run: /usr/bin/python3 tools/reference/make_pruned_fixture.py [path to the built `transformer`]
"""

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_reference as ref  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO.parent / "shared" / "models" / "stories260K"
OUT = REPO / "Tests" / "Transformer.Cli.Tests" / "Fixtures" / "pruned"
CLI = REPO / "tools" / "Transformer.Cli" / "bin" / "Debug" / "net10.0" / "transformer"
# One calibration line (the README's story); importance reads the first --samples windows of --ctx tokens.
TEXT = ("Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. "
        "One day, she saw a big red ball in the park. ") * 8
# BOS, then stories260K's tokens of "Once upon a time, there was".
TOKENS = [1, 403, 407, 261, 378, 383, 286, 261]
# Logits are stored to 5 decimals (at most 5e-6 off, against the test's 1e-4), keeping the file small.
DECIMALS = 5
CASES = {
    "drop-layers": ["--drop-layers", "1,3"],
    "ffn-keep": ["--ffn-keep", "0.75", "--stats", "STATS"],
    "kv-groups-keep": ["--kv-groups-keep", "0.5", "--stats", "STATS"],
    "hidden-keep": ["--hidden-keep", "0.75", "--stats", "STATS"],
    "all": ["--drop-layers", "2", "--ffn-keep", "0.5", "--kv-groups-keep", "0.5", "--hidden-keep", "0.5", "--stats", "STATS"],
}


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(cli, *args):
    subprocess.run([str(cli), *args], check=True, stdout=subprocess.DEVNULL)


def main(argv):
    cli = Path(argv[1]) if len(argv) > 1 else CLI
    OUT.mkdir(parents=True, exist_ok=True)
    stats = OUT / "stats.json"
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "calibration.txt"
        text.write_text(TEXT)
        run(cli, "importance", "--model", str(MODEL), "--data", str(text), "--ctx", "64", "--samples", "4", "--out", str(stats),
            "--threads", "1")
        cases = []
        for name, args in CASES.items():
            folder = Path(tmp) / name
            run(cli, "prune", "--model", str(MODEL), "--out", str(folder), *[str(stats) if a == "STATS" else a for a in args])
            config, weights = ref.load_model(folder)
            logits = ref.forward(config, weights, TOKENS)
            cases.append({"name": name, "args": args, "config_sha256": sha256(folder / "config.json"),
                          "weights_sha256": sha256(folder / "model.safetensors"),
                          "shape": {k: config[k] for k in ("num_hidden_layers", "hidden_size", "intermediate_size",
                                                           "num_attention_heads", "num_key_value_heads")},
                          "logits": [[round(float(v), DECIMALS) for v in row] for row in logits]})
            print(name, cases[-1]["shape"])
    (OUT / "reference.json").write_text(json.dumps({"model": "stories260K (../shared/models)", "token_ids": TOKENS, "cases": cases}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
