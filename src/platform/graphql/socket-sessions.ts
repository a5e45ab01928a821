import type { WebSocket } from 'ws';
import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CallerIdentity } from '../gateway.js';

/**
 * Who holds each open WebSocket, and for how long they may: the bounds that a
 * socket, unlike a request, would otherwise escape. A socket is authenticated
 * at connection_init and again before every operation and every few seconds
 * (through the key service's short cache, so a revoked key or the end of open
 * mode closes it: 4403 / 4401); it lives at most WS_MAX_LIFETIME_SECONDS and
 * WS_IDLE_TIMEOUT_SECONDS without an operation (closed with 1000, which
 * graphql-ws clients answer by reconnecting when they still need the socket);
 * sockets are capped in total (refused before the upgrade) and per key (4429);
 * and a socket whose unsent data passes WS_MAX_BUFFERED_BYTES is dropped: its
 * client stopped reading, and the gateway would hold its results in memory.
 */

export interface SocketLimits {
  maxConnections: number;
  maxConnectionsPerKey: number;
  maxLifetimeSeconds: number;
  idleTimeoutSeconds: number;
  maxBufferedBytes: number;
}

export type Authenticate<C extends CallerIdentity> = (authorization: string | undefined) => Promise<C>;

/** Why the gateway closed a socket itself (a metrics label). */
export type CloseReason = 'lifetime' | 'idle' | 'revoked' | 'unauthorized' | 'too_many' | 'backlog';

/** graphql-ws close codes, as its clients read them (4401 and 4429 are final for them; 4403 and 1000 are retried). */
export const CLOSE = {
  normal: 1000,
  unauthorized: 4401,
  forbidden: 4403,
  tooMany: 4429,
} as const;

/** Why a socket may not go on: the close code and a reason (at most 123 bytes on the wire). */
export class SocketRefusal extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
    readonly reason: CloseReason,
  ) {
    super(message);
  }
}

interface Session<C extends CallerIdentity> {
  authorization?: string;
  caller?: C;
  operations: number;
  idleTimer?: NodeJS.Timeout;
  lifetimeTimer: NodeJS.Timeout;
}

/** How often open sockets' keys are checked again: the key cache's lifetime. */
const RECHECK_MS = 5_000;

const subjectOf = (caller: CallerIdentity) => caller.apiKeyId ?? `open:${caller.tenant}`;

export class SocketSessions<C extends CallerIdentity = CallerIdentity> {
  private readonly sessions = new Map<WebSocket, Session<C>>();
  private readonly perSubject = new Map<string, number>();
  private readonly recheckTimer: NodeJS.Timeout;

  constructor(
    private readonly limits: SocketLimits,
    private readonly authenticate: Authenticate<C>,
    private readonly logger: Logger,
    private readonly countClose: (reason: CloseReason) => void = () => {},
  ) {
    this.recheckTimer = setInterval(() => void this.recheckAll(), RECHECK_MS);
    this.recheckTimer.unref();
  }

  /** Room for one more socket, checked before the upgrade. */
  hasRoom(): boolean {
    return this.sessions.size < this.limits.maxConnections;
  }

  opened(socket: WebSocket): void {
    const lifetimeTimer = setTimeout(
      () => this.close(socket, new SocketRefusal(CLOSE.normal, 'Connection lifetime reached (WS_MAX_LIFETIME_SECONDS); reconnect.', 'lifetime')),
      this.limits.maxLifetimeSeconds * 1000,
    );
    lifetimeTimer.unref();
    const session: Session<C> = { operations: 0, lifetimeTimer };
    this.sessions.set(socket, session);
    this.startIdleTimer(socket, session);
    socket.once('close', () => this.closed(socket));
  }

  /** connection_init: who the socket acts for; SocketRefusal when it may not (no valid key, too many sockets for it). */
  async admit(socket: WebSocket, authorization: string | undefined): Promise<C> {
    const session = this.sessions.get(socket);
    if (!session) throw new SocketRefusal(CLOSE.normal, 'The connection is closing.', 'lifetime');
    const caller = await this.authenticate(authorization).catch((error: unknown) => {
      throw new SocketRefusal(CLOSE.unauthorized, error instanceof Error ? error.message : 'Unauthorized', 'unauthorized');
    });
    const subject = subjectOf(caller);
    const open = this.perSubject.get(subject) ?? 0;
    if (open >= this.limits.maxConnectionsPerKey) {
      throw new SocketRefusal(CLOSE.tooMany, `This key already has ${open} open connections (WS_MAX_CONNECTIONS_PER_KEY). Close one first.`, 'too_many');
    }
    this.perSubject.set(subject, open + 1);
    session.authorization = authorization;
    session.caller = caller;
    return caller;
  }

