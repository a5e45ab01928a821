import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { findImages, MissingPathError } from './find-images.js';
import { GatewayClient, RequestError, UnreachableError } from './gateway-client.js';
import { followJob, jobItems, submitJob, type JobState } from './job.js';
import { HelpShown, parseOptions, UsageError, type IngestOptions } from './options.js';
import { startProgress, type Progress } from './progress.js';
import { readTexts } from './read-text.js';
import { buildRows, failedRow, NO_RESULTS, rowSucceeded, type ImageResults } from './results.js';
import { writeRows, type ResultRow } from './results-writer.js';
import { uploadAll } from './upload.js';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

const warn = (message: string) => void process.stderr.write(`${message}\n`);

/** The whole command: returns the exit code (0 all succeeded, 1 something failed, 2 usage, 130 interrupted). */
export async function main(argv: readonly string[]): Promise<number> {
  let options: IngestOptions;
  try {
    options = parseOptions(argv, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
  } catch (error) {
    if (error instanceof HelpShown) return EXIT.OK;
    if (error instanceof UsageError) {
      if (error.message) warn(error.message);
      return EXIT.USAGE;
    }
    throw error;
  }

  const interrupt = watchInterrupt();
  try {
    return await run(options, interrupt);
  } finally {
    interrupt.dispose();
  }
}

async function run(options: IngestOptions, interrupt: Interrupt): Promise<number> {
  if (options.out) {
    const problem = await unwritable(options.out.file);
    if (problem) {
      warn(`error: --out ${options.out.file}: ${problem}`);
      return EXIT.USAGE;
    }
  }

  const client = new GatewayClient(options.url, options.apiKey);
  client.onNotice = say;
  const reachable = await checkGateway(client);
  if (reachable) {
    warn(`error: ${reachable}`);
    return EXIT.USAGE;
  }

  let scan;
  try {
    scan = await findImages(options.paths, warn);
  } catch (error) {
    if (error instanceof MissingPathError) {
      warn(`error: ${error.message}`);
      return EXIT.USAGE;
    }
    throw error;
  }
  if (interrupt.fired) return EXIT.INTERRUPTED;
  const readFailures = scan.unreadable.map((u) => failedRow(u.path, 'READ_ERROR', u.error));
  if (scan.images.length === 0) {
    if (readFailures.length === 0) {
      warn(`error: no JPEG, PNG, WebP or GIF files found in ${options.paths.join(', ')}`);
      return EXIT.USAGE;
    }
    await writeRows(readFailures, options.out);
    return EXIT.FAILED;
  }

  // Upload.
  const uploadBar = track(startProgress(scan.images.length, { label: 'uploading', unit: 'files', failedWord: 'refused' }));
  const uploaded = await uploadAll(client, scan.images, { progress: uploadBar, interrupted: () => interrupt.fired });
  untrack(uploadBar);
  const imageIds = [...new Set(uploaded.outcomes.flatMap((o) => ('imageId' in o ? [o.imageId] : [])))];
  const notTried = uploaded.notTried.map((file) => failedRow(file.path, 'INTERRUPTED', 'not uploaded: the run was interrupted'));
  const finish = async (analysis: Analysis) => {
    const rows = [...buildRows(uploaded.outcomes, analysis.results, analysis.missing), ...notTried, ...readFailures];
    await writeRows(rows, options.out);
    summarize(rows, scan.images.length, imageIds.length, analysis.job, options);
    if (analysis.code !== undefined) return analysis.code;
    return rows.every(rowSucceeded) && (!analysis.job || analysis.job.status === 'SUCCEEDED') ? EXIT.OK : EXIT.FAILED;
  };

  if (interrupt.fired) return finish(nothing({ errorCode: 'INTERRUPTED', error: 'uploaded, but not analysed: the run was interrupted' }, EXIT.INTERRUPTED));
  if (imageIds.length === 0) return finish(nothing({ errorCode: 'NOT_UPLOADED', error: 'not uploaded' }));

  const uploadedFiles = uploaded.outcomes.filter((o) => 'imageId' in o).length;
  const hasJobWork = options.captions.length + options.questions.length > 0 || options.moderate;
  const analysis = hasJobWork ? await analyse(client, imageIds, uploadedFiles, options, interrupt) : nothing({ errorCode: 'NOT_ANALYSED', error: 'no results for this image' });
  if (!options.readText || interrupt.fired) return finish(analysis);

  // The text in each image, through Image.text (jobs have no text items).
  const textBar = track(startProgress(imageIds.length, { label: 'reading text', unit: 'images', failedWord: 'failed' }));
  const texts = await readTexts(client, imageIds, { progress: textBar, interrupted: () => interrupt.fired });
  untrack(textBar);
  return finish({ ...analysis, results: { ...analysis.results, texts }, code: analysis.code ?? (interrupt.fired ? EXIT.INTERRUPTED : undefined) });
}

/** What the rows are built from, and the exit code when the run's outcome already decides it. */
interface Analysis {
  results: ImageResults;
  /** The row of an uploaded image with no results. */
  missing: { errorCode: string; error: string };
  job: JobState | null;
  code?: number;
}

const nothing = (missing: Analysis['missing'], code?: number): Analysis => ({ results: NO_RESULTS, missing, job: null, code });

/** One job for every distinct image: submitted, followed to its end (or cancelled on Ctrl-C), and read back. */
async function analyse(client: GatewayClient, imageIds: readonly string[], uploadedFiles: number, options: IngestOptions, interrupt: Interrupt): Promise<Analysis> {
  let job: JobState;
  try {
    job = await submitJob(client, imageIds, { captionStyles: options.captions, questions: options.questions, moderate: options.moderate });
  } catch (error) {
    const { code, message } = describe(error);
    warn(`error: submitAnalysis failed: ${code}: ${message}`);
    return nothing({ errorCode: code, error: `the analysis job was not created: ${message}` }, EXIT.FAILED);
  }
  const prompts = options.captions.length + options.questions.length + (options.moderate ? 1 : 0);
  warn(`submitted job ${job.id}: ${imageIds.length} image(s) from ${uploadedFiles} file(s) × ${prompts} prompt(s) = ${job.total} item(s)`);

  const jobBar = track(startProgress(job.total, { label: 'analysing', unit: 'items', failedWord: 'failed' }));
  const followed = await followJob(client, job, { progress: jobBar, interrupted: interrupt.promise });
  untrack(jobBar);
  const code = followed.cancelledByUser ? EXIT.INTERRUPTED : undefined;

  // Read every item with its answer; what did not finish comes back PENDING or CANCELLED.
  try {
    const read = await jobItems(client, job.id);
    return { results: { items: read.items, verdicts: read.verdicts, texts: new Map() }, missing: { errorCode: 'NOT_ANALYSED', error: 'the job has no items for this image' }, job: read.job, code };
  } catch (error) {
    const { code: errorCode, message } = describe(error);
    warn(`error: cannot read the results of job ${job.id}: ${errorCode}: ${message}`);
    return { results: NO_RESULTS, missing: { errorCode, error: `results of job ${job.id} could not be read: ${message}` }, job: followed.job, code: code ?? EXIT.FAILED };
  }
}

/** null when the gateway answers GraphQL; otherwise what is wrong, in one line. */
async function checkGateway(client: GatewayClient): Promise<string | null> {
  try {
    const result = await client.request<{ __typename: string }>('query IngestPing { __typename }', {}, AbortSignal.timeout(15_000));
    const code = result.errors?.[0]?.extensions?.code;
    if (result.status === 401 || code === 'UNAUTHENTICATED') {
      return client.apiKey
        ? `the gateway at ${client.url} refused the API key (UNAUTHENTICATED)`
        : `the gateway at ${client.url} needs an API key: pass --api-key or set GATEWAY_API_KEY`;
    }
    if (result.status === 403 || code === 'FORBIDDEN') return `the gateway at ${client.url} refused this API key (FORBIDDEN)`;
    if (result.data?.__typename) return null;
    return `${client.url} does not answer as the gateway's GraphQL endpoint: ${result.errors?.[0]?.message ?? `HTTP ${result.status}`}`;
  } catch (error) {
    if (error instanceof UnreachableError) return error.message;
    throw error;
  }
}

async function unwritable(file: string): Promise<string | null> {
  const dir = path.dirname(path.resolve(file));
  try {
    if ((await stat(file).catch(() => null))?.isDirectory()) return 'is a folder';
    await access(dir, constants.W_OK);
    return null;
  } catch {
    return `cannot write in ${dir}`;
  }
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof RequestError) return { code: error.code, message: error.message };
  if (error instanceof UnreachableError) return { code: 'GATEWAY_UNREACHABLE', message: error.message };
  return { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
}

function summarize(rows: readonly ResultRow[], files: number, images: number, job: JobState | null, options: IngestOptions): void {
  const ok = rows.filter(rowSucceeded).length;
  const jobPart = job ? `job ${job.id} ${job.status}` : 'no job';
  const where = options.out ? ` -> ${options.out.file}` : '';
  warn(`${jobPart}: ${files} file(s), ${images} image(s); ${ok} of ${rows.length} row(s) succeeded${where}`);
}

// Ctrl-C: the first one cancels the job and writes what finished; a second one exits at once.

interface Interrupt {
  fired: boolean;
  promise: Promise<void>;
  dispose(): void;
}

const active = new Set<Progress>();
/** A line on stderr, above the progress bar when one is showing. */
function say(message: string): void {
  const [progress] = active;
  if (progress) progress.log(message);
  else warn(message);
}
const track = (progress: Progress) => (active.add(progress), progress);
const untrack = (progress: Progress) => {
  progress.stop();
  active.delete(progress);
};

function watchInterrupt(): Interrupt {
  let resolve!: () => void;
  const state: Interrupt = {
    fired: false,
    promise: new Promise<void>((r) => (resolve = r)),
    dispose: () => process.off('SIGINT', onSigint),
  };
  const onSigint = () => {
    if (state.fired) {
      for (const progress of active) progress.stop();
      warn('interrupted again: exiting without writing results');
      process.exit(EXIT.INTERRUPTED);
    }
    state.fired = true;
    resolve();
    say('interrupted: stopping after the current step (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  return state;
}
