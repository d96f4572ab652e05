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

const bytesOf = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

function decode(array) {
  return { shape: array.shape, values: new Float32Array(bytesOf(array.base64).buffer) };
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

// 784 pixels (0 = paper, 1 = ink) → the hidden layer's outputs, the ten scores and their probabilities.
function forward(pixels) {
  const hidden = relu(dense(pixels, w1, b1));
  const scores = dense(hidden, w2, b2);
  return { hidden, scores, probabilities: softmax(scores) };
}

// ---- Why it answered so: each pixel's share of a score (mnist_helpers/model.py) --------
// With the drawing's hidden units on or off as they are, a score is linear in the pixels: the sum
// of x[i] times the pixel's weight through the units that are on, plus the biases' constant.
function pixelContributions(pixels, hidden, digit) {
  const through = new Float64Array(784);  // each pixel's weight to the score, through the units that are on
  let constant = b2.values[digit];
  for (let j = 0; j < HIDDEN; j++) {
    if (!(hidden[j] > 0)) continue;
    const toDigit = w2.values[j * 10 + digit];
    constant += b1.values[j] * toDigit;
    for (let i = 0; i < 784; i++) through[i] += w1.values[i * HIDDEN + j] * toDigit;
  }
  return { contributions: through.map((w, i) => pixels[i] * w), constant };
}

// The second layer: each hidden unit's push on a digit's score, its output times its weight to that digit.
const pushes = (hidden, digit) => hidden.map((h, j) => h * w2.values[j * 10 + digit]);

// ---- The training loop on one drawing: mnist_by_hand.py's loss_and_gradients and rmsprop_update ----
const LEARNING_RATE = 0.001;  // RMSprop as Keras sets it when you write optimizer="rmsprop"
const RHO = 0.9;              // how much of the running average of squared gradients each step keeps
const EPSILON = 1e-7;         // keeps the division finite where a gradient has always been 0

// The loss: categorical cross-entropy, the distance between y' and the one-hot label y.
const crossEntropy = (probabilities, label) => -Math.log(Math.min(Math.max(probabilities[label], EPSILON), 1 - EPSILON));

// Forward pass, loss and backward pass on a batch of one: the loss, its gradient for each weight, and y'.
function lossAndGradients(pixels, label) {
  const { hidden, probabilities } = forward(pixels);
  const loss = crossEntropy(probabilities, label);
  // The backward pass: the chain rule, from the loss back to the first layer, one line per step.
  const dScores = probabilities.map((p, d) => p - (d === label ? 1 : 0));  // through the cross-entropy and the softmax
  const dW2 = new Float64Array(HIDDEN * 10), dHidden = new Float64Array(HIDDEN);
  for (let j = 0; j < HIDDEN; j++) {
    for (let d = 0; d < 10; d++) {
      dW2[j * 10 + d] = hidden[j] * dScores[d];
      dHidden[j] += dScores[d] * w2.values[j * 10 + d];
    }
    if (!(hidden[j] > 0)) dHidden[j] = 0;  // back through relu: only where it let the signal through
  }
  const dW1 = new Float64Array(784 * HIDDEN);
  for (let i = 0; i < 784; i++) {
    if (pixels[i] === 0) continue;
    for (let j = 0; j < HIDDEN; j++) dW1[i * HIDDEN + j] = pixels[i] * dHidden[j];
  }
  return { loss, gradients: [dW1, dHidden, dW2, dScores], probabilities };
}

// RMSprop's running average of squared gradients, one per weight; zero before the first step.
const weights = [w1, b1, w2, b2];
const shipped = weights.map((w) => Float32Array.from(w.values));
const averages = weights.map((w) => new Float32Array(w.values.length));

// Move every weight in the opposite direction from its gradient, scaled by RMSprop (in place).
function rmspropUpdate(gradients, learningRate = LEARNING_RATE) {
  weights.forEach(({ values }, k) => {
    const average = averages[k], gradient = gradients[k];
    for (let i = 0; i < values.length; i++) {
      average[i] = RHO * average[i] + (1 - RHO) * gradient[i] ** 2;
      values[i] -= (learningRate * gradient[i]) / Math.sqrt(average[i] + EPSILON);
    }
  });
}

// Back to the weights the page came with, and an optimizer that has not stepped yet.
function resetWeights() {
  weights.forEach(({ values }, k) => { values.set(shipped[k]); averages[k].fill(0); });
}

// ---- Preparing a drawing as MNIST's digits were prepared: mnist_helpers/digit_image.py, step for step ----
// Each function below is the Python function of the same name (snake_case there), with the same constants;
// tests/test_web.py feeds both the same drawings and checks that they agree. A picture is [values, width,
// height], values a Float32Array row by row. (The pad is smaller than WORKING_SIDE, so the page never
// takes the reduction that step.)

const FINE = 4;                       // stroke widths are measured and matched at 4 × 20 = 80 pixels
const MNIST_STROKES = [7.3, 14.1];    // MNIST's stroke widths there, 10th to 90th percentile
const HALF_BLEND = 0.005;             // a move this near a half pixel blends the two nearest whole-pixel places
const COARSE_SIDE = 64;               // the digit's extent is found on a copy this many pixels long
const MID_SIDE = 256;                 // a shadow's hard edge is looked for on a copy this many pixels long
const SHADOW_SHARE = [0.15, 0.85];    // of the picture's border a shadow from one side or a corner falls across
const SHADOW_DEPTH = 0.1;             // the shadowed paper is at least this much darker than the lit paper ...
const SHADOW_GAP = 0.02;              // ... with at most this share of the border's paper between the two levels

// Python's round(): halves go to the even neighbour (round(2.5) is 2), as NumPy's and Pillow's sizes do.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Pillow's BOX filter when reducing (each new pixel the mean of the old pixels it covers), its BILINEAR
// filter when enlarging (a triangle over the two nearest pixels, weights normalised at the edges).
function resampleTaps(length, newLength, reduce) {
  const scale = length / newLength, support = reduce ? 0.5 * scale : 1.0, filterScale = reduce ? scale : 1.0;
  const taps = [];
  for (let i = 0; i < newLength; i++) {
    const centre = (i + 0.5) * scale;
    const first = Math.max(0, Math.floor(centre - support + 0.5)), last = Math.min(length, Math.floor(centre + support + 0.5));
    const weights = [];
    let total = 0;
    for (let j = first; j < last; j++) {
      const x = (j - centre + 0.5) / filterScale;
      const w = reduce ? (x >= -0.5 && x < 0.5 ? 1 : 0) : Math.max(0, 1 - Math.abs(x));
      weights.push(w);
      total += w;
    }
    taps.push([first, weights.map((w) => (total ? w / total : 0))]);
  }
  return taps;
}

function resize([values, width, height], factor) {
  const newWidth = Math.max(1, roundHalfEven(width * factor)), newHeight = Math.max(1, roundHalfEven(height * factor));
  const reduce = factor < 1;
  const across = resampleTaps(width, newWidth, reduce), down = resampleTaps(height, newHeight, reduce);
  const middle = new Float32Array(newWidth * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < newWidth; x++) {
      const [first, weights] = across[x];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += values[y * width + first + k] * weights[k];
      middle[y * newWidth + x] = sum;
    }
  }
  const out = new Float32Array(newWidth * newHeight);
  for (let y = 0; y < newHeight; y++) {
    const [first, weights] = down[y];
    for (let x = 0; x < newWidth; x++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += middle[(first + k) * newWidth + x] * weights[k];
      out[y * newWidth + x] = sum;
    }
  }
  return [out, newWidth, newHeight];
}

