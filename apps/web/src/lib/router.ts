import { useEffect, useSyncExternalStore } from 'react';

/** A small history router: the app has a handful of screens and needs nothing more. */
const subscribe = (l: () => void): (() => void) => {
  window.addEventListener('popstate', l);
  window.addEventListener('caucus:navigate', l);
  return () => {
    window.removeEventListener('popstate', l);
    window.removeEventListener('caucus:navigate', l);
  };
};
const snapshot = (): string => location.pathname + location.search;

export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, 'http://x');
  return { path: url.pathname, query: url.searchParams };
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event('caucus:navigate'));
}

/**
 * Reads a one-time token from the URL fragment and removes it from the address bar
 * and history at once, so it stays out of history, screenshots and shoulder-surfing.
 */
export function takeFragmentToken(): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]{16,200})/.exec(location.hash);
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return m?.[1] ?? null;
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title;
  }, [title]);
}
