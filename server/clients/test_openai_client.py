"""The server through the official `openai` Python package: completions, chat, streaming, n, seed, errors.

Run by server/ci/client-tests.sh with PONDER_BASE_URL, PONDER_API_KEY and PONDER_JAR set; answers are compared
with the library's own (the jar's `search` command) for the same seed.
"""
import os
import re
import subprocess
import sys
import unittest

import openai

BASE = os.environ["PONDER_BASE_URL"]
KEY = os.environ["PONDER_API_KEY"]
JAR = os.environ["PONDER_JAR"]
PROMPT = "numbers: 3 7 25 50 target: 85\n"
MODEL = "countdown-policy"


def library_samples(n, seed):
    """The library's samples for PROMPT (the jar's `search` command), in its order."""
    out = subprocess.run(
        ["java", "-jar", JAR, "search", "--model", os.environ["PONDER_POLICY_DIR"], "--prompt",
         PROMPT.replace("\n", "\\n"), "--samples", str(n), "--seed", str(seed)],
        check=True, capture_output=True, text=True).stdout
    texts, current = [], None
    for line in out.splitlines():
        if line.startswith("--- sample "):
            if current is not None:
                texts.append("\n".join(current))
            current = []
        elif line.startswith("--- "):
            if current is not None:
                texts.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return texts


