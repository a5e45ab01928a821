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
  | { page: 'conversation'; id: string }
  | { page: 'usage' }
  /** Anything else: said so, not shown as another page. */
  | { page: 'not-found'; path: string };

const LISTS = ['images', 'jobs', 'answers', 'conversations', 'usage'] as const;
const isList = (part: string | undefined): part is (typeof LISTS)[number] => (LISTS as readonly string[]).includes(part ?? '');

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'images' && parts[1]) return { page: 'image', id: parts[1] };
  if (parts[0] === 'conversations' && parts[1]) return { page: 'conversation', id: parts[1] };
  if (parts.length === 0) return { page: 'images' };
  if (parts.length === 1 && isList(parts[0])) return { page: parts[0] };
  return { page: 'not-found', path: parts.join('/') };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'image':
      return `#/images/${encodeURIComponent(route.id)}`;
    case 'conversation':
      return `#/conversations/${encodeURIComponent(route.id)}`;
    case 'not-found':
      return `#/${route.path.split('/').map(encodeURIComponent).join('/')}`;
    default:
      return `#/${route.page}`;
  }
}

const subscribe = (notify: () => void) => {
  window.addEventListener('hashchange', notify);
  return () => window.removeEventListener('hashchange', notify);
};

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, () => location.hash));
}
