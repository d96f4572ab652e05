// The drawing page itself: the pad, the pictures and the words, every handler wired at the end (network.js and
// prepare.js are loaded before it).
"use strict";

if (problem) throw new Error(problem);  // network.js said it in the page: nothing here runs

const MOST_UNITS = 64;     // hidden units drawn; a larger model shows its 64 most active
const PEN_WIDTH = 22;      // pixels on the 280-pixel pad: about 2 pixels once scaled to 20

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const padContext = pad.getContext("2d", { willReadFrequently: true });
const seen = $("seen").getContext("2d");
const why = $("why").getContext("2d");
const guess = $("guess");
const state = {
  seen: null, result: null, chosen: null, label: null, updates: 0, lastTeach: null, setAside: 0,
  sampleRight: null, shippedSampleRight: null, lastUpdateMs: null, lastTeachMs: null,
};

function clearPad() {
  padContext.fillStyle = "#fff";
  padContext.fillRect(0, 0, pad.width, pad.height);
  update();
}

// The pad's grey levels, 0 black to 1 white, as Pillow's convert("L") takes them (the pad is grey only).
function padGrey() {
  const rgba = padContext.getImageData(0, 0, pad.width, pad.height).data;
  const grey = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < grey.length; i++) grey[i] = Math.round((299 * rgba[4 * i] + 587 * rgba[4 * i + 1] + 114 * rgba[4 * i + 2]) / 1000) / 255;
  return grey;
}

const RED = [178, 24, 43];   // a positive weight or push (mnist_helpers/recording.py's RED)
const BLUE = [33, 102, 172]; // a negative one

// A red-blue picture of 784 numbers, each scaled by `largest`: red positive, blue negative, white 0.
function redBlue(values, largest, picture = new ImageData(FRAME, FRAME)) {
  for (let i = 0; i < 784; i++) {
    const v = values[i] / Math.max(largest, 1e-12);
    const [r, g, b] = v > 0 ? RED : BLUE;
    const a = Math.min(Math.abs(v), 1);
    picture.data.set([255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a, 255], 4 * i);
  }
  return picture;
}
const largestOf = (values) => values.reduce((top, v) => Math.max(top, Math.abs(v)), 0);
const signed = (v) => (v < 0 ? "\u2212" : "+") + Math.abs(v).toFixed(2);
const number = (v, digits = 2) => (v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(digits);  // one minus sign throughout
const percent = (p) => `${(100 * p).toFixed(1)}%`;

// The ten outputs: a bar each; pointing at one (a click or a tap) shows what pushes it.
const outputs = $("outputs");
const rows = [];
for (let digit = 0; digit < 10; digit++) {
  const li = document.createElement("li");
  li.innerHTML = `<span>${digit}</span><span class="bar"></span><span class="percent"></span>`;
  li.tabIndex = 0;
  li.title = `show what pushes ${digit}`;
  const choose = () => { state.chosen = state.chosen === digit ? null : digit; update(); };
  li.addEventListener("click", choose);
  li.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(); } });
  outputs.appendChild(li);
  rows.push(li);
}

// One tile per hidden unit drawn: its weights as a red-blue picture, its output, its push on the chosen digit.
const shown = Math.min(HIDDEN, MOST_UNITS);
function tileGrid(grid) {
  return Array.from({ length: shown }, () => {
    const div = document.createElement("div");
    div.className = "unit";
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = FRAME;
    const label = document.createElement("div");
    const push = document.createElement("small");
    div.append(canvas, label, push);
    grid.appendChild(div);
    return { div, canvas, label, push, unit: -1 };
  });
}
const tiles = tileGrid($("hidden"));
const gradientTiles = tileGrid($("gradients"));
if (HIDDEN > MOST_UNITS) {
  $("hidden-note").textContent += ` This model has ${HIDDEN} hidden units: the ${MOST_UNITS} most active are shown.`;
}

let weightPictures = [];  // per unit: ImageData of its 784 weights; made again after each update
function drawWeightPictures() {
  weightPictures = Array.from({ length: HIDDEN }, (_, unit) => {
    const column = Float64Array.from({ length: 784 }, (_, i) => w1.values[i * HIDDEN + unit]);
    return redBlue(column, largestOf(column));
  });
  tiles.forEach((tile) => { tile.unit = -1; });
}

