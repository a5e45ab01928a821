import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { forgetEncoded, toDataUrl } from '../../src/model/upstream-image.js';
import type { ChatOptions, ModelProvider } from '../../src/model/provider.js';
import { ModelCallError } from '../../src/model/model-call-error.js';
import { Flights, type Flight } from '../../src/modules/engine/flights.js';
import { ModelCalls, type ChatCall } from '../../src/modules/engine/model-calls.js';
import { claimKey } from '../../src/modules/engine/key-claims.js';
import { serveKeyed, type KeyedWork } from '../../src/modules/engine/keyed-work.js';
import type { AnswerClaims } from '../../src/modules/answers/answer-claims.js';
import type { LedgerCall } from '../../src/modules/analytics/usage-ledger.js';
import { GatewayError } from '../../src/platform/errors.js';
import { SharedAbort } from '../../src/platform/shared-abort.js';
import { MemoryBudget } from '../support/memory/budget.js';
import { StubProvider, USAGE_PER_ANSWER } from '../support/stub-provider.js';

// The engine's two parts on in-memory fakes: the one in-flight table, and
// the one caller of the provider (ledger, cut-short charge, settlement, errors).

const image = { mimeType: 'image/png', width: 10, height: 10, sha256: 'abc' };
const blobs = { read: async (sha256: string) => Buffer.from(sha256) };
const payer = { tenant: 't', apiKeyId: null };

/** A flight whose work settles when the test says. */
function flightOf<T>() {
  let settle!: { resolve: (value: T) => void; reject: (error: Error) => void };
  const work = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  work.catch(() => {});
  return { flight: { work, abort: new SharedAbort() }, ...settle };
}

describe('Flights: one in-flight table, a lane per kind', () => {
  it('keeps each kind to its lane, and an entry until its work settles, failed or not', async () => {
    const flights = new Flights();
    const answers = flights.lane<Flight<string>>('answer');
    const images = flights.lane<Flight<string>>('images');
    const first = flightOf<string>();
    const second = flightOf<string>();
    answers.track('k', first.flight);
    images.track('k', second.flight);
    expect(answers.get('k')).toBe(first.flight);
    expect(images.get('k')).toBe(second.flight);
    expect(flights.size).toBe(2);

    first.resolve('done');
    second.reject(new Error('failed'));
    await Promise.allSettled([first.flight.work, second.flight.work]);
    expect(answers.get('k')).toBeUndefined();
    expect(images.get('k')).toBeUndefined();
    expect(flights.size).toBe(0);
  });

  it('lets a caller join work under way, but not work every caller has left (it is being cut short)', () => {
    const lane = new Flights().lane<Flight<string>>('answer');
    const { flight } = flightOf<string>();
    const starter = new AbortController();
    flight.abort.join(starter.signal);
    lane.track('k', flight);

    const joiner = new AbortController();
    expect(lane.join('k', joiner.signal)).toBe(flight);
    starter.abort();
    expect(flight.abort.signal.aborted).toBe(false); // the joiner still waits
    joiner.abort();
    expect(flight.abort.signal.aborted).toBe(true);
    expect(lane.join('k', undefined)).toBeUndefined();
    expect(lane.get('k')).toBe(flight); // still tracked until its work settles
  });

  it('a later flight of the same key replaces the entry, and the earlier one settling does not remove it', async () => {
    const lane = new Flights().lane<Flight<string>>('answer');
    const earlier = flightOf<string>();
    const later = flightOf<string>();
    lane.track('k', earlier.flight);
    lane.track('k', later.flight);
    earlier.resolve('old');
    await earlier.flight.work;
    expect(lane.get('k')).toBe(later.flight);
  });
});

/** A provider that reports its upstream requests as a real one does (onCall), streaming the reply in two pieces. */
class ReportingProvider extends StubProvider {
  constructor(private readonly outcome: 'ok' | Error) {
    super();
  }

  override async chat(request: Parameters<StubProvider['chat']>[0], options: ChatOptions = {}) {
    if (this.outcome instanceof Error) {
      options.onDelta?.('half a ');
      options.onCall?.({ model: this.model, prompts: [], usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0 }, latencyMs: 1, outcome: 'MODEL_UNAVAILABLE' });
      throw this.outcome;
    }
    const answer = await super.chat(request, options);
    options.onCall?.({ model: this.model, prompts: [], usage: answer.usage, latencyMs: 1, outcome: 'ok' });
    return answer;
  }
}

