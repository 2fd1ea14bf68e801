// ONNX Runtime (onnxruntime-node) side of bench/engine/run.sh.
//   node ort_bench.js MODEL.onnx BATCH RUNS WARMUP THREADS
// Prints one JSON object with the same keys as `axon bench --json`.
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function main() {
  const [model, batchS, runsS, warmS, thrS] = process.argv.slice(2);
  const batch = +batchS, runs = +runsS, warmup = +warmS, threads = +thrS;
  let t0 = process.hrtime.bigint();
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = {};
  for (const name of sess.inputNames) {
    const meta = sess.inputMetadata
      ? (Array.isArray(sess.inputMetadata)
          ? sess.inputMetadata.find((m) => m.name === name)
          : sess.inputMetadata[name])
      : null;
    let dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : batch)) : null;
    if (!dims) dims = [batch, 3, 224, 224];
    dims[0] = batch;
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const lat = [];
  for (let i = 0; i < warmup + runs; i++) {
    t0 = process.hrtime.bigint();
    await sess.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= warmup) lat.push(ms);
  }
  const s = [...lat].sort((a, b) => a - b);
  const med = median(lat);
  const out = {
    system: 'onnxruntime', version: require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node', 'package.json')).version,
    model, batch, threads, runs, warmup,
    load_ms: loadMs, min_ms: s[0], median_ms: med,
    p90_ms: s[Math.max(0, Math.ceil(0.9 * s.length) - 1)],
    throughput: batch * 1000 / med,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error('ort_bench: ' + e.message); process.exit(1); });