// The units drawn: all of them, or a larger model's 64 most active.
function unitsShown(hidden) {
  const order = [...Array(HIDDEN).keys()];
  if (HIDDEN <= MOST_UNITS) return order;
  return order.sort((a, b) => hidden[b] - hidden[a]).slice(0, MOST_UNITS).sort((a, b) => a - b);
}

function showTiles(hidden, push, digit, order) {
  const top = Math.max(...hidden, 1e-9);
  order.forEach((unit, t) => {
    const tile = tiles[t];
    if (tile.unit !== unit) {
      tile.canvas.getContext("2d").putImageData(weightPictures[unit], 0, 0);
      tile.unit = unit;
    }
    const lit = hidden[unit] / top;
    tile.canvas.style.opacity = (0.2 + 0.8 * lit).toFixed(2);
    tile.div.classList.toggle("active", lit > 0.5);
    tile.label.textContent = hidden[unit].toFixed(2);
    tile.div.title = `unit ${unit}`;
    tile.push.textContent = digit === null || push[unit] === 0 ? `unit ${unit}` : `unit ${unit}: ${signed(push[unit])} on ${digit}`;
    tile.push.className = push[unit] > 0 ? "up" : push[unit] < 0 ? "down" : "";
  });
}

// 784 → hidden → 10 as a picture: the digit, the hidden units lit by their outputs, and a line from
// each unit to the chosen digit, red where it pushes that digit's score up, blue where down, as
// thick as the push.
const paths = $("paths");
function drawPaths(hidden, push, digit, probabilities, order) {
  // Drawn at the size it is shown (CSS pixels, sharp on any screen), so its words keep their size on a phone.
  const scale = window.devicePixelRatio || 1, width = paths.clientWidth || 960;
  const height = Math.round(Math.max(240, Math.min(330, width * 0.45)));
  if (paths.width !== Math.round(width * scale) || paths.height !== Math.round(height * scale)) {
    paths.width = Math.round(width * scale);
    paths.height = Math.round(height * scale);
    paths.style.height = `${height}px`;
  }
  const g = paths.getContext("2d");
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = "bold 15px system-ui, sans-serif";
  const labelWidth = g.measureText(`9  ${percent(1)}`).width;  // the widest output label: "9  100.0%"
  const inputSide = Math.min(112, width * 0.2), inputX = Math.min(20, width * 0.03);
  const outputX = width - labelWidth - 10, unitX = (inputX + inputSide + outputX) / 2;
  const unitY = (t) => 10 + ((t + 0.5) * (height - 20)) / order.length;
  const outputY = (d) => 10 + ((d + 0.5) * (height - 20)) / 10;
  const top = Math.max(...hidden, 1e-9);
  const strongest = Math.max(...order.map((unit) => Math.abs(push[unit])), 1e-9);
  g.imageSmoothingEnabled = false;
  g.drawImage($("seen"), inputX, height / 2 - inputSide / 2, inputSide, inputSide);
  g.strokeStyle = "#888";
  g.strokeRect(inputX, height / 2 - inputSide / 2, inputSide, inputSide);
  order.forEach((unit, t) => {
    g.strokeStyle = `rgba(120, 120, 120, ${(0.05 + 0.6 * (hidden[unit] / top)).toFixed(3)})`;
    g.lineWidth = 1;
    g.beginPath(); g.moveTo(inputX + inputSide, height / 2); g.lineTo(unitX, unitY(t)); g.stroke();
    if (digit !== null && push[unit] !== 0) {
      g.strokeStyle = push[unit] > 0 ? "rgba(178, 24, 43, 0.85)" : "rgba(33, 102, 172, 0.85)";
      g.lineWidth = 0.5 + (6 * Math.abs(push[unit])) / strongest;
      g.beginPath(); g.moveTo(unitX, unitY(t)); g.lineTo(outputX - 14, outputY(digit)); g.stroke();
    }
    g.fillStyle = `rgba(233, 164, 0, ${(0.1 + 0.9 * (hidden[unit] / top)).toFixed(3)})`;
    g.strokeStyle = "#666"; g.lineWidth = 0.5;
    g.beginPath(); g.arc(unitX, unitY(t), Math.min(6, (height - 20) / order.length / 2.2), 0, 2 * Math.PI); g.fill(); g.stroke();
  });
  g.textBaseline = "middle";
  let right = 0;  // where the labels end: inside the canvas (window.mnistPage.pathsLayout, for the tests)
  for (let d = 0; d < 10; d++) {
    g.fillStyle = d === digit ? "#000" : "#888";
    g.font = `${d === digit ? "bold " : ""}15px system-ui, sans-serif`;
    const label = `${d}${probabilities ? "  " + percent(probabilities[d]) : ""}`;
    g.fillText(label, outputX - 8, outputY(d));
    right = Math.max(right, outputX - 8 + g.measureText(label).width);
  }
  g.fillStyle = "#555";
  g.font = "13px system-ui, sans-serif";
  g.fillText("784 pixels", inputX, height / 2 + inputSide / 2 + 14);
  g.textAlign = "center";
  g.fillText(`${HIDDEN} hidden units`, unitX, height - 6);
  g.textAlign = "start";
  pathsLayout.right = right; pathsLayout.width = width; pathsLayout.smallestFont = 13;
}
const pathsLayout = {};

