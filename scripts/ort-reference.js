#!/usr/bin/env node
// Reference outputs from onnxruntime (CPU) for the model tests.
//
//   node scripts/ort-reference.js [--ort-dir DIR] [--opt disabled|basic] [--threads N]
//        <model.onnx> <out.npy | out-dir/> name=in.npy [name=in.npy ...]
//
// With an output path ending in ".npy" the first model output is written
// there; otherwise the path is a directory and every output is written as
// <name>.npy (names sanitised like `fennec run --output-dir`).
// onnxruntime-node is loaded from --ort-dir, $FENNEC_ORT_DIR,
// $FENNEC_MODELS_DIR/ort or <repo>/.cache/ort (scripts/fetch-models.sh installs
// it there), in that order, then from the usual Node module path.
// Graph optimisation is off by default and threads are few, so that the
// reference is the plain, unfused evaluation of the graph.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(message) {
  process.stderr.write(`ort-reference: error: ${message}\n`);
  process.exit(1);
}

// ---- .npy (format 1.0 / 2.0 / 3.0, C order, little-endian) ----------------

const kDtypes = {
  '<f4': { type: 'float32', array: Float32Array },
  '<f8': { type: 'float64', array: Float64Array },
  '<i4': { type: 'int32', array: Int32Array },
  '<i8': { type: 'int64', array: BigInt64Array },
  '|i1': { type: 'int8', array: Int8Array },
  '|u1': { type: 'uint8', array: Uint8Array },
  '|b1': { type: 'bool', array: Uint8Array },
};

function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(`cannot read '${file}': ${e.message}`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`'${file}' is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) fail(`'${file}': malformed .npy header`);
  if (/'fortran_order'\s*:\s*True/.test(header)) fail(`'${file}': Fortran-order arrays are not supported`);
  const code = descr[1].replace(/^=/, '<');
  const info = kDtypes[code] || kDtypes[code.replace(/^[<|]/, '|')];
  if (!info) fail(`'${file}': unsupported dtype '${descr[1]}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const bytes = count * info.array.BYTES_PER_ELEMENT;
  if (buf.length - offset < bytes) fail(`'${file}': truncated data (${buf.length - offset} of ${bytes} bytes)`);
  // Copy so that the typed array is aligned regardless of the header length.
  const data = new info.array(count);
  Buffer.from(data.buffer).set(buf.subarray(offset, offset + bytes));
  return { type: info.type, dims, data };
}

function writeNpy(file, type, dims, data) {
  const code = Object.keys(kDtypes).find((k) => kDtypes[k].type === type);
  if (!code) fail(`cannot write output of type '${type}' to .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
}

// ---- onnxruntime ----------------------------------------------------------

function loadOrt(explicitDir) {
  const candidates = [];
  if (explicitDir) candidates.push(explicitDir);
  if (process.env.FENNEC_ORT_DIR) candidates.push(process.env.FENNEC_ORT_DIR);
  if (process.env.FENNEC_MODELS_DIR) candidates.push(path.join(process.env.FENNEC_MODELS_DIR, 'ort'));
  candidates.push(path.join(__dirname, '..', '.cache', 'ort'));
  for (const dir of candidates) {
    const module = path.join(dir, 'node_modules', 'onnxruntime-node');
    if (fs.existsSync(module)) return require(module);
  }
  try {
    return require('onnxruntime-node');
  } catch (e) {
    fail(`onnxruntime-node not found (looked in ${candidates.join(', ')}); run scripts/fetch-models.sh`);
  }
}

function sanitise(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy';
}

async function main() {
  const args = process.argv.slice(2);
  let ortDir = null;
  let opt = 'disabled';
  let threads = 2;
  const positional = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--ort-dir') ortDir = args[++i];
    else if (args[i] === '--opt') opt = args[++i];
    else if (args[i] === '--threads') threads = Number(args[++i]);
    else if (args[i] === '-h' || args[i] === '--help') {
      process.stdout.write('usage: ort-reference.js [--ort-dir DIR] [--opt disabled|basic] [--threads N] ' +
                           '<model.onnx> <out.npy|out-dir> name=in.npy [...]\n');
      return;
    } else positional.push(args[i]);
  }
  if (positional.length < 3) fail('usage: ort-reference.js <model.onnx> <out.npy|out-dir> name=in.npy [...]');
  if (!['disabled', 'basic', 'extended', 'all'].includes(opt)) fail(`unknown --opt '${opt}'`);
  const [modelPath, outPath, ...inputSpecs] = positional;
  if (!fs.existsSync(modelPath)) fail(`model '${modelPath}' does not exist`);

  const ort = loadOrt(ortDir);
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opt,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });

  const feeds = {};
  for (const spec of inputSpecs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) fail(`input '${spec}' must have the form name=file.npy`);
    const name = spec.slice(0, eq);
    if (!session.inputNames.includes(name))
      fail(`the model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    const array = readNpy(spec.slice(eq + 1));
    feeds[name] = new ort.Tensor(array.type, array.data, array.dims);
  }
  const started = process.hrtime.bigint();
  const results = await session.run(feeds);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;

  const single = outPath.endsWith('.npy');
  if (!single) fs.mkdirSync(outPath, { recursive: true });
  const names = single ? [session.outputNames[0]] : session.outputNames;
  for (const name of names) {
    const t = results[name];
    const file = single ? outPath : path.join(outPath, sanitise(name));
    writeNpy(file, t.type, t.dims, t.data);
    process.stdout.write(`output ${name} [${t.dims.join(',')}] -> ${file}\n`);
  }
  process.stdout.write(`onnxruntime ${opt} optimisation, ${threads} thread(s): ${ms.toFixed(1)} ms\n`);
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
