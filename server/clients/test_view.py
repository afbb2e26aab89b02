"""The live search view at / in headless Debian chromium, driven through the DevTools protocol.

Runs a search from the page for SMC, MCTS, step-beam, Feynman-Kac and ReNO, waits until the page says it is done, then
asserts on what is drawn (particles, ancestry lines and the ESS line; tree nodes and edges; the answer, which
must equal the API's answer for the same request and seed; the counters) and saves a screenshot of each.
Needs PONDER_VIEW_URL and PONDER_API_KEY; PONDER_SCREENSHOTS names the folder for the screenshots.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import websocket

URL = os.environ["PONDER_VIEW_URL"]
KEY = os.environ["PONDER_API_KEY"]
SHOTS = os.environ.get("PONDER_SCREENSHOTS", tempfile.gettempdir())
PROMPT = "numbers: 3 7 25 50 target: 85\n"


class Browser:
    """One headless chromium with its own profile, and one page to drive."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="ponder-chromium-")
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile, "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        with open(port_file) as f:
            port = f.read().split()[0]
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def open(self, url):
        self.call("Page.navigate", url=url)

    def wait_for(self, expression, seconds=90):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                if self.eval(expression):
                    return
            except RuntimeError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}; status: "
                             + str(self.eval("document.getElementById('status').textContent")))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            shutil.rmtree(self.profile, ignore_errors=True)


def api_search(body):
    """The same search through the API, without streaming: what the page must show."""
    req = urllib.request.Request(urllib.parse.urljoin(URL, "/v1/search"), data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + KEY})
    return json.load(urllib.request.urlopen(req, timeout=120))


DRAWN = """(() => {
  const q = (s) => document.querySelectorAll(s).length;
  const counters = {};
  document.querySelectorAll('#counters dd').forEach((d) => counters[d.dataset.k] = d.textContent);
  const ess = document.querySelector('#ess polyline');
  return { status: document.getElementById('status').dataset.state,
    error: document.getElementById('error').textContent,
    answer: document.getElementById('answer').dataset.text,
    particles: q('circle.particle'), ancestry: q('line.ancestry'), essPoints: ess ? ess.getAttribute('points').trim().split(' ').length : 0,
    nodes: q('circle.node'), edges: q('line.edge:not(.ancestry)'), chosenEdges: q('line.edge.chosen'), pruned: q('circle.node.pruned'),
    finished: q('circle.node.finished'), best: q('circle.node.best'), digit: !document.getElementById('digit').hidden,
    iterates: q('circle.iterate'), iterateLines: q('polyline.iterate-line'), previews: q('canvas.preview'),
    counters };
})()"""


class LiveViewTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.browser = Browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def run_view(self, params, shot):
        params = dict(params, key=KEY, autostart="1")
        self.browser.open(URL + "?" + urllib.parse.urlencode(params))
        self.browser.wait_for("document.getElementById('status') && ['done', 'error'].includes("
                              "document.getElementById('status').dataset.state)")
        drawn = self.browser.eval(DRAWN)
        self.browser.screenshot(os.path.join(SHOTS, shot))
        self.assertEqual(drawn["status"], "done", drawn["error"])
        return drawn

    def test_smc_draws_particles_ancestry_and_ess(self):
        n = 16
        drawn = self.run_view({"model": "countdown-policy", "algorithm": "smc", "n": n, "seed": 3,
                               "verifier": "countdown-prm-cached", "prompt": PROMPT}, "live-view-smc.png")
        api = api_search({"model": "countdown-policy", "prompt": PROMPT, "algorithm": "smc", "n": n, "seed": 3,
                          "verifier": "countdown-prm-cached"})
        steps = drawn["essPoints"]
        self.assertGreater(steps, 2)
        self.assertEqual(drawn["particles"], n * steps)
        self.assertEqual(drawn["ancestry"], n * (steps - 1))
        self.assertEqual(drawn["answer"], api["candidates"][0]["text"])
        self.assertEqual(drawn["counters"]["policy_tokens"], str(api["stats"]["policy_tokens"]))
        self.assertEqual(drawn["counters"]["outcome"], api["outcome"])

    def test_mcts_draws_the_tree(self):
        drawn = self.run_view({"model": "countdown-policy", "algorithm": "mcts", "n": 24, "m": 3, "seed": 2,
                               "verifier": "countdown-prm-cached", "prompt": PROMPT}, "live-view-mcts.png")
        api = api_search({"model": "countdown-policy", "prompt": PROMPT, "algorithm": "mcts", "n": 24, "m": 3,
                          "seed": 2, "verifier": "countdown-prm-cached"})
        tree_nodes = len(api["trace"]["nodes"])
        self.assertEqual(drawn["nodes"], tree_nodes)  # every node of the search tree, the root included
        self.assertEqual(drawn["edges"], tree_nodes - 1)
        chosen = [n for n in api["trace"]["nodes"] if n["chosen"]]
        self.assertEqual(drawn["best"], len(chosen))  # the path to the answer, from the trace
        self.assertEqual(drawn["chosenEdges"], len(chosen) - 1)
        self.assertEqual(drawn["answer"], api["candidates"][0]["text"])

    def test_step_beam_marks_pruned_finished_and_best(self):
        drawn = self.run_view({"model": "countdown-policy", "algorithm": "step-beam", "n": 8, "m": 4, "seed": 5,
                               "verifier": "countdown-prm-cached", "prompt": PROMPT}, "live-view-step-beam.png")
        api = api_search({"model": "countdown-policy", "prompt": PROMPT, "algorithm": "step-beam", "n": 8, "m": 4,
                          "seed": 5, "verifier": "countdown-prm-cached"})
        self.assertGreater(drawn["nodes"], 8)
        self.assertGreater(drawn["pruned"], 0)
        self.assertGreater(drawn["finished"], 0)
        self.assertGreaterEqual(drawn["best"], 1)
        self.assertEqual(drawn["answer"], api["candidates"][0]["text"])

    def test_feynman_kac_draws_particles_and_the_digit(self):
        drawn = self.run_view({"model": "digits-denoiser", "algorithm": "fk", "n": 8, "seed": 1,
                               "verifier": "digits-classifier", "target_class": 3}, "live-view-fk.png")
        self.assertGreater(drawn["essPoints"], 2)
        self.assertEqual(drawn["particles"], 8 * drawn["essPoints"])
        self.assertEqual(drawn["previews"], 8)  # each live particle's current image
        self.assertTrue(drawn["digit"])

    def test_reno_draws_its_iterates(self):
        params = {"model": "digits-generator", "algorithm": "reno", "n": 3, "steps": 12, "seed": 2,
                  "verifier": "digits-reward-grad", "target_class": 7}
        drawn = self.run_view(params, "live-view-reno.png")
        api = api_search({k: v for k, v in params.items()})
        iterates = api["trace"]["iterates"]
        self.assertEqual(len(iterates), 12)
        self.assertEqual(drawn["iterateLines"], 3)
        self.assertEqual(drawn["iterates"], sum(len(i["rewards"]) for i in iterates))
        self.assertTrue(drawn["digit"])
        self.assertEqual(drawn["counters"]["model_calls"], str(api["stats"]["model_calls"]))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
