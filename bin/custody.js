#!/usr/bin/env node
// Launcher only: the program lives in dist/ (npm run build).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('custody: not built yet. Run `npm run build` first.');
    process.exit(1);
  }
  throw err;
});