class OpenAiClientTest(unittest.TestCase):
    client = openai.OpenAI(base_url=BASE, api_key=KEY, max_retries=0, timeout=120)

    def test_models_lists_the_embedded_models(self):
        ids = {m.id for m in self.client.models.list()}
        self.assertTrue({"countdown-policy", "countdown-orm-cached", "countdown-prm-cached"} <= ids, ids)

    def test_completions_same_seed_same_answer_as_the_library(self):
        r = self.client.completions.create(model=MODEL, prompt=PROMPT, n=4, seed=7)
        self.assertEqual([c.text for c in r.choices], library_samples(4, 7))
        self.assertEqual([c.index for c in r.choices], [0, 1, 2, 3])
        self.assertEqual(r.object, "text_completion")
        self.assertGreater(r.usage.prompt_tokens, 0)
        self.assertGreater(r.usage.completion_tokens, 0)
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens)
        again = self.client.completions.create(model=MODEL, prompt=PROMPT, n=4, seed=7)
        self.assertEqual([c.text for c in again.choices], [c.text for c in r.choices])

    def test_chat_is_the_plain_format_of_the_messages(self):
        chat = self.client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT.strip()}], n=2, seed=11, user="client-test")
        plain = self.client.completions.create(model=MODEL, prompt=PROMPT, n=2, seed=11)
        self.assertEqual([c.message.content for c in chat.choices], [c.text for c in plain.choices])
        self.assertEqual(chat.choices[0].message.role, "assistant")
        self.assertIn(chat.choices[0].finish_reason, ("stop", "length"))

    def test_streaming_completion_equals_the_plain_answer(self):
        plain = self.client.completions.create(model=MODEL, prompt=PROMPT, n=2, seed=5)
        texts, chunks, usage = {}, {}, None
        for chunk in self.client.completions.create(model=MODEL, prompt=PROMPT, n=2, seed=5, stream=True,
                                                    stream_options={"include_usage": True}):
            for c in chunk.choices:
                texts[c.index] = texts.get(c.index, "") + c.text
                chunks[c.index] = chunks.get(c.index, 0) + (1 if c.text else 0)
            if chunk.usage is not None:
                usage = chunk.usage
        # Plain sampling streams token by token, in draw order; the whole response ranks the same texts.
        self.assertEqual(sorted([texts[0], texts[1]]), sorted(c.text for c in plain.choices))
        self.assertGreater(min(chunks.values()), 5, chunks)
        self.assertEqual(usage.completion_tokens, plain.usage.completion_tokens)

    def test_streaming_chat_with_usage(self):
        content, reasons, usage, pieces = "", [], None, 0
        stream = self.client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT}], seed=3, stream=True,
            stream_options={"include_usage": True})
        for chunk in stream:
            for c in chunk.choices:
                content += c.delta.content or ""
                pieces += 1 if c.delta.content else 0
                if c.finish_reason:
                    reasons.append(c.finish_reason)
            if chunk.usage is not None:
                usage = chunk.usage
        plain = self.client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": PROMPT}], seed=3)
        self.assertEqual(content, plain.choices[0].message.content)
        self.assertGreater(pieces, 5)
        self.assertEqual(len(reasons), 1)
        self.assertEqual(usage.prompt_tokens, plain.usage.prompt_tokens)

    def test_logprobs_for_chat_and_completions(self):
        chat = self.client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT}], seed=7, logprobs=True, top_logprobs=2)
        content = chat.choices[0].logprobs.content
        self.assertEqual("".join(t.token for t in content), chat.choices[0].message.content)
        self.assertTrue(all(len(t.top_logprobs) == 2 for t in content))
        self.assertTrue(all(t.logprob <= max(a.logprob for a in t.top_logprobs) + 1e-9 for t in content))
        total = chat.choices[0].model_extra["ponder"]["logprob"]
        self.assertAlmostEqual(sum(t.logprob for t in content), total, delta=0.05)  # total also has the end token
        done = self.client.completions.create(model=MODEL, prompt=PROMPT, seed=7, max_tokens=10, logprobs=1)
        lp = done.choices[0].logprobs
        self.assertEqual("".join(lp.tokens), done.choices[0].text)
        self.assertEqual(len(lp.token_logprobs), 10)
        self.assertEqual(lp.text_offset[:3], [0, 1, 2])

    def test_max_tokens_stop_and_temperature_zero(self):
        cut = self.client.completions.create(model=MODEL, prompt=PROMPT, seed=1, max_tokens=4)
        self.assertEqual(cut.choices[0].finish_reason, "length")
        stopped = self.client.completions.create(model=MODEL, prompt=PROMPT, seed=1, stop=["\n"])
        self.assertNotIn("\n", stopped.choices[0].text)
        self.assertEqual(stopped.choices[0].finish_reason, "stop")
        g1 = self.client.completions.create(model=MODEL, prompt=PROMPT, seed=1, temperature=0)
        g2 = self.client.completions.create(model=MODEL, prompt=PROMPT, seed=2, temperature=0)
        self.assertEqual(g1.choices[0].text, g2.choices[0].text)

    def test_a_search_through_extra_body(self):
        r = self.client.completions.create(
            model=MODEL, prompt=PROMPT, seed=2,
            extra_body={"ponder": {"algorithm": "smc", "n": 8, "verifier": "countdown-prm-cached"}})
        self.assertEqual(len(r.choices), 1)
        self.assertEqual(r.model_extra["ponder"]["algorithm"], "smc")
        self.assertGreater(r.usage.model_extra["verifier_tokens"], 0)
        self.assertTrue(re.search(r"answer: ", r.choices[0].text), r.choices[0].text)

    def test_errors_are_typed_with_status_and_param(self):
        with self.assertRaises(openai.NotFoundError) as e:
            self.client.completions.create(model="gpt-4", prompt=PROMPT)
        self.assertEqual(e.exception.status_code, 404)
        self.assertIn("does not exist", e.exception.message)
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.completions.create(model=MODEL, prompt=PROMPT, temperature=3)
        self.assertEqual(e.exception.param, "temperature")
        self.assertIn("found 3", e.exception.message)
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}],
                                                extra_body={"ponder": {"algorithm": "smc"}})
        self.assertEqual(e.exception.param, "verifier")
        with self.assertRaises(openai.BadRequestError) as e:
            self.client.completions.create(model=MODEL, prompt=PROMPT, n=1000)
        self.assertEqual(e.exception.param, "n")
        with self.assertRaises(openai.AuthenticationError):
            openai.OpenAI(base_url=BASE, api_key="wrong", max_retries=0).models.list()


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
