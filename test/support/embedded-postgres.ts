/**
 * PostgreSQL for the tests on a machine without a server: PGlite (PostgreSQL 17 compiled to
 * WebAssembly, one backend in this process, in memory) served over the wire protocol on a local
 * port, so the gateway's pg driver, the schema engine and plain pg clients connect as to a server.
 *
 * Not pglite-socket's server: its multiplexer interleaves the extended-protocol messages of
 * concurrent connections (one pool client's Parse, another's Bind) and drops each connection's
 * startup options, the search_path through which `?schema=` keeps each test file in its own schema.
 * Here a connection holds the one backend from its first message until the backend is idle again
 * (after Sync or a simple Query, outside a transaction), and gets its own search_path back before
 * each turn. What stays unlike a server: one session shared by all, so a connection that waits on
 * another while holding a transaction waits forever (lock-contention tests need a real server).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

export interface EmbeddedPostgres {
  /** postgres:// URL of the served database (any user or database name connects to the same one). */
  url: string;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3 = 196608;
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

interface Connection {
  socket: Socket;
  /** Bytes received and not yet split into whole messages. */
  partial: Buffer;
  /** Whole messages waiting for this connection's next turn. */
  work: Buffer[];
  started: boolean;
  closed: boolean;
  /** From the startup packet's `options` (`-c search_path=...`); undefined: the server default. */
  searchPath: string | undefined;
}

/**
 * Listens at once on an ephemeral port of 127.0.0.1 and boots PGlite on the first connection (a few
 * seconds), so a run that never touches PostgreSQL pays nothing.
 */
