"""Checks that the reference implementation and the generated fixtures can be trusted.

1. Third-party agreement: run llama_reference.forward on the real stories260K model
   (../shared/models/stories260K/model.safetensors, HF layout) and compare with the logits and
   greedy continuations that llama2.c's run.c produced from the original checkpoint.
2. Fixture round trip: reload every fixture from disk with the hand-written safetensors reader
   (sharded index included) and recompute its logits and greedy ids; they must equal
   reference.json exactly, which shows the files hold the weights the reference was computed from.

Run: /usr/bin/python3 tools/reference/self_check.py [shared dir]
Exits non-zero when a check fails.
"""

import json
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_reference as ref  # noqa: E402
from make_fixtures import DEFAULT_OUT, REPO_ROOT, VARIANTS  # noqa: E402

STORIES_TOLERANCE = 1e-4


def check_stories260k(shared_dir):
    model_dir = shared_dir / "models" / "stories260K"
    if not (model_dir / "model.safetensors").exists():
        print(f"skip stories260K: {model_dir} not found")
        return True
    config, weights = ref.load_model(model_dir)
    expected = json.loads((model_dir / "reference" / "logits.json").read_text())
    want = torch.tensor(expected["logits"], dtype=torch.float64)
    got32 = ref.forward(config, weights, expected["token_ids"], torch.float32).double()
    got64 = ref.forward(config, weights, expected["token_ids"], torch.float64)
    diff32 = float((got32 - want).abs().max())
    diff64 = float((got64 - want).abs().max())
    top1 = int((got32.argmax(-1) == want.argmax(-1)).sum())
    print(f"stories260K logits vs run.c: max|diff| float32 {diff32:.3g}, float64 {diff64:.3g}, "
          f"top-1 {top1}/{len(want)}")
    ok = diff32 < STORIES_TOLERANCE and top1 == len(want)

    for case in json.loads((model_dir / "reference" / "greedy.json").read_text()):
        want_ids = case["generated_token_ids"]
        got_ids = ref.greedy(config, weights, case["prompt_token_ids"], len(want_ids))
        same = sum(a == b for a, b in zip(got_ids, want_ids))
        print(f"stories260K greedy {json.dumps(case['prompt'])}: {same}/{len(want_ids)} tokens match run.c")
        ok = ok and same == len(want_ids)
    return ok


def check_fixtures(fixtures_dir):
    ok = True
    for name in VARIANTS:
        folder = fixtures_dir / name
        config, weights = ref.load_model(folder)
        expected = json.loads((folder / "reference.json").read_text())
        logits = ref.forward(config, weights, expected["token_ids"])
        exact = torch.equal(logits, torch.tensor(expected["logits"], dtype=torch.float32))
        greedy = expected["greedy"]
        same_greedy = ref.greedy(config, weights, greedy["prompt_ids"], len(greedy["generated_ids"])) \
            == greedy["generated_ids"]
        print(f"fixture {name}: logits reproduce exactly {exact}, greedy {same_greedy}")
        ok = ok and exact and same_greedy
    return ok


def main(argv):
    torch.set_num_threads(1)  # the fixtures were computed single-threaded; match the sum order
    default_shared = Path(os.environ.get("TRANSFORMER_SHARED_DIR", REPO_ROOT.parent / "shared"))
    shared_dir = Path(argv[1]) if len(argv) > 1 else default_shared
    ok = check_stories260k(shared_dir)
    ok = check_fixtures(DEFAULT_OUT) and ok
    print("all checks passed" if ok else "CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
