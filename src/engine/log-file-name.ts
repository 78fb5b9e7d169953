import path from 'node:path';

/**
 * ESE's log file names: the current log is `edb.log`; a rolled log is the base name and its generation
 * in five upper-case hex digits (`edb0000A.log`), eight once generations pass 0xFFFFF.
 */
export function logFileName(baseName: string, generation: number | 'current'): string {
  if (generation === 'current') return `${baseName}.log`;
  const digits = generation > 0xfffff ? 8 : 5;
  return `${baseName}${generation.toString(16).toUpperCase().padStart(digits, '0')}.log`;
}

/** The generation of a rolled log's file name, or undefined when the name is not one. */
export function parseLogFileName(baseName: string, fileName: string): number | undefined {
  const name = path.basename(fileName);
  if (!name.toLowerCase().startsWith(baseName.toLowerCase()) || !name.toLowerCase().endsWith('.log')) return undefined;
  const hex = name.slice(baseName.length, -4);
  if (!/^([0-9A-Fa-f]{5}|[0-9A-Fa-f]{8})$/.test(hex)) return undefined;
  return parseInt(hex, 16);
}

/** `edb.chk`, ESE's checkpoint file name. */
export function checkpointFileName(baseName: string): string {
  return `${baseName}.chk`;
}