const clip01 = ([values, width, height]) => [values.map((v) => Math.min(Math.max(v, 0), 1)), width, height];

function scaleLongestSide(picture, side) {
  return clip01(resize(picture, side / Math.max(picture[1], picture[2])));
}

// NumPy's percentile (linear between the two nearest ranks) and median.
function percentile(values, q) {
  const sorted = Float64Array.from(values).sort();
  const at = (q / 100) * (sorted.length - 1), low = Math.floor(at);
  return low + 1 < sorted.length ? sorted[low] + (at - low) * (sorted[low + 1] - sorted[low]) : sorted[low];
}

function crop([values, width, height], top, bottom, left, right) {
  const w = right - left, h = bottom - top, out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(values.subarray((top + y) * width + left, (top + y) * width + right), y * w);
  return [out, w, h];
}

// The box [top, bottom, left, right) of the pixels above level.
function boxAbove([values, width, height], level) {
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (values[y * width + x] > level) {
        top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  return [top, bottom + 1, left, right + 1];
}

function inkExtent(ink) {
  const factor = Math.min(1, COARSE_SIDE / Math.max(ink[1], ink[2]));
  const coarse = resize(ink, factor);
  let top = 0;
  for (const v of coarse[0]) top = Math.max(top, v);
  const level = percentile(coarse[0].filter((v) => v > top / 2), 50);
  const [rowMin, rowEnd, columnMin, columnEnd] = boxAbove(coarse, level / 4);
  const scale = 1 / factor;
  const t = Math.max(Math.trunc((rowMin - 1) * scale), 0), b = Math.ceil((rowEnd - 1 + 2) * scale);
  const l = Math.max(Math.trunc((columnMin - 1) * scale), 0), r = Math.ceil((columnEnd - 1 + 2) * scale);
  const within = crop(ink, t, Math.min(b, ink[2]), l, Math.min(r, ink[1]));
  const [y0, y1, x0, x1] = boxAbove(within, 0.5);  // a soft edge ends where it is half ink
  return [t + y0, t + y1, l + x0, l + x1];
}

// The 3 × 3 neighbourhood's maximum (grow, on a picture padded by one pixel each side) or minimum.
function neighbourhood([values, width, height], grow) {
  const pad = grow ? 1 : 0, w = width + 2 * pad, h = height + 2 * pad, out = new Float32Array(w * h);
  const at = (x, y) => (x >= 0 && y >= 0 && x < width && y < height ? values[y * width + x] : 0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = grow ? -Infinity : Infinity;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const n = at(x - pad + dx, y - pad + dy);
          v = grow ? Math.max(v, n) : Math.min(v, n);
        }
      }
      out[y * w + x] = v;
    }
  }
  return [out, w, h];
}

