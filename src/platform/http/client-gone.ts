import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/**
 * Signals that fire when the client an operation works for has gone: an HTTP
 * response closed before it was finished, or a WebSocket closed. Model work
 * done only for that client can then stop waiting upstream (and stop paying).
 */

const GONE = 'the client closed the connection';

/** Aborts when `res` closes before the answer was fully written. */
export function responseGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error(GONE));
  });
  return controller.signal;
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
