-- wrk: every request is the same OpenAI completion (4 samples of a Countdown problem, fixed seed).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "countdown-policy", "prompt": "numbers: 3 7 25 50 target: 85\\n", "n": 4, "seed": 7}'
