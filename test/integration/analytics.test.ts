import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnalyticsCaptionsDocument,
  AnalyticsImagesDocument,
  AnalyticsQuestionsDocument,
  AskQuestionDocument,
  CaptionImageDocument,
  ImageInsightsDocument,
  ImageStoredResultsDocument,
  type AnalyticsCaptionsQuery,
  type AnalyticsCaptionsQueryVariables,
  type AnalyticsQuestionsQuery,
  type AnalyticsQuestionsQueryVariables,
  type CaptionFilter,
  type CaptionStyle,
  type QuestionFilter,
} from '../generated/graphql.js';
import { expectedAnswer, startFakeQwen, type FakeQwen } from '../fake-qwen/index.js';
import { errorCodes, type GraphQLClient, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { solidColorHex } from '../support/images.js';

// The analytics reads (`images`, `questions`, `captions`) over data made through
// the real API: uploads, then `askQuestion` / `captionImage` / `Image.answer`
// answered by the fake endpoint. The first gateway runs with another
// QWEN_MODEL, so the data holds rows of two models.

const MODEL = 'qwen-vl-test';
const OTHER_MODEL = 'qwen-vl-other';

/** Must match src/modules/answers/prompts.ts CAPTION_PROMPTS: the fake echoes the prompt in its answer. */
const CAPTION_PROMPT: Record<CaptionStyle, string> = {
  BRIEF: 'Write a one-sentence caption for this image.',
  DETAILED: 'Describe this image in detail: the main subjects, the setting, actions, colours, any visible text, and the overall mood.',
  ALT_TEXT: 'Write alt text for this image for people using a screen reader: what it shows and any text in it, in at most 125 characters, without starting with "Image of".',
};

interface Made {
  id: string;
  imageId: string;
  model: string;
  createdAt: string;
  /** Time phase the row was made in (1..5), separated by client-side clock marks. */
  phase: number;
}
interface MadeQuestion extends Made {
  prompt: string;
}
interface MadeCaption extends Made {
  style: CaptionStyle;
}
interface TestImage {
  id: string;
  sha256: string;
  width: number;
  height: number;
  color: string;
}

let fake: FakeQwen;
let dataDir: string | undefined;
let gateway: TestGateway | undefined;
const images: Record<'a' | 'b' | 'c', TestImage> = {} as never;
const questions: MadeQuestion[] = [];
const captions: MadeCaption[] = [];
/** marks[i] lies strictly after every row of phase i and strictly before every row of phase i + 1. */
const marks: Record<number, string> = {};

const client = () => gateway!.client;
const gatewayEnv = (model: string) => ({ QWEN_BASE_URL: fake.url, QWEN_API_KEY: 'test-key', QWEN_MODEL: model, QWEN_MAX_RETRIES: '0' });

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data).toBeTruthy();
  return response.data!;
}

/** A clock mark with a millisecond of air on both sides, so no row shares its timestamp. */
async function mark(phase: number): Promise<void> {
  await sleep(3);
  marks[phase] = new Date().toISOString();
  await sleep(3);
}

async function ask(c: GraphQLClient, image: TestImage, question: string, model: string, phase: number) {
  const q = ok(await c.request(AskQuestionDocument, { imageId: image.id, question })).askQuestion;
  expect(q).toMatchObject({ model, prompt: question, cached: false, image: { id: image.id } });
  questions.push({ id: q.id, imageId: image.id, model, createdAt: q.createdAt, phase, prompt: q.prompt });
}

async function caption(c: GraphQLClient, image: TestImage, style: CaptionStyle, model: string, phase: number) {
  const cap = ok(await c.request(CaptionImageDocument, { imageId: image.id, style })).captionImage;
  expect(cap).toMatchObject({ model, style, cached: false, image: { id: image.id } });
  captions.push({ id: cap.id, imageId: image.id, model, createdAt: cap.createdAt, phase, style });
}