function fineStrokes(ink, side) {
  const step = Math.trunc(Math.max(ink[1], ink[2]) / side);
  if (step >= 2 && strokeWidth(ink) < 2 * step) {
    const [values, width, height] = ink;
    const inky = (x, y) => x >= 0 && y >= 0 && x < width && y < height && values[y * width + x] > 0;
    const w = Math.ceil(width / step), h = Math.ceil(height / step), out = new Float32Array(w * h);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let neighbour = false;  // a lone pixel is noise, and the block's maximum would keep it
        for (let dy = -1; dy <= 1 && !neighbour; dy++) for (let dx = -1; dx <= 1; dx++) if ((dx || dy) && inky(x + dx, y + dy)) neighbour = true;
        const v = neighbour ? values[y * width + x] : 0, i = Math.trunc(y / step) * w + Math.trunc(x / step);
        out[i] = Math.max(out[i], v);
      }
    }
    ink = [out, w, h];
  }
  return scaleLongestSide(ink, side);
}

// Twice the strokes' area over their outline's length, the outline counted along rows and columns.
function strokeWidth([values, width, height]) {
  let area = 0, edges = 0;
  const ink = (x, y) => values[y * width + x] > 0.5;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink(x, y)) area++;
      if (x + 1 < width && ink(x, y) !== ink(x + 1, y)) edges++;
      if (y + 1 < height && ink(x, y) !== ink(x, y + 1)) edges++;
    }
  }
  for (let x = 0; x < width; x++) edges += ink(x, 0) + ink(x, height - 1);
  for (let y = 0; y < height; y++) edges += ink(0, y) + ink(width - 1, y);
  return (2 * area) / Math.max((edges * Math.PI) / 4, 1);
}

// Strokes thinner or broader than MNIST's own, thickened or thinned a pixel on each side at a time,
// measured again after each step.
function withStrokeWidth(ink, thinnest, broadest) {
  let width = strokeWidth(ink);
  const grow = width < thinnest, shrink = width > broadest, steps = Math.trunc(Math.max(ink[1], ink[2]) / 2);
  for (let i = 0; i < steps; i++) {
    if ((grow && width >= thinnest) || (shrink && width <= broadest) || !(grow || shrink)) break;
    const changed = neighbourhood(ink, grow);
    let top = 0;
    for (const v of changed[0]) top = Math.max(top, v);
    if (top <= 0.5) break;  // never erase a digit
    ink = changed;
    width = strokeWidth(ink);
  }
  return ink;
}

