/**
 * Where B2's time goes inside a server process that calls the endpoint (the
 * gateway, the bare proxy): loaded with `--import` after tsx's loader, it
 * listens on Node's own diagnostics channels for a request's arrival, the
 * upstream request's creation, the end of the upstream reply and the
 * response's finish, and keeps, per request that made one upstream call, the
 * time before the call and the time after the reply. B2 sends one request at
 * a time, so "the request being served" is the last POST to arrive; a request
 * that finishes without an upstream reply (B1's cached answers) is not kept.
 *
 * On SIGUSR2 it writes the medians so far to HOP_TIMELINE_FILE (JSON, via a
 * rename, so a reader never sees half a file): the benchmark reads them
 * without the server having a route for it. The server's own code is not
 * touched; each mark costs a channel message, a few microseconds.
 */
import { subscribe } from 'node:diagnostics_channel';
import { renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/** Medians over the kept requests, in milliseconds. */
export interface HopTimeline {
  requests: number;
  /** Arrival of the request to the creation of its upstream request: parsing, checks, building the call. */
  beforeCallP50Ms: number;
  /** End of the upstream reply to the response's finish: reading the reply, storing, answering. */
  afterReplyP50Ms: number;
  /** The two added, per request: the time the process itself adds. */
  inProcessP50Ms: number;
}

interface Marks {
  request: IncomingMessage;
  arrived: number;
  sent?: number;
  replied?: number;
  /** More than one upstream request: not a B2 request, not kept. */
  several?: boolean;
}

const kept: Array<{ beforeCall: number; afterReply: number }> = [];
let current: Marks | null = null;

subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: IncomingMessage };
  // B2 POSTs; a readiness probe's GET (the bare proxy forwards it upstream too) is not one of them.
  current = request.method === 'POST' ? { request, arrived: performance.now() } : null;
});
subscribe('undici:request:create', () => {
  if (!current) return;
  if (current.sent === undefined) current.sent = performance.now();
  else current.several = true;
});
subscribe('undici:request:trailers', () => {
  if (current?.sent !== undefined) current.replied = performance.now();
});
subscribe('http.server.response.finish', (message) => {
  if (!current || (message as { request: IncomingMessage }).request !== current.request) return;
  const { arrived, sent, replied, several } = current;
  current = null;
  if (sent !== undefined && replied !== undefined && !several) kept.push({ beforeCall: sent - arrived, afterReply: performance.now() - replied });
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : Math.round(sorted[Math.floor(sorted.length / 2)]! * 1000) / 1000;
};

process.on('SIGUSR2', () => {
  const file = process.env.HOP_TIMELINE_FILE;
  if (!file) return;
  const timeline: HopTimeline = {
    requests: kept.length,
    beforeCallP50Ms: median(kept.map((k) => k.beforeCall)),
    afterReplyP50Ms: median(kept.map((k) => k.afterReply)),
    inProcessP50Ms: median(kept.map((k) => k.beforeCall + k.afterReply)),
  };
  writeFileSync(`${file}.partial`, JSON.stringify(timeline));
  renameSync(`${file}.partial`, file);
});
