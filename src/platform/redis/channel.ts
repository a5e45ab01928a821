import type { Redis } from 'ioredis';
import type { RedisConnections } from './connection.js';

/**
 * One Redis pub/sub channel under the gateway's prefix: every replica that
 * listens receives every message, its own included, in the order each
 * publisher sent them. Messages published while a replica is disconnected are
 * lost to it (pub/sub keeps nothing), so `onReconnect` tells the owner to
 * catch up from the database.
 */
export class RedisChannel {
  private readonly name: string;
  private subscriber: Redis | undefined;
  private listening: Promise<void> | undefined;
  private connectedOnce = false;

  constructor(
    private readonly connections: RedisConnections,
    channel: string,
    private readonly onMessage: (message: string) => void,
    private readonly onReconnect?: () => void,
  ) {
    this.name = connections.key(channel);
  }

  /** Subscribes (once); resolves when Redis confirmed the subscription, so nothing published after it is missed. */
  listen(): Promise<void> {
    if (this.listening) return this.listening;
    const subscriber = this.connections.open(`channel ${this.name}`, 'subscriber');
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.name) this.onMessage(message);
    });
    // ioredis re-subscribes after a reconnect; what was published in between is gone. Catch up once subscribed
    // again (a repeated SUBSCRIBE is harmless, and its reply says when).
    subscriber.on('ready', () => {
      if (this.connectedOnce) void subscriber.subscribe(this.name).then(() => this.onReconnect?.(), () => undefined);
      this.connectedOnce = true;
    });
    this.listening = subscriber.subscribe(this.name).then(() => undefined);
    return this.listening;
  }

  /** Publishes on the shared commands connection; rejects while Redis is down. */
  async publish(message: string): Promise<void> {
    await this.connections.commands.publish(this.name, message);
  }
}
