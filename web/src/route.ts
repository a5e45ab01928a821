import { useSyncExternalStore } from 'react';

/**
 * Pages live in the URL fragment (#/images/ID), so the gateway serves one
 * page at `/` and no console path can collide with its own routes.
 */
export type Route =
  | { page: 'images' }
  | { page: 'image'; id: string }
  | { page: 'jobs' }
  | { page: 'answers' }
  | { page: 'conversations' }
  | { page: 'conversation'; id: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'images' && parts[1]) return { page: 'image', id: parts[1] };
  if (parts[0] === 'conversations' && parts[1]) return { page: 'conversation', id: parts[1] };
  if (parts[0] === 'jobs' || parts[0] === 'answers' || parts[0] === 'conversations') return { page: parts[0] };
  return { page: 'images' };
}

export const hrefOf = (route: Route): string =>
  route.page === 'image' ? `#/images/${encodeURIComponent(route.id)}` : route.page === 'conversation' ? `#/conversations/${encodeURIComponent(route.id)}` : `#/${route.page}`;

const subscribe = (notify: () => void) => {
  window.addEventListener('hashchange', notify);
  return () => window.removeEventListener('hashchange', notify);
};

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, () => location.hash));
}
