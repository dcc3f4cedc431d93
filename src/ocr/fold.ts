/**
 * PP-OCRv4's networks, rewritten in memory for speed with the same arithmetic.
 *
 * The ONNX files were exported from Paddle one operation at a time: after most
 * convolutions come a scale and a shift by single numbers (PPLCNetV3's "learnable
 * affine blocks"), and every hard-swish is five element-wise nodes (x · clip(x + 3, 0, 6)
 * / 6). onnxruntime fuses none of them, so each costs a pass over a feature map: 40 % of
 * the detector's time and a fifth of the recogniser's. This module folds them away:
 *
 *  1. a convolution followed by `× a` and `+ b` (numbers) becomes one convolution with
 *     weights a·w and bias a·bias + b;
 *  2. a hard-swish becomes `x · HardSigmoid(x)` (α = 1/6, β = 0.5), which onnxruntime
 *     fuses into the convolution before it;
 *  3. `× a` (and `+ b`) feeding only convolutions moves into their weights (a·w); the
 *     shift moves into the bias (b·Σw) only where a convolution has no padding (padding
 *     sees zeros, not b), and otherwise stays as `+ b/a` before it.
 *
 * Each step is exact in real arithmetic; only float rounding differs (test/ocr/fold.test.ts
 * compares the outputs of the shipped and the folded networks on real images). The
 * shipped files are not changed: they are read, folded and handed to onnxruntime as
 * bytes, and the model name recorded with each reading says so.
 *
 * ONNX files are protocol buffers; they are read and written with protobufjs and ONNX's own
 * schema (`models/onnx.proto`, from ONNX 1.12, Apache-2.0).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// The shapes of the decoded messages this module reads and writes (field names as in onnx.proto).
interface Tensor {
  name?: string;
  dims: Array<number | { toNumber(): number }>;
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
}
interface Attribute {
  name: string;
  type?: number;
  f?: number;
  t?: Tensor;
  ints?: Array<number | { toNumber(): number }>;
  s?: Uint8Array;
}
interface Node {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  attribute: Attribute[];
}
interface Graph {
  node: Node[];
  initializer: Tensor[];
  output: { name: string }[];
}
interface Model {
  graph: Graph;
}

const FLOAT = 1;
const ATTR_FLOAT = 1;

/** What was folded: counts by kind. */
export interface FoldStats {
  convAffine: number;
  hardSwish: number;
  scaleIntoConv: number;
  shiftIntoConv: number;
}

function protoFile(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'models', 'onnx.proto');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('models/onnx.proto, shipped with custody, was not found.');
}

