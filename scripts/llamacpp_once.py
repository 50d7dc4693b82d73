"""One llama.cpp measurement for `brief bench --llamacpp PYTHON` (embedded in the binary and run
with `PYTHON -c`; needs `pip install llama-cpp-python`, which builds llama.cpp from source).

    PYTHON -c "$(cat scripts/llamacpp_once.py)" MODEL.gguf THREADS PROMPT_TOKENS DECODE_TOKENS < prompt.txt

Prefill of exactly PROMPT_TOKENS tokens of the text on stdin (repeated as needed, BOS as the GGUF
says) in one batch, then DECODE_TOKENS greedy steps of one token, as `brief bench` measures;
prints {"prefill": tok/s, "decode": tok/s}.
"""
import json, sys, time

import numpy as np
from llama_cpp import Llama

path, threads, n_prompt, n_decode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
text = sys.stdin.read()
# llama-cpp-python keeps one row of logits per batch position; a batch as long as the whole
# context keeps the decode steps' rows in range (the compute batch stays n_prompt).
n_ctx = n_prompt + n_decode + 8
llm = Llama(model_path=path, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_prompt,
            n_threads=threads, n_threads_batch=threads, verbose=False)
ids = llm.tokenize(text.encode(), add_bos=True)
reps = 1
while len(ids) < n_prompt:
    reps += 1
    ids = llm.tokenize((text * reps).encode(), add_bos=True)
ids = ids[:n_prompt]
llm.reset()
t = time.perf_counter()
llm.eval(ids)
prefill = n_prompt / (time.perf_counter() - t)
t = time.perf_counter()
for _ in range(n_decode):
    nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    llm.eval([nxt])
decode = n_decode / (time.perf_counter() - t)
print(json.dumps({"prefill": prefill, "decode": decode}))
