import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { measureReadPath } from './ffi-read-path.js';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-rp-'));
const engine = await createEmbeddedEngine({ directory: root });
try { await measureReadPath(engine, Number(process.env.BENCH_READ_KIB ?? 1024) * 1024); } finally { await engine.close(); fs.rmSync(root, { recursive: true, force: true }); }
