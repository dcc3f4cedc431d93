/** Commands: search, image show/export, audit (issue 5). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CustodyError } from '../../core/errors.js';
import { isoInZone, parseIsoWithOffset } from '../../core/time.js';
import { recordAccess, requireAccessReason } from '../../ledger/access.js';
import { BatchFiles, loadBatchKey, storeContext } from '../../ledger/batches.js';
import { imageId, loadBatch, parseImageId, type LoadedBatch } from '../../ledger/images.js';
import type { Session } from '../../ledger/session.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { details, printJson, table } from '../render.js';
import { withSession } from '../session.js';

interface ReasonOpts {
  purpose?: string;
  case?: string;
  request?: string;
}

const reasonOptions = (c: Command): Command =>
  c
    .option('--purpose <text>', 'the official purpose (one of the city’s list; required)')
    .option('--case <number>', 'the case number (this or --request is required)')
    .option('--request <id>', 'the request id (this or --case is required)');

function bound(v: string | undefined, flag: string, end: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v))
    return Date.parse(`${v}T00:00:00Z`) + (end ? 86_400_000 + 14 * 3_600_000 : -14 * 3_600_000);
  const d = parseIsoWithOffset(v);
  if (!d) throw new CustodyError('usage', `${flag} ${v} is not a date (YYYY-MM-DD) or ISO-8601 time with offset.`);
  return d.getTime();
}

export interface SearchResult {
  image: string;
  capturedAt: string | null;
  camera: string | null;
  reading: string;
  /** 0 = the best reading of the image, 1.. = an alternative. */
  rank: number;
  confidence: number;
  match: string;
  score: number;
}

export async function searchPlates(
  s: Session,
  q: { plate: string; fuzzy: boolean; camera?: string; from?: number; to?: number; limit: number },
): Promise<{ results: SearchResult[]; batchesSearched: number; batchesUnread: number }> {
  const { parseQuery } = await import('../../core/plate-match.js');
  const { loadIndex } = await import('../../ocr/queue.js');
  const pq = parseQuery(q.plate, { fuzzy: q.fuzzy });
  const batches = s.ledger.rows<{
    id: string;
    camera_id: string | null;
    recorded_first: string | null;
    recorded_last: string | null;
    ocr: string | null;
  }>(
    `SELECT b.id, b.camera_id, b.recorded_first, b.recorded_last, o.status AS ocr FROM batches b LEFT JOIN ocr_batches o ON o.batch = b.id
     WHERE b.status = 'imported' AND b.key_destroyed_at IS NULL AND b.stored > 0 ${q.camera ? 'AND b.camera_id = ?' : ''} ORDER BY b.finished_at`,
    q.camera ? [q.camera] : [],
  );
  const results: SearchResult[] = [];
  const tz = s.settings.timeZone;
  let searched = 0;
  let unread = 0;
  for (const b of batches) {
    // Batches whose recordings lie wholly outside the range are not opened.
    if (q.from !== undefined && b.recorded_last && Date.parse(b.recorded_last) < q.from) continue;
    if (q.to !== undefined && b.recorded_first && Date.parse(b.recorded_first) > q.to) continue;
    if (b.ocr !== 'done') unread++;
    // Only the batch's index is read: it holds each image's capture time too.
    let key: Buffer;
    const bf = new BatchFiles(s.home, b.id);
    try {
      key = loadBatchKey(bf, s.master);
    } catch {
      continue;
    }
    const idx = loadIndex(bf, key);
    if (!idx) continue;
    searched++;
    for (const h of idx.index.search(pq, { fuzzy: q.fuzzy, limit: 10_000 })) {
      const t = idx.capturedAt(h.imageId);
      if (q.from !== undefined && !(t >= q.from)) continue;
      if (q.to !== undefined && !(t <= q.to)) continue;
      results.push({
        image: imageId({ batch: b.id, fileId: h.imageId }),
        capturedAt: Number.isNaN(t) ? null : isoInZone(new Date(t), tz),
        camera: b.camera_id,
        reading: h.reading,
        rank: h.rank,
        confidence: +h.confidence.toFixed(3),
        match: h.kind,
        score: +h.score.toFixed(4),
      });
    }
  }
  results.sort(
    (a, b) =>
      b.score - a.score || b.confidence - a.confidence || (a.capturedAt ?? '').localeCompare(b.capturedAt ?? ''),
  );
  return { results: results.slice(0, q.limit), batchesSearched: searched, batchesUnread: unread };
}