// The plane a + bx + cy closest to values where `where` is true (x and y from -1 to 1 across the picture),
// evaluated on a grid of newWidth × newHeight spanning the same picture: least squares, by its normal equations.
const linspace = (n) => Float64Array.from({ length: n }, (_, i) => (n === 1 ? -1 : -1 + (2 * i) / (n - 1)));  // NumPy's, -1 to 1

function fitSurface([values, width, height], where, newWidth = width, newHeight = height) {
  const xs = linspace(width), ys = linspace(height);
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, sz = 0, sxz = 0, syz = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!where[i]) continue;
      const u = xs[x], w = ys[y], z = values[i];
      n++; sx += u; sy += w; sxx += u * u; sxy += u * w; syy += w * w; sz += z; sxz += u * z; syz += w * z;
    }
  }
  const m = [n, sx, sy, sx, sxx, sxy, sy, sxy, syy], v = [sz, sxz, syz];  // the normal equations
  const det = (a) => a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const whole = det(m), [a, b, c] = [0, 1, 2].map((k) => det(m.map((e, i) => (i % 3 === k ? v[Math.floor(i / 3)] : e))) / whole);
  const nx = linspace(newWidth), ny = linspace(newHeight), out = new Float32Array(newWidth * newHeight);
  for (let y = 0; y < newHeight; y++) {
    const row = a + c * ny[y];
    for (let x = 0; x < newWidth; x++) out[y * newWidth + x] = row + b * nx[x];
  }
  return out;
}

// The level that best splits values into two groups (Otsu's method, on a 64-bin histogram as NumPy bins it).
function otsu(values) {
  let low = Infinity, high = -Infinity;
  for (const v of values) { low = Math.min(low, v); high = Math.max(high, v); }
  if (high - low < 1e-6) return high + 1;  // all alike: nothing to split
  const bins = 64, counts = new Float64Array(bins), step = (high - low) / bins;
  for (const v of values) counts[Math.min(Math.floor((v - low) / step), bins - 1)]++;
  let below = 0, mass = 0, total = 0, totalMass = 0, best = -Infinity, split = 0;
  const centre = (i) => low + (i + 0.5) * step;
  for (let i = 0; i < bins; i++) { total += counts[i]; totalMass += counts[i] * centre(i); }
  for (let i = 0; i < bins; i++) {
    below += counts[i]; mass += counts[i] * centre(i);
    const above = total - below;
    if (below === 0 || above === 0) continue;
    const between = below * above * (mass / below - (totalMass - mass) / above) ** 2;
    if (between > best) { best = between; split = centre(i); }
  }
  return split;
}

// The outer sixteenth of a picture on each side (or `ring` pixels): where paper must be.
function borderOf(width, height, ring = 0) {
  ring = Math.max(1, Math.min(ring || Math.floor(Math.min(width, height) / 16), Math.floor((Math.min(width, height) - 1) / 2)));
  const border = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) border[y * width + x] = x < ring || y < ring || x >= width - ring || y >= height - ring;
  }
  return border;
}

function marksAreDark(grey, coarse) {
  const [smooth, width, height] = Math.min(grey[1], grey[2]) >= 32 ? resize(grey, 0.25) : grey;
  const plane = fitSurface(coarse, borderOf(coarse[1], coarse[2]), width, height);
  let low = Infinity, high = -Infinity;
  for (let i = 0; i < smooth.length; i++) { low = Math.min(low, smooth[i] - plane[i]); high = Math.max(high, smooth[i] - plane[i]); }
  return -low > high;
}

function paperLevel(coarse, width, height) {
  const [values] = coarse, count = values.length, residual = new Float32Array(count);
  const sixty = percentile(values, 60);
  let paper = new Uint8Array(count);
  for (let i = 0; i < count; i++) paper[i] = values[i] <= sixty;
  for (let round = 0; round < 2; round++) {
    const plane = fitSurface(coarse, paper);
    for (let i = 0; i < count; i++) residual[i] = values[i] - plane[i];
    const level = otsu(residual), split = new Uint8Array(count);
    let inSplit = 0;
    for (let i = 0; i < count; i++) inSplit += split[i] = residual[i] < level;
    if (inSplit >= 3) paper = split;  // a blank, even page: every pixel stays paper
  }
  return fitSurface(coarse, paper, width, height);
}

