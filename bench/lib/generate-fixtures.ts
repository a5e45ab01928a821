/** Child-process entry: reads FixtureSpec[] as JSON on stdin, writes each into the folder given as argv[2]. */
import { mkdir } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { writeFixture, type FixtureSpec } from './fixtures.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: generate-fixtures.ts <dir> < specs.json');
const specs = JSON.parse(await text(process.stdin)) as FixtureSpec[];
await mkdir(dir, { recursive: true });
for (const s of specs) await writeFixture(s, dir);