/** Newest first: createdAt descending, then id descending. */
function newestFirst<T extends { createdAt: string; id: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((x, y) => Date.parse(y.createdAt) - Date.parse(x.createdAt) || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
}
const ids = (rows: ReadonlyArray<{ id: string }>) => rows.map((r) => r.id);

type Conn<N> = { edges: Array<{ cursor: string; node: N }>; pageInfo: { hasNextPage: boolean; endCursor?: string | null } };

/**
 * Follows endCursor until hasNextPage is false, checking every page's shape on
 * the way; returns the nodes in the order served and the page sizes.
 */
async function walk<N extends { id: string }>(fetchPage: (after: string | null) => Promise<Conn<N>>, first: number): Promise<{ nodes: N[]; sizes: number[] }> {
  const nodes: N[] = [];
  const sizes: number[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const conn = await fetchPage(after);
    sizes.push(conn.edges.length);
    expect(conn.edges.length).toBeLessThanOrEqual(first);
    if (conn.edges.length > 0) expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)!.cursor);
    nodes.push(...conn.edges.map((e) => e.node));
    if (!conn.pageInfo.hasNextPage) return { nodes, sizes };
    // A page that claims more must be full and say where to continue.
    expect(conn.edges.length).toBe(first);
    expect(conn.pageInfo.endCursor).toBeTruthy();
    after = conn.pageInfo.endCursor!;
  }
  throw new Error('pagination did not end within 50 pages');
}

const questionPage = async (variables: AnalyticsQuestionsQueryVariables) =>
  ok(await client().request(AnalyticsQuestionsDocument, variables)).questions as Conn<AnalyticsQuestionsQuery['questions']['edges'][number]['node']>;
const captionPage = async (variables: AnalyticsCaptionsQueryVariables) =>
  ok(await client().request(AnalyticsCaptionsDocument, variables)).captions as Conn<AnalyticsCaptionsQuery['captions']['edges'][number]['node']>;
const allQuestions = async (filter: QuestionFilter) => (await walk((after) => questionPage({ filter, first: 2, after }), 2)).nodes;
const allCaptions = async (filter: CaptionFilter) => (await walk((after) => captionPage({ filter, first: 2, after }), 2)).nodes;

beforeAll(async () => {
  fake = await startFakeQwen({ apiKey: 'test-key' });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-analytics-'));

  // Phase 1: another model, on a first gateway; it also does the uploads.
  gateway = await startGateway({ dataDir, env: gatewayEnv(OTHER_MODEL) });
  const colors = { a: '#aa3311', b: '#11aa33', c: '#3311aa' } as const;
  for (const key of ['a', 'b', 'c'] as const) {
    const img = await uploadNew(client(), { format: 'png', width: 40 + key.charCodeAt(0) - 97, height: 30, color: colors[key] });
    images[key] = { id: img.id, sha256: img.sha256, width: img.width, height: img.height, color: await solidColorHex(img.bytes) };
  }
  const { a, b, c } = images;
  await ask(client(), a, 'What colour is the background?', OTHER_MODEL, 1);
  await caption(client(), a, 'BRIEF', OTHER_MODEL, 1);
  await mark(1);

  // The same data, served by a gateway with the main model from here on.
  // (Restarted rather than run side by side: see the report on concurrent SQLite migration.)
  await gateway.stop();
  gateway = undefined;
  gateway = await startGateway({ dataDir, env: gatewayEnv(MODEL) });

  // Phase 2: image A, one request at a time.
  await ask(client(), a, 'What colour is the background?', MODEL, 2);
  await ask(client(), a, 'How many objects are visible?', MODEL, 2);
  await caption(client(), a, 'BRIEF', MODEL, 2);
  await mark(2);

  // Phase 3: image B, a caption and three questions packed into one upstream call,
  // stored together (rows likely share a createdAt, so the id tie-break matters).
  const insights = ok(
    await client().request(ImageInsightsDocument, { id: b.id, q1: 'Is it daytime?', q2: 'What colour is the sky?', q3: 'Is there any text?' }),
  ).image!;
  for (const q of [insights.a1, insights.a2, insights.a3]) questions.push({ id: q!.id, imageId: b.id, model: MODEL, createdAt: q!.createdAt, phase: 3, prompt: q!.prompt });
  captions.push({ id: insights.caption!.id, imageId: b.id, model: MODEL, createdAt: insights.caption!.createdAt, phase: 3, style: 'BRIEF' });
  await caption(client(), b, 'DETAILED', MODEL, 3);
  await mark(3);

  // Phase 4: image C.
  await ask(client(), c, 'What colour is the background?', MODEL, 4);
  await caption(client(), c, 'ALT_TEXT', MODEL, 4);
  await caption(client(), c, 'BRIEF', MODEL, 4);

  expect(questions).toHaveLength(7);
  expect(captions).toHaveLength(6);
  expect(new Set(ids([...questions, ...captions])).size).toBe(13);
});

