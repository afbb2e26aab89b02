-- wrk: every request is a best-of-16 search scored by the cached ORM (fixed seed).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "countdown-policy", "prompt": "numbers: 3 7 25 50 target: 85\\n", "algorithm": "bon", "n": 16,'
  .. ' "verifier": "countdown-orm-cached", "seed": 3}'