// reduce (Math.min or Math.max) over the square of 2·radius + 1 around each pixel, the picture's edge repeated
// beyond it: along rows, then columns, each in blocks of the window's width (van Herk and Gil-Werman).
function spread([values, width, height], radius, reduce) {
  const size = 2 * radius + 1;
  let out = values;
  for (const [count, length, at] of [[height, width, (line, i) => line * width + i], [width, height, (line, i) => i * width + line]]) {
    const source = out, next = new Float32Array(values.length);
    const padded = length + 2 * radius + ((size - ((length + 2 * radius) % size)) % size);
    const line = new Float64Array(padded), forward = new Float64Array(padded), backward = new Float64Array(padded);
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < padded; i++) line[i] = source[at(k, Math.min(Math.max(i - radius, 0), length - 1))];
      for (let i = 0; i < padded; i++) forward[i] = i % size === 0 ? line[i] : reduce(forward[i - 1], line[i]);
      for (let i = padded - 1; i >= 0; i--) backward[i] = i % size === size - 1 ? line[i] : reduce(backward[i + 1], line[i]);
      for (let i = 0; i < length; i++) next[at(k, i)] = reduce(backward[i], forward[i + size - 1]);
    }
    out = next;
  }
  return out;
}

function opening([values, width, height], radius) {
  return spread([spread([values, width, height], radius, Math.min), width, height], radius, Math.max);
}

function shadowedPaper(grey) {
  const [, width, height] = grey;
  const factor = Math.min(1, MID_SIDE / Math.max(width, height));
  const reach = Math.ceil((Math.floor((Math.min(width, height) * factor) / 16) + 2) / factor), band = borderOf(width, height, reach);
  let borderTop = -Infinity, lowest = Infinity;
  for (let i = 0; i < grey[0].length; i++) {
    lowest = Math.min(lowest, grey[0][i]);
    if (band[i]) borderTop = Math.max(borderTop, grey[0][i]);
  }
  // The copy's border can hold no two levels that far apart, and the opening only narrows them: no shadow.
  if (borderTop - lowest < SHADOW_DEPTH) return null;
  const mid = resize(grey, factor), ring = borderOf(mid[1], mid[2]);
  const radius = Math.max(1, roundHalfEven(Math.max(mid[1], mid[2]) / 16));
  const paper = opening(mid, radius);
  const border = paper.filter((_, i) => ring[i]);
  const split = otsu(border);
  let shadowed = 0, litSum = 0, shadowSum = 0;
  for (const v of border) { if (v > split) { shadowed++; shadowSum += v; } else litSum += v; }
  const share = shadowed / border.length;
  if (!(share >= SHADOW_SHARE[0] && share <= SHADOW_SHARE[1])) return null;
  const litLevel = litSum / (border.length - shadowed), shadowLevel = shadowSum / shadowed;
  let between = 0;
  for (const v of border) between += Math.abs(v - (litLevel + shadowLevel) / 2) < (shadowLevel - litLevel) / 4;
  if (shadowLevel - litLevel < SHADOW_DEPTH || between / border.length > SHADOW_GAP) return null;
  const shade = paper.map((v) => (v > split ? 1 : 0)), lit = shade.map((v) => 1 - v);
  const litPlane = fitSurface([paper, mid[1], mid[2]], lit, width, height);
  const darkPlane = fitSurface([paper, mid[1], mid[2]], shade, width, height);
  const half = Math.trunc(radius / 2);
  const grown = spread([shade, mid[1], mid[2]], half, Math.max), shrunk = spread([shade, mid[1], mid[2]], half, Math.min);
  const level = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.floor((y * mid[2]) / height) * mid[1];  // each pixel's pixel of the copy
    for (let x = 0; x < width; x++) {
      const m = row + Math.floor((x * mid[1]) / width), i = y * width + x;
      const low = Math.min(litPlane[i], darkPlane[i]), high = Math.max(litPlane[i], darkPlane[i]);
      const edge = grown[m] > 0.5 && !(shrunk[m] > 0.5) && grey[0][i] <= high + (high - low) / 2;  // else a stroke
      level[i] = edge ? Math.min(Math.max(grey[0][i], low), high) : shade[m] ? darkPlane[i] : litPlane[i];
    }
  }
  return level;
}