function sayPushes(hidden, push, digit, scores) {
  if (digit === null) { $("pushes").textContent = ""; return; }
  const on = [...Array(HIDDEN).keys()].filter((j) => push[j] !== 0);
  const named = (list) => list.map((j) => `unit ${j} (${signed(push[j])})`).join(", ") || "none";
  const up = on.filter((j) => push[j] > 0).sort((a, b) => push[b] - push[a]).slice(0, 3);
  const down = on.filter((j) => push[j] < 0).sort((a, b) => push[a] - push[b]).slice(0, 3);
  const total = push.reduce((sum, p) => sum + p, 0);
  $("pushes").textContent = `Pushing ${digit} up most: ${named(up)}. Down most: ${named(down)}. ` +
    `The ${on.length} units that are on push ${signed(total)} in all; with ${digit}'s bias (${signed(b2.values[digit])}) ` +
    `that is ${digit}'s score, ${number(scores[digit])}. The softmax turns the ten scores into the percentages.`;
}

function sayWhy(digit, contributions, constant, score) {
  const sum = contributions.reduce((total, c) => total + c, 0);
  $("why-caption").textContent = `why ${digit}: each pixel's push on ${digit}'s score`;
  $("why-sum").textContent = `Red pixels raise ${digit}'s score, blue ones lower it. The pixels add ${signed(sum)}, ` +
    `the biases through the units that are on ${signed(constant)}: ${number(sum + constant)}, ${digit}'s score ` +
    `(${number(score)} from the network itself).`;
}

function update() {
  const started = performance.now();
  const digit = prepare(padGrey(), pad.width, pad.height);
  const picture = seen.createImageData(FRAME, FRAME);
  state.seen = digit;
  if (digit === null) {
    picture.data.fill(255);
    state.result = null;
    guess.textContent = "Draw a digit on the pad.";
    rows.forEach((row) => { row.classList.remove("best", "chosen"); row.children[1].style.width = "0"; row.children[2].textContent = ""; });
    const none = new Float64Array(HIDDEN);
    showTiles(none, none, null, unitsShown(none));
    seen.putImageData(picture, 0, 0);
    why.putImageData(redBlue(new Float64Array(784), 1), 0, 0);
    $("why-caption").textContent = "why: each pixel's push on the score";
    $("why-sum").textContent = $("pushes").textContent = "";
    drawPaths(none, none, null, null, unitsShown(none));
  } else {
    for (let i = 0; i < 784; i++) {
      const v = 255 * (1 - digit[i]);  // drawn dark on white, like the pictures of mnist_learn.py
      picture.data.set([v, v, v, 255], 4 * i);
    }
    seen.putImageData(picture, 0, 0);
    const result = forward(digit);
    state.result = result;
    const best = result.probabilities.indexOf(Math.max(...result.probabilities));
    const chosen = state.chosen === null ? best : state.chosen;
    guess.textContent = `The network reads ${best} (${percent(result.probabilities[best])}).`;
    rows.forEach((row, d) => {
      const p = result.probabilities[d];
      row.classList.toggle("best", d === best);
      row.classList.toggle("chosen", d === chosen);
      row.children[1].style.width = percent(p);
      row.children[2].textContent = percent(p);
    });
    const push = pushes(result.hidden, chosen), order = unitsShown(result.hidden);
    showTiles(result.hidden, push, chosen, order);
    const { contributions, constant } = pixelContributions(digit, result.hidden, chosen);
    why.putImageData(redBlue(contributions, largestOf(contributions)), 0, 0);
    sayWhy(chosen, contributions, constant, result.scores[chosen]);
    sayPushes(result.hidden, push, chosen, result.scores);
    drawPaths(result.hidden, push, chosen, result.probabilities, order);
  }
  $("chosen-name").textContent = state.result ? String(state.chosen === null ? "the answer" : state.chosen) : "the answer";
  showTeaching();
  state.lastUpdateMs = performance.now() - started;
}

