#!/usr/bin/env node
import { demoBackup } from './demo-backup.js';

// Until the CLI issue lands, the only command is the demo: one full backup on the embedded engine.
const [command = 'demo', ...rest] = process.argv.slice(2);
if (command !== 'demo' || rest.includes('--help')) {
  console.log('usage: ese-backup demo [--size-mib N] [--dir DIR]');
  process.exit(command === 'demo' || command === '--help' ? 0 : 2);
}
const opt = (name: string) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const size = opt('--size-mib');
const dir = opt('--dir');
const result = await demoBackup({ ...(size ? { sizeMiB: Number(size) } : {}), ...(dir ? { dir } : {}) });
process.exitCode = result.missing === 0 ? 0 : 1;
