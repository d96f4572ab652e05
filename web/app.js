// The drawing page: prepare the drawing as MNIST's digits were prepared, run the network, show it.
// Plain JavaScript, no library; the weights come from weights.js (made by export_web.py).
"use strict";

const FRAME = 28;          // MNIST's images are 28 × 28 ...
const DIGIT_BOX = 20;      // ... with the digit's longest side scaled to 20 pixels
const WEAKEST_INK = 0.12;  // a pad with less ink than this is empty (as mnist_helpers/digit_image.py)
const NOISE_LEVEL = 0.25;  // ink fainter than this share of a stroke's own level is not ink
const MOST_UNITS = 64;     // hidden units drawn; a larger model shows its 64 most active
const PEN_WIDTH = 22;      // pixels on the 280-pixel pad: about 2 pixels once scaled to 20

// ---- The network, as the post states it -------------------------------------------------------

function decode(array) {
  const bytes = Uint8Array.from(atob(array.base64), (c) => c.charCodeAt(0));
  return { shape: array.shape, values: new Float32Array(bytes.buffer) };
}

// What is wrong with weights.js, or null: the checks export_web.py makes before it writes the file.
function weightsProblem(W) {
  if (!W || typeof W !== "object") return "web/weights.js is missing, empty or broken";
  const arrays = {};
  for (const name of ["w1", "b1", "w2", "b2"]) {
    const array = W[name];
    if (!array || !Array.isArray(array.shape) || typeof array.base64 !== "string") return `web/weights.js has no ${name}`;
    try { arrays[name] = decode(array); } catch (error) { return `web/weights.js: ${name} is not float32 data in base64`; }
    const count = array.shape.reduce((product, n) => product * n, 1);
    if (arrays[name].values.length !== count) return `web/weights.js: ${name} does not hold the ${count} numbers its shape says`;
    if (!arrays[name].values.every(Number.isFinite)) return `web/weights.js: ${name} holds numbers that are not finite (NaN)`;
  }
  const n = arrays.w1.shape[1];
  const shapes = ["w1", "b1", "w2", "b2"].map((name) => JSON.stringify(arrays[name].shape)).join(" ");
  if (shapes !== JSON.stringify([784, n]) + ` [${n}] ` + JSON.stringify([n, 10]) + " [10]") {
    return `web/weights.js holds arrays of shapes ${shapes}, not w1 [784,n] b1 [n] w2 [n,10] b2 [10]`;
  }
  return null;
}

const W = window.MNIST_WEIGHTS;
const problem = weightsProblem(W);
if (problem) {  // said in the page, with the fix; nothing below runs
  const said = document.getElementById("guess");
  said.textContent = `${problem}. Make it again: python mnist_learn.py --save-model mnist_model.keras, ` +
    "then python export_web.py --model mnist_model.keras, and reload this page.";
  said.classList.add("problem");
  throw new Error(problem);
}
const w1 = decode(W.w1), b1 = decode(W.b1), w2 = decode(W.w2), b2 = decode(W.b2);
const HIDDEN = w1.shape[1];

// dot(x, w) + b, for x of length n and w of shape (n, m).
function dense(x, w, b) {
  const [n, m] = w.shape;
  const out = Float64Array.from(b.values);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let j = 0; j < m; j++) out[j] += xi * w.values[i * m + j];
  }
  return out;
}

const relu = (v) => v.map((a) => Math.max(a, 0));

function softmax(v) {
  const top = Math.max(...v);
  const e = v.map((a) => Math.exp(a - top));
  const sum = e.reduce((s, a) => s + a, 0);
  return e.map((a) => a / sum);
}

// 784 pixels (0 = paper, 1 = ink) → the hidden layer's outputs and the ten probabilities.
function forward(pixels) {
  const hidden = relu(dense(pixels, w1, b1));
  const probabilities = softmax(dense(hidden, w2, b2));
  return { hidden, probabilities };
}

// ---- Preparing a drawing as MNIST's digits were prepared (as mnist_helpers/digit_image.py does) ----

const FINE = 4;                       // stroke widths are measured and matched at 4 × 20 = 80 pixels
const MNIST_STROKES = [7.3, 14.1];    // MNIST's stroke widths there, 10th to 90th percentile

