#!/usr/bin/env python3
"""Regenerates rouge_reference.jsonl: what shared/eval/score.py computes for a few predictions.

Run from the crate root, in a venv with `pip install rouge-score==0.1.2 nltk`:
    python tests/data/gen_rouge_reference.py ../shared/eval > tests/data/rouge_reference.jsonl

Line kinds (all scores are F1/precision/recall x100):
  meta       versions used.
  refs       the references of one selected eval example (stored once, used by `example` lines).
  example    a prediction for a selected example, its variant name, and per-metric p/r/f; f is
             exactly score.py's per-example number. `references` overrides the refs line.
  aggregate  score.py's printed (rounded) means and the unrounded means over one set of lines.
  lead3      per-example F1 for the lead-3 baseline (first document's first three sentences,
             joined by newlines) over a whole dev file; the test rebuilds the predictions
             from the eval file, so no text is stored.
Only short prefixes of documents and the selected references are stored, never whole documents.
"""
import json
import os
import random
import sys
import tempfile

EVAL_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "../shared/eval")
sys.path.insert(0, EVAL_DIR)

import nltk  # noqa: E402
import score  # noqa: E402
import sentsplit  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402

METRICS = score.METRICS
SCORER = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
UNICODE = ("Café owner José Núñez, 42, said prices rose 3.5% to €1,250 in 2019 — “a record” — at "
           "İstanbul’s Straße № 7;\n½ of U.S. sales (1st, 2nd) fell 10-15% since 9 a.m. ΣΑΣ 東京 🎉.")


def emit(obj):
    print(json.dumps(obj, ensure_ascii=False))


def lead(row, k, joiner="\n"):
    return joiner.join(sentsplit.split_sentences(row["documents"][0]["text"])[:k])


def variants(row, index):
    ref = row["references"][0]
    words = ref.split()
    shuffled = words[:]
    random.Random(index).shuffle(shuffled)
    out = {
        "lead1": (lead(row, 1), None),
        "lead3": (lead(row, 3), None),
        "lead3_space_joined": (lead(row, 3, " "), None),
        "ref_truncated": (" ".join(words[: len(words) // 2]), None),
        "ref_shuffled": (" ".join(shuffled), None),
        "ref_exact": (ref, None),
        "empty": ("", None),
        "unicode_digits": (UNICODE + " " + lead(row, 1), None),
        "repeated_words": (" ".join(words[:3] * 5), None),
        # Two references: the per-metric max may come from either.
        "multi_ref": (lead(row, 2), [ref, lead(row, 1)]),
    }
    return out


def prf(pred, refs):
    """Per-metric p/r/f of the reference with the highest F (first on ties), x100."""
    pred_fmt = score.lsum_format(pred)
    per_ref = [SCORER.score(score.lsum_format(r), pred_fmt) for r in refs]
    out = {}
    for m in METRICS:
        best = max(range(len(per_ref)), key=lambda i: (per_ref[i][m].fmeasure, -i))
        s = per_ref[best][m]
        out[m] = {"p": s.precision * 100, "r": s.recall * 100, "f": s.fmeasure * 100}
    return out


def run_score_py(preds, rows):
    """score.py's own main() on temporary files, and the unrounded means."""
    with tempfile.TemporaryDirectory() as d:
        pred_path, eval_path = os.path.join(d, "pred.jsonl"), os.path.join(d, "eval.jsonl")
        with open(pred_path, "w", encoding="utf-8") as f:
            for i, s in preds.items():
                f.write(json.dumps({"id": i, "summary": s}) + "\n")
        with open(eval_path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        old = sys.stdout
        sys.stdout = open(os.devnull, "w")
        try:
            printed = score.main([pred_path, eval_path, "--json"])
        finally:
            sys.stdout.close()
            sys.stdout = old
    per_ex = score.score_examples(preds, rows)
    mean = {m: sum(e[m] * 100 for e in per_ex) / max(len(per_ex), 1) for m in METRICS}
    return {m: printed[m] for m in METRICS}, mean, per_ex


def main():
    import rouge_score
    emit({"kind": "meta", "rouge_score": "0.1.2", "nltk": nltk.__version__,
          "python": sys.version.split()[0], "generator": "tests/data/gen_rouge_reference.py"})
    for name, step in (("xsum_dev", 10), ("multinews_dev", 4)):
        rows = score.read_jsonl(os.path.join(EVAL_DIR, name + ".jsonl"))
        picked = rows[::step]
        by_variant = {}
        for index, row in enumerate(picked):
            emit({"kind": "refs", "eval": name, "id": row["id"], "references": row["references"]})
            for variant, (pred, refs) in variants(row, index).items():
                by_variant.setdefault(variant, []).append((row, pred, refs))
                line = {"kind": "example", "eval": name, "id": row["id"], "variant": variant,
                        "prediction": pred, "scores": prf(pred, refs or row["references"])}
                if refs:
                    line["references"] = refs
                emit(line)
        for variant, items in by_variant.items():
            eval_rows = [dict(r, references=refs or r["references"], documents=[]) for r, _, refs in items]
            preds = {r["id"]: p for r, p, _ in items}
            printed, mean, _ = run_score_py(preds, eval_rows)
            emit({"kind": "aggregate", "set": "variants", "eval": name, "variant": variant,
                  "n": len(items), "score_py": printed, "mean": mean})
        preds = {r["id"]: lead(r, 3) for r in rows}
        printed, mean, per_ex = run_score_py(preds, rows)
        for r, e in zip(rows, per_ex):
            emit({"kind": "lead3", "eval": name, "id": r["id"],
                  "scores": {m: e[m] * 100 for m in METRICS}})
        emit({"kind": "aggregate", "set": "lead3", "eval": name, "variant": "lead3",
              "n": len(rows), "score_py": printed, "mean": mean})


if __name__ == "__main__":
    main()