// ---- Teaching it this one: a training step on the drawing, and what it costs on MNIST's test digits ----

const labels = $("labels");
for (let digit = 0; digit < 10; digit++) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = digit;
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", () => { state.label = digit; showTeaching(); });
  labels.appendChild(button);
}
const rate = $("rate");

function showTeaching() {
  [...labels.children].forEach((button, d) => button.setAttribute("aria-pressed", String(d === state.label)));
  $("teach").disabled = state.seen === null || state.label === null;
  $("reset").disabled = state.updates === 0 && state.moment === Number(slider.max);
  let said = state.seen === null ? "Draw a digit, pick its right label, then press Teach." :
    state.label === null ? "Pick the right label for your drawing, then press Teach." : "";
  if (state.seen !== null && state.label !== null) {
    const { probabilities } = state.result;  // this drawing's forward pass, made by update(): no backward pass here
    said = `The loss on this drawing as ${state.label}: ${crossEntropy(probabilities, state.label).toFixed(4)} ` +
      `(${state.label} at ${percent(probabilities[state.label])}).`;
    if (state.lastTeach && state.lastTeach.label === state.label) {
      const t = state.lastTeach;
      said = `Last step: loss ${t.before.toFixed(4)} \u2192 ${t.after.toFixed(4)}, ${t.label} from ` +
        `${percent(t.pBefore)} to ${percent(t.pAfter)}. ` + said;
    }
  }
  $("teach-said").textContent = `${said} Updates so far: ${state.updates}.${setAside()}`;
  showSample();
}

// Moving the replay slider shows the fit's own weights at that moment: teaching steps taken before are
// undone, and the page says so where the slider and the Teach button are.
function setAside() {
  const n = state.setAside;
  return n ? ` Moving the slider undid your ${n} teaching step${n === 1 ? "" : "s"}: teaching starts again from the moment shown.` : "";
}

function showGradients(gradients) {
  const dW1 = gradients[0];
  $("gradients").hidden = false;
  const largest = largestOf(dW1);
  const order = state.result ? unitsShown(state.result.hidden) : [...Array(shown).keys()];
  order.forEach((unit, t) => {
    const column = Float64Array.from({ length: 784 }, (_, i) => dW1[i * HIDDEN + unit]);
    const tile = gradientTiles[t];
    tile.canvas.getContext("2d").putImageData(redBlue(column, largest), 0, 0);
    tile.label.textContent = `unit ${unit}`;
    tile.push.textContent = gradients[1][unit] === 0 ? "off: no gradient" : `d_hidden ${signed(gradients[1][unit])}`;
  });
}

function teach() {
  if (state.seen === null || state.label === null) return;
  const started = performance.now();
  const label = state.label;
  // Forward pass, loss, backward pass: the gradient of the loss with regard to every weight.
  const before = lossAndGradients(state.seen, label);
  // One update: every weight moves in the opposite direction from its gradient.
  rmspropUpdate(before.gradients, Number(rate.value));
  state.updates += 1;
  state.setAside = 0;
  const after = forward(state.seen).probabilities;  // the outputs after the step: a forward pass is enough
  state.lastTeach = { label, before: before.loss, after: crossEntropy(after, label), pBefore: before.probabilities[label], pAfter: after[label] };
  drawWeightPictures();
  showGradients(before.gradients);
  measureSample();
  update();
  sayMoment();
  state.lastTeachMs = performance.now() - started;
}

