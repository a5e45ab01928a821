// `npm run docs`: rewrites the parts of the docs generated from the code (the
// settings table, the error-code tables, .env.example), then checks every
// relative link in README.md and docs/*.md. Exit 1 when a link is broken.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brokenLinks, linkedDocs } from './docs/markdown-links.js';
import { generatedFiles } from './docs/reference.js';

const root = path.resolve(import.meta.dirname, '../..');

for (const { file, content } of await generatedFiles(root)) {
  const before = await readFile(path.join(root, file), 'utf8').catch(() => null);
  if (before === content) continue;
  await writeFile(path.join(root, file), content);
  process.stdout.write(`wrote ${file}\n`);
}

const broken = brokenLinks(root, linkedDocs(root));
for (const link of broken) process.stderr.write(`${link.file}:${link.line}: broken link ${link.target}: ${link.problem}\n`);
process.exitCode = broken.length > 0 ? 1 : 0;