export async function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  let pglite: Promise<PGlite> | undefined;
  const connections = new Set<Connection>();
  const waiting: Connection[] = [];
  let owner: Connection | undefined;
  let sessionSearchPath: string | undefined;
  let pumping = false;

  const run = (db: PGlite, message: Uint8Array, onRawData: (data: Uint8Array) => void = () => {}) =>
    db.execProtocolRawStream(message, { syncToFs: false, onRawData });

  /** One turn: the connection's waiting messages, after its search_path; true when it leaves the backend idle. */
  const turn = async (db: PGlite, connection: Connection): Promise<boolean> => {
    if (sessionSearchPath !== connection.searchPath) {
      await run(db, simpleQuery(`SET search_path TO ${connection.searchPath ?? 'DEFAULT'}`));
      sessionSearchPath = connection.searchPath;
    }
    const messages = connection.work.splice(0);
    const send = (data: Uint8Array) => {
      if (!connection.socket.destroyed) connection.socket.write(data);
    };
    for (const message of messages) await run(db, message, send);
    return endsRoundTrip(messages.at(-1)!) && !db.isInTransaction();
  };

  /** A closed connection's unfinished round trip or transaction ends, as a server ends a closed session's. */
  const reset = async (db: PGlite) => {
    await run(db, SYNC);
    if (db.isInTransaction()) await run(db, simpleQuery('ROLLBACK'));
  };

  /** Gives the backend to connections in turn; the owner keeps it until it reaches an idle sync point. */
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      const db = await (pglite ??= keepingExitCode(bootPglite));
      for (;;) {
        const connection = owner ?? waiting.shift();
        if (!connection) break;
        owner = connection;
        if (connection.closed) {
          await reset(db);
          owner = undefined;
        } else if (connection.work.length === 0) {
          break; // the owner is mid-transaction: wait for its next message
        } else if (await turn(db, connection)) {
          owner = undefined;
        }
      }
    } catch (error) {
      // PGlite itself failed (an SQL error goes back to the client instead): end the owner's connection.
      owner?.socket.destroy(error as Error);
    } finally {
      pumping = false;
    }
  };

  const receive = (connection: Connection, data: Buffer) => {
    connection.partial = connection.partial.length ? Buffer.concat([connection.partial, data]) : data;
    for (let message = takeMessage(connection); message; message = takeMessage(connection)) {
      if (message === 'close') return void connection.socket.end();
      if (message === 'decline-encryption') connection.socket.write('N');
      else connection.work.push(message);
    }
    if (connection.work.length > 0 && owner !== connection && !waiting.includes(connection)) waiting.push(connection);
    void pump();
  };

  const close = (connection: Connection) => {
    connection.closed = true;
    connection.work = [];
    connections.delete(connection);
    const index = waiting.indexOf(connection);
    if (index >= 0) waiting.splice(index, 1);
    if (owner === connection) void pump();
  };

  const server = createServer((socket) => {
    const connection: Connection = { socket, partial: Buffer.alloc(0), work: [], started: false, closed: false, searchPath: undefined };
    connections.add(connection);
    socket.setNoDelay(true);
    socket.on('data', (data) => receive(connection, data));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => close(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    close: async () => {
      for (const connection of connections) connection.socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      if (pglite) await keepingExitCode(async () => (await pglite!).close());
    },
  };
}

/**
 * PGlite's Emscripten runtime writes process.exitCode whenever its backend exits (99 as it boots,
 * 0 as it closes): left alone, a run vitest marked failed would exit 0. The run keeps its own code.
 */
async function keepingExitCode<T>(work: () => Promise<T>): Promise<T> {
  const exitCode = process.exitCode;
  try {
    return await work();
  } finally {
    process.exitCode = exitCode;
  }
}

/**
 * PGlite's initdb is most of its boot (half a minute on a busy machine): the fresh cluster is kept
 * as a tarball in the temporary folder, one per PGlite version, and later runs start from it.
 */
async function bootPglite(): Promise<PGlite> {
  const packageJson = path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  const cache = path.join(os.tmpdir(), `gateway-test-pglite-${version}.tar.gz`);
  // pg_trgm: the text-search migration creates trigram indexes where the extension exists, as on a server.
  const options: PGliteOptions = { extensions: { pg_trgm } };
  const saved = await readFile(cache).catch(() => undefined);
  if (saved) {
    try {
      return await PGlite.create({ ...options, loadDataDir: new Blob([saved]) });
    } catch {
      // A damaged tarball: make the cluster afresh, and the tarball with it.
    }
  }
  const db = await PGlite.create(options);
  const tarball = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
  const partial = `${cache}.${process.pid}`; // renamed into place whole, so a concurrent run never reads half of it
  await writeFile(partial, tarball);
  await rename(partial, cache);
  return db;
}

/**
 * The next whole message of the connection's buffer, or undefined until it has all arrived. Before
 * the startup packet, messages carry no type byte; TLS and GSS encryption are declined, and a
 * CancelRequest closes (nothing runs long enough to be worth cancelling).
 */
function takeMessage(connection: Connection): Buffer | 'decline-encryption' | 'close' | undefined {
  const buffer = connection.partial;
  if (buffer.length < (connection.started ? 5 : 8)) return undefined;
  const length = connection.started ? 1 + buffer.readInt32BE(1) : buffer.readInt32BE(0);
  if (buffer.length < length) return undefined;
  const message = buffer.subarray(0, length);
  connection.partial = buffer.subarray(length);
  if (connection.started) return message[0] === 0x58 /* X: Terminate */ ? 'close' : message;
  const code = message.readInt32BE(4);
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) return 'decline-encryption';
  if (code !== PROTOCOL_3) return 'close';
  connection.started = true;
  connection.searchPath = startupSearchPath(message);
  return message;
}

/** Sync and a simple Query end a client round trip, and so does the startup packet (no type byte: its length's high byte is 0). */
function endsRoundTrip(message: Buffer): boolean {
  return message[0] === 0 || message[0] === 0x53 || message[0] === 0x51;
}

/** `-c search_path=...` (or `--search_path=...`) in the startup packet's `options` parameter. */
function startupSearchPath(startup: Buffer): string | undefined {
  const fields = startup.subarray(8).toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) parameters.set(fields[i]!, fields[i + 1]!);
  return /(?:-c\s*|--)search_path=("(?:[^"]|"")*"|\S+)/.exec(parameters.get('options') ?? '')?.[1];
}

function simpleQuery(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('Q', 0);
  header.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([header, text]);
}