// Back to the weights the page came with: the last moment of the replay.
function reset() {
  state.setAside = 0;
  slider.value = slider.max;
  showMoment(Number(slider.max));
}

// MNIST's test digits the page carries (sample.js, made by export_web.py --sample): how many of them
// the network reads right now, against how many it read with the weights it came with.
const sample = { pixels: [], labels: [], problem: null };
function measureSample() {
  if (!sample.pixels.length) return;
  state.sampleRight = sample.pixels.reduce((right, pixels, k) => {
    const { scores } = forward(pixels);
    return right + (scores.indexOf(Math.max(...scores)) === sample.labels[k]);
  }, 0);
  if (state.shippedSampleRight === null) state.shippedSampleRight = state.sampleRight;
}

function showSample() {
  const said = $("sample-said");
  if (!window.MNIST_SAMPLE) {
    said.textContent = "web/sample.js is missing, so the page cannot say what teaching costs on MNIST: python export_web.py --sample writes it.";
  } else if (sample.problem) {
    said.textContent = `${sample.problem}, so the page cannot say what teaching costs on MNIST: python export_web.py --sample writes it again.`;
  } else if (state.sampleRight !== null) {
    const n = sample.labels.length;
    said.textContent = `On ${n} MNIST test digits it reads ${state.sampleRight} right: ${percent(state.sampleRight / n)} ` +
      `(with the weights it came with: ${percent(state.shippedSampleRight / n)}).`;
  }
}

// What is wrong with sample.js, or null: the layout export_web.py's sample_script writes.
function sampleProblem(S, image) {
  if (typeof S !== "object" || !Number.isInteger(S.count) || S.count < 1 || S.count > 10000 || !Number.isInteger(S.columns) || S.columns < 1) {
    return "web/sample.js is damaged (no count of digits)";
  }
  if (typeof S.labels !== "string" || !/^[0-9]*$/.test(S.labels) || S.labels.length !== S.count) {
    return `web/sample.js is damaged (its labels are not ${S.count} digits 0-9)`;
  }
  if (typeof S.png !== "string" || !S.png.startsWith("data:image/png;base64,") || S.png.length > MOST_SAMPLE_PNG) {
    return "web/sample.js is damaged (no PNG of its digits, or one larger than its digits take)";
  }
  if (image && (image.width !== S.columns * FRAME || image.height < Math.ceil(S.count / S.columns) * FRAME)) {
    return `web/sample.js is damaged (its PNG does not hold ${S.count} digits, ${S.columns} to a row)`;
  }
  return null;
}

async function loadSample() {
  const S = window.MNIST_SAMPLE;
  if (!S) return showSample();
  sample.problem = sampleProblem(S, null);
  if (sample.problem) return showSample();
  const image = new Image();
  image.src = S.png;
  try { await image.decode(); } catch (error) { sample.problem = "web/sample.js is damaged (its PNG cannot be read)"; }
  sample.problem = sample.problem || sampleProblem(S, image);
  if (sample.problem) return showSample();
  const canvas = document.createElement("canvas");
  canvas.width = image.width; canvas.height = image.height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(image, 0, 0);
  const rgba = context.getImageData(0, 0, image.width, image.height).data;
  for (let k = 0; k < S.count; k++) {
    const top = Math.floor(k / S.columns) * FRAME, left = (k % S.columns) * FRAME;
    const pixels = new Float32Array(784);
    for (let i = 0; i < 784; i++) pixels[i] = rgba[4 * ((top + Math.floor(i / FRAME)) * image.width + left + (i % FRAME))] / 255;
    sample.pixels.push(pixels);
    sample.labels.push(Number(S.labels[k]));
  }
  measureSample();
  showSample();
}

// ---- Watch it learn: the moments of training the page carries (recording.js, export_web.py --recording) ----

