import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AnswerStreamDocument, AskQuestionDocument, CaptionImageDocument, JobCompletedDocument, JobModerationsDocument, ModerateImageDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { collect, errorCodes, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

// The provider's own content filter (issue 23, point 5): DashScope answers
// 400 data_inspection_failed ("Input/Output data may contain inappropriate
// content"). On a moderation that is a verdict; on a caption it stays
// MODEL_REJECTED, remembered for MODEL_REFUSAL_TTL_SECONDS.

describe("the provider's content filter", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());
  let shade = 0;
  const newImage = () => uploadNew(h.gateway.client, { format: 'png', width: 36, height: 28, color: `#${(0x507090 + ++shade * 7919).toString(16).slice(-6)}` });

  it('refusing a moderation is its verdict: flagged PROVIDER_REFUSED, stored and served from the cache', async () => {
    const image = await newImage();
    h.fake.inject({ kind: 'inspection', side: 'output' });
    const first = await h.gateway.client.request(ModerateImageDocument, { imageId: image.id });
    expect(first.errors).toBeUndefined();
    expect(first.data!.moderateImage).toMatchObject({ flagged: true, categories: ['PROVIDER_REFUSED'], cached: false });
    const again = await h.gateway.client.request(ModerateImageDocument, { imageId: image.id });
    expect(again.data!.moderateImage).toMatchObject({ id: first.data!.moderateImage.id, flagged: true, categories: ['PROVIDER_REFUSED'], cached: true });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('lets a job with moderate: true complete with that verdict', async () => {
    const image = await newImage();
    h.fake.inject({ kind: 'inspection', side: 'input' });
    const submitted = await h.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], moderate: true } });
    const socket = wsClient(h.gateway.server.url);
    try {
      const [done] = await collect(socket, JobCompletedDocument, { id: submitted.data!.submitAnalysis.id });
      expect(done!.data!.jobCompleted).toMatchObject({ status: 'SUCCEEDED', failed: 0 });
    } finally {
      await socket.dispose();
    }
    const job = await h.gateway.client.request(JobModerationsDocument, { id: submitted.data!.submitAnalysis.id });
    expect(job.data!.job!.moderations).toMatchObject([{ flagged: true, categories: ['PROVIDER_REFUSED'] }]);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('refusing a caption is MODEL_REJECTED, and a re-ask is refused from memory without another request (a refresh asks)', async () => {
    const image = await newImage();
    h.fake.inject({ kind: 'inspection', side: 'input' });
    expect(errorCodes(await h.gateway.client.request(CaptionImageDocument, { imageId: image.id }))).toEqual(['MODEL_REJECTED']);
    expect(errorCodes(await h.gateway.client.request(CaptionImageDocument, { imageId: image.id }))).toEqual(['MODEL_REJECTED']);
    expect(h.fake.requests).toHaveLength(1);

    const refreshed = await h.gateway.client.request(CaptionImageDocument, { imageId: image.id, refresh: true });
    expect(refreshed.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(2);
  });

  it('a streamed question refused is remembered too, under the key askQuestion uses: neither path asks again', async () => {
    const image = await newImage();
    const variables = { imageId: image.id, question: 'What is shown?' };
    h.fake.inject({ kind: 'inspection', side: 'input' });
    const socket = wsClient(h.gateway.server.url);
    try {
      const streamedCodes = async () => (await collect(socket, AnswerStreamDocument, variables)).flatMap(errorCodes);
      expect(await streamedCodes()).toEqual(['MODEL_REJECTED']);
      expect(h.fake.requests).toHaveLength(1);
      expect(errorCodes(await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: variables.question }))).toEqual(['MODEL_REJECTED']);
      expect(await streamedCodes()).toEqual(['MODEL_REJECTED']);
      expect(h.fake.requests).toHaveLength(1);
    } finally {
      await socket.dispose();
    }
  });
});

describe('MODEL_REFUSAL_TTL_SECONDS=0', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MODEL_REFUSAL_TTL_SECONDS: '0' } });
  });
  afterAll(() => h.close());

  it('asks again after a content-filter refusal', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 20, height: 20 });
    h.fake.inject({ kind: 'inspection', side: 'input' });
    expect(errorCodes(await h.gateway.client.request(CaptionImageDocument, { imageId: image.id }))).toEqual(['MODEL_REJECTED']);
    const second = await h.gateway.client.request(CaptionImageDocument, { imageId: image.id });
    expect(second.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(2);
  });
});
