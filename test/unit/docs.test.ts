import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, linkedDocs, slug } from '../../src/cli/docs/markdown-links.js';
import { generatedFiles, replaceGenerated } from '../../src/cli/docs/reference.js';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);

describe('generated docs', () => {
  it('match the code they are generated from (settings, error codes, .env.example)', async () => {
    for (const { file, content } of await generatedFiles(ROOT)) {
      const committed = await readFile(path.join(ROOT, file), 'utf8').catch(() => '(missing)');
      expect(committed, `${file} is out of date with the code: run \`npm run docs\` and commit the result`).toBe(content);
    }
  });

  it('rewrite only what lies between the markers, and refuse a file without them', () => {
    const text = 'before\n<!-- generated:t -->\nold\n<!-- /generated:t -->\nafter\n';
    expect(replaceGenerated(text, 't', 'new', 'x.md')).toBe('before\n<!-- generated:t -->\nnew\n<!-- /generated:t -->\nafter\n');
    expect(() => replaceGenerated('no markers', 't', 'new', 'x.md')).toThrow(/x\.md has no <!-- generated:t -->/);
  });
});

describe('relative links in README.md and docs/', () => {
  it('all resolve: the file exists and so does the #anchor', () => {
    const broken = brokenLinks(ROOT, linkedDocs(ROOT)).map((l) => `${l.file}:${l.line} ${l.target}: ${l.problem}`);
    expect(broken, 'fix these links (`npm run docs` lists them too)').toEqual([]);
  });

  it('follow GitHub’s heading slugs', () => {
    expect(slug('Blobs across replicas (`S3_BUCKET`)')).toBe('blobs-across-replicas-s3_bucket');
    expect(slug('API: queries, mutations, jobs and errors')).toBe('api-queries-mutations-jobs-and-errors');
    expect(slug('Storage: full disks, crashes and damaged blobs')).toBe('storage-full-disks-crashes-and-damaged-blobs');
    expect(slug('Déjà vu — [again](x.md)')).toBe('déjà-vu--again');
    const anchors = anchorsOf('# Usage\n\n```sh\n# not a heading\n```\n\n## Usage\n### Other\n');
    expect([...anchors]).toEqual(['usage', 'usage-1', 'other']);
  });

  it('report a missing file and a missing anchor, and skip code and external links', async () => {
    const { mkdtemp, writeFile, mkdir } = await import('node:fs/promises');
    const os = await import('node:os');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'doc-links-'));
    await mkdir(path.join(dir, 'docs'));
    await writeFile(path.join(dir, 'docs/a.md'), '# A\n\n## Known part\n');
    await writeFile(
      path.join(dir, 'README.md'),
      [
        '[ok](docs/a.md#known-part) [external](https://example.com/x.md#nope) `[code](missing.md)`',
        '```md',
        '[fenced](missing.md)',
        '```',
        '[gone](docs/b.md) [bad anchor](docs/a.md#unknown) [self](#a-heading)',
      ].join('\n'),
    );
    expect(brokenLinks(dir, ['README.md']).map((l) => [l.line, l.target])).toEqual([
      [5, 'docs/b.md'],
      [5, 'docs/a.md#unknown'],
      [5, '#a-heading'],
    ]);
  });
});
