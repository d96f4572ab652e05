// The network of the drawing page, as the post states it: twin of mnist_by_hand.py (its forward pass, loss,
// gradients and RMSprop) and of mnist_helpers/model.py (each pixel's share of a score). Plain JavaScript, no
// library; the weights come from weights.js (made by export_web.py). index.html loads it first, then
// prepare.js, then page.js.
"use strict";

// ---- The network, as the post states it -------------------------------------------------------

function bytesOf(base64) {  // a plain loop: Uint8Array.from with a function made the page start 0.1 s slower
  const text = atob(base64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
const base64Length = (bytes) => 4 * Math.ceil(bytes / 3);  // what a data file must hold for so many bytes
const MOST_HIDDEN_UNITS = 4096;  // the widest hidden layer the scripts train (mnist_helpers/flags.py)
const MOST_SOURCE = 1000;        // characters of weights.js' word on where the weights come from (export_web.py)

function decode(array) {
  return { shape: array.shape, values: new Float32Array(bytesOf(array.base64).buffer) };
}

// What is wrong with weights.js, or null: the checks export_web.py makes before it writes the file. Each
// array's declared size is checked before it is decoded: a file of 200 MB is refused, not decoded.
function weightsProblem(W) {
  if (!W || typeof W !== "object") return "web/weights.js is missing, empty or broken";
  if (typeof W.source !== "string" || W.source.length > MOST_SOURCE) {
    return `web/weights.js is damaged (its source is not a line of at most ${MOST_SOURCE} characters)`;
  }
  const arrays = {};
  for (const name of ["w1", "b1", "w2", "b2"]) {
    const array = W[name];
    if (!array || !Array.isArray(array.shape) || typeof array.base64 !== "string") return `web/weights.js has no ${name}`;
    const count = array.shape.length <= 2 && array.shape.every((n) => Number.isSafeInteger(n) && n > 0) ?
      array.shape.reduce((product, n) => product * n, 1) : 0;
    if (!count || count > 784 * MOST_HIDDEN_UNITS) return `web/weights.js: ${name} has no shape the lesson's network can have`;
    if (array.base64.length !== base64Length(4 * count)) return `web/weights.js: ${name} does not hold the ${count} numbers its shape says`;
    try { arrays[name] = decode(array); } catch (error) { return `web/weights.js: ${name} is not float32 data in base64`; }
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
