/**
 * Gate review, item 3: a request stayed usable for looking at images after it was fulfilled, with
 * no end: `image show --request` and `search --request` admitted any request that was not denied
 * or withdrawn (operations/gate.ts admit). DESIGN.md: every way image data leaves the home passes
 * one check, "open request" among its terms; policy §5: data only on an agency's request. So a
 * request's use ends when it is fulfilled (its release recorded), denied or withdrawn: a look or a
 * search under it afterwards is refused (exit 4) in one line naming the release, and nothing is
 * recorded. The operator's own viewing for a purpose and a case stays, recorded as such.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ECSO_AGENCY_ADD,
  ecsoRequest,
  INIT_ARGS,
  newTestHome,
  okRunner,
  ROOT,
  run,
  type TestHome,
} from '../helpers/cli.js';

describe('a request once fulfilled', () => {
  let t: TestHome;
  let ok: ReturnType<typeof okRunner>;
  let reqId: string;
  let image: string;
  const accessCount = async () =>
    (JSON.parse((await ok(['log', '--type', 'access.recorded', '--json'])).stdout) as unknown[]).length;

  beforeAll(async () => {
    t = newTestHome();
    ok = okRunner(t);
    await ok(INIT_ARGS);
    await ok(['camera', 'add', 'CAM-01', '--location', 'Main St', '--since', '2026-10-01T08:00:00-07:00']);
    const drive = path.join(t.dir, 'CAMDRIVE1');
    fs.cpSync(path.join(ROOT, 'fixtures', 'demo-drive'), drive, { recursive: true });
    await ok(['drive', 'enrol', '--source', drive, '--id', 'D001']);
    await ok(['swap', '--source', drive, '--camera', 'CAM-01', '--store-location', 'safe', '--no-replacement']);
    await ok(ECSO_AGENCY_ADD);
    const req = await ok(ecsoRequest('--cameras', 'CAM-01', '--from', '2026-11-03', '--to', '2026-11-03'));
    reqId = /Request (REQ-\d{4}-0001)/.exec(req.stdout)![1]!;
    // Looking and searching under the open request is allowed (and recorded).
    const batch = (JSON.parse((await ok(['retention', '--json'])).stdout) as { batches: { id: string }[] }).batches[0]!
      .id;
    for (let n = 1; n <= 30 && !image; n++) {
      const r = await run(['image', 'show', `${batch}:${n}`, '--request', reqId, '--json'], { env: t.env });
      if (r.code === 0) image = `${batch}:${n}`;
    }
    expect(image).toBeTruthy();
    await ok(['search', 'AT7921C', '--request', reqId]);
    await ok(['release', '--request', reqId, '--to', path.join(t.dir, 'out', reqId)]);
  }, 300_000);

  it('is not used to look at an image (exit 4, one line naming the release), and nothing is recorded', async () => {
    const before = await accessCount();
    const r = await run(['image', 'show', image, '--request', reqId], { env: t.env });
    expect({ code: r.code, stdout: r.stdout, recorded: (await accessCount()) - before }, r.stderr).toEqual({
      code: 4,
      stdout: '',
      recorded: 0,
    });
    expect(r.stderr).toMatch(new RegExp(`Request ${reqId} is fulfilled \\(released .*R-\\d{4}-0001`));
    expect(r.stderr).toMatch(/--purpose and --case/);
  });

  it('is not used to search (exit 4), and nothing is recorded', async () => {
    const before = await accessCount();
    const r = await run(['search', 'AT7921C', '--request', reqId], { env: t.env });
    expect({ code: r.code, recorded: (await accessCount()) - before }, r.stderr).toEqual({ code: 4, recorded: 0 });
    expect(r.stderr).toMatch(new RegExp(`Request ${reqId} is fulfilled`));
  });

  it("leaves the operator's own viewing for a purpose and a case, recorded as such", async () => {
    const r = await run(['image', 'show', image, '--purpose', 'criminal investigation', '--case', 'ECSO-26-004417'], {
      env: t.env,
    });
    expect(r.code, r.stderr).toBe(0);
  });
});
