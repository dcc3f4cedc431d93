/** The entry point: the only place that calls process.exit. */
import { EXIT } from '../core/errors.js';
import { systemClock } from '../core/time.js';
import { releaseAllLocks } from '../ledger/lock.js';
import { abandonActive } from '../ledger/pending-outputs.js';
import { runCli } from './run.js';

process.on('SIGINT', () => {
  // A command that handles its own interruption (an import, a swap's import, plate reading, watch)
  // stops between files and says what is on the record; a second Ctrl-C (its listener is gone) ends here.
  if (process.listenerCount('SIGINT') > 1) return;
  // Saves are atomic, so stopping here leaves the last committed state. A release in flight removes
  // its unfinished bag and receipt (or, once recorded, moves them into place); then the lock goes back.
  abandonActive();
  releaseAllLocks();
  process.stderr.write('\ncustody: interrupted; nothing half-written was kept.\n');
  process.exit(EXIT.interrupted);
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  clock: systemClock,
});
releaseAllLocks();
// Let stdout drain, then exit with the status (child processes such as exiftool are ended by then).
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
