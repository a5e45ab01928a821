import { Command, InvalidArgumentError } from 'commander';
import { GatewayError } from '../platform/errors.js';
import { ApiKeyService } from '../modules/access/api-key.service.js';
import { ApiKeyRepository } from '../modules/access/api-key.repository.js';
import { OPEN_TENANT } from '../modules/access/caller.js';
import { redact } from '../platform/database/database-url.js';
import { withOperatorDatabase } from './operator-database.js';

/** `npm run keys -- create [--tenant NAME] [--admin] | list | revoke ID | open`, against DATABASE_URL (or DATA_DIR's SQLite file). */

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function withKeys<T>(action: (keys: ApiKeyService) => Promise<T>): Promise<T> {
  return withOperatorDatabase(
    (config) => `keys: database ${redact(config.databaseUrl)} (from DATABASE_URL, else DATA_DIR=${config.dataDir})`,
    (db, config) => action(new ApiKeyService(new ApiKeyRepository(db), config.auth)),
  );
}

const program = new Command('keys')
  .description('Manage the gateway’s API keys. Only hashes are stored: a key is shown once.')
  .addHelpText(
    'after',
    `
The keys live in the gateway's database: run this with the same DATABASE_URL, or the
same DATA_DIR (default ./data, so file:./data/gateway.db), as the gateway you manage:
  DATA_DIR=/var/lib/gateway npm run keys -- list
  DATABASE_URL=postgres://db/gateway npm run keys -- create --tenant acme

The first key closes the gateway: requests without a key are refused from then on, even once
every key is revoked or erased, until \`keys open\` (or AUTH_REQUIRED=false).`,
  );

program
  .command('create')
  .description('create a key for a tenant; the key is the last line printed')
  .option('--tenant <name>', `tenant the key acts for (created on first use; default "${OPEN_TENANT}", the tenant of requests without a key)`)
  .option('--label <text>', 'a note to recognise the key by')
  .option('--rpm <n>', 'requests per minute (default RATE_LIMIT_PER_MINUTE)', positiveInt)
  .option('--tokens-per-day <n>', 'upstream model tokens per day (default TOKEN_BUDGET_PER_DAY)', positiveInt)
  .option('--admin', "an admin key: may also read every tenant's usage (Query.usage groupBy TENANT)")
  .action(async (options: { tenant?: string; label?: string; rpm?: number; tokensPerDay?: number; admin?: boolean }) => {
    const tenant = options.tenant ?? OPEN_TENANT;
    if (options.tenant === undefined) {
      // What was uploaded before the first key belongs to the open tenant: a key for it keeps that in view.
      console.log(`no --tenant given: the key acts for tenant "${OPEN_TENANT}", the one requests without a key used, so what was stored without a key stays visible to it.`);
    }
    const { record, key } = await withKeys((keys) =>
      keys.create({ tenant, label: options.label, requestsPerMinute: options.rpm, tokensPerDay: options.tokensPerDay, admin: options.admin === true }),
    );
    const admin = record.admin ? ', admin' : '';
    console.log(`created key ${record.id} for tenant "${record.tenant}"${admin}${record.label ? ` (${record.label})` : ''}. Store it now; it is not shown again:`);
    console.log(key);
  });

program
  .command('list')
  .description('list keys (never the keys themselves)')
  .action(async () => {
    const { rows, required } = await withKeys(async (keys) => ({ rows: await keys.list(), required: await keys.keysRequired() }));
    console.log(required ? 'the gateway is closed: every request needs a key' : `the gateway is open: requests without a key act as tenant "${OPEN_TENANT}"`);
    for (const row of rows) {
      const limits = `rpm=${row.requestsPerMinute ?? 'default'} tokens/day=${row.tokensPerDay ?? 'default'}`;
      const state = `${row.revokedAt ? `revoked ${row.revokedAt.toISOString()}` : 'active'}${row.admin ? ' admin' : ''}`;
      console.log([row.id, row.tenant, `${row.prefix}…`, state, limits, row.label ?? ''].join('\t').trimEnd());
    }
  });

program
  .command('revoke')
  .description('revoke a key by id (effective within seconds)')
  .argument('<id>', 'the key id from `keys list`')
  .action(async (id: string) => {
    const record = await withKeys((keys) => keys.revoke(id));
    console.log(`revoked key ${record.id} of tenant "${record.tenant}"`);
  });

program
  .command('open')
  .description('serve requests without a key again (as tenant "default"), once every key is revoked or deleted')
  .action(async () => {
    await withKeys((keys) => keys.open());
    console.log(`the gateway is open: requests without a key act as tenant "${OPEN_TENANT}" (running gateways follow within KEY_CACHE_SECONDS); creating a key closes it again`);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof GatewayError || error instanceof Error ? `keys: ${error.message}` : 'keys: failed');
  process.exit(1);
});
