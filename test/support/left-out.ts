/**
 * What the run's global setup (test-services.ts) found, as test files and the closing summary
 * receive it, and how the groups left out are worded (at the start and again at the end).
 */
export interface TestServices {
  /** Undefined: the PostgreSQL tests are left out. */
  postgres?: {
    url: string;
    /** PGlite in the test runner (embedded-postgres.ts), not a server: one session, one database. */
    embedded: boolean;
  };
  /** Undefined: the Redis tests are left out. */
  redisUrl?: string;
  /** Undefined: the browser tests are left out. */
  chromiumPath?: string;
  /** Groups of tests left out of this run, each with why and how to bring it back. */
  leftOut: LeftOut[];
  /** Other things worth knowing about this run (PGlite standing in for a server). */
  notes: string[];
}

export interface LeftOut {
  group: string;
  reason: string;
  enable: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/** The notes, then the groups left out (nothing at all when everything runs on servers). */
export function describeServices({ leftOut, notes }: Pick<TestServices, 'leftOut' | 'notes'>): string[] {
  if (leftOut.length === 0) return notes;
  return [...notes, 'Left out of this run (docs/development.md, Tests):', ...leftOut.map(describeLeftOut)];
}

export function describeLeftOut({ group, reason, enable }: LeftOut): string {
  return `  - ${group}: ${reason} — ${enable}`;
}
