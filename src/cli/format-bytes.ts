const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Bytes for people: binary units, one decimal from KiB on.
 *
 * @example
 * formatBytes(271_581_184) // '259.0 MiB'
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
