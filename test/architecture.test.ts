/**
 * The layers of ../shared/DESIGN.md, checked on the source: cli → operations → (media, ocr,
 * documents) → ledger → core. Nothing imports a layer above it; src/core does no I/O; the
 * commands hold no SQL and append no events (that is the use cases' work).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..', 'src');

const RANK: Record<string, number> = { core: 0, ledger: 1, media: 2, ocr: 2, documents: 2, operations: 3, cli: 4 };

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

/** Every module a file imports, statically or with import(). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) out.push(m[1]!);
  return out;
}

/** Strip comments and the contents of strings that are not SQL-looking, keeping line structure. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const files = sourceFiles(SRC);

describe('architecture', () => {
  it('knows the layer of every source file', () => {
    const unknown = files.filter((f) => !(layerOf(f) in RANK) && path.dirname(f) !== SRC);
    expect(unknown.map((f) => path.relative(SRC, f))).toEqual([]);
  });

  it('no module imports a layer above its own', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = layerOf(f);
      if (!(from in RANK)) continue;
      for (const spec of importsOf(fs.readFileSync(f, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(f), spec);
        const to = layerOf(target);
        if (!(to in RANK)) continue;
        if (RANK[to]! > RANK[from]!) bad.push(`${path.relative(SRC, f)} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('src/core does no I/O', () => {
    const io = /^(node:)?(fs|fs\/promises|child_process|net|http|https|worker_threads|os)$|^sql\.js$|^exiftool|^sharp$/;
    const bad = files
      .filter((f) => layerOf(f) === 'core')
      .flatMap((f) =>
        importsOf(fs.readFileSync(f, 'utf8'))
          .filter((spec) => io.test(spec))
          .map((spec) => `${path.relative(SRC, f)} imports ${spec}`),
      );
    expect(bad).toEqual([]);
  });

  it('the commands hold no SQL and append no events', () => {
    const sql = /\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/;
    const calls = /\.(append|commit)\(|\.ledger\.(one|rows|run|exec)\b/;
    const bad: string[] = [];
    for (const f of files.filter((f) => layerOf(f) === 'cli')) {
      withoutComments(fs.readFileSync(f, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (sql.test(line) || calls.test(line)) bad.push(`${path.relative(SRC, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).toEqual([]);
  });

  it('nothing in src is a test or fixture generator', () => {
    const bad = files.filter((f) => /fixture|synth/i.test(path.basename(f))).map((f) => path.relative(SRC, f));
    expect(bad).toEqual([]);
  });
});
