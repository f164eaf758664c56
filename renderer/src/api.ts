import { API_ROUTES, type ApiErrorBody, type EventMessage } from '../../main/api/contract.ts';
import { t, tm } from './i18n.ts';
import type { Message } from '../../common/message.ts';
import type { DesktopBridge } from '../../common/desktop-bridge.ts';

/**
 * The renderer's one way to the core: the HTTP API, the event WebSocket, and WADO image ids. It is signed in one of
 * two ways: the desktop shell's local secret (window.pacs, or in a browser on the archive's computer the link's
 * ?token=, then kept for the tab only and taken out of the address bar), sent as a header; or a user's session, an
 * HttpOnly cookie the login sets, which the browser sends by itself (page script never sees it).
 */


declare global {
  interface Window {
    pacs?: DesktopBridge;
  }
}

const TOKEN_KEY = 'pacs-api-token';

export const apiBase = window.pacs?.apiBase ?? location.origin;

export function initialToken(): string {
  if (window.pacs) return window.pacs.token;
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

let token = initialToken();

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
    super(body.message ? tm(body.message) : body.error ?? `HTTP ${status}`);
    this.status = status;
    this.problems = body.problems ?? [];
  }
}

/** The error of a request the user cancelled (its `signal` aborted); the core stops the DICOM operation behind it. */
export class Cancelled extends Error {}

export async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', route: string, body?: unknown, signal?: AbortSignal): Promise<T> {
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

/** Send a file as the body of a POST (uploads), with the secret; the answer as JSON. */
export async function upload<T>(route: string, file: Blob, contentType = 'application/dicom'): Promise<T> {
  const res = await fetch(apiBase + route, { method: 'POST', headers: { ...authHeaders(), 'content-type': contentType }, body: file });
  return answer<T>(res);
}

/**
 * A link the browser downloads by itself (an export's ZIP or ISO): a signed-in user's cookie goes with it; the desktop's
 * local secret has to be in the URL (a download cannot send a header).
 */
export function exportUrl(params: Record<string, string>): string {
  return `${apiBase}${API_ROUTES.export}?${new URLSearchParams({ ...params, ...(token ? { token } : {}) })}`;
}

export function auditCsvUrl(params: Record<string, string>): string {
  return `${apiBase}${API_ROUTES.auditCsv}?${new URLSearchParams({ ...params, ...(token ? { token } : {}) })}`;
}

/** The cornerstone image id of a stored object: WADO-URI on this API (the loader adds the secret as a header). */
export function wadoImageId(objectUid: string): string {
  return `wadouri:${apiBase}${API_ROUTES.wado}?requestType=WADO&contentType=application%2Fdicom&objectUID=${encodeURIComponent(objectUid)}`;
}

/** Live events; reconnects after a drop. Returns a function that stops listening. */
export function subscribe(onMessage: (m: EventMessage) => void, onConnected: (up: boolean) => void): () => void {
  let socket: WebSocket | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    const url = new URL(API_ROUTES.events, apiBase);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.onopen = () => onConnected(true);
    socket.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)) as EventMessage);
    socket.onclose = () => {
      onConnected(false);
      if (!stopped) timer = setTimeout(connect, 2000);
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
