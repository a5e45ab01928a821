import type { Reporter, RunnerTestFile, RunnerTask, Vitest } from 'vitest/node';
import { describeServices } from './left-out.js';

/**
 * The closing summary: what was left out of the run (as printed at the start), then the plain line
 * CI reads, always with all three counts: "N passed, N failed, N skipped". A failure is a failed
 * test, a file or suite that failed on its own (its import, a hook, a setup: the tests it kept from
 * running count as skipped), an error outside any test, or a global setup that failed.
 */
export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  private readonly print: (text: string) => void;

  /** `print`: where the summary goes (the console; a test passes its own). Vitest passes `{}` from the config. */
  constructor(options: { print?: (text: string) => void } = {}) {
    this.print = options.print ?? console.log;
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: errors.length, skipped: 0 };
    const visit = (task: RunnerTask) => {
      if (task.type === 'suite') {
        // A file is a suite too; its own errors are those of no single test.
        if (task.result?.errors?.length) counts.failed++;
        return task.tasks.forEach(visit);
      }
      const state = task.result?.state;
      if (state === 'pass') counts.passed++;
      else if (state === 'fail') counts.failed++;
      else counts.skipped++;
    };
    files.forEach(visit);
    // No services: the global setup failed (under CI=true, a missing service), so no test ran; its error follows.
    const services = this.vitest?.getProvidedContext().services;
    if (!services) counts.failed++;
    const lines = services ? describeServices(services) : [];
    this.print(['', ...lines, `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`].join('\n'));
  }
}
