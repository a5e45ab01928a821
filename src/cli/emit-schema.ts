import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { buildGatewaySchema } from '../modules/index.js';
import { printGatewaySchema } from '../platform/graphql/schema.js';

/** Writes the SDL the code builds to schema/schema.graphql (committed; a test keeps them equal). */
const SCHEMA_FILE = new URL('../../schema/schema.graphql', import.meta.url);

async function main(): Promise<void> {
  await writeFile(SCHEMA_FILE, printGatewaySchema(await buildGatewaySchema()));
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}

await main();
