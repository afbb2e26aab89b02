// Ponder's live search view: streams POST /v1/search ("stream": true) and draws each SearchEvent as it comes:
// the tree for beam, step-beam, DVTS and MCTS; particles with their ancestry, ESS and resampling for SMC and
// Feynman-Kac, with each digit particle's current image; the iterates of ReNO and zero-order noise search (reward
// per iteration for each restart); the answer and the counters. Plain browser JavaScript, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const PARTICLES = new Set(["smc", "fk"]);
const NEEDS = { bon: "orm", "weighted-bon": "orm", auto: "orm", "step-beam": "prm", dvts: "prm", smc: "prm", mcts: "prm",
  fk: "classifier", "zero-order": "classifier", reno: "reward-gradient" };
const LM_ALGORITHMS = ["sample", "greedy", "bon", "weighted-bon", "majority", "beam", "step-beam", "dvts", "smc", "mcts", "auto"];
const DIFFUSION_ALGORITHMS = ["fk", "diffusion-sample"];
const NOISE_ALGORITHMS = ["reno", "zero-order"];
const DIGITS = new Set([...DIFFUSION_ALGORITHMS, ...NOISE_ALGORITHMS]);

let models = [];
let state = null;

function fresh(algorithm, n) {
  return { algorithm, n, nodes: new Map(), order: [], steps: [], pendingScores: [], events: 0, resamplings: 0,
    lastStep: -1, live: 0, stats: null, result: null, drawQueued: false, previews: new Map(), previewStep: 0,
    iterates: new Map() };
}

