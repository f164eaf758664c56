import { useCallback, useEffect, useState } from 'react';
import { ApiError } from './api.ts';

/** Load something from the API, with its error (and its HTTP status), and a way to load it again. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: string; errorStatus: number; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState('');
  const [errorStatus, setErrorStatus] = useState(0);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load().then(
      (d) => {
        if (current) {
          setData(d);
          setError('');
          setErrorStatus(0);
          setLoading(false);
        }
      },
      (e: Error) => {
        if (current) {
          setError(e.message);
          setErrorStatus(e instanceof ApiError ? e.status : 0);
          setLoading(false);
        }
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, errorStatus, loading, reload };
}

/** Run `fn` every `ms` while mounted. */
export function useInterval(fn: () => void, ms: number): void {
  useEffect(() => {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  }, [fn, ms]);
}

/** Asked before the screen changes while a screen has unsaved changes (false: stay). */
let leaveGuard: (() => boolean) | undefined;

/**
 * While `dirty`, leaving the screen (another screen, a reload, closing the tab) asks first with `message`, so unsaved
 * changes are not lost silently.
 */
export function useUnsavedGuard(dirty: boolean, message: string): void {
  useEffect(() => {
    if (!dirty) return;
    const guard = () => confirm(message);
    leaveGuard = guard;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      if (leaveGuard === guard) leaveGuard = undefined;
      window.removeEventListener('beforeunload', warn);
    };
  }, [dirty, message]);
}

/** The current location hash split into parts: #/viewer/1.2.3 -> ['viewer', '1.2.3']. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (e: HashChangeEvent) => {
      // Declined: back to where we were, without a history entry, and the screen stays.
      if (leaveGuard && !leaveGuard()) {
        history.replaceState(null, '', e.oldURL);
        return;
      }
      setRoute(read());
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(...parts: string[]): void {
  location.hash = '#/' + parts.map(encodeURIComponent).join('/');
}
