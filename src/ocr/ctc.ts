/**
 * CTC decoding of the recogniser's output restricted to plate characters: a prefix beam
 * search over T steps of `alphabet.length + 1` probabilities (the gap at 0), so a line
 * yields its likeliest readings with their probabilities, for alternatives. Pure.
 */

export interface Decoded {
  text: string;
  /** Probability of the text summed over its alignments, 0..1. */
  p: number;
  /** The most probable step's character probability for each character. */
  charConf: number[];
  /** For each character, the step where it is most probable (its place along the line). */
  at: number[];
  /** For each character, the height of its ink over the median character's (NaN: unknown); set by the plate reader. */
  rel?: number[];
}

interface Beam {
  pb: number; // ends in a gap
  pnb: number; // ends in its last character
  conf: number[];
  at: number[];
}

/** Greedy (best path) decode: each step's likeliest class, repeats merged, gaps dropped. */
export function greedyDecode(probs: Float32Array, steps: number, alphabet: string): Decoded {
  const nc = alphabet.length + 1;
  let text = '';
  const charConf: number[] = [];
  const at: number[] = [];
  let prev = 0;
  let logp = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let k = 1; k < nc; k++) if (probs[t * nc + k]! > probs[t * nc + best]!) best = k;
    const p = probs[t * nc + best]!;
    logp += Math.log(Math.max(p, 1e-12));
    if (best !== 0 && best !== prev) {
      text += alphabet[best - 1]!;
      charConf.push(p);
      at.push(t);
    } else if (best !== 0 && best === prev && p > charConf.at(-1)!) {
      charConf[charConf.length - 1] = p;
      at[at.length - 1] = t;
    }
    prev = best;
  }
  return { text, p: Math.exp(logp), charConf, at };
}

/**
 * Prefix beam search. Returns up to `width` readings, likeliest first. Classes under
 * `prune` at a step are skipped (they cannot change the top readings much).
 */
export function beamDecode(probs: Float32Array, steps: number, alphabet: string, width = 16, prune = 1e-3): Decoded[] {
  const nc = alphabet.length + 1;
  let beams = new Map<string, Beam>([['', { pb: 1, pnb: 0, conf: [], at: [] }]]);
  for (let t = 0; t < steps; t++) {
    const row = t * nc;
    const blank = probs[row]!;
    const next = new Map<string, Beam>();
    const get = (k: string, conf: number[], at: number[]) => {
      let b = next.get(k);
      if (!b) {
        b = { pb: 0, pnb: 0, conf, at };
        next.set(k, b);
      }
      return b;
    };
    for (const [prefix, b] of beams) {
      const total = b.pb + b.pnb;
      // A gap: the prefix stays.
      get(prefix, b.conf, b.at).pb += total * blank;
      const last = prefix.length ? alphabet.indexOf(prefix[prefix.length - 1]!) + 1 : 0;
      for (let k = 1; k < nc; k++) {
        const p = probs[row + k]!;
        if (p < prune) continue;
        if (k === last) {
          // The same character again without a gap: the same prefix, its character held.
          const same = get(prefix, b.conf, b.at);
          same.pnb += b.pnb * p;
          if (b.conf.length && p > b.conf[b.conf.length - 1]!) {
            same.conf = [...b.conf.slice(0, -1), p];
            same.at = [...b.at.slice(0, -1), t];
          }
          // After a gap: the character doubled.
          const ext = get(prefix + alphabet[k - 1]!, [...b.conf, p], [...b.at, t]);
          ext.pnb += b.pb * p;
        } else {
          const ext = get(prefix + alphabet[k - 1]!, [...b.conf, p], [...b.at, t]);
          ext.pnb += total * p;
        }
      }
    }
    beams = new Map([...next.entries()].sort((a, b) => b[1].pb + b[1].pnb - (a[1].pb + a[1].pnb)).slice(0, width));
  }
  return [...beams.entries()]
    .map(([text, b]) => ({ text, p: b.pb + b.pnb, charConf: b.conf, at: b.at }))
    .filter((d) => d.text.length > 0)
    .sort((a, b) => b.p - a.p);
}
