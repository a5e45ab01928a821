import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAPTION_PROMPTS } from '../../src/modules/answers/prompts.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage, solidColorHex, type MakeImageOptions } from '../support/images.js';

// `npm run ingest` end to end: the CLI runs as a real child process against the real gateway and the fake model.

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
const QUESTION = 'What colour is it, "roughly"?';

interface Row {
  file: string;
  imageId: string | null;
  kind: string | null;
  style: string | null;
  question: string | null;
  text: string | null;
  status: string;
  errorCode: string | null;
  error: string | null;
  model: string | null;
  flagged: boolean | null;
  categories: string[] | null;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], options: { onStderr?: (all: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.GATEWAY_API_KEY;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/ingest.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Row);

/** RFC 4180, enough for the test: quoted fields with doubled quotes and line breaks, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

interface Fixture {
  /** Relative to the tree's root. */
  name: string;
  image: MakeImageOptions;
  /** Write the bytes of another fixture (identical files). */
  sameAs?: string;
}

/** Writes the fixtures; returns, per image file, its absolute path and the fake's expected answer prefix. */
async function writeTree(dir: string, fixtures: Fixture[]): Promise<Map<string, { bytes: Buffer; prefix: string }>> {
  const files = new Map<string, { bytes: Buffer; prefix: string }>();
  for (const fixture of fixtures) {
    const bytes = fixture.sameAs ? files.get(path.join(dir, fixture.sameAs))!.bytes : await makeImage(fixture.image);
    const file = path.join(dir, fixture.name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
    files.set(file, { bytes, prefix: `${fixture.image.width}x${fixture.image.height} ${await solidColorHex(bytes)} :: ` });
  }
  return files;
}

let h: Harness;
let url: string;
let work: string;
let tree: string;
let images: Map<string, { bytes: Buffer; prefix: string }>;

beforeAll(async () => {
  h = await startHarness();
  url = h.gateway.server.url;
  work = await mkdtemp(path.join(os.tmpdir(), 'ingest-test-'));
  tree = path.join(work, 'photos');
  const twin: MakeImageOptions = { format: 'png', width: 28, height: 28, color: '#112233' };
  images = await writeTree(tree, [
    { name: 'a.png', image: { format: 'png', width: 32, height: 24, color: '#3366cc' } },
    { name: 'b.jpg', image: { format: 'jpeg', width: 40, height: 30, color: '#cc6633' } },
    { name: 'fake.jpg', image: { format: 'png', width: 30, height: 20, color: '#aa2299' } }, // PNG bytes, .jpg name
    { name: 'nested/c.webp', image: { format: 'webp', width: 20, height: 20, color: '#33cc66' } },
    { name: 'nested/deeper/d.gif', image: { format: 'gif', width: 24, height: 16, color: '#884422' } },
    { name: 'nested/deeper/comma, "quote"\nnewline.png', image: { format: 'png', width: 22, height: 18, color: '#557799' } },
    { name: 'twin-1.png', image: twin },
    { name: 'nested/twin-2.png', image: twin, sameAs: 'twin-1.png' },
  ]);
  await writeFile(path.join(tree, 'nested', 'notes.txt'), 'not an image, whatever the folder says\n');
});
afterAll(async () => {
  await h?.close();
  if (work) await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  h.fake.reset();
  h.fake.setDelay(0);
  h.fake.setDefaultFault(null);
  h.fake.releaseReplies();
});

/** The tree's image files in the CLI's order: names sorted in each folder, depth first. */
const WALK_ORDER = ['a.png', 'b.jpg', 'fake.jpg', 'nested/c.webp', 'nested/deeper/comma, "quote"\nnewline.png', 'nested/deeper/d.gif', 'nested/twin-2.png', 'twin-1.png'];

/** What the tree must produce with --caption BRIEF --ask QUESTION (imageId left out). */
function expectedRows(): Array<Omit<Row, 'imageId'>> {
  return WALK_ORDER.flatMap((name) => {
    const file = path.join(tree, name);
    const { prefix } = images.get(file)!;
    return [
      { file, kind: 'CAPTION', style: 'BRIEF', question: null, text: prefix + CAPTION_PROMPTS.BRIEF, status: 'SUCCEEDED', errorCode: null, error: null, model: 'qwen-vl-test', flagged: null, categories: null },
      { file, kind: 'QUESTION', style: null, question: QUESTION, text: prefix + QUESTION, status: 'SUCCEEDED', errorCode: null, error: null, model: 'qwen-vl-test', flagged: null, categories: null },
    ];
  });
}

describe('npm run ingest', () => {
  it('uploads a folder tree, runs one job and prints a JSON Lines row per file × item', async () => {
    const run = await runCli([tree, '--caption', 'BRIEF', '--ask', QUESTION, '--url', url]);
    expect(run.stderr).toMatch(/warning: skipping .*nested[/\\]notes\.txt/);
    expect(run.code).toBe(0);

    const rows = jsonLines(run.stdout);
    expect(rows.map(({ imageId: _, ...rest }) => rest)).toEqual(expectedRows());

    // Identical bytes are one image; every file still has its rows.
    const idOf = (name: string) => rows.find((r) => r.file === path.join(tree, name))!.imageId;
    expect(idOf('twin-1.png')).toBe(idOf('nested/twin-2.png'));
    expect(new Set(rows.map((r) => r.imageId)).size).toBe(7);
    // One upstream request per distinct image: the caption and the question travel together.
    expect(h.fake.requests).toHaveLength(7);
    expect(h.fake.requests.every((r) => r.packed && r.prompts.length === 2)).toBe(true);
  });

  it('writes CSV that parses back to the same rows (and asks nothing again)', async () => {
    const csvFile = path.join(work, 'results.csv');
    const jsonlFile = path.join(work, 'results.jsonl');
    const [csvRun, jsonlRun] = [
      await runCli([tree, '--ask', QUESTION, '--caption', 'brief', '--url', url, '--out', csvFile]),
      await runCli([tree, '--ask', QUESTION, '--caption', 'BRIEF', '--url', url, '--out', jsonlFile]),
    ];
    expect(csvRun.code).toBe(0);
    expect(jsonlRun.code).toBe(0);
    expect(csvRun.stdout).toBe(''); // results go to the file; progress to stderr
    expect(h.fake.requests).toHaveLength(0); // everything was cached by the first run

    const [header, ...records] = parseCsv(await readFile(csvFile, 'utf8'));
    expect(header).toEqual(['file', 'imageId', 'kind', 'style', 'question', 'text', 'status', 'errorCode', 'error', 'model', 'flagged', 'categories']);
    const fromJsonl = jsonLines(await readFile(jsonlFile, 'utf8'));
    expect(fromJsonl).toHaveLength(16);
    expect(records).toEqual(fromJsonl.map((row) => header!.map((column) => row[column as keyof Row] ?? '')));
    // Spot checks of the cells that needed quoting.
    const odd = records.find((r) => r[0]!.endsWith('newline.png') && r[2] === 'QUESTION')!;
    expect(odd[4]).toBe(QUESTION);
    expect(odd[5]).toBe(`22x18 ${await solidColorHex(images.get(odd[0]!)!.bytes)} :: ${QUESTION}`);
  });

  it('--moderate and --read-text add a MODERATION row (flagged, categories, the rationale) and a TEXT row per file, in JSON Lines and CSV', async () => {
    const dir = path.join(work, 'vision');
    const fixtures = await writeTree(dir, [
      { name: 'calm.png', image: { format: 'png', width: 36, height: 26, color: '#2a4a6a' } },
      { name: 'red.png', image: { format: 'png', width: 38, height: 28, color: '#e01010' } },
    ]);
    const about = (name: string) => fixtures.get(path.join(dir, name))!.prefix.replace(/ :: $/, '');
    const run = await runCli([dir, '--moderate', '--read-text', '--url', url]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/× 1 prompt\(s\) = 2 item\(s\)/);
    const rows = jsonLines(run.stdout).map(({ imageId: _, ...rest }) => rest);
    const common = { style: null, question: null, status: 'SUCCEEDED', errorCode: null, error: null, model: 'qwen-vl-test' };
    expect(rows).toEqual([
      { ...common, file: path.join(dir, 'calm.png'), kind: 'MODERATION', text: `${about('calm.png')} nothing unsafe`, flagged: false, categories: [] },
      { ...common, file: path.join(dir, 'calm.png'), kind: 'TEXT', text: `TEXT ${about('calm.png')}`, flagged: null, categories: null },
      { ...common, file: path.join(dir, 'red.png'), kind: 'MODERATION', text: `${about('red.png')} looks like blood`, flagged: true, categories: ['VIOLENCE', 'GORE'] },
      { ...common, file: path.join(dir, 'red.png'), kind: 'TEXT', text: `TEXT ${about('red.png')}`, flagged: null, categories: null },
    ]);
    // No caption by default once something else is asked; the job's moderation and the text are a call each per image.
    expect(h.fake.requests).toHaveLength(4);

    const csvFile = path.join(work, 'vision.csv');
    const again = await runCli([dir, '--read-text', '--moderate', '--url', url, '--out', csvFile]);
    expect(again.code).toBe(0);
    expect(h.fake.requests).toHaveLength(4); // all cached
    const [header, ...records] = parseCsv(await readFile(csvFile, 'utf8'));
    const cell = (record: string[], column: string) => record[header!.indexOf(column)];
    expect(records.map((record) => [cell(record, 'kind'), cell(record, 'flagged'), cell(record, 'categories')])).toEqual([
      ['MODERATION', 'false', ''],
      ['TEXT', '', ''],
      ['MODERATION', 'true', 'VIOLENCE;GORE'],
      ['TEXT', '', ''],
    ]);
  });

  it('exits 1 when the gateway refuses a file or the model refuses an image, and reports both', async () => {
    const dir = path.join(work, 'mixed');
    const fixtures = await writeTree(dir, [
      { name: 'one.png', image: { format: 'png', width: 33, height: 21, color: '#102030' } },
      { name: 'two.png', image: { format: 'png', width: 34, height: 22, color: '#203040' } },
      { name: 'three.jpg', image: { format: 'jpeg', width: 35, height: 23, color: '#304050' } },
      { name: 'tiny.png', image: { format: 'png', width: 4, height: 4, color: '#405060' } }, // under 10 px: the gateway refuses it
    ]);
    h.fake.inject({ kind: 'status', status: 400 });
    const run = await runCli([dir, '--ask', 'Refused?', '--url', url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/tiny\.png was not uploaded: BAD_USER_INPUT/);

    const rows = jsonLines(run.stdout);
    expect(rows.map((r) => path.basename(r.file))).toEqual(['one.png', 'three.jpg', 'tiny.png', 'two.png']);
    const tiny = rows.find((r) => r.file.endsWith('tiny.png'))!;
    expect(tiny).toMatchObject({ imageId: null, kind: null, status: 'FAILED', errorCode: 'BAD_USER_INPUT' });
    expect(tiny.error).toBeTruthy();

    const analysed = rows.filter((r) => r !== tiny);
    const refused = analysed.filter((r) => r.status === 'FAILED');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ kind: 'QUESTION', question: 'Refused?', text: null, errorCode: 'MODEL_REJECTED' });
    for (const row of analysed.filter((r) => r.status === 'SUCCEEDED')) {
      expect(row.text).toBe(`${fixtures.get(row.file)!.prefix}Refused?`);
    }
    expect(h.fake.requests).toHaveLength(3); // the three accepted images, once each
  });

  it('cancels the job on Ctrl-C, writes what it has and exits 130', async () => {
    const dir = path.join(work, 'slow');
    await writeTree(dir, [
      { name: 'x.png', image: { format: 'png', width: 41, height: 31, color: '#0a0b0c' } },
      { name: 'y.png', image: { format: 'png', width: 42, height: 32, color: '#0c0b0a' } },
    ]);
    // Nothing is answered before the Ctrl-C, however long the CLI takes to send it on.
    h.fake.holdReplies();
    let sent = false;
    const run = await runCli([dir, '--ask', 'Slow?', '--url', url], {
      onStderr: (all, child) => {
        if (!sent && /submitted job/.test(all)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/cancelling job/);
    expect(run.stderr).toMatch(/CANCELLED/);
    const rows = jsonLines(run.stdout);
    expect(rows.map((r) => path.basename(r.file))).toEqual(['x.png', 'y.png']);
    expect(rows.every((r) => r.status !== 'SUCCEEDED')).toBe(true);
  });

  it('exits 2 on usage errors and when the gateway cannot be reached', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing required argument 'paths'/);
    const badStyle = await runCli([tree, '--caption', 'POEM', '--url', url]);
    expect(badStyle.code).toBe(2);
    const down = await runCli([tree, '--url', 'http://127.0.0.1:9/graphql']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:9\/graphql/);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('sends the API key as a bearer token and stops with 2 when it is refused', async () => {
    const seen: Array<string | undefined> = [];
    const refusing = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Unknown API key.', extensions: { code: 'UNAUTHENTICATED' } }] }));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const run = await runCli([tree, '--api-key', 'k-123', '--url', `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/graphql`]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/refused the API key/);
      expect(run.stderr).not.toMatch(/k-123/);
      expect(seen).toEqual(['Bearer k-123']);
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});
