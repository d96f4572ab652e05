// Preparing a drawing as MNIST's digits were prepared: twin of mnist_helpers/digit_image.py, step for step.
"use strict";

const FRAME = 28;          // MNIST's images are 28 × 28 ...
const DIGIT_BOX = 20;      // ... with the digit's longest side scaled to 20 pixels
const WEAKEST_INK = 0.12;  // a pad with less ink than this is empty (as mnist_helpers/digit_image.py)
const NOISE_LEVEL = 0.25;  // ink fainter than this share of a stroke's own level is not ink
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
      const w = reduce ? (x > -0.5 && x <= 0.5 ? 1 : 0) : Math.max(0, 1 - Math.abs(x));  // Pillow 7+: (-0.5, 0.5]
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
