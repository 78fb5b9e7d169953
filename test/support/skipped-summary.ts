import type { Reporter, TestModule } from 'vitest/node';

/**
 * A vitest reporter beside the default one: at the end of the run it prints how many tests were
 * skipped and which (file and full name), so that no test vanishes unnoticed. Wired in vitest.config.ts.
 */
export default class SkippedSummary implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'skipped')
          skipped.push(`  ${m.moduleId.replace(`${process.cwd()}/`, '')} > ${t.fullName}${t.options.mode === 'todo' ? ' (todo)' : ''}`);
      }
    }
    const lines = [`skipped: ${skipped.length}`, ...skipped];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
