/**
 * Typefaces for the glyph model's training plates, beside synth.ts's own (DejaVu and the
 * stroke-drawn 'gothic'). Narrow sans faces like most states' lettering, a few wider and
 * monospaced ones. From Debian's font packages, installed on the training machine only:
 *
 *   apt-get install -y fonts-texgyre fonts-urw-base35 fonts-liberation fonts-roboto \
 *     fonts-routed-gothic fonts-b612 fonts-freefont-ttf fonts-noto-core fonts-lato \
 *     fonts-cantarell fonts-hack fonts-open-sans fonts-jetbrains-mono
 */
import type { Face } from '../../tools/synth.js';

export const TRAINING_FACES: readonly Face[] = [
  { family: 'Liberation Sans Narrow', weight: 'bold', width: 0.55, cap: 0.72 },
  { family: 'Nimbus Sans Narrow', weight: 'bold', width: 0.55, cap: 0.72 },
  { family: 'TeX Gyre Heros Cn', weight: 'bold', width: 0.55, cap: 0.72 },
  { family: 'Roboto Condensed', weight: 'bold', width: 0.55, cap: 0.71 },
  { family: 'Open Sans Condensed', weight: 'bold', width: 0.5, cap: 0.71 },
  { family: 'Roboto', weight: 'bold', width: 0.64, cap: 0.71 },
  { family: 'Lato', weight: 'bold', width: 0.64, cap: 0.72 },
  { family: 'FreeSans', weight: 'bold', width: 0.68, cap: 0.72 },
  { family: 'Noto Sans', weight: 'bold', width: 0.65, cap: 0.71 },
  { family: 'Cantarell', weight: 'bold', width: 0.64, cap: 0.7 },
  { family: 'B612', weight: 'bold', width: 0.64, cap: 0.7 },
  { family: 'Hack', weight: 'bold', width: 0.6, cap: 0.73 },
  { family: 'JetBrains Mono', weight: 'bold', width: 0.6, cap: 0.73 },
  { family: 'Routed Gothic Narrow', weight: 'normal', width: 0.5, cap: 0.7 },
  { family: 'Routed Gothic', weight: 'normal', width: 0.6, cap: 0.7 },
  { family: 'Nimbus Sans', weight: 'bold', width: 0.68, cap: 0.72 },
  { family: 'DejaVu Sans Condensed', weight: 'bold', width: 0.62, cap: 0.73 },
  { family: 'DejaVu Sans Mono', weight: 'bold', width: 0.6, cap: 0.73 },
];