// values (width × height) averaged into a picture of newWidth × newHeight: each new pixel is the mean of
// the old pixels it covers.
function areaResize(values, width, height, newWidth, newHeight) {
  const out = new Float32Array(newWidth * newHeight);
  for (let y = 0; y < newHeight; y++) {
    const y0 = (y * height) / newHeight, y1 = ((y + 1) * height) / newHeight;
    for (let x = 0; x < newWidth; x++) {
      const x0 = (x * width) / newWidth, x1 = ((x + 1) * width) / newWidth;
      let sum = 0, area = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const wy = Math.min(sy + 1, y1) - Math.max(sy, y0);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const wx = Math.min(sx + 1, x1) - Math.max(sx, x0);
          sum += values[sy * width + sx] * wx * wy;
          area += wx * wy;
        }
      }
      out[y * newWidth + x] = sum / area;
    }
  }
  return out;
}

// The part of values (width × height) where it is above level: [values, width, height].
function cropAbove(values, width, height, level) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (values[y * width + x] > level) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  const w = x1 - x0 + 1, h = y1 - y0 + 1, out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(values.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return [out, w, h];
}

function scaleLongestSide([values, width, height], side) {
  const factor = side / Math.max(width, height);
  const w = Math.max(1, Math.round(width * factor)), h = Math.max(1, Math.round(height * factor));
  return [areaResize(values, width, height, w, h), w, h];
}

// Twice the strokes' area over their outline's length, the outline counted along rows and columns.
function strokeWidth([values, width, height]) {
  let area = 0, edges = 0;
  const ink = (x, y) => x >= 0 && y >= 0 && x < width && y < height && values[y * width + x] > 0.5;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink(x, y)) area++;
      if (ink(x, y) !== ink(x + 1, y) && x + 1 < width) edges++;
      if (ink(x, y) !== ink(x, y + 1) && y + 1 < height) edges++;
    }
  }
  for (let x = 0; x < width; x++) edges += ink(x, 0) + ink(x, height - 1);
  for (let y = 0; y < height; y++) edges += ink(0, y) + ink(width - 1, y);
  return (2 * area) / Math.max((edges * Math.PI) / 4, 1);
}

// Strokes thinner or broader than MNIST's own, thickened or thinned a pixel on each side at a time.
function withStrokeWidth(picture) {
  const width = strokeWidth(picture);
  const steps = Math.round((width - Math.min(Math.max(width, MNIST_STROKES[0]), MNIST_STROKES[1])) / 2);
  if (steps === 0) return picture;
  const grow = steps < 0, pad = grow ? Math.abs(steps) + 1 : 0;
  let [values, w, h] = picture;
  let current = new Float32Array((w + 2 * pad) * (h + 2 * pad));
  for (let y = 0; y < h; y++) current.set(values.subarray(y * w, (y + 1) * w), (y + pad) * (w + 2 * pad) + pad);
  w += 2 * pad; h += 2 * pad;
  for (let step = 0; step < Math.abs(steps); step++) {
    const next = new Float32Array(w * h);
    let top = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = grow ? 0 : 1;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            const n = yy >= 0 && xx >= 0 && yy < h && xx < w ? current[yy * w + xx] : 0;
            v = grow ? Math.max(v, n) : Math.min(v, n);
          }
        }
        next[y * w + x] = v;
        top = Math.max(top, v);
      }
    }
    if (top <= 0.5) break;  // never erase a digit
    current = next;
  }
  return [current, w, h];
}

// ink: Float32Array of width × height, 0 = paper, 1 = ink. Returns 784 values, or null for no ink.
function prepare(ink, width, height) {
  let top = 0;
  for (const v of ink) top = Math.max(top, v);
  if (top < WEAKEST_INK) return null;
  const strong = Array.from(ink).filter((v) => v > top / 2).sort((a, b) => a - b);
  const stroke = strong[Math.floor(0.9 * (strong.length - 1))];  // the level inside a stroke
  const level = ink.map((v) => Math.min(Math.max((v - NOISE_LEVEL * stroke) / ((1 - NOISE_LEVEL) * stroke), 0), 1));
  // Cropped where the ink is at least half strength, at 80 pixels, strokes into MNIST's range of widths,
  // then longest side 20 pixels.
  const fine = withStrokeWidth(scaleLongestSide(cropAbove(level, width, height, 0.5), FINE * DIGIT_BOX));
  const [small, sw, sh] = scaleLongestSide(cropAbove(fine[0], fine[1], fine[2], 0.02), DIGIT_BOX);
  // Paste it into 28 × 28 with its centre of mass in the middle (whole-pixel shifts, as MNIST).
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) { const v = small[y * sw + x]; mass += v; my += y * v; mx += x * v; }
  }
  const topRow = Math.min(Math.max(Math.round(FRAME / 2 - my / mass), 0), FRAME - sh);
  const left = Math.min(Math.max(Math.round(FRAME / 2 - mx / mass), 0), FRAME - sw);
  const out = new Float32Array(FRAME * FRAME);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) out[(topRow + y) * FRAME + left + x] = small[y * sw + x];
  }
  return out;
}

