#!/usr/bin/env node
'use strict';
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Files run one at a time: they start servers and databases, and this machine has two cores.
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..', 'dist', 'test');
const filter = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!filter.length || filter.some((f) => p.includes(f))))
      files.push(p);
  }
})(root);

if (!files.length) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...files], {
  stdio: 'inherit',
  // Servers the tests start open no console unless a test asks for one (port 8002 is shared).
  // Nor access logs (tests that read them ask for them).
  env: {
    ...process.env,
    TOLLGATE_CONSOLE_LISTEN: process.env.TOLLGATE_CONSOLE_LISTEN ?? 'off',
    TOLLGATE_PROXY_ACCESS_LOG: process.env.TOLLGATE_PROXY_ACCESS_LOG ?? 'off',
    TOLLGATE_ADMIN_ACCESS_LOG: process.env.TOLLGATE_ADMIN_ACCESS_LOG ?? 'off',
  },
});
process.exit(r.status ?? 1);
