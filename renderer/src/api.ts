import type { ApiErrorBody, EventMessage } from '../../main/api/contract.ts';
import { ENDPOINTS, pathOf, type Endpoint, type RequestOf, type ResponseOf } from '../../main/api/endpoints.ts';
import { t, tm } from './i18n.ts';
import type { Message } from '../../common/message.ts';
import type { DesktopBridge } from '../../common/desktop-bridge.ts';

/**
 * The renderer's one way to the core: the HTTP API, the event WebSocket, and WADO image ids. It is signed in one of
 * two ways: the desktop shell's local secret (window.pacs, or in a browser on the archive's computer the sign-in link's
 * one-time ?signin= code traded for it, then kept for the tab only and taken out of the address bar), sent as a
 * header; or a user's session, an HttpOnly cookie the login sets, which the browser sends by itself (page script never
 * sees it). The secret never goes in a URL: a download link or the WebSocket gets a one-time link token instead.
 */

declare global {
  interface Window {
    pacs?: DesktopBridge;
  }
}

const TOKEN_KEY = 'pacs-api-token';

export const apiBase = window.pacs?.apiBase ?? location.origin;

let token = window.pacs ? window.pacs.token : (sessionStorage.getItem(TOKEN_KEY) ?? '');

/** Why the sign-in link did not sign this page in ('' when there was none, or it did). */
export let signInLinkProblem = '';

/**
 * A sign-in link's code (?signin=, printed at start or by `cli.ts sign-in-link`), taken out of the address bar and
 * traded once for a session of the local administrator (an HttpOnly cookie: the page never holds the secret); the app
 * renders after this.
 */
export const ready: Promise<void> = (async () => {
  const url = new URL(location.href);
  const code = url.searchParams.get('signin');
  if (!code || window.pacs) return;
  url.searchParams.delete('signin');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  try {
    await api(ENDPOINTS.signIn, { body: { code } });
  } catch (e) {
    signInLinkProblem = (e as Error).message;
  }
})();

export function currentToken(): string {
  return token;
}

export function setToken(value: string): void {
  token = value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The local secret as a header, when the page has it; a session's cookie goes by itself. */
export function authHeaders(): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A refused request: why, in the user's language when the core said it as a message (common/message.ts). */
export class ApiError extends Error {
  readonly status: number;
  readonly problems: { line: number; reason: string; message?: Message }[];
  constructor(status: number, body: Partial<ApiErrorBody>) {
    super(body.message ? tm(body.message) : (body.error ?? `HTTP ${status}`));
    this.status = status;
    this.problems = body.problems ?? [];
  }
}

/** The error of a request the user cancelled (its `signal` aborted); the core stops the DICOM operation behind it. */
export class Cancelled extends Error {}

export interface CallOptions<Req> {
  /** The path's :parameters, in order. */
  params?: readonly (string | number)[];
  query?: Record<string, string>;
  body?: Req;
  signal?: AbortSignal;
}

/** Call an endpoint of the API (main/api/endpoints.ts): its body and its answer have the types declared there. */
export function api<E extends Endpoint<unknown, unknown>>(
  endpoint: E,
  options: CallOptions<RequestOf<E>> = {},
): Promise<ResponseOf<E>> {
  return call<ResponseOf<E>>(
    endpoint.method,
    pathOf(endpoint, options.params, options.query),
    options.body,
    options.signal,
  );
}

async function call<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  route: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiBase + route, {
      method,
      headers: { ...authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (signal?.aborted) throw new Cancelled(t('Cancelled.'));
    throw e;
  }
  return answer<T>(res);
}

async function answer<T>(res: Response): Promise<T> {
  const json = await res.json().catch(() => ({ error: `HTTP ${res.status} ${res.statusText}` }));
  if (!res.ok) throw new ApiError(res.status, json as ApiErrorBody);
  return json as T;
}

/** Send a file as the body of an upload endpoint, with the secret; the answer as JSON. */
export async function upload<E extends Endpoint<Blob, unknown>>(
  endpoint: E,
  file: Blob,
  query: Record<string, string>,
  contentType = 'application/dicom',
): Promise<ResponseOf<E>> {
  const res = await fetch(apiBase + pathOf(endpoint, [], query), {
    method: endpoint.method,
    headers: { ...authHeaders(), 'content-type': contentType },
    body: file,
  });
  return answer<ResponseOf<E>>(res);
}

/** A one-time token for one URL that cannot carry a header (a download, the WebSocket) of a page signed in with the secret. */
async function linkToken(route: string): Promise<string> {
  return (await api(ENDPOINTS.linkToken, { body: { path: route } })).token;
}

/**
 * A link the browser downloads by itself (an export's ZIP or ISO, the audit CSV): a signed-in user's cookie goes with
 * `href`; a page signed in with the local secret asks for a one-time link token at the click and follows that.
 */
export function downloadLink(
  endpoint: typeof ENDPOINTS.export | typeof ENDPOINTS.auditCsv | typeof ENDPOINTS.logFile,
  params: Record<string, string>,
): { href: string; onClick: (e: { preventDefault(): void }) => void } {
  const route = endpoint.path;
  const href = `${apiBase}${pathOf(endpoint, [], params)}`;
  return {
    href,
    onClick: (e) => {
      if (!token) return;
      e.preventDefault();
      void linkToken(route).then((once) => {
        const a = document.createElement('a');
        a.href = `${href}&token=${encodeURIComponent(once)}`;
        a.download = '';
        a.click();
      });
    },
  };
}

/** One frame of an object as a JPEG picture, `size` pixels on its longer side (WADO-URI). */
export function objectPicture(objectUid: string, size: number): string {
  return pathOf(ENDPOINTS.wado, [], {
    requestType: 'WADO',
    contentType: 'image/jpeg',
    objectUID: objectUid,
    rows: String(size),
    columns: String(size),
  });
}

/** The cornerstone image id of a stored object: WADO-URI on this API (the loader adds the secret as a header). */
export function wadoImageId(objectUid: string): string {
  return `wadouri:${apiBase}${pathOf(ENDPOINTS.wado, [], { requestType: 'WADO', contentType: 'application/dicom', objectUID: objectUid })}`;
}

/** Live events; reconnects after a drop. Returns a function that stops listening. */
export function subscribe(onMessage: (m: EventMessage) => void, onConnected: (up: boolean) => void): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = async () => {
    const url = new URL(ENDPOINTS.events.path, apiBase);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) {
      try {
        url.searchParams.set('token', await linkToken(ENDPOINTS.events.path));
      } catch {
        onConnected(false);
        if (!stopped) timer = setTimeout(() => void connect(), 2000);
        return;
      }
    }
    if (stopped) return;
    socket = new WebSocket(url);
    socket.onopen = () => onConnected(true);
    socket.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)) as EventMessage);
    socket.onclose = () => {
      onConnected(false);
      if (!stopped) timer = setTimeout(() => void connect(), 2000);
    };
  };
  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
