import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldModel, ModelProto } from '../../src/ocr/fold.js';
import { decodeGrey } from '../../src/ocr/image.js';
import { createEngine, type Engine } from '../../src/ocr/ppocr.js';
import { makeRng, randomPlateText, renderPlate } from '../../tools/synth.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// A network of each pattern fold.ts rewrites, small enough to write out, on a 5×5 input so the
// padded convolution's border shows if a shift were moved where padding sees zeros.
const f32 = (name: string, dims: number[], values: number[]) => ({
  name,
  dims,
  data_type: 1,
  raw_data: new Uint8Array(Float32Array.from(values).buffer),
});
const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3));
const node = (op_type: string, input: string[], output: string, attribute: object[] = []) => ({
  op_type,
  input,
  output: [output],
  attribute,
});
const io = (name: string, dims: number[]) => ({
  name,
  type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});

function tinyModel(): Uint8Array {
  const graph = {
    name: 'tiny',
    node: [
      node('Conv', ['x', 'wa', 'ba'], 'a'),
      node('Mul', ['k17', 'a'], 'a1'),
      node('Add', ['a1', 'km03'], 'y'),
      node('Add', ['y', 'k3'], 'y3'),
      node('Clip', ['y3', 'k0', 'k6'], 'yc'),
      node('Mul', ['y', 'yc'], 'ym'),
      node('Div', ['ym', 'k6'], 'h'),
      node('Mul', ['k06', 'h'], 'p1'),
      node('Add', ['p1', 'k025'], 'p2'),
      node('Conv', ['p2', 'wb', 'bb'], 'padded', [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }]),
      node('Mul', ['h', 'k08'], 'q1'),
      node('Add', ['q1', 'km04'], 'q2'),
      node('Conv', ['q2', 'wc'], 'unpadded'),
    ],
    initializer: [
      f32('wa', [3, 2, 1, 1], seq(6, 1.1)),
      f32('ba', [3], [0.1, -0.2, 0.3]),
      f32('wb', [2, 3, 3, 3], seq(54, 0.7)),
      f32('bb', [2], [0.05, -0.05]),
      f32('wc', [2, 3, 1, 1], seq(6, 2.3)),
      ...(
        [
          ['k17', 1.7],
          ['km03', -0.3],
          ['k3', 3],
          ['k0', 0],
          ['k6', 6],
          ['k06', 0.6],
          ['k025', 0.25],
          ['k08', 0.8],
          ['km04', -0.4],
        ] as const
      ).map(([n, v]) => f32(n, [], [v])),
    ],
    input: [io('x', [1, 2, 5, 5])],
    output: [io('padded', [1, 2, 5, 5]), io('unpadded', [1, 2, 5, 5])],
  };
  const Type = ModelProto();
  const model = { ir_version: 7, opset_import: [{ domain: '', version: 11 }], graph };
  return Type.encode(Type.fromObject(model)).finish();
}

async function runBoth(a: Uint8Array, b: Uint8Array, feed: Record<string, Tensor>) {
  const outs = [];
  for (const bytes of [a, b]) {
    const s = await InferenceSession.create(bytes, { logSeverityLevel: 3 });
    outs.push(await s.run(feed));
    await s.release();
  }
  return outs as [InferenceSession.ReturnType, InferenceSession.ReturnType];
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('folding the networks (fold.ts)', () => {
  it('rewrites each pattern with the same arithmetic, and keeps a shift a padded convolution would see', async () => {
    const src = tinyModel();
    const { bytes, stats } = foldModel(src);
    expect(stats).toEqual({ convAffine: 2, hardSwish: 1, scaleIntoConv: 2, shiftIntoConv: 1 });
    const folded = ModelProto().decode(bytes) as unknown as { graph: { node: { op_type: string }[] } };
    // Conv ×3, HardSigmoid, Mul (the hard-swish), and the shift before the padded convolution.
    expect(folded.graph.node.map((n) => n.op_type).sort()).toEqual(
      ['Add', 'Conv', 'Conv', 'Conv', 'HardSigmoid', 'Mul'].sort(),
    );
    const x = new Tensor(
      'float32',
      Float32Array.from(seq(50, 0.9), (v) => 4 * v),
      [1, 2, 5, 5],
    );
    const [a, b] = await runBoth(src, bytes, { x });
    for (const name of ['padded', 'unpadded'])
      expect(maxDiff(a[name]!.data as Float32Array, b[name]!.data as Float32Array)).toBeLessThan(1e-5);
  });

  describe("on PP-OCRv4's shipped networks", () => {
    let shipped: Engine;
    let folded: Engine;
    beforeAll(async () => {
      [shipped, folded] = await Promise.all([createEngine({ fold: false }), createEngine()]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([shipped?.release(), folded?.release()]);
    });

    it('records that the networks ran folded', () => {
      expect(folded.model).toMatch(/, folded$/);
      expect(shipped.model).not.toMatch(/folded/);
      expect(folded.model.replace(/, folded$/, '')).toBe(shipped.model);
    });

    it('detects the same text map on real frames', async () => {
      const dir = path.join(root, 'fixtures/demo-drive/DCIM/100CAM');
      for (const f of fs.readdirSync(dir).sort().slice(0, 3)) {
        const g = await decodeGrey(fs.readFileSync(path.join(dir, f)));
        const [a, b] = await Promise.all([shipped.detect(g, 960, 544), folded.detect(g, 960, 544)]);
        expect(maxDiff(a, b)).toBeLessThan(1e-3);
        expect(a.some((v) => v > 0.3)).toBe(true);
      }
    }, 120_000);

    it('recognises a plate with the same probabilities', async () => {
      const rng = makeRng(11);
      for (let i = 0; i < 3; i++) {
        const g = await decodeGrey(await renderPlate(randomPlateText(rng), { seed: 500 + i }));
        const [a, b] = await Promise.all([shipped.recognise(g), folded.recognise(g)]);
        expect(b.steps).toBe(a.steps);
        expect(maxDiff(a.probs, b.probs)).toBeLessThan(1e-4);
      }
    }, 120_000);
  });
});
