import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/**
 * Signals that fire when the client an operation works for has gone: an HTTP
 * response closed before it was finished, or a WebSocket closed. Model work
 * done only for that client can then stop waiting upstream (and stop paying).
 */

const GONE = 'the client closed the connection';

/** A signal, or how to make it when it is first needed. */
export type LazySignal = AbortSignal | (() => AbortSignal);

export const signalOf = (source: LazySignal | undefined): AbortSignal | undefined => (typeof source === 'function' ? source() : source);

/**
 * Aborts when `res` closes before the answer was fully written. The signal is
 * made when first asked for, aborted already if the client left before: most
 * operations never ask (a cached answer has no upstream call to stop), and
 * making one for each request was 1.4% of a cached answer's CPU.
 */
export function responseGone(res: ServerResponse): () => AbortSignal {
  let controller: AbortController | undefined;
  let goneBeforeAsked = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    if (controller) controller.abort(new Error(GONE));
    else goneBeforeAsked = true;
  });
  return () => {
    if (!controller) {
      controller = new AbortController();
      if (goneBeforeAsked) controller.abort(new Error(GONE));
    }
    return controller.signal;
  };
}

const socketSignals = new WeakMap<WebSocket, AbortSignal>();

/** Aborts when the socket closes; one signal (and one listener) per socket, however many operations it runs. */
export function socketGone(socket: WebSocket): AbortSignal {
  let signal = socketSignals.get(socket);
  if (!signal) {
    const controller = new AbortController();
    socket.once('close', () => controller.abort(new Error(GONE)));
    signal = controller.signal;
    socketSignals.set(socket, signal);
  }
  return signal;
}
