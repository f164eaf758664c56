import { API_ROUTES, type ApiError as ApiErrorBody, type EventMessage } from '../../main/api/contract.ts';
import type { DesktopBridge } from '../../common/desktop-bridge.ts';

/**
 * The renderer's one way to the core: the HTTP API with the install's secret, the event WebSocket, and WADO image ids.
 * The secret comes from the desktop shell's preload (window.pacs) or, in a browser, from the login URL's ?token=,
 * which is then kept for the tab only (sessionStorage) and taken out of the address bar.
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
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiError extends Error {
  readonly status: number;
  readonly problems: { line: number; reason: string }[];
  constructor(status: number, body: Partial<ApiErrorBody>) {
    super(body.error ?? `HTTP ${status}`);
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
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (signal?.aborted) throw new Cancelled('Cancelled.');
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
export async function upload<T>(route: string, file: Blob): Promise<T> {
  const res = await fetch(apiBase + route, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/dicom' }, body: file });
  return answer<T>(res);
}

/**
 * A link the browser downloads by itself (an export's ZIP or ISO), so it carries the secret in the URL: a download
 * cannot send a header.
 */
export function exportUrl(params: Record<string, string>): string {
  return `${apiBase}${API_ROUTES.export}?${new URLSearchParams({ ...params, token })}`;
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
    url.searchParams.set('token', token);
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