// A float16 (IEEE 754 half precision, the recording's numbers) as a number.
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const MOST_MOMENTS = 39;  // a recording's moments at the most (mnist_helpers/recording.py)
const MOST_SAMPLE_PNG = 4 * 2 ** 20;  // characters of sample.js' PNG: its 500 digits take about 250,000
const R = window.MNIST_RECORDING;
const slider = $("moment");
// What is wrong with recording.js, or null: the checks recording.load makes in Python, and every moment
// decoded once, here, so that the slider never meets a moment it cannot show.
function recordingProblem(R) {
  const again = "python record.py, then python export_web.py --recording recording.npz writes it again";
  if (!R) return "web/recording.js is missing, so there is no training to replay: python record.py, then python export_web.py --recording recording.npz writes it.";
  if (typeof R !== "object" || !Array.isArray(R.updates) || R.updates.length < 2 || !Array.isArray(R.moments)) {
    return `web/recording.js is damaged (no update counts or moments): ${again}.`;
  }
  // Counts are whole numbers a run can reach (1e300 is a whole number to JavaScript), figures are numbers
  // (null and true pass a comparison with 0 and 1 as 0 and 1).
  const count = (n) => Number.isSafeInteger(n) && n >= 0;
  if (!R.updates.every((u, k) => count(u) && (k === 0 || u > R.updates[k - 1]))) {
    return `web/recording.js is damaged (its update counts do not rise): ${again}.`;
  }
  if (!Array.isArray(R.accuracy) || R.accuracy.length !== R.updates.length || !R.accuracy.every((a) => typeof a === "number" && a >= 0 && a <= 1)) {
    return `web/recording.js is damaged (no accuracy between 0 and 1 for each moment): ${again}.`;
  }
  if (!count(R.sample) || R.sample < 1) return `web/recording.js is damaged (no sample size): ${again}.`;
  if (!count(R.hidden)) return `web/recording.js is damaged (no count of hidden units): ${again}.`;
  if (!Array.isArray(R.ends) || R.ends.length !== shipped[3].length || !R.ends.every((b) => typeof b === "number")) {
    return `web/recording.js is damaged (no final output biases to match web/weights.js with): ${again}.`;
  }
  if (R.hidden !== HIDDEN || R.moments.length !== R.updates.length - 1) {
    return `web/recording.js is the training of another model (${R.hidden} hidden units, not ${HIDDEN}): export the weights and the recording together, python export_web.py --recording recording.npz.`;
  }
  const numbers = weights.reduce((n, { values }) => n + values.length, 0);
  if (R.moments.length > MOST_MOMENTS) return `web/recording.js is damaged (more than ${MOST_MOMENTS} moments): ${again}.`;
  for (const [k, moment] of R.moments.entries()) {
    if (typeof moment !== "string" || moment.length !== base64Length(2 * numbers)) {  // checked before it is decoded
      return `web/recording.js is damaged (moment ${k} is not ${numbers} float16 numbers in base64): ${again}.`;
    }
    let halves;
    try { halves = new Uint16Array(bytesOf(moment).buffer); } catch (error) { halves = null; }
    if (!halves || halves.length !== numbers) return `web/recording.js is damaged (moment ${k} is not ${numbers} float16 numbers in base64): ${again}.`;
    if (halves.some((h) => (h & 0x7c00) === 0x7c00)) return `web/recording.js is damaged (moment ${k} holds numbers that are not finite): ${again}.`;
  }
  if (R.ends.some((b, d) => b !== shipped[3][d])) {
    return "web/recording.js is the training of another model than web/weights.js (exported from a model, with no recording): export the two together, python record.py, then python export_web.py --recording recording.npz.";
  }
  return null;
}

// The weights after R.updates[index] updates (the last moment is weights.js itself, the others are
// float16), with no teaching steps yet; without a recording, the weights the page came with.
function showMoment(index) {
  if (replayProblem || index === R.updates.length - 1) {
    resetWeights();
  } else {
    const halves = new Uint16Array(bytesOf(R.moments[index]).buffer);
    let at = 0;
    weights.forEach(({ values }, k) => {
      for (let i = 0; i < values.length; i++) values[i] = halfToFloat(halves[at + i]);
      at += values.length;
      averages[k].fill(0);
    });
  }
  state.moment = index;
  state.updates = 0;
  state.lastTeach = null;
  $("gradients").hidden = true;
  drawWeightPictures();
  measureSample();
  update();
  sayMoment();
}

