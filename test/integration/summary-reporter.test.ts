import { expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import type { TestServices } from '../support/left-out.js';
import SummaryReporter from '../support/summary-reporter.js';

// The closing summary over a real vitest run of fixture files: a failed hook, a file that fails to
// load and a failing afterAll each count as a failure, though no test of theirs failed (issue 22:
// "5 failed" while 13 files had failed). The line always has all three counts.

const ROOT = new URL('../fixtures/summary/', import.meta.url).pathname;

async function summarize(provide?: { services: TestServices }): Promise<string[]> {
  const printed: string[] = [];
  const vitest = await startVitest(
    'test',
    [],
    { root: ROOT, config: false, watch: false, include: ['*.fixture.ts'], reporters: [new SummaryReporter({ print: (text) => printed.push(text) })], provide },
  );
  await vitest.close();
  return printed.join('\n').split('\n');
}

it('counts files and suites that failed on their own, and names what was left out', { timeout: 120_000 }, async () => {
  const services: TestServices = { leftOut: [{ group: 'Redis tests (redis-job-events)', reason: 'Redis is not reachable at 127.0.0.1:1', enable: 'start redis-server' }], notes: [] };
  const lines = await summarize({ services });
  // Passed: "passes", "passes before the teardown fails". Failed: "fails", the hook's suite, the file that
  // did not load, the afterAll's file. Skipped: the hook's two tests and "is skipped".
  expect(lines.at(-1)).toBe('2 passed, 4 failed, 3 skipped');
  expect(lines).toContain('  - Redis tests (redis-job-events): Redis is not reachable at 127.0.0.1:1 — start redis-server');
});