function reasonOf(o: ReasonOpts) {
  return { purpose: o.purpose, caseRef: o.case, requestId: o.request };
}

export function registerSearch(program: Command, ctx: CliContext, globals: () => GlobalOptions): void {
  reasonOptions(
    program
      .command('search <plate>')
      .description(
        'find images by plate: exact, wildcards (7AB?12*), or --fuzzy (OCR confusions, one character missing or extra), over every reading',
      )
      .option(
        '--fuzzy',
        'allow the confusions OCR makes (O/0/D/Q, I/1/L/T, B/8, S/5, Z/2, G/6) and one character missing or extra',
      )
      .option('--camera <id>', 'only this camera')
      .option('--from <date>', 'captured on or after (YYYY-MM-DD or ISO time)')
      .option('--to <date>', 'captured on or before')
      .option('--limit <n>', 'at most this many results', (v) => Number(v), 50),
  )
    .addHelpText(
      'after',
      '\nEvery search is recorded (Civil Code 1798.90.52) with its purpose and case.\n\nExamples:\n  $ custody search 7ABC123 --purpose "criminal investigation" --case 2026-1234\n  $ custody search "7AB?12*" --camera CAM-01 --from 2026-11-01 --request R0001 --purpose "locating a stolen vehicle" --json',
    )
    .action(
      async (
        plate: string,
        o: ReasonOpts & { fuzzy?: boolean; camera?: string; from?: string; to?: string; limit: number },
      ) => {
        const g = globals();
        if (!(Number.isInteger(o.limit) && o.limit > 0))
          throw new CustodyError('usage', '--limit must be a positive whole number.');
        const from = bound(o.from, '--from', false);
        const to = bound(o.to, '--to', true);
        await withSession(ctx, g, 'search', 'media.read', async (s) => {
          const reason = requireAccessReason(s, reasonOf(o), 'search');
          const r = await searchPlates(s, {
            plate,
            fuzzy: Boolean(o.fuzzy),
            camera: o.camera,
            from,
            to,
            limit: o.limit,
          });
          const query = [
            plate,
            o.fuzzy ? 'fuzzy' : null,
            o.camera ? `camera=${o.camera}` : null,
            o.from ? `from=${o.from}` : null,
            o.to ? `to=${o.to}` : null,
          ]
            .filter(Boolean)
            .join(' ');
          recordAccess(s, 'search', query, reason, r.results.length);
          if (g.json) return printJson(ctx, { query, ...r });
          ctx.stdout.write(
            table(
              ['image', 'captured', 'camera', 'reading', 'which', 'confidence', 'match'],
              r.results.map((x) => [
                x.image,
                x.capturedAt,
                x.camera,
                x.reading,
                x.rank === 0 ? 'best' : `alt ${x.rank}`,
                x.confidence.toFixed(2),
                x.match,
              ]),
            ),
          );
          if (r.batchesUnread)
            ctx.stdout.write(`Note: ${r.batchesUnread} batch(es) have no plate readings yet; run \`custody ocr\`.\n`);
        });
      },
    );

  const image = program
    .command('image')
    .description('look at images (every look is recorded with its purpose and case)');
  reasonOptions(image.command('show <id>').description('an image’s metadata and plate readings')).action(
    async (id: string, o: ReasonOpts) => {
      const g = globals();
      const ref = parseImageId(id);
      await withSession(ctx, g, 'image show', 'media.read', async (s) => {
        const reason = requireAccessReason(s, reasonOf(o), 'view of an image');
        const b = await loadBatch(s, ref.batch);
        const rec = b.records.get(ref.fileId);
        if (!rec) throw new CustodyError('notFound', `No image ${id}.`);
        const { loadReadings } = await import('../../ocr/queue.js');
        const readings = loadReadings(b.bf, b.key);
        const rd = readings?.files[String(ref.fileId)];
        recordAccess(s, 'view', id, reason, 1);
        const out = {
          image: id,
          batch: ref.batch,
          camera: b.camera,
          drive: b.drive,
          file: rec.relPath,
          size: rec.size,
          sha256: rec.sha256,
          mime: rec.mime,
          capturedAt: rec.recordedAt,
          captureSource: rec.recordedSource,
          flags: rec.flags,
          make: rec.make,
          model: rec.model,
          serial: rec.serial,
          gps: rec.gps ?? null,
          outcome: rec.outcome,
          duplicateOf: rec.duplicateOf ?? null,
          readings: rd ? { engine: readings!.engine, model: readings!.model, ...rd } : null,
        };
        if (g.json) return printJson(ctx, out);
        ctx.stdout.write(
          details([
            ['image', id],
            ['camera', b.camera],
            ['drive', b.drive],
            ['file on the drive', rec.relPath],
            ['captured', `${rec.recordedAt} (${rec.recordedSource})`],
            ['flags', rec.flags.join(', ') || 'none'],
            ['SHA-256', rec.sha256],
            ['size', rec.size],
            ['camera make/model/serial', [rec.make, rec.model, rec.serial].filter(Boolean).join(' / ') || null],
            ['plate (best)', rd?.best ? `${rd.best.text} (${rd.best.confidence.toFixed(2)})` : 'none read'],
          ]),
        );
        if (rd?.alternatives.length)
          ctx.stdout.write(
            `alternatives: ${rd.alternatives.map((a) => `${a.text} (${a.confidence.toFixed(2)})`).join(', ')}\n`,
          );
      });
    },
  );

  reasonOptions(
    image
      .command('export <ids...>')
      .description('decrypted copies of images, each hash checked on the way out')
      .option('--to <dir>', 'the folder to write them to (must be empty or new)'),
  ).action(async (ids: string[], o: ReasonOpts & { to?: string }) => {
    const g = globals();
    if (!o.to) throw new CustodyError('usage', 'Missing the destination: pass --to DIR.');
    const dir = path.resolve(o.to);
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
      throw new CustodyError('conflict', `${dir} is not empty.`, 'Export into a new or empty folder.');
    const refs = ids.map(parseImageId);
    await withSession(ctx, g, 'image export', 'media.read', async (s) => {
      const reason = requireAccessReason(s, reasonOf(o), 'export of images');
      const { exportStored } = await import('../../media/store.js');
      const written: { image: string; file: string; sha256: string }[] = [];
      const cache = new Map<string, LoadedBatch>();
      for (const ref of refs) {
        const b = cache.get(ref.batch) ?? (await loadBatch(s, ref.batch));
        cache.set(ref.batch, b);
        const rec = b.records.get(ref.fileId);
        if (!rec?.sha256 || (rec.outcome !== 'stored' && rec.outcome !== 'duplicate'))
          throw new CustodyError('notFound', `No stored image ${imageId(ref)}.`);
        let src = b;
        let name = rec.storeName;
        if (rec.outcome === 'duplicate' && rec.duplicateOf) {
          const [db, dn] = rec.duplicateOf.split('/');
          src = cache.get(db!) ?? (await loadBatch(s, db!));
          cache.set(db!, src);
          name = dn;
        }
        const ext = path.extname(rec.relPath) || `.${(rec.mime ?? 'application/octet-stream').split('/')[1]}`;
        const dest = path.join(dir, `${imageId(ref).replace(':', '_')}${ext.toLowerCase()}`);
        await exportStored(src.bf.storeFile(name!), src.key, storeContext(src.bf.batch), dest, rec.sha256);
        written.push({ image: imageId(ref), file: dest, sha256: rec.sha256 });
      }
      recordAccess(s, 'export', ids.join(' '), reason, written.length, { to: dir });
      if (g.json) return printJson(ctx, written);
      ctx.stdout.write(
        table(
          ['image', 'file', 'SHA-256 (checked)'],
          written.map((w) => [w.image, w.file, w.sha256]),
        ),
      );
    });
  });

  program
    .command('audit')
    .description('the access record: every search, view and export, with who, when, the query and the purpose')
    .option('--operator <username>', 'only this operator')
    .option('--since <date>', 'from this date')
    .option('--until <date>', 'up to this date')
    .option('--plate <text>', 'queries that mention this plate')
    .option('--case <number>', 'only this case number')
    .option('--csv', 'comma-separated values (for a spreadsheet)')
    .addHelpText(
      'after',
      '\nAuditors may run this; they may never search or see images.\n\nExamples:\n  $ custody audit --since 2026-11-01 --csv > access-2026-11.csv\n  $ custody audit --case 2026-1234 --json',
    )
    .action(
      async (o: {
        operator?: string;
        since?: string;
        until?: string;
        plate?: string;
        case?: string;
        csv?: boolean;
      }) => {
        const g = globals();
        const since = bound(o.since, '--since', false);
        const until = bound(o.until, '--until', true);
        await withSession(ctx, g, 'audit', 'log.read', (s) => {
          const rows = s.ledger.rows<{
            seq: number;
            at: string;
            operator: string;
            organization: string;
            action: string;
            query: string;
            purpose: string;
            case_ref: string | null;
            request_id: string | null;
            results: number | null;
          }>('SELECT * FROM access_log ORDER BY seq');
          const plate = o.plate?.toUpperCase().replace(/[^A-Z0-9]/g, '');
          const list = rows
            .filter(
              (r) =>
                (!o.operator || r.operator === o.operator) &&
                (!o.case || r.case_ref === o.case) &&
                (!plate ||
                  r.query
                    .toUpperCase()
                    .replace(/[^A-Z0-9 ]/g, '')
                    .includes(plate)) &&
                (since === undefined || Date.parse(r.at) >= since) &&
                (until === undefined || Date.parse(r.at) <= until),
            )
            .map((r) => ({
              event: r.seq,
              at: r.at,
              operator: r.operator,
              organization: r.organization,
              action: r.action,
              query: r.query,
              purpose: r.purpose,
              case: r.case_ref,
              request: r.request_id,
              results: r.results,
            }));
          if (g.json) return printJson(ctx, list);
          if (o.csv) {
            const esc = (v: unknown) =>
              v === null || v === undefined
                ? ''
                : /[",\n]/.test(String(v))
                  ? `"${String(v).replace(/"/g, '""')}"`
                  : String(v);
            const cols = [
              'event',
              'at',
              'operator',
              'organization',
              'action',
              'query',
              'purpose',
              'case',
              'request',
              'results',
            ] as const;
            ctx.stdout.write(
              `${cols.join(',')}\n${list.map((r) => cols.map((c) => esc(r[c])).join(',')).join('\n')}${list.length ? '\n' : ''}`,
            );
            return;
          }
          ctx.stdout.write(
            table(
              ['#', 'at', 'operator', 'organisation', 'action', 'query', 'purpose', 'case / request', 'results'],
              list.map((r) => [
                r.event,
                r.at,
                r.operator,
                r.organization,
                r.action,
                r.query,
                r.purpose,
                r.case ?? r.request,
                r.results,
              ]),
            ),
          );
        });
      },
    );
}
