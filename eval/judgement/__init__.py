"""The judges' evaluation set (the *.jsonl files here) and its runner: `python -m eval.judgement`."""
