import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../app-types.js';
import type { CallerGate } from '../../platform/gateway.js';
import type { Platform } from '../../platform-parts.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyService } from './api-key.service.js';
import { admitCaller } from './authenticate.js';
import type { Caller } from './caller.js';
import { redisLimiters } from './redis-limiters.js';
import { TokenPayer } from './token-payer.js';
import { UsageLimits } from './usage-limits.js';

/** Access: API keys, who the caller is, their per-minute and per-day limits, and whom model work is charged to. */
export async function provideAccess({ db, config, redis, logger }: Platform) {
  const keys = new ApiKeyService(new ApiKeyRepository(db), config.auth);
  const limits = new UsageLimits(redis ? await redisLimiters(redis, logger) : undefined);
  const services = { keys, limits, payer: new TokenPayer(keys, limits) } satisfies Partial<Services>;
  if (!(await keys.keysRequired())) {
    logger.warn(
      config.auth.required === false
        ? 'AUTH_REQUIRED=false: requests without a key are served as tenant "default", whatever keys exist'
        : 'the gateway is open: requests without a key are served as a single tenant ("default"); create a key with `npm run keys -- create` to require keys',
    );
  }
  return {
    services,
    callers: { authenticate: (authorization) => keys.authenticate(authorization), admit: (caller) => limits.admitRequest(caller) } satisfies CallerGate<Caller>,
    /** First on /graphql, before the body is read. */
    admit: (req: IncomingMessage, res: ServerResponse) => admitCaller(services, req, res),
  };
}

export type Access = Awaited<ReturnType<typeof provideAccess>>;