// Grey levels (0 black, 1 white) to ink (0 paper, up to 1 ink), whatever the colours and the light.
function inkMap(grey) {
  let coarse = resize(grey, Math.min(1, COARSE_SIDE / Math.max(grey[1], grey[2])));
  const dark = marksAreDark(grey, coarse);
  if (dark) {
    const inverted = (picture) => [picture[0].map((v) => 1 - v), picture[1], picture[2]];
    [grey, coarse] = [inverted(grey), inverted(coarse)];
  }
  const values = grey[0], ink = new Float32Array(values.length), shadowed = shadowedPaper(grey);
  if (shadowed === null) {
    const paper = paperLevel(coarse, grey[1], grey[2]);
    for (let i = 0; i < ink.length; i++) ink[i] = Math.min(Math.max(values[i] - paper[i], 0), 1);
  } else {  // against the paper's own light there
    for (let i = 0; i < ink.length; i++) ink[i] = Math.min(Math.max((values[i] - shadowed[i]) / Math.max(1 - shadowed[i], 0.05), 0), 1);
  }
  return [ink, grey[1], grey[2]];
}

// The whole-pixel places (0 to most) for a move of `move` pixels, with their weights: the nearest one, or
// within HALF_BLEND of a half the two nearest, weighted linearly across that span.
function places(move, most) {
  const low = Math.floor(move), up = Math.min(Math.max((move - low - (0.5 - HALF_BLEND)) / (2 * HALF_BLEND), 0), 1);
  return [[low, 1 - up], [low + 1, up]].filter(([, weight]) => weight > 0).map(([place, weight]) => [Math.min(Math.max(place, 0), most), weight]);
}

function centreByMass([values, width, height], frame) {
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) { const v = values[y * width + x]; mass += v; my += y * v; mx += x * v; }
  }
  const out = new Float32Array(frame * frame);
  for (const [top, down] of places(frame / 2 - my / mass, frame - height)) {
    for (const [left, across] of places(frame / 2 - mx / mass, frame - width)) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) out[(top + y) * frame + left + x] += Math.fround(down * across) * values[y * width + x];
      }
    }
  }
  return out;
}

// grey: Float32Array of width × height, 0 = black, 1 = white. Returns 784 values, or null for no ink:
// digit_image.to_mnist_digit.
function prepare(greyValues, width, height) {
  const ink = inkMap([greyValues, width, height]), inkValues = ink[0];
  const halved = Math.min(width, height) > 8 ? resize(ink, 0.5) : ink;  // 2 × 2 averages: lone pixels do not count
  let top = 0;
  for (const v of halved[0]) top = Math.max(top, v);
  if (top < WEAKEST_INK) return null;
  const stroke = percentile(halved[0].filter((v) => v > top / 2), 90);  // the level inside a stroke
  const level = new Float32Array(inkValues.length);  // strokes 1, paper 0
  for (let i = 0; i < level.length; i++) level[i] = Math.min(Math.max((inkValues[i] - NOISE_LEVEL * stroke) / ((1 - NOISE_LEVEL) * stroke), 0), 1);
  const [t, b, l, r] = inkExtent([level, width, height]);
  const strokes = withStrokeWidth(fineStrokes(crop([level, width, height], t, b, l, r), FINE * DIGIT_BOX), ...MNIST_STROKES);
  const [y0, y1, x0, x1] = boxAbove(strokes, 0.02);
  return centreByMass(scaleLongestSide(crop(strokes, y0, y1, x0, x1), DIGIT_BOX), FRAME);
}

// ---- The page ------------------------------------------------------------------------------------

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
  if (typeof S !== "object" || !Number.isInteger(S.count) || S.count < 1 || !Number.isInteger(S.columns) || S.columns < 1) {
    return "web/sample.js is damaged (no count of digits)";
  }
  if (typeof S.labels !== "string" || !/^[0-9]*$/.test(S.labels) || S.labels.length !== S.count) {
    return `web/sample.js is damaged (its labels are not ${S.count} digits 0-9)`;
  }
  if (typeof S.png !== "string" || !S.png.startsWith("data:image/png;base64,")) return "web/sample.js is damaged (no PNG of its digits)";
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
  for (const [k, moment] of R.moments.entries()) {
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
  pathsLayout, recordingProblem, sampleProblem,
};
