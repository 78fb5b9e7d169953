import { isSignatureRecorded, type EseDatabaseHeader, type EseFileHeader } from '../engine/format/ese-file-header.js';
import type { BackupManifest } from './backup-manifest.js';
import type { CappedProblems } from './problem-cap.js';
import { printableName } from './problem-cap.js';
import type { BackupSetFileCheck, BackupSetProblem } from './verify-backup-set.js';

/** What ties a database copy to a log stream: its `signLog` and the generations its replay needs. */
export interface DatabaseRecoveryInfo {
  logSignature: string;
  genMinRequired: number;
  genMaxRequired: number;
  /** Which page said so: the backup trailer (embedded engine) or the database header (ESE). */
  from: 'trailer' | 'header';
}

const recorded = (h: EseFileHeader | undefined): h is EseDatabaseHeader =>
  h?.fileType === 'database' && h.checksumOk && isSignatureRecorded(h.logSignature);

/**
 * Where a streamed database copy says which log stream it belongs to: the trailer when it is a
 * DBFILEHDR carrying `signLog` (the embedded engine writes it at the end of the copy, with the
 * generations a replay needs), else the header page (ESE's DBFILEHDR always carries `signLog` and
 * `lGenMinRequired`/`lGenMaxRequired`); `undefined` when neither records one.
 */
export function databaseRecoveryInfo(check: BackupSetFileCheck): DatabaseRecoveryInfo | undefined {
  const { trailer, header } = check.ese;
  const h = recorded(trailer) ? trailer : recorded(header) ? header : undefined;
  if (!h) return undefined;
  return {
    logSignature: h.logSignature,
    genMinRequired: h.genMinRequired,
    genMaxRequired: h.genMaxRequired,
    from: h === trailer ? 'trailer' : 'header',
  };
}

/**
 * Why a set's logs carry no `signLog`, and what to do. ESE (esent.dll) always writes one. The embedded
 * engine has written one in every log header and backup trailer since 2 December 2026 (commit fa0bfcc);
 * sets it wrote before lack it, and their manifests cannot tell (the version was 0.1.0 before and after).
 */
function unsignedLogsCause(manifest: BackupManifest | undefined): string {
  if (manifest?.instance.backend !== 'embedded')
    return 'ESE always records signLog in its logs: they were altered or are not ESE logs; take a new full backup';
  const tool = manifest.tool ? `its manifest names ${manifest.tool.name} ${manifest.tool.version}, ` : '';
  return (
    `the set was written by an ese-backup from before 2 December 2026, when the embedded engine began to record log signatures ` +
    `(${tool}a number that did not change then), or its logs were altered: this version cannot verify or restore it; take a new full backup`
  );
}

/**
 * The set is one instance's: every log whose header verifies carries the same log signature
 * (`signLog`), and in a full set every database carries that signature too, with the generations its
 * replay needs (`lGenMinRequired`..`lGenMaxRequired`) inside the logs of the set. A database swapped
 * for another instance's (and the manifest re-hashed to match) fails here.
 *
 * ESE rule: a log of another stream does not replay (`JET_errBadLogSignature`, -530); a database
 * needs every generation from its minimum required on (`JET_errMissingLogFile`, -528) and up to its
 * maximum required (recovery cannot make it consistent otherwise).
 */
export function checkSetIdentity(
  files: BackupSetFileCheck[],
  manifest: BackupManifest | undefined,
  problems: CappedProblems<BackupSetProblem>,
): void {
  const logs = files.filter((f) => f.role === 'log' && f.ese.header?.fileType === 'log' && f.ese.header.checksumOk);
  const signatures = new Map<string, string[]>();
  let low = Infinity;
  let high = -Infinity;
  for (const f of logs) {
    const h = f.ese.header as Extract<EseFileHeader, { fileType: 'log' }>;
    const names = signatures.get(h.logSignature);
    if (names) names.push(f.name);
    else signatures.set(h.logSignature, [f.name]);
    low = Math.min(low, h.generation);
    high = Math.max(high, h.generation);
  }
  const stream = [...signatures.entries()].sort((a, b) => b[1].length - a[1].length)[0]?.[0];
  for (const [signature, names] of signatures) {
    if (signature === stream) continue;
    problems.push({
      kind: 'identity',
      file: names[0],
      message: `${names.slice(0, 5).map(printableName).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}: log signature ${signature.slice(0, 16)}… differs from the set's other logs (${stream?.slice(0, 16)}…): logs of another instance (-530)`,
    });
  }
  const unsigned = stream !== undefined && !isSignatureRecorded(stream);
  if (unsigned) {
    problems.push({
      kind: 'identity',
      message: `the logs carry no log signature (signLog is all zeros): the databases cannot be tied to them; ${unsignedLogsCause(manifest)}`,
    });
  }
  if (manifest?.mode !== 'full') return;
  for (const f of files) {
    if (f.role !== 'db' || f.ese.header?.fileType !== 'database' || !f.ese.header.checksumOk) continue;
    const shown = printableName(f.name);
    const info = databaseRecoveryInfo(f);
    if (!info) {
      problems.push({
        kind: 'identity',
        file: f.name,
        message: `${shown} records no log signature (signLog) in its header or trailer: it cannot be tied to the set's logs${unsigned && manifest.instance.backend === 'embedded' ? ' (see above: an older ese-backup, or altered)' : ''}`,
      });
      continue;
    }
    if (stream !== undefined && info.logSignature !== stream) {
      problems.push({
        kind: 'identity',
        file: f.name,
        message: `${shown}: its log signature (${info.from}) ${info.logSignature.slice(0, 16)}… is not the set's logs' ${stream.slice(0, 16)}…: the database belongs to another instance (-530)`,
      });
    }
    if (info.genMinRequired <= 0 || info.genMaxRequired < info.genMinRequired) {
      problems.push({
        kind: 'identity',
        file: f.name,
        message: `${shown}: its ${info.from} records no usable required log generations (${info.genMinRequired}-${info.genMaxRequired})`,
      });
    } else if (logs.length === 0) {
      problems.push({
        kind: 'identity',
        file: f.name,
        message: `${shown} needs log generations ${info.genMinRequired}-${info.genMaxRequired}; the set holds no log (-528)`,
      });
    } else if (info.genMinRequired < low || info.genMaxRequired > high) {
      problems.push({
        kind: 'identity',
        file: f.name,
        message: `${shown} needs log generations ${info.genMinRequired}-${info.genMaxRequired}; the set's logs hold ${low}-${high}${info.genMinRequired < low ? ' (-528)' : ': a replay would stop short of what the database needs'}`,
      });
    }
  }
}