function sayMoment() {
  if (replayProblem) return;  // no recording, or one the page cannot show: said once, at start-up
  const last = R.updates.length - 1, index = state.moment;
  const after = index === 0 ? "Before the first update (the seeded starting weights)" :
    `After ${R.updates[index].toLocaleString("en")} of ${R.updates[last].toLocaleString("en")} updates`;
  // One figure for each state: the fit's at this moment, or after teaching steps the page's own count now.
  const now = state.updates && state.sampleRight !== null
    ? `, then ${state.updates} of your teaching steps: it reads ${percent(state.sampleRight / sample.labels.length)} of the first ` +
      `${sample.labels.length} test digits right now (the fit read ${percent(R.accuracy[index])} before your steps).`
    : `: the fit read ${percent(R.accuracy[index])} of the first ${R.sample} test digits right at this moment.`;
  $("moment-said").textContent = after + now + " MNIST's first 5,000 test digits are its cleaner half, so these read " +
    "higher than the whole test set, on which a run's test accuracy is measured." + setAside();
}

// Drawing with mouse, touch or pen: pointer events, one update per frame at most. Each pointer (two
// fingers, say) draws its own stroke: its last point is kept under its pointerId.
const lastPoints = new Map();
let pending = false;
function point(event) {
  const box = pad.getBoundingClientRect();
  return [((event.clientX - box.left) * pad.width) / box.width, ((event.clientY - box.top) * pad.height) / box.height];
}
function stroke(pointer, to) {
  padContext.strokeStyle = "#000";
  padContext.lineWidth = PEN_WIDTH;
  padContext.lineCap = padContext.lineJoin = "round";
  padContext.beginPath();
  padContext.moveTo(...(lastPoints.get(pointer) || to));
  padContext.lineTo(...to);
  padContext.stroke();
  lastPoints.set(pointer, to);
  if (!pending) {
    pending = true;
    requestAnimationFrame(() => { pending = false; update(); });
  }
}
pad.addEventListener("pointerdown", (event) => {
  lastPoints.set(event.pointerId, null);
  pad.setPointerCapture(event.pointerId);
  stroke(event.pointerId, point(event));
});
pad.addEventListener("pointermove", (event) => {
  if (lastPoints.has(event.pointerId)) stroke(event.pointerId, point(event));
});
for (const end of ["pointerup", "pointercancel"]) {
  pad.addEventListener(end, (event) => { lastPoints.delete(event.pointerId); update(); });
}
$("clear").addEventListener("click", clearPad);
$("teach").addEventListener("click", teach);
$("reset").addEventListener("click", reset);
$("source").textContent = `Weights: ${W.source || "web/weights.js"}; ${HIDDEN} hidden units. Your own model: ` +
  "python mnist_learn.py --save-model my_model.keras, then python export_web.py --model my_model.keras, and reload.";

const replayProblem = recordingProblem(R);
if (replayProblem) {
  slider.disabled = true;
  $("moment-said").textContent = replayProblem;
} else {
  slider.max = R.updates.length - 1;
  slider.value = slider.max;
  slider.addEventListener("input", () => {
    const taught = state.updates;
    showMoment(Number(slider.value));
    state.setAside = taught || state.setAside;  // said until the next teaching step
    sayMoment();
    showTeaching();
  });
}
state.moment = replayProblem ? 0 : R.updates.length - 1;
drawWeightPictures();
clearPad();
sayMoment();
state.sampleLoaded = loadSample().then(() => true, (error) => { $("sample-said").textContent = `web/sample.js could not be read (${error}).`; return false; });

// For the tests and the curious: the network, the preparation and the training loop, callable from the console.
window.mnistPage = {
  forward, prepare, centreByMass, update, state, hiddenUnits: HIDDEN, pixelContributions, pushes, lossAndGradients, rmspropUpdate,
  resetWeights, teach, reset, weights: () => weights.map(({ values }) => Array.from(values)), sample, showMoment,
  pathsLayout, recordingProblem, sampleProblem, weightsProblem,
};
