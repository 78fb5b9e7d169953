#!/usr/bin/env node
// The `ese-backup` command: parse, run, exit with the command's code (see exit-codes.ts).
import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = code;
// Every command releases what it opened; should anything still hold the event loop, leave anyway.
setTimeout(() => process.exit(code), 2000).unref();