let modelType: protobuf.Type | undefined;
/** The ONNX ModelProto message type (from models/onnx.proto). */
export function ModelProto(): protobuf.Type {
  if (!modelType) {
    const { root } = protobuf.parse(fs.readFileSync(protoFile(), 'utf8'), { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

const num = (v: number | { toNumber(): number }) => (typeof v === 'number' ? v : v.toNumber());

function floats(t: Tensor): Float32Array {
  if (t.data_type !== FLOAT) throw new Error(`fold: tensor ${t.name ?? ''} is not float`);
  if (t.raw_data && t.raw_data.length > 0) {
    const copy = Uint8Array.from(t.raw_data);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.float_data ?? []);
}

function tensor(name: string, dims: number[], data: Float32Array): Tensor {
  return { name, dims, data_type: FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The graph with its lookups; rebuilt after each change (a few hundred nodes). */
class Folder {
  consts = new Map<string, { t: Tensor; values: Float32Array }>();
  consumers = new Map<string, Node[]>();
  outputs: Set<string>;
  stats: FoldStats = { convAffine: 0, hardSwish: 0, scaleIntoConv: 0, shiftIntoConv: 0 };
  private fresh = 0;

  constructor(readonly g: Graph) {
    this.outputs = new Set(g.output.map((o) => o.name));
    for (const t of g.initializer)
      if (t.name && t.data_type === FLOAT) this.consts.set(t.name, { t, values: floats(t) });
    for (const n of g.node) {
      const v = n.op_type === 'Constant' ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
      if (v && v.data_type === FLOAT) this.consts.set(n.output[0]!, { t: v, values: floats(v) });
    }
    this.index();
  }

  index() {
    this.consumers.clear();
    for (const n of this.g.node)
      for (const i of n.input) {
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
  }

  users(t: string): Node[] {
    return this.consumers.get(t) ?? [];
  }

  /** For an element-wise node with one single-number constant input: the other input and the number. */
  scalarOperand(n: Node): { x: string; v: number } | undefined {
    for (const k of [0, 1]) {
      const c = this.consts.get(n.input[k] ?? '');
      if (c && c.values.length === 1 && n.input.length === 2) return { x: n.input[1 - k]!, v: c.values[0]! };
    }
    return undefined;
  }

  addConst(base: string, dims: number[], data: Float32Array): string {
    const name = `${base}_folded${this.fresh++}`;
    const t = tensor(name, dims, data);
    this.g.initializer.push(t);
    this.consts.set(name, { t, values: data });
    return name;
  }

  weights(conv: Node): { w: Float32Array; dims: number[]; b: Float32Array } | undefined {
    const w = this.consts.get(conv.input[1] ?? '');
    if (!w) return undefined;
    const dims = w.t.dims.map(num);
    const bias = conv.input[2] ? this.consts.get(conv.input[2]) : undefined;
    if (conv.input[2] && !bias) return undefined;
    return {
      w: Float32Array.from(w.values),
      dims,
      b: bias ? Float32Array.from(bias.values) : new Float32Array(dims[0]!),
    };
  }

  setWeights(conv: Node, p: { w: Float32Array; dims: number[]; b: Float32Array }) {
    const base = conv.output[0]!;
    conv.input[1] = this.addConst(base, p.dims, p.w);
    conv.input[2] = this.addConst(base, [p.dims[0]!], p.b);
  }

  remove(...nodes: Node[]) {
    this.g.node = this.g.node.filter((n) => !nodes.includes(n));
  }

  rename(from: string, to: string) {
    for (const n of this.g.node) n.input = n.input.map((i) => (i === from ? to : i));
  }

  /** 1: Conv → × a → + b (or either alone) becomes one Conv. */
  convAffine(conv: Node): boolean {
    const y = conv.output[0]!;
    const [next] = this.users(y);
    if (this.outputs.has(y) || this.users(y).length !== 1 || !next) return false;
    if (next.op_type !== 'Mul' && next.op_type !== 'Add') return false;
    const s = this.scalarOperand(next);
    const p = this.weights(conv);
    if (!s || !p || this.outputs.has(next.output[0]!)) return false;
    if (next.op_type === 'Mul') {
      for (let i = 0; i < p.w.length; i++) p.w[i] = p.w[i]! * s.v;
      for (let o = 0; o < p.b.length; o++) p.b[o] = p.b[o]! * s.v;
    } else for (let o = 0; o < p.b.length; o++) p.b[o] = p.b[o]! + s.v;
    this.setWeights(conv, p);
    this.remove(next);
    this.rename(next.output[0]!, y);
    this.stats.convAffine++;
    return true;
  }

  /** 2: x → +3 → Clip(0, 6) → × x → ÷ 6 becomes x · HardSigmoid(x). */
  hardSwish(add: Node): boolean {
    const s = this.scalarOperand(add);
    if (s?.v !== 3) return false;
    const clip = this.only(add.output[0]!, 'Clip');
    if (!clip || !this.clipsTo(clip, 0, 6)) return false;
    const mul = this.only(clip.output[0]!, 'Mul');
    if (!mul?.input.includes(s.x)) return false;
    const div = this.only(mul.output[0]!, 'Div');
    if (!div || div.input[0] !== mul.output[0]) return false;
    const six = this.consts.get(div.input[1] ?? '')?.values;
    if (six?.length !== 1 || six[0] !== 6) return false;
    const out = div.output[0]!;
    const hs: Node = {
      input: [s.x],
      output: [`${out}_hardsigmoid`],
      op_type: 'HardSigmoid',
      attribute: [
        { name: 'alpha', type: ATTR_FLOAT, f: 1 / 6 },
        { name: 'beta', type: ATTR_FLOAT, f: 0.5 },
      ],
    };
    const product: Node = { input: [s.x, hs.output[0]!], output: [out], op_type: 'Mul', attribute: [] };
    const at = this.g.node.indexOf(add);
    this.remove(add, clip, mul, div);
    this.g.node.splice(at, 0, hs, product);
    this.stats.hardSwish++;
    return true;
  }

  /** 3: × a (then + b) feeding only convolutions moves into them. */
  scaleIntoConvs(mul: Node): boolean {
    const s = this.scalarOperand(mul);
    const y = mul.output[0]!;
    if (!s || s.v === 0 || this.outputs.has(y)) return false;
    const after = this.users(y);
    const shiftNode = after.length === 1 && after[0]!.op_type === 'Add' ? after[0] : undefined;
    const shift = shiftNode && !this.outputs.has(shiftNode.output[0]!) ? this.scalarOperand(shiftNode) : undefined;
    const tail = shift ? shiftNode!.output[0]! : y;
    const convs = this.users(tail);
    if (convs.length === 0 || convs.some((c) => c.op_type !== 'Conv' || c.input[0] !== tail || c.input[1] === tail))
      return false;
    const params = convs.map((c) => this.weights(c));
    if (params.some((p) => !p)) return false;
    const foldShift = shift !== undefined && convs.every((c) => !padded(c));
    convs.forEach((c, k) => {
      const p = params[k]!;
      const per = p.w.length / p.dims[0]!;
      for (let o = 0; o < p.dims[0]!; o++) {
        let sum = 0;
        for (let i = o * per; i < (o + 1) * per; i++) {
          sum += p.w[i]!;
          p.w[i] = p.w[i]! * s.v;
        }
        if (foldShift) p.b[o] = p.b[o]! + shift!.v * sum;
      }
      this.setWeights(c, p);
    });
    this.remove(mul);
    if (shift && foldShift) {
      this.remove(shiftNode!);
      this.rename(tail, s.x);
      this.stats.shiftIntoConv++;
    } else if (shift) {
      // The shift stays before the padded convolutions, divided by the scale now in their weights.
      shiftNode!.input = [s.x, this.addConst(shiftNode!.output[0]!, [1], Float32Array.of(shift.v / s.v))];
    } else this.rename(y, s.x);
    this.stats.scaleIntoConv++;
    return true;
  }

  private only(t: string, op: string): Node | undefined {
    const u = this.users(t);
    return u.length === 1 && u[0]!.op_type === op && !this.outputs.has(t) ? u[0] : undefined;
  }

  private clipsTo(clip: Node, lo: number, hi: number): boolean {
    const attr = (name: string) => clip.attribute.find((a) => a.name === name)?.f;
    const at = (k: number, name: string) =>
      clip.input[k] ? this.consts.get(clip.input[k]!)?.values[0] : clip.input.length > k ? undefined : attr(name);
    return at(1, 'min') === lo && at(2, 'max') === hi;
  }

  run(): FoldStats {
    for (let changed = true; changed; ) {
      changed = false;
      for (const n of this.g.node) {
        const done =
          (n.op_type === 'Conv' && this.convAffine(n)) ||
          (n.op_type === 'Add' && this.hardSwish(n)) ||
          (n.op_type === 'Mul' && this.scaleIntoConvs(n));
        if (done) {
          this.index();
          changed = true;
          break;
        }
      }
    }
    this.prune();
    return this.stats;
  }

  /** Constants and initializers no node reads any more. */
  private prune() {
    const used = new Set(this.g.node.flatMap((n) => n.input));
    this.g.node = this.g.node.filter((n) => n.op_type !== 'Constant' || used.has(n.output[0]!));
    this.g.initializer = this.g.initializer.filter((t) => used.has(t.name ?? ''));
  }
}

function padded(conv: Node): boolean {
  for (const a of conv.attribute) {
    if (a.name === 'pads' && (a.ints ?? []).some((v) => num(v) !== 0)) return true;
    if (a.name === 'auto_pad' && a.s && !['NOTSET', 'VALID'].includes(Buffer.from(a.s).toString())) return true;
  }
  return false;
}

/** The ONNX model in `bytes`, folded; the input is not changed. */
export function foldModel(bytes: Uint8Array): { bytes: Uint8Array; stats: FoldStats } {
  const Type = ModelProto();
  const model = Type.toObject(Type.decode(bytes), { defaults: false, arrays: true }) as unknown as Model;
  const stats = new Folder(model.graph).run();
  const out = Type.encode(Type.fromObject(model as unknown as Record<string, unknown>)).finish();
  return { bytes: out, stats };
}