// ---- The page ------------------------------------------------------------------------------------

const pad = document.getElementById("pad");
const padContext = pad.getContext("2d", { willReadFrequently: true });
const seen = document.getElementById("seen").getContext("2d");
const guess = document.getElementById("guess");
const state = { seen: null, result: null, lastUpdateMs: null };

function clearPad() {
  padContext.fillStyle = "#fff";
  padContext.fillRect(0, 0, pad.width, pad.height);
  update();
}

function padInk() {
  const rgba = padContext.getImageData(0, 0, pad.width, pad.height).data;
  const ink = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = 1 - (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / (3 * 255);
  return ink;
}

const outputs = document.getElementById("outputs");
const rows = [];
for (let digit = 0; digit < 10; digit++) {
  const li = document.createElement("li");
  li.innerHTML = `<span>${digit}</span><span class="bar"></span><span class="percent"></span>`;
  outputs.appendChild(li);
  rows.push(li);
}

// One tile per hidden unit drawn: its weights as a red-blue picture, made once.
const shown = Math.min(HIDDEN, MOST_UNITS);
const tiles = [];
const hiddenGrid = document.getElementById("hidden");
for (let t = 0; t < shown; t++) {
  const div = document.createElement("div");
  div.className = "unit";
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = FRAME;
  const label = document.createElement("div");
  div.append(canvas, label);
  hiddenGrid.appendChild(div);
  tiles.push({ div, canvas, label, unit: -1 });
}
if (HIDDEN > MOST_UNITS) {
  document.getElementById("hidden-note").textContent +=
    ` This model has ${HIDDEN} hidden units: the ${MOST_UNITS} most active are shown.`;
}

const weightPictures = [];  // per unit: ImageData of its 784 weights
for (let unit = 0; unit < HIDDEN; unit++) {
  let biggest = 1e-12;
  for (let i = 0; i < 784; i++) biggest = Math.max(biggest, Math.abs(w1.values[i * HIDDEN + unit]));
  const picture = new ImageData(FRAME, FRAME);
  for (let i = 0; i < 784; i++) {
    const v = w1.values[i * HIDDEN + unit] / biggest;  // -1 (blue) to 1 (red), 0 white
    const [r, g, b] = v > 0 ? [178, 24, 43] : [33, 102, 172];
    const a = Math.abs(v);
    picture.data.set([255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a, 255], 4 * i);
  }
  weightPictures.push(picture);
}

function showTiles(hidden) {
  let order = [...Array(HIDDEN).keys()];
  if (HIDDEN > MOST_UNITS) order = order.sort((a, b) => hidden[b] - hidden[a]).slice(0, MOST_UNITS).sort((a, b) => a - b);
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
  });
}

function update() {
  const started = performance.now();
  const digit = prepare(padInk(), pad.width, pad.height);
  const picture = seen.createImageData(FRAME, FRAME);
  state.seen = digit;
  if (digit === null) {
    picture.data.fill(255);
    state.result = null;
    guess.textContent = "Draw a digit on the pad.";
    rows.forEach((row) => { row.classList.remove("best"); row.children[1].style.width = "0"; row.children[2].textContent = ""; });
    showTiles(new Array(HIDDEN).fill(0));
  } else {
    for (let i = 0; i < 784; i++) {
      const v = 255 * (1 - digit[i]);  // drawn dark on white, like the pictures of mnist_learn.py
      picture.data.set([v, v, v, 255], 4 * i);
    }
    const result = forward(digit);
    state.result = result;
    const best = result.probabilities.indexOf(Math.max(...result.probabilities));
    guess.textContent = `The network reads ${best} (${(100 * result.probabilities[best]).toFixed(1)}%).`;
    rows.forEach((row, d) => {
      const p = result.probabilities[d];
      row.classList.toggle("best", d === best);
      row.children[1].style.width = `${(100 * p).toFixed(1)}%`;
      row.children[2].textContent = `${(100 * p).toFixed(1)}%`;
    });
    showTiles(result.hidden);
  }
  seen.putImageData(picture, 0, 0);
  state.lastUpdateMs = performance.now() - started;
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
document.getElementById("clear").addEventListener("click", clearPad);
document.getElementById("source").textContent = `Weights: ${W.source || "web/weights.js"}, ${HIDDEN} hidden units.`;

clearPad();

// For the tests and the curious: the network and the preparation, callable from the console.
window.mnistPage = { forward, prepare, update, state, hiddenUnits: HIDDEN };