afterAll(async () => {
  await gateway?.stop();
  await fake?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('questions', () => {
  it('walks every page with first=2: newest first, no duplicates, no gaps, hasNextPage only before the last page', async () => {
    const { nodes, sizes } = await walk((after) => questionPage({ first: 2, after }), 2);
    expect(sizes).toEqual([2, 2, 2, 1]);
    expect(ids(nodes)).toEqual(ids(newestFirst(questions)));
  });

  it('one big page equals the walk, and a page exactly as long as the list has no next page', async () => {
    const all = await questionPage({ first: 100 });
    expect(ids(all.edges.map((e) => e.node))).toEqual(ids(newestFirst(questions)));
    expect(all.pageInfo).toEqual({ hasNextPage: false, endCursor: all.edges.at(-1)!.cursor });

    const exact = await questionPage({ first: 7 });
    expect(exact.edges).toHaveLength(7);
    expect(exact.pageInfo.hasNextPage).toBe(false);

    const short = await questionPage({ first: 6 });
    expect(short.pageInfo.hasNextPage).toBe(true);
    const rest = await questionPage({ first: 6, after: short.pageInfo.endCursor });
    expect(ids(rest.edges.map((e) => e.node))).toEqual([ids(newestFirst(questions)).at(-1)]);
    expect(rest.pageInfo).toEqual({ hasNextPage: false, endCursor: rest.edges[0]!.cursor });
  });

  it('uses the contract default of 20 when first is omitted', async () => {
    const page = await questionPage({});
    expect(page.edges).toHaveLength(7);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it('serves stored results with cached: true, the model answer, and a resolvable image', async () => {
    const nodes = await allQuestions({});
    const byId = new Map(Object.values(images).map((i) => [i.id, i]));
    for (const node of nodes) {
      const made = questions.find((q) => q.id === node.id)!;
      const image = byId.get(made.imageId)!;
      expect(node).toMatchObject({ cached: true, model: made.model, prompt: made.prompt, createdAt: made.createdAt });
      expect(node.image).toEqual({ id: image.id, sha256: image.sha256, width: image.width, height: image.height });
      expect(node.answer).toBe(expectedAnswer({ width: image.width, height: image.height, meanColor: image.color }, made.prompt));
      expect(node.usage.totalTokens).toBe(node.usage.promptTokens + node.usage.completionTokens);
    }
  });

  it('filters by imageId', async () => {
    for (const image of Object.values(images)) {
      const nodes = await allQuestions({ imageId: image.id });
      expect(ids(nodes)).toEqual(ids(newestFirst(questions.filter((q) => q.imageId === image.id))));
      expect(nodes.every((n) => n.image.id === image.id)).toBe(true);
    }
    expect(await allQuestions({ imageId: 'no-such-image' })).toEqual([]);
  });

  it('filters by model', async () => {
    expect(ids(await allQuestions({ model: OTHER_MODEL }))).toEqual(ids(newestFirst(questions.filter((q) => q.model === OTHER_MODEL))));
    expect(ids(await allQuestions({ model: MODEL }))).toEqual(ids(newestFirst(questions.filter((q) => q.model === MODEL))));
    expect(await allQuestions({ model: 'qwen-vl' })).toEqual([]); // exact match, not a prefix
  });

  it('filters by prompt text', async () => {
    const colour = await allQuestions({ promptContains: 'colour' });
    expect(ids(colour)).toEqual(ids(newestFirst(questions.filter((q) => q.prompt.includes('colour')))));
    expect(colour).toHaveLength(4);
    expect(ids(await allQuestions({ promptContains: 'objects are' }))).toEqual(ids(questions.filter((q) => q.prompt === 'How many objects are visible?')));
    expect(await allQuestions({ promptContains: 'zebra' })).toEqual([]);
  });

  it('treats LIKE wildcards in promptContains as plain text', async () => {
    expect(await allQuestions({ promptContains: '%' })).toEqual([]);
    expect(await allQuestions({ promptContains: '_' })).toEqual([]);
  });

  it('combines filters (AND)', async () => {
    const nodes = await allQuestions({ imageId: images.a.id, model: MODEL, promptContains: 'colour' });
    expect(ids(nodes)).toEqual(ids(questions.filter((q) => q.imageId === images.a.id && q.model === MODEL && q.prompt.includes('colour'))));
    expect(nodes).toHaveLength(1);
  });

  it('filters by time range: createdAfter inclusive, createdBefore exclusive', async () => {
    const inPhases = (...phases: number[]) => ids(newestFirst(questions.filter((q) => phases.includes(q.phase))));
    expect(ids(await allQuestions({ createdAfter: marks[2], createdBefore: marks[3] }))).toEqual(inPhases(3));
    expect(ids(await allQuestions({ createdAfter: marks[3] }))).toEqual(inPhases(4));
    expect(ids(await allQuestions({ createdBefore: marks[2] }))).toEqual(inPhases(1, 2));
    expect(ids(await allQuestions({ createdBefore: marks[1] }))).toEqual(inPhases(1));
    expect(ids(await allQuestions({ createdAfter: marks[1], imageId: images.a.id }))).toEqual(
      ids(newestFirst(questions.filter((q) => q.phase === 2 && q.imageId === images.a.id))),
    );

    // Boundaries at a row's own timestamp.
    const oldest = newestFirst(questions).at(-1)!;
    const atOrAfter = await allQuestions({ createdAfter: oldest.createdAt });
    expect(ids(atOrAfter)).toEqual(ids(newestFirst(questions)));
    const before = await allQuestions({ createdBefore: oldest.createdAt });
    expect(before).toEqual([]);

    // An empty or inverted range is empty, not an error.
    expect(await allQuestions({ createdAfter: marks[2], createdBefore: marks[2] })).toEqual([]);
    expect(await allQuestions({ createdAfter: marks[3], createdBefore: marks[1] })).toEqual([]);
  });

  it('refuses a time that is not a DateTime with BAD_USER_INPUT', async () => {
    const response = await client().request(AnalyticsQuestionsDocument, { filter: { createdAfter: 'yesterday' } });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('captions', () => {
  it('walks every page with first=2; an exactly full last page has hasNextPage false', async () => {
    const { nodes, sizes } = await walk((after) => captionPage({ first: 2, after }), 2);
    expect(sizes).toEqual([2, 2, 2]);
    expect(ids(nodes)).toEqual(ids(newestFirst(captions)));
  });

  it('serves stored captions with cached: true, the model text, and a resolvable image', async () => {
    const nodes = await allCaptions({});
    expect(nodes).toHaveLength(6);
    for (const node of nodes) {
      const made = captions.find((c) => c.id === node.id)!;
      const image = Object.values(images).find((i) => i.id === made.imageId)!;
      expect(node).toMatchObject({ cached: true, style: made.style, model: made.model, createdAt: made.createdAt });
      expect(node.image).toEqual({ id: image.id, sha256: image.sha256, width: image.width, height: image.height });
      expect(node.text).toBe(expectedAnswer({ width: image.width, height: image.height, meanColor: image.color }, CAPTION_PROMPT[made.style]));
    }
  });

  it('filters by style', async () => {
    for (const style of ['BRIEF', 'DETAILED', 'ALT_TEXT'] as const) {
      const nodes = await allCaptions({ style });
      expect(ids(nodes)).toEqual(ids(newestFirst(captions.filter((c) => c.style === style))));
      expect(nodes.length).toBeGreaterThan(0);
      expect(nodes.every((n) => n.style === style)).toBe(true);
    }
  });

  it('filters by imageId, model and time, alone and combined', async () => {
    expect(ids(await allCaptions({ imageId: images.b.id }))).toEqual(ids(newestFirst(captions.filter((c) => c.imageId === images.b.id))));
    expect(ids(await allCaptions({ model: OTHER_MODEL }))).toEqual(ids(captions.filter((c) => c.model === OTHER_MODEL)));
    expect(ids(await allCaptions({ imageId: images.a.id, style: 'BRIEF', model: MODEL }))).toEqual(
      ids(captions.filter((c) => c.imageId === images.a.id && c.model === MODEL)),
    );
    expect(ids(await allCaptions({ createdAfter: marks[2], createdBefore: marks[3] }))).toEqual(ids(newestFirst(captions.filter((c) => c.phase === 3))));
    expect(ids(await allCaptions({ createdAfter: marks[3] }))).toEqual(ids(newestFirst(captions.filter((c) => c.phase === 4))));
    expect(ids(await allCaptions({ createdAfter: marks[1], style: 'BRIEF' }))).toEqual(
      ids(newestFirst(captions.filter((c) => c.phase > 1 && c.style === 'BRIEF'))),
    );
    expect(await allCaptions({ imageId: images.c.id, style: 'DETAILED' })).toEqual([]);
  });

  it('does not list questions as captions or captions as questions', async () => {
    const captionIds = new Set(ids(await allCaptions({})));
    const questionIds = ids(await allQuestions({}));
    expect(questionIds.filter((id) => captionIds.has(id))).toEqual([]);
  });
});

describe('images', () => {
  it('walks every page with first=2, newest first', async () => {
    const { nodes, sizes } = await walk(async (after) => ok(await client().request(AnalyticsImagesDocument, { first: 2, after })).images, 2);
    expect(sizes).toEqual([2, 1]);
    expect(new Set(ids(nodes))).toEqual(new Set(Object.values(images).map((i) => i.id)));
    expect(ids(nodes)).toEqual(ids(newestFirst(nodes)));
  });
});

describe('page arguments', () => {
  const lists = {
    questions: (variables: Record<string, unknown>) => client().request(AnalyticsQuestionsDocument, variables),
    captions: (variables: Record<string, unknown>) => client().request(AnalyticsCaptionsDocument, variables),
    images: (variables: Record<string, unknown>) => client().request(AnalyticsImagesDocument, variables),
  };
  const garbageCursors = [
    'not-a-cursor',
    Buffer.from('{"createdAt":1}').toString('base64url'),
    Buffer.from('["yesterday","x"]').toString('base64url'),
    // Decodes to a finite number that is no valid date.
    Buffer.from('[1e20,"x"]').toString('base64url'),
  ];

  describe.each(Object.entries(lists))('%s', (_name, request) => {
    it.each([-1, 101, 1000])('refuses first=%i with BAD_USER_INPUT', async (first) => {
      const response = await request({ first });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.data ?? null).toBeNull();
    });

    it.each(garbageCursors)('refuses the after cursor %j with BAD_USER_INPUT', async (after) => {
      const response = await request({ first: 2, after });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('accepts the bounds first=1 and first=100', async () => {
      for (const first of [1, 100]) expect((await request({ first })).errors).toBeUndefined();
    });

    it('returns no edges for first=0', async () => {
      const response = await request({ first: 0 });
      expect(response.errors).toBeUndefined();
      const conn = Object.values(response.data as Record<string, Conn<{ id: string }>>)[0]!;
      expect(conn.edges).toEqual([]);
      expect(conn.pageInfo.endCursor ?? null).toBeNull();
    });
  });

  it('validates first and after even when the filter alone would give an empty page', async () => {
    const inverted = { createdAfter: marks[3], createdBefore: marks[1] };
    expect(errorCodes(await lists.questions({ filter: inverted, first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await lists.captions({ filter: inverted, first: -1 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await lists.questions({ filter: inverted, first: 2, after: 'not-a-cursor' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('a cursor keeps its place when newer rows arrive', async () => {
    const first = await questionPage({ first: 3 });
    const expectedRest = ids(newestFirst(questions)).slice(3);
    await ask(client(), images.c, 'Is anything moving?', MODEL, 5);
    const rest = await questionPage({ first: 100, after: first.pageInfo.endCursor });
    expect(ids(rest.edges.map((e) => e.node))).toEqual(expectedRest);
    // The new row is at the head of a fresh walk.
    expect((await questionPage({ first: 1 })).edges[0]!.node.prompt).toBe('Is anything moving?');
  });
});

describe('Image stored lists', () => {
  it('lists every stored caption and question of an image, newest first, each cached: true', async () => {
    for (const image of Object.values(images)) {
      const stored = ok(await client().request(ImageStoredResultsDocument, { id: image.id })).image!;
      expect(ids(stored.questions)).toEqual(ids(newestFirst(questions.filter((q) => q.imageId === image.id))));
      expect(ids(stored.captions)).toEqual(ids(newestFirst(captions.filter((c) => c.imageId === image.id))));
      for (const item of [...stored.questions, ...stored.captions]) {
        expect(item.cached).toBe(true);
        expect(item.image).toEqual({ id: image.id, sha256: image.sha256, width: image.width, height: image.height });
      }
    }
  });

  it('answers the same cached question from storage with cached: true and lists it once', async () => {
    const again = ok(await client().request(AskQuestionDocument, { imageId: images.a.id, question: '  What colour is the   background? ' })).askQuestion;
    const made = questions.find((q) => q.imageId === images.a.id && q.model === MODEL && q.prompt === 'What colour is the background?')!;
    expect(again).toMatchObject({ id: made.id, cached: true, createdAt: made.createdAt });
    const stored = ok(await client().request(ImageStoredResultsDocument, { id: images.a.id })).image!;
    expect(stored.questions.filter((q) => q.id === made.id)).toHaveLength(1);
  });
});