function engine(provider: ModelProvider) {
  const recorded: Array<{ kind: string; call: LedgerCall }> = [];
  const calls = new ModelCalls({ provider, blobs, ledger: { call: (_payer, kind, call) => recorded.push({ kind, call }) } });
  return { calls, recorded };
}

async function chatCall(budget: MemoryBudget, extra: Partial<ChatCall> = {}): Promise<ChatCall> {
  return { payer, reservation: await budget.reserve(500), signal: undefined, promptTokens: () => 40, maxCompletionTokens: 100, usageKind: 'QUESTION', ...extra };
}

describe('ModelCalls: the one caller of the provider', () => {
  it('settles the reservation to what the endpoint billed and records the call under its kind', async () => {
    const { calls, recorded } = engine(new ReportingProvider('ok'));
    const budget = new MemoryBudget();
    const answer = await calls.chat(calls.about([image], [{ role: 'user', text: 'what?' }]), await chatCall(budget));
    expect(answer.text).toBe('answer to what?');
    expect(budget.settled).toEqual([USAGE_PER_ANSWER.totalTokens]);
    expect(recorded).toEqual([{ kind: 'QUESTION', call: expect.objectContaining({ outcome: 'ok', usage: USAGE_PER_ANSWER }) }]);
  });

  it('a reply that broke off after text came owes the estimate, recorded as estimated; the failure reaches the caller as its code', async () => {
    const refused: ModelCallError[] = [];
    const { calls, recorded } = engine(new ReportingProvider(new ModelCallError('MODEL_UNAVAILABLE', 'the stream broke')));
    const budget = new MemoryBudget();
    const deltas: string[] = [];
    const failure = await calls.chat(calls.about([image], [{ role: 'user', text: 'q' }]), await chatCall(budget, { onDelta: (d) => deltas.push(d), onRefused: (e) => refused.push(e) })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect((failure as GatewayError).code).toBe('MODEL_UNAVAILABLE');
    expect(deltas).toEqual(['half a ']);
    // 40 estimated prompt tokens + "half a " (7 bytes: 3 tokens).
    expect(budget.settled).toEqual([43]);
    expect(recorded[0]!.call).toMatchObject({ estimated: true, usage: { promptTokens: 40, completionTokens: 3, totalTokens: 43 } });
    expect(refused).toEqual([]);
  });

  it("tells the caller of the provider's content filter, and gives the whole reservation back for a failure before any work", async () => {
    const filtered = new ModelCallError('MODEL_REJECTED', 'Input data may contain inappropriate content.', { contentFiltered: true });
    const provider = new StubProvider();
    provider.failNext(filtered);
    const { calls } = engine(provider);
    const budget = new MemoryBudget();
    const refused: ModelCallError[] = [];
    await expect(calls.chat(calls.about([image], [{ role: 'user', text: 'q' }]), await chatCall(budget, { onRefused: (e) => refused.push(e) }))).rejects.toMatchObject({ code: 'MODEL_REJECTED' });
    expect(refused).toEqual([filtered]);
    expect(budget.settled).toEqual([0]);
    expect(budget.spent).toBe(0);
  });

  it('a blob that cannot be read fails the call before anything is asked, and nothing is owed', async () => {
    const provider = new StubProvider();
    const calls = new ModelCalls({ provider, blobs: { read: () => Promise.reject(new GatewayError('BLOB_MISSING', 'gone')) } });
    const budget = new MemoryBudget();
    await expect(calls.chat(calls.about([image], [{ role: 'user', text: 'q' }]), await chatCall(budget))).rejects.toMatchObject({ code: 'BLOB_MISSING' });
    expect(provider.chats).toEqual([]);
    expect(budget.settled).toEqual([0]);
  });

  it('reads no blob for an image whose data URL is built, reads it again once the URL is forgotten (its blob deleted)', async () => {
    const png = await sharp({ create: { width: 12, height: 8, channels: 3, background: '#204060' } }).png().toBuffer();
    const stored = { mimeType: 'image/png', width: 12, height: 8, sha256: createHash('sha256').update(png).digest('hex') };
    const reads: string[] = [];
    let lost = false;
    const calls = new ModelCalls({
      provider: new StubProvider(),
      blobs: { read: async (sha256: string) => (reads.push(sha256), lost ? Promise.reject(new GatewayError('BLOB_MISSING', 'gone')) : png) },
    });
    const [first] = await calls.read([stored]);
    expect(reads).toHaveLength(1);
    const url = await toDataUrl(first!, 1_000_000);

    lost = true; // behind the gateway's back: the verified bytes in memory still serve
    const [second] = await calls.read([stored]);
    expect(reads).toHaveLength(1);
    expect(await toDataUrl(second!, 1_000_000)).toBe(url);
    // A data URL of another size is built from the blob, read on demand, and fails as the blob store does.
    await expect(toDataUrl(second!, 50)).rejects.toMatchObject({ code: 'BLOB_MISSING' });

    forgetEncoded(stored.sha256);
    await expect(calls.read([stored])).rejects.toMatchObject({ code: 'BLOB_MISSING' });
  });

  it('sends packed prompts to the provider of their kind and settles to the sum billed', async () => {
    const main = new StubProvider(undefined, 'main-vl');
    const ocr = new StubProvider((prompt) => `read ${prompt}`, 'ocr-vl');
    const routed: ModelProvider = Object.assign(main, { forKind: (kind: string) => (kind === 'TEXT' ? ocr : main) });
    const { calls } = engine(routed);
    expect(calls.modelFor('TEXT')).toBe('ocr-vl');
    expect(calls.model).toBe('main-vl');
    const budget = new MemoryBudget();
    const [sent] = await calls.read([image]);
    const results = await calls.answer(sent!, ['a', 'b'], { kind: 'TEXT', payer, reservation: await budget.reserve(500), signal: undefined, promptTokens: () => 40, maxCompletionTokens: 100, usageKindOf: () => 'TEXT' });
    expect(results.map((r) => (r instanceof Error ? r.message : r.text))).toEqual(['read a', 'read b']);
    expect(ocr.calls).toHaveLength(1);
    expect(main.calls).toHaveLength(0);
    expect(budget.settled).toEqual([2 * USAGE_PER_ANSWER.totalTokens]);
  });
});

/** Claims as one Redis would hold them for several replicas: a key is held by whoever claimed it first. */
class MemoryClaims implements AnswerClaims {
  readonly held = new Set<string>();
  readonly released: string[] = [];
  async claim(keys: readonly string[]) {
    return keys.map((key) => {
      if (this.held.has(key)) return false;
      this.held.add(key);
      return true;
    });
  }
  release(key: string) {
    this.held.delete(key);
    this.released.push(key);
  }
  async settled() {}
}

describe('claimKey: keyed work across replicas', () => {
  it('without claims (one process) this replica always asks', async () => {
    expect(await claimKey(undefined, 'k', async () => 'row')).toEqual({ held: true });
  });

  it('holds a free key when nothing was stored meanwhile; finds it held by another replica otherwise', async () => {
    const claims = new MemoryClaims();
    expect(await claimKey(claims, 'k', async () => undefined)).toEqual({ held: true });
    expect(await claimKey(claims, 'k', async () => undefined)).toEqual({ held: false, stored: undefined });
    expect(claims.released).toEqual([]);
  });

  it('a row stored between the first lookup and the claim is served, and the claim given back at once', async () => {
    const claims = new MemoryClaims();
    expect(await claimKey(claims, 'k', async () => 'row')).toEqual({ held: false, stored: 'row' });
    expect(claims.released).toEqual(['k']);
    expect(claims.held.size).toBe(0);
  });
});

/** A keyed capability on memory: a store, a lane, and a record of what the engine asked of it. */
function keyedWorld(claims?: AnswerClaims) {
  const flights = new Flights().lane<Flight<string>>('keyed');
  const store = new Map<string, string>();
  const budget = new MemoryBudget();
  const log: string[] = [];
  const calls: Array<(row: string) => void> = [];
  const work = (key: string, refresh = false): KeyedWork<string> => ({
    claim: key,
    refresh,
    join: () => flights.join(key, undefined)?.work.then((row) => `joined ${row}`),
    stored: async () => {
      log.push('lookup');
      const row = store.get(key);
      return row === undefined ? undefined : `stored ${row}`;
    },
    reserve: () => {
      log.push('reserve');
      return budget.reserve(10);
    },
    elsewhere: async () => 'followed another replica',
    start: (reservation) => {
      log.push('call');
      const saved = new Promise<string>((resolve) => calls.push(resolve)).then(async (row) => {
        store.set(key, row);
        await reservation.settle(7);
        return row;
      });
      flights.track(key, { work: saved, abort: new SharedAbort() });
      return { result: saved.then((row) => `asked ${row}`), settled: saved };
    },
  });
  return { flights, store, budget, log, calls, work, serve: (key: string, refresh = false) => serveKeyed(claims, work(key, refresh)) };
}

describe('serveKeyed: the one order of keyed work', () => {
  it('serves a stored row without reserving, and work under way without a lookup', async () => {
    const w = keyedWorld();
    w.store.set('k', 'row');
    expect(await w.serve('k')).toBe('stored row');
    expect(w.log).toEqual(['lookup']);
    const asked = w.serve('fresh');
    await until(() => w.calls.length === 1);
    w.log.length = 0;
    const joined = w.serve('fresh');
    w.calls[0]!('answer');
    expect(await asked).toBe('asked answer');
    expect(await joined).toBe('joined answer');
    expect(w.log).toEqual([]);
    expect(w.budget.settled).toEqual([7]);
  });

  it('a call started while the tokens were reserved is joined, and the reservation given back', async () => {
    const w = keyedWorld();
    // The second caller's tokens are still being reserved when the first caller's call starts.
    const second = w.work('k');
    const reserve = second.reserve;
    let reserved!: () => void;
    const gate = new Promise<void>((resolve) => (reserved = resolve));
    second.reserve = async () => {
      const reservation = await reserve();
      await gate;
      return reservation;
    };
    const asked = serveKeyed(undefined, w.work('k'));
    const joined = serveKeyed(undefined, second);
    await until(() => w.calls.length === 1);
    reserved();
    w.calls[0]!('answer');
    expect(await Promise.all([asked, joined])).toEqual(['asked answer', 'joined answer']);
    expect(w.log).toEqual(['lookup', 'lookup', 'reserve', 'reserve', 'call']);
    expect(w.budget.settled.sort()).toEqual([0, 7]);
    expect(w.budget.spent).toBe(7);
  });

  it('a refresh always asks: no lookup, no join, no claim taken or released', async () => {
    const claims = new MemoryClaims();
    const w = keyedWorld(claims);
    w.store.set('k', 'old');
    const refreshed = w.serve('k', true);
    await until(() => w.calls.length === 1);
    w.calls[0]!('new');
    expect(await refreshed).toBe('asked new');
    expect(w.log).toEqual(['reserve', 'call']);
    expect(claims.released).toEqual([]);
  });

  it('across replicas: holds the claim until the call settles; a held claim is followed; a row stored meanwhile is served', async () => {
    const claims = new MemoryClaims();
    const w = keyedWorld(claims);
    const mine = w.serve('k');
    await until(() => w.calls.length === 1);
    expect(claims.held.has('k')).toBe(true);
    // Another replica (its own lane, the same claims and store) finds the key claimed.
    const other = keyedWorld(claims);
    expect(await other.serve('k')).toBe('followed another replica');
    expect(other.budget.settled).toEqual([0]);
    w.calls[0]!('answer');
    expect(await mine).toBe('asked answer');
    await until(() => !claims.held.has('k'));
    // Claimed after another replica stored the row: served, nothing asked, the claim given back.
    const late = keyedWorld(claims);
    let lookups = 0;
    const work = late.work('j');
    const stored = work.stored;
    work.stored = async () => (++lookups === 2 ? 'stored by another replica' : stored());
    expect(await serveKeyed(claims, work)).toBe('stored by another replica');
    expect(late.log).toEqual(['lookup', 'reserve']);
    expect(late.budget.settled).toEqual([0]);
    expect(claims.held.size).toBe(0);
  });
});

/** Resolves once `ready()` holds: checked after each turn of the event loop, never on a timer. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}
