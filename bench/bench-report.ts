import os from 'node:os';

/**
 * Printing helpers of the coordinator benchmarks: the machine line, percentiles of nanosecond
 * samples, and a figure against its target.
 */
export const benchReport = {
  /** Machine and runtime, printed with every figure. */
  header(title: string): void {
    const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
    console.log(`# ${title}`);
    console.log(
      `# ${cpu} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`,
    );
  },
  /** The p-th percentile (0-100) of `samples`. */
  percentile(samples: number[], p: number): number {
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  },
  /** `label: p50 / p99 / max` of nanosecond samples, in µs. */
  line(label: string, samplesNs: number[]): string {
    const us = (ns: number) => (ns / 1000).toFixed(2);
    const p = (q: number) => us(benchReport.percentile(samplesNs, q));
    return `${label}: n=${samplesNs.length} p50 ${p(50)} µs, p99 ${p(99)} µs, max ${us(Math.max(...samplesNs))} µs`;
  },
  /** A figure against its target. */
  target(label: string, value: number, limit: number, unit: string): void {
    console.log(`target ${label}: ${value.toFixed(3)} ${unit} (<= ${limit} ${unit}) ${value <= limit ? 'MET' : 'MISSED'}`);
  },
};