function node(id) {
  let v = state.nodes.get(id);
  if (!v) {
    v = { id, parent: null, children: [], score: null, status: "live", text: "" };
    state.nodes.set(id, v);
    state.order.push(id);
  }
  return v;
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("key").value.trim();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

async function loadModels() {
  const r = await fetch("/v1/models", { headers: headers() });
  if (!r.ok) throw new Error((await r.json()).error.message);
  models = (await r.json()).data;
  const policies = models.filter((m) => ["policy", "denoiser", "generator"].includes(m.kind));
  $("model").innerHTML = policies.map((m) => `<option value="${m.id}">${m.id}</option>`).join("");
  onModel();
}

function onModel() {
  const kind = (models.find((m) => m.id === $("model").value) || {}).kind;
  const algorithms = kind === "denoiser" ? DIFFUSION_ALGORITHMS
    : kind === "generator" ? NOISE_ALGORITHMS : LM_ALGORITHMS;
  const keep = $("algorithm").value;
  $("algorithm").innerHTML = algorithms.map((a) => `<option>${a}</option>`).join("");
  if (algorithms.includes(keep)) $("algorithm").value = keep;
  document.body.classList.toggle("diffusion", kind === "denoiser" || kind === "generator");
  onAlgorithm();
}

function onAlgorithm() {
  const need = NEEDS[$("algorithm").value];
  const fitting = need ? models.filter((m) => m.kind === need).map((m) => m.id) : [];
  if (need === "orm") fitting.push("checker");
  const keep = $("verifier").value;
  $("verifier").innerHTML = fitting.length ? fitting.map((id) => `<option>${id}</option>`).join("")
    : "<option value=''>(none needed)</option>";
  const preferred = fitting.find((id) => id.endsWith("-cached")) || fitting[0];
  $("verifier").value = fitting.includes(keep) ? keep : (preferred || "");
}

function request() {
  const algorithm = $("algorithm").value;
  const body = { model: $("model").value, algorithm, n: +$("n").value, seed: +$("seed").value, stream: true };
  if (["step-beam", "dvts", "mcts", "zero-order"].includes(algorithm)) body.m = +$("m").value;
  if ($("verifier").value) body.verifier = $("verifier").value;
  if (DIGITS.has(algorithm)) {
    if (algorithm !== "diffusion-sample") body.target_class = +$("target_class").value;
    if ($("steps").value) body.steps = +$("steps").value;
  } else {
    body.prompt = $("prompt").value;
  }
  return body;
}

async function run(ev) {
  if (ev) ev.preventDefault();
  const body = request();
  state = fresh(body.algorithm, body.n);
  $("error").textContent = "";
  $("answer").textContent = "";
  $("digit").hidden = true;
  setStatus("running", "running " + body.algorithm);
  draw();
  try {
    const r = await fetch("/v1/search", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    if (!r.ok) throw new Error((await r.json()).error.message);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        onBlock(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
    if (!state.result) throw new Error("the stream ended without a result");
    setStatus("done", "done: " + state.result.outcome);
  } catch (e) {
    $("error").textContent = e.message;
    setStatus("error", "error");
  }
  draw();
}

function setStatus(s, text) {
  $("status").dataset.state = s;
  $("status").textContent = text;
}

function onBlock(block) {
  let name = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return;
  const e = JSON.parse(data);
  if (name === "error") throw new Error(e.error.message);
  onEvent(name, e);
  if (!state.drawQueued) {
    state.drawQueued = true;
    requestAnimationFrame(() => { state.drawQueued = false; draw(); });
  }
}

function onEvent(name, e) {
  state.events++;
  switch (name) {
    case "step":
      state.lastStep = e.step;
      state.live = e.live;
      state.pendingScores = [];
      break;
    case "expand": {
      const p = node(e.parent);
      for (const c of e.children) {
        const child = node(c);
        if (child.parent === null && c !== e.parent) {
          child.parent = e.parent;
          p.children.push(c);
        }
      }
      break;
    }
    case "score":
      if (NOISE_ALGORITHMS.includes(state.algorithm)) {
        // A noise search scores each restart once an iteration: its lineage is the restart's index.
        if (!state.iterates.has(e.lineage)) state.iterates.set(e.lineage, []);
        state.iterates.get(e.lineage).push(e.score);
        break;
      }
      node(e.lineage).score = e.score;
      state.pendingScores.push(e.score);
      break;
    case "resample": {
      const identity = e.ancestors.every((a, i) => a === i);
      if (!identity) state.resamplings++;
      state.steps.push({ step: e.step, ess: e.ess, ancestors: e.ancestors, scores: state.pendingScores.slice(),
        resampled: !identity });
      state.pendingScores = [];
      break;
    }
    case "prune":
      node(e.lineage).status = "pruned";
      break;
    case "finish": {
      const v = node(e.lineage);
      v.status = "finished";
      v.text = e.text;
      break;
    }
    case "preview":
      state.previews.set(e.lineage, { step: e.step, pixels: e.pixels });
      state.previewStep = Math.max(state.previewStep, e.step);
      break;
    case "done":
      state.stats = e.stats;
      break;
    case "result":
      state.result = e;
      state.stats = e.stats;
      if (e.trace && e.trace.type === "tree") {
        // The trace marks the path to the answer; events name the same hypotheses by lineage.
        for (const n of e.trace.nodes) {
          if (n.chosen && state.nodes.has(n.lineage)) state.nodes.get(n.lineage).chosen = true;
        }
        state.chosenFromTrace = true;
      }
      break;
    default:
      break;
  }
}

function draw() {
  if (!state) return;
  const svg = $("tree");
  svg.replaceChildren();
  $("ess").replaceChildren();
  drawPreviews();
  if (PARTICLES.has(state.algorithm)) {
    $("view-title").textContent = "particles: ancestry at each resampling step, then the ESS";
    drawParticles(svg);
    drawEss($("ess"));
  } else if (NOISE_ALGORITHMS.includes(state.algorithm)) {
    $("view-title").textContent = "iterates: the reward at each iteration, one line per restart";
    drawIterates(svg);
  } else {
    $("view-title").textContent = "search tree: hypotheses, their scores, pruned and finished";
    drawTree(svg);
  }
  drawAnswer();
  drawCounters();
}

function color(score, lo, hi) {
  if (score === null || score === undefined || !isFinite(score)) return "#ccd";
  const t = hi > lo ? (score - lo) / (hi - lo) : 0.5;
  return `hsl(${Math.round(10 + 120 * t)}, 65%, 55%)`;
}

function range(values) {
  const v = values.filter((x) => x !== null && isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : [0, 1];
}

function el(parent, tag, attrs, text) {
  const x = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) x.setAttribute(k, v);
  if (text !== undefined) x.textContent = text;
  parent.appendChild(x);
  return x;
}

function drawTree(svg) {
  const all = state.order.map((id) => state.nodes.get(id));
  const roots = all.filter((v) => v.parent === null || !state.nodes.has(v.parent));
  const bestText = state.result && state.result.candidates.length ? state.result.candidates[0].text : null;
  let leaf = 0;
  let maxDepth = 0;
  const pos = new Map();
  const place = (v, depth) => {
    maxDepth = Math.max(maxDepth, depth);
    if (!v.children.length) {
      pos.set(v.id, { x: leaf++, depth });
      return pos.get(v.id).x;
    }
    const xs = v.children.map((c) => place(state.nodes.get(c), depth + 1));
    pos.set(v.id, { x: (Math.min(...xs) + Math.max(...xs)) / 2, depth });
    return pos.get(v.id).x;
  };
  roots.forEach((r) => place(r, 0));
  const width = svg.clientWidth || 800;
  const height = 360;
  svg.setAttribute("height", height);
  const sx = (x) => 12 + (leaf > 1 ? x * (width - 24) / (leaf - 1) : (width - 24) / 2);
  const sy = (d) => 14 + (maxDepth > 0 ? d * (height - 28) / maxDepth : (height - 28) / 2);
  const [lo, hi] = range(all.map((v) => v.score));
  const r = Math.max(2.5, Math.min(7, (width / Math.max(1, leaf)) / 3));
  for (const v of all) {
    if (v.parent !== null && pos.has(v.parent)) {
      const a = pos.get(v.parent);
      const b = pos.get(v.id);
      const onPath = v.chosen && state.nodes.get(v.parent).chosen;
      el(svg, "line", { class: onPath ? "edge chosen" : "edge", x1: sx(a.x), y1: sy(a.depth), x2: sx(b.x),
        y2: sy(b.depth) });
    }
  }
  for (const v of all) {
    const p = pos.get(v.id);
    const best = state.chosenFromTrace ? !!v.chosen
      : bestText !== null && v.status === "finished" && v.text === bestText;
    const c = el(svg, "circle", { class: `node ${v.status}${best ? " best" : ""}`, cx: sx(p.x), cy: sy(p.depth), r,
      fill: color(v.score, lo, hi), "data-lineage": v.id });
    el(c, "title", {}, `lineage ${v.id}\nscore ${v.score}\n${v.status}${v.text ? "\n" + v.text : ""}`);
  }
}

function drawParticles(svg) {
  const rows = state.steps;
  if (!rows.length) return;
  const n = Math.max(...rows.map((s) => s.ancestors.length));
  const width = svg.clientWidth || 800;
  const height = Math.max(360, rows.length * 13);
  svg.setAttribute("height", height);
  const sx = (i) => 20 + (n > 1 ? i * (width - 40) / (n - 1) : (width - 40) / 2);
  const sy = (t) => 14 + (rows.length > 1 ? t * (height - 28) / (rows.length - 1) : 0);
  const [lo, hi] = range(rows.flatMap((s) => s.scores));
  rows.forEach((s, t) => {
    if (t > 0) {
      s.ancestors.forEach((a, i) => el(svg, "line", { class: "edge ancestry", x1: sx(a), y1: sy(t - 1), x2: sx(i),
        y2: sy(t) }));
    }
  });
  const r = Math.max(2, Math.min(6, (width / n) / 3, (height / rows.length) / 3));
  rows.forEach((s, t) => {
    s.ancestors.forEach((a, i) => {
      const c = el(svg, "circle", { class: "particle", cx: sx(i), cy: sy(t), r, fill: color(s.scores[i], lo, hi),
        "data-step": s.step });
      el(c, "title", {}, `step ${s.step}, particle ${i} from ${a}, score ${s.scores[i]}`);
    });
    if (s.resampled) el(svg, "text", { x: 2, y: sy(t) + 3 }, "R");
  });
}

function drawIterates(svg) {
  const lines = [...state.iterates.entries()];
  if (!lines.length) return;
  const width = svg.clientWidth || 800;
  const height = 360;
  svg.setAttribute("height", height);
  const iterations = Math.max(...lines.map(([, v]) => v.length));
  const [lo, hi] = range(lines.flatMap(([, v]) => v));
  const sx = (t) => 40 + (iterations > 1 ? t * (width - 60) / (iterations - 1) : (width - 60) / 2);
  const sy = (v) => height - 20 - (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (height - 40);
  el(svg, "line", { class: "axis", x1: 40, y1: height - 20, x2: width - 10, y2: height - 20 });
  el(svg, "text", { x: 0, y: sy(hi) + 4 }, hi.toFixed(2));
  el(svg, "text", { x: 0, y: sy(lo) + 4 }, lo.toFixed(2));
  el(svg, "text", { x: width - 60, y: height - 6 }, "iteration");
  for (const [restart, values] of lines) {
    const finite = values.map((v, t) => [v, t]).filter(([v]) => v !== null && isFinite(v));
    el(svg, "polyline", { class: "iterate-line", points: finite.map(([v, t]) => `${sx(t)},${sy(v)}`).join(" ") });
    for (const [v, t] of finite) {
      const c = el(svg, "circle", { class: "iterate", cx: sx(t), cy: sy(v), r: 3, fill: color(v, lo, hi) });
      el(c, "title", {}, `restart ${restart}, iteration ${t}, reward ${v}`);
    }
  }
}

// Each live particle's latest x0 prediction, the particles of the newest step only (older lineages died).
function drawPreviews() {
  const box = $("previews");
  const current = [...state.previews.entries()].filter(([, p]) => p.step === state.previewStep);
  box.hidden = current.length === 0;
  box.replaceChildren();
  for (const [lineage, p] of current) {
    const canvas = document.createElement("canvas");
    canvas.className = "preview";
    canvas.width = 48;
    canvas.height = 48;
    canvas.title = `lineage ${lineage}, step ${p.step}`;
    const bytes = atob(p.pixels);
    const side = Math.round(Math.sqrt(bytes.length));
    const cell = canvas.width / side;
    const g2 = canvas.getContext("2d");
    for (let i = 0; i < bytes.length; i++) {
      const g = 255 - bytes.charCodeAt(i);
      g2.fillStyle = `rgb(${g},${g},${g})`;
      g2.fillRect((i % side) * cell, Math.floor(i / side) * cell, cell, cell);
    }
    box.appendChild(canvas);
  }
}

function drawEss(svg) {
  const rows = state.steps;
  if (!rows.length) return;
  const n = Math.max(...rows.map((s) => s.ancestors.length));
  const width = svg.clientWidth || 800;
  const h = 90;
  const sx = (t) => 30 + (rows.length > 1 ? t * (width - 40) / (rows.length - 1) : 0);
  const sy = (ess) => h - 12 - (ess / n) * (h - 24);
  el(svg, "line", { class: "axis", x1: 30, y1: h - 12, x2: width - 10, y2: h - 12 });
  el(svg, "line", { class: "threshold", x1: 30, y1: sy(n / 2), x2: width - 10, y2: sy(n / 2) });
  el(svg, "text", { x: 0, y: sy(n) + 4 }, "N=" + n);
  el(svg, "text", { x: 0, y: h - 10 }, "ESS");
  el(svg, "polyline", { class: "ess-line", points: rows.map((s, t) => `${sx(t)},${sy(s.ess)}`).join(" ") });
}

function drawAnswer() {
  const r = state.result;
  if (!r) return;
  if (!r.candidates.length) {
    $("answer").textContent = "(no candidate: " + r.outcome + ")";
    return;
  }
  const best = r.candidates[0];
  const score = best.score === null ? "" : `score ${best.score.toFixed(4)}  `;
  const lp = best.logprob === null ? "" : `logprob ${best.logprob.toFixed(3)}`;
  $("answer").textContent = (best.text || "(an image: below)") + "\n\n" + score + lp;
  $("answer").dataset.text = best.text;
  if (best.sample) drawDigit(best.sample);
}

function drawDigit(sample) {
  const canvas = $("digit");
  canvas.hidden = false;
  const ctx = canvas.getContext("2d");
  const side = Math.round(Math.sqrt(sample.length));
  const cell = canvas.width / side;
  sample.forEach((v, i) => {
    const g = Math.round(255 * (1 - Math.max(0, Math.min(1, (v + 1) / 2))));
    ctx.fillStyle = `rgb(${g},${g},${g})`;
    ctx.fillRect((i % side) * cell, Math.floor(i / side) * cell, cell, cell);
  });
}

function drawCounters() {
  const s = state.stats || {};
  const rows = [["events", state.events], ["steps", state.lastStep + 1], ["live", state.live],
    ["nodes", state.nodes.size], ["resamplings", state.resamplings], ["policy_tokens", s.policy_tokens],
    ["model_calls", s.model_calls], ["verifier_calls", s.verifier_calls], ["wall_ms", s.wall_ms],
    ["outcome", state.result ? state.result.outcome : ""]];
  $("counters").innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd data-k="${k}">${v === undefined ? "" : v}</dd>`)
    .join("");
}

function fromQuery() {
  const q = new URLSearchParams(location.search);
  for (const k of ["model", "n", "m", "seed", "prompt", "target_class", "steps", "key"]) {
    if (q.has(k)) $(k).value = q.get(k);
  }
  return q;
}

async function init() {
  const q = new URLSearchParams(location.search);
  if (q.has("key")) $("key").value = q.get("key");
  $("model").addEventListener("change", onModel);
  $("algorithm").addEventListener("change", onAlgorithm);
  $("form").addEventListener("submit", run);
  try {
    await loadModels();
  } catch (e) {
    $("error").textContent = e.message;
    setStatus("error", "error");
    return;
  }
  fromQuery();
  onModel();
  if (q.has("algorithm")) $("algorithm").value = q.get("algorithm");
  onAlgorithm();
  if (q.has("verifier")) $("verifier").value = q.get("verifier");
  if (q.has("autostart")) run();
}

init();
