"""Schemathesis checks of Ponder's own rules, loaded with SCHEMATHESIS_HOOKS=hooks (run.sh sets it).

no_leak: no response body names a stack frame, an exception or a file of the machine.
json_where_promised: every answer outside the view's files, /metrics and a 200 event stream is JSON that parses.
flatmap_body: a body is sent as generated, with each served model id in its place (PONDER_FUZZ_MODELS,
comma-separated), or as a valid request with one of its fields, so that requests reach the searches behind
validation instead of stopping at "unknown model" or the first bad field.
"""
import json
import os

import schemathesis
from hypothesis import strategies as st

LEAKS = ("at dev.ponder", "Exception", ".java:", "/tmp/", "/work/", "/root/", "/home/", "/usr/", "/proc/",
         "model.onnx", "config.json")
NOT_JSON = {"/", "/index.html", "/view.js", "/style.css", "/metrics"}


SERVED = [m for m in os.environ.get("PONDER_FUZZ_MODELS", "").split(",") if m]


SEARCH = {"model": "countdown-policy", "prompt": "numbers: 3 7 25 50 target: 85\n", "n": 2, "max_new_tokens": 8}
# Valid requests per operation, one per search family: a generated body's fields are also tried one at a time on
# top of each, so that the fuzzer reaches every algorithm behind validation with one odd field at a time.
VALID = {
    "/v1/completions": [{"model": "countdown-policy", "prompt": "numbers: 3 7 25 50 target: 85\n", "max_tokens": 8}],
    "/v1/chat/completions": [{"model": "countdown-policy", "messages": [{"role": "user", "content": "3 7 25"}],
                              "max_tokens": 8}],
    "/v1/search": [
        dict(SEARCH, algorithm="bon", verifier="checker"),
        dict(SEARCH, algorithm="step-beam", verifier="countdown-prm-cached", m=2),
        dict(SEARCH, algorithm="smc", verifier="countdown-prm-cached"),
        dict(SEARCH, algorithm="mcts", verifier="countdown-prm-cached", m=2),
        {"model": "digits-denoiser", "algorithm": "fk", "n": 2, "steps": 4, "target_class": 3,
         "verifier": "digits-classifier"},
        {"model": "digits-generator", "algorithm": "reno", "n": 2, "steps": 3, "target_class": 3,
         "verifier": "digits-reward-grad"},
    ],
}


@schemathesis.hook
def flatmap_body(context, body):
    if not isinstance(body, dict):
        return st.just(body)
    choices = [body]
    if SERVED and "model" in body:
        choices += [dict(body, model=m) for m in SERVED]
    for base in VALID.get(context.operation.path if context.operation else None, []):
        choices.append(base)
        choices += [dict(base, **{k: v}) for k, v in body.items()]
    return st.sampled_from(choices)


def sent(case):
    """What the request carried, as the server may echo it back (an unknown model id, a field name)."""
    parts = [case.path_parameters, case.query, case.body]
    return " ".join(json.dumps(p, ensure_ascii=False, default=str) + repr(p) for p in parts)


@schemathesis.check
def no_leak(ctx, response, case):
    if case.operation.path == "/openapi.json":
        return
    text = response.content.decode("utf-8", "replace")
    for needle in LEAKS:
        if needle in text and needle not in sent(case):
            raise AssertionError(f"the body contains {needle!r}: {text[:300]!r}")


@schemathesis.check
def json_where_promised(ctx, response, case):
    if case.operation.path in NOT_JSON:
        return
    kind = response.headers.get("content-type", [""])
    kind = (kind[0] if isinstance(kind, list) else kind).lower()
    if response.status_code == 200 and kind.startswith("text/event-stream"):
        return
    if not kind.startswith("application/json"):
        raise AssertionError(f"{response.status_code} answered with {kind!r}, not JSON")
    try:
        json.loads(response.content)
    except ValueError as e:
        raise AssertionError(f"{response.status_code} JSON that does not parse: {e}") from None


@schemathesis.check
class CountResponses:
    """Writes the status codes of every response checked to $PONDER_FUZZ_COUNTS (a JSON object) at the end."""

    def __init__(self):
        self.statuses = {}

    def after_response(self, ctx, response, case):
        key = str(response.status_code)
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def after_run(self, ctx):
        path = os.environ.get("PONDER_FUZZ_COUNTS")
        if path:
            with open(path, "w") as f:
                json.dump(self.statuses, f, sort_keys=True)
