import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../api/client.ts';

/** Re-renders every `ms` milliseconds (clocks, countdowns, "12 min" waits). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const h = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(h);
  }, [ms]);
  return now;
}

export type Loadable<T> = { status: 'loading' } | { status: 'ok'; data: T } | { status: 'error'; message: string };

/** Loads data once (and again on `reload`), with errors already in the user's words. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loadable<T>, () => void] {
  const [state, setState] = useState<Loadable<T>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    run().then(
      (data) => live && setState({ status: 'ok', data }),
      (err: unknown) => live && setState({ status: 'error', message: describeError(err) }),
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return [state, () => setTick((n) => n + 1)];
}

/** Runs an action with a busy flag and an error message for the screen. */
export function useAction(): { busy: boolean; error: string | null; run: (fn: () => Promise<void>) => Promise<void>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      if (mounted.current) setError(describeError(err));
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
