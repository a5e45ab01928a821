import { GatewayError } from '../errors.js';

/**
 * A write that failed because the disk is full, over quota or failing is the
 * server's fault, never the client's: it answers STORAGE_FULL (HTTP 507), and
 * the operator hears of it through a StorageMonitor. These errno codes say so;
 * a client's truncated or malformed body never carries one.
 */
const DISK_FAULT_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO']);

/** The errno code (ENOSPC, EDQUOT, EIO) of a disk fault anywhere in the error's cause chain, or undefined. */
export function diskFaultCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FAULT_CODES.has(code)) return code;
  }
  return undefined;
}

export function storageFull(cause: unknown): GatewayError {
  return new GatewayError(
    'STORAGE_FULL',
    `The gateway could not store the upload: its storage is full or failing (${diskFaultCode(cause) ?? 'write failed'}). Nothing was stored; send it again later. The operator must free space under DATA_DIR.`,
    { cause, retryable: true },
  );
}
