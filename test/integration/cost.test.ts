import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GraphQLClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';

/**
 * Usage.cost through the real API: the fake endpoint bills a known usage; the
 * test model has no built-in price (cost null), then MODEL_PRICES prices it
 * and the stored answer is priced when read, exactly, as is what a cache hit
 * of it saved.
 */

const BILLED = { prompt: 700, completion: 30, cached: 5 };
const ASK = 'mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { model usage { totalTokens cost { amount currency } } } }';
const STORED = '{ questions(first: 10) { edges { node { usage { cost { amount currency } } } } } }';

let h: Harness;
let client: GraphQLClient;

beforeAll(async () => {
  h = await startHarness({ fake: { usage: BILLED } });
  client = new GraphQLClient(h.gateway.server.url);
});
afterAll(() => h?.close());

describe('Usage.cost', () => {
  it('is null for a model without a price, and priced exactly once MODEL_PRICES names it', async () => {
    const image = await uploadNew(client, { format: 'png', width: 32, height: 24, color: '#336699' });
    const asked = await client.request<{ askQuestion: { model: string; usage: { totalTokens: number; cost: unknown } } }>(ASK, { id: image.id, q: 'What colour is it?' });
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion.usage).toEqual({ totalTokens: 730, cost: null });
    const model = asked.data!.askQuestion.model;

    const dir = mkdtempSync(path.join(os.tmpdir(), 'prices-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ [model]: { currency: 'EUR', inputPerMillion: 2, outputPerMillion: 10, cachedInputPerMillion: 0.5 } }));
    await restartGateway(h, { MODEL_PRICES: file });
    client = new GraphQLClient(h.gateway.server.url);

    // 695 × 2 + 5 × 0.5 + 30 × 10 = 1692.5 per million tokens
    const stored = await client.request<{ questions: { edges: Array<{ node: { usage: { cost: unknown } } }> } }>(STORED);
    expect(stored.errors).toBeUndefined();
    expect(stored.data!.questions.edges.map((edge) => edge.node.usage.cost)).toEqual([{ amount: '0.0016925', currency: 'EUR' }]);
    const again = await client.request<{ askQuestion: { usage: { cost: unknown } } }>(ASK, { id: image.id, q: 'What colour is it?' });
    expect(again.data!.askQuestion.usage.cost).toEqual({ amount: '0.0016925', currency: 'EUR' });

    // Query.usage sums the calls' cost (the second ask was a cache hit: no call) and what the hit saved, by model or not.
    const summed = await client.request<{ total: unknown[]; byModel: unknown[] }>(`{
      total: usage(groupBy: []) { calls cacheHits cost { amount currency } costSaved { amount currency } }
      byModel: usage(groupBy: [MODEL]) { model cost { amount currency } costSaved { amount currency } } }`);
    expect(summed.errors).toBeUndefined();
    const priced = { amount: '0.0016925', currency: 'EUR' };
    expect(summed.data).toEqual({ total: [{ calls: 1, cacheHits: 1, cost: priced, costSaved: priced }], byModel: [{ model, cost: priced, costSaved: priced }] });

    // The usage export carries both as its last columns, the questions export the cost.
    const exported = await fetch(new URL('/export/usage.csv?groupBy=MODEL', h.gateway.server.url));
    const [header, line] = (await exported.text()).trim().split('\r\n');
    expect(header!.split(',').slice(-4)).toEqual(['cost', 'costCurrency', 'costSaved', 'costSavedCurrency']);
    expect(line!.split(',').slice(-4)).toEqual(['0.0016925', 'EUR', '0.0016925', 'EUR']);
    const questions = await fetch(new URL('/export/questions.jsonl', h.gateway.server.url));
    expect(JSON.parse((await questions.text()).trim())).toMatchObject({ cost: '0.0016925', costCurrency: 'EUR' });
  });
});
