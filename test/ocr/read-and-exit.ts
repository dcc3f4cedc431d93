/**
 * Spawned by reader.test.ts: reads one synthetic crop and one synthetic frame, ends the
 * reader, and prints the readings as JSON. The test checks that this process exits by
 * itself (no worker left running) and that it never touched the network.
 */
import { createPlateReader } from '../../src/ocr/reader.js';
import { renderPlate, renderScene } from '../../tools/synth.js';

const reader = await createPlateReader({ workers: 2 });
const crop = await reader.read(await renderPlate('7ABC123', { seed: 3, skew: 0, night: false }), 'crop');
const frame = await reader.read(
  (await renderScene('8XYZ456', { seed: 4, night: false, plateWidth: 160 })).image,
  'frame',
);
await reader.end();
await reader.end(); // idempotent
process.stdout.write(
  `${JSON.stringify({ crop: crop.best?.text ?? null, frame: frame.best?.text ?? null, engine: reader.engine, model: reader.model })}\n`,
);