  /** Before each operation: the caller as the key stands now; closes the socket (and throws) when it no longer may act. */
  async recheck(socket: WebSocket, authenticate: Authenticate<C> = this.authenticate): Promise<C> {
    const session = this.sessions.get(socket);
    if (!session?.caller) throw new GatewayError('UNAUTHENTICATED', 'The connection is not authenticated.');
    try {
      session.caller = await authenticate(session.authorization);
      return session.caller;
    } catch (error) {
      // Anything but a refused key (the database briefly unreachable) fails this operation, not the socket.
      if (!(error instanceof GatewayError) || error.code !== 'UNAUTHENTICATED') throw error;
      const refusal = this.refusalFor(session.caller);
      this.close(socket, refusal);
      throw new GatewayError('UNAUTHENTICATED', refusal.message);
    }
  }

  operationStarted(socket: WebSocket): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    session.operations++;
    clearTimeout(session.idleTimer);
  }

  operationEnded(socket: WebSocket): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    session.operations = Math.max(0, session.operations - 1);
    if (session.operations === 0) this.startIdleTimer(socket, session);
  }

  /** Drops the socket when its client is not reading what it was sent; true when it was dropped. */
  dropIfBacklogged(socket: WebSocket): boolean {
    if (socket.bufferedAmount <= this.limits.maxBufferedBytes) return false;
    this.logger.warn({ bufferedBytes: socket.bufferedAmount }, 'WebSocket dropped: its client stopped reading (WS_MAX_BUFFERED_BYTES)');
    this.countClose('backlog');
    socket.terminate();
    return true;
  }

  /** Closes a socket for one of the reasons above, counted. */
  close(socket: WebSocket, refusal: SocketRefusal): void {
    this.countClose(refusal.reason);
    socket.close(refusal.closeCode, refusal.message.slice(0, 120));
  }

  dispose(): void {
    clearInterval(this.recheckTimer);
    for (const session of this.sessions.values()) {
      clearTimeout(session.lifetimeTimer);
      clearTimeout(session.idleTimer);
    }
  }

  private closed(socket: WebSocket): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    this.sessions.delete(socket);
    clearTimeout(session.lifetimeTimer);
    clearTimeout(session.idleTimer);
    if (!session.caller) return;
    const subject = subjectOf(session.caller);
    const open = (this.perSubject.get(subject) ?? 1) - 1;
    if (open > 0) this.perSubject.set(subject, open);
    else this.perSubject.delete(subject);
  }

  private startIdleTimer(socket: WebSocket, session: Session<C>): void {
    clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(
      () => this.close(socket, new SocketRefusal(CLOSE.normal, 'Idle for too long (WS_IDLE_TIMEOUT_SECONDS); reconnect when needed.', 'idle')),
      this.limits.idleTimeoutSeconds * 1000,
    );
    session.idleTimer.unref();
  }

  /** Sockets holding long subscriptions make no new operations: their keys are checked on a timer too. */
  private async recheckAll(): Promise<void> {
    // One lookup per distinct key per round, however many sockets share it.
    const verdicts = new Map<string | undefined, Promise<C>>();
    const once: Authenticate<C> = (authorization) => {
      let verdict = verdicts.get(authorization);
      if (!verdict) verdicts.set(authorization, (verdict = this.authenticate(authorization)));
      return verdict;
    };
    for (const [socket, session] of this.sessions) {
      if (!session.caller) continue;
      await this.recheck(socket, once).catch(() => undefined);
    }
  }

  /** A revoked key is forbidden from now on (4403); a socket opened without a key, now that keys are required, is unauthorized (4401). */
  private refusalFor(caller: CallerIdentity): SocketRefusal {
    return caller.apiKeyId
      ? new SocketRefusal(CLOSE.forbidden, 'The API key of this connection was revoked.', 'revoked')
      : new SocketRefusal(CLOSE.unauthorized, 'This gateway now requires an API key: reconnect with one.', 'unauthorized');
  }
}
