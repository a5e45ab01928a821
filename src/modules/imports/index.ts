/**
 * Server-side fetch for `importImage(url)`, SSRF-safe: http(s) only, no
 * credentials, every connected address publicly routable unless the host is
 * operator-allowed (IMPORT_ALLOWED_HOSTS), checked at connect time (DNS
 * rebinding safe), redirects re-checked per hop, one deadline and a byte cap.
 */
export { openRemoteImage, type RemoteImage, type UrlImportOptions } from './safe-fetch.js';
export { guardedLookup, systemResolver, type HostResolver } from './guarded-lookup.js';
export { guardedRequest, connectionFailure } from './guarded-request.js';
export { hostOf, isAllowedHost, originOf, parseAllowedHost, parseHttpUrl, parseImportUrl } from './import-url.js';
export { isPublicAddress, nonPublicRange } from './safe-address.js';
