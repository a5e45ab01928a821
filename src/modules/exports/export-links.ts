import { GatewayError } from '../../platform/errors.js';
import type { GrantCheck, UrlSigner } from '../images/url-signing.js';
import { canonicalParams, type ExportRequest } from './export-query.js';

/**
 * Signed, expiring export links (GraphQL exportUrl), for a browser's download
 * button, which cannot send an Authorization header. The link names whose
 * export it is (`as`: tenant and key) and what (kind, format, the filter in
 * canonical order); the HMAC covers all of it and the expiry, with the image
 * URLs' secret and lifetime (URL_SIGNING_SECRET, IMAGE_URL_TTL_SECONDS).
 * Changing any parameter voids it. The signature alone is not enough: the
 * route asks again whether the key is still valid (ApiKeyService.callerForLink),
 * so revoking it, or erasing its tenant, ends its links at once.
 */

/** Who a link was minted for. */
export interface LinkOwner {
  tenant: string;
  apiKeyId: string | null;
}

const REFUSALS: Record<Exclude<GrantCheck, 'valid'>, string> = {
  expired: 'This export link has expired: ask exportUrl for a new one.',
  invalid: 'This export link is not valid (altered or not minted here).',
  'beyond-ttl': 'This export link expires later than IMAGE_URL_TTL_SECONDS allows: ask exportUrl for a new one.',
};

const variantOf = (request: ExportRequest) => `export:${request.kind}.${request.format}?${canonicalParams(request.params)}`;

export class ExportLinks {
  constructor(private readonly signer: UrlSigner) {}

  /** `baseUrl`: OperationContext.baseUrl (PUBLIC_URL, an admitted request origin, or '' for relative links). */
  mint(baseUrl: string, owner: LinkOwner, request: ExportRequest): string {
    const as = Buffer.from(JSON.stringify([owner.tenant, owner.apiKeyId])).toString('base64url');
    const { expires, signature } = this.signer.grant(as, variantOf(request));
    const query = new URLSearchParams([...new URLSearchParams(canonicalParams(request.params)), ['as', as], ['exp', String(expires)], ['sig', signature]]);
    return `${baseUrl}/export/${request.kind}.${request.format}?${query}`;
  }

  /** Whether these query parameters are a signed link's (rather than a keyed request's). Its own parameters, as, exp and sig, are no filter's names. */
  static isLink(query: Record<string, string>): boolean {
    return 'sig' in query;
  }

  /**
   * The owner of a signed link and the export it grants (its filter, the link's
   * own parameters taken out); FORBIDDEN when the signature is wrong or expired.
   */
  verify(kind: ExportRequest['kind'], format: ExportRequest['format'], query: Record<string, string>): { owner: LinkOwner; request: ExportRequest } {
    const { as = '', exp = '', sig = '', ...params } = query;
    const request = { kind, format, params };
    const expires = /^\d{1,12}$/.test(exp) ? Number(exp) : -1;
    const check = this.signer.check({ imageId: as, variant: variantOf(request), expires }, sig);
    if (check !== 'valid') throw new GatewayError('FORBIDDEN', REFUSALS[check]);
    const [tenant, apiKeyId] = JSON.parse(Buffer.from(as, 'base64url').toString('utf8')) as [string, string | null];
    return { owner: { tenant, apiKeyId }, request };
  }
}
