import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built renderer (renderer/dist, made by `vite build`), served to browsers and to the desktop window from the API's
 * origin. The files are not secret (the data is: the API asks for the secret); only files under the build folder are
 * served. The page gets a strict Content-Security-Policy: scripts and workers from this origin only (no inline
 * script, no eval, nothing remote), connections to this origin only (API, WebSocket, WADO). The image decoders run in
 * a worker with a policy of its own (WORKER_POLICY).
 */

export const UI_ROOT = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  // Only workers from this origin: the image loader then starts its decoder from our file, under WORKER_POLICY.
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The decoder worker's own policy (a worker started from a URL runs under the policy of its response): the
 * WebAssembly codecs compile ('wasm-unsafe-eval'), load their modules embedded as data: URLs, and their
 * Emscripten/embind glue for CharLS (JPEG-LS) and OpenJPEG (JPEG 2000) builds functions with `new Function`
 * ('unsafe-eval'). The worker reaches nothing else: it gets the image bytes from the page.
 */
export const WORKER_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
  'connect-src data:',
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

function notBuilt(res: http.ServerResponse): true {
  const body = 'The UI is not built: run `npm run build:ui` (npm run serve does it first).\n';
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return true;
}

/** The build's files by their exact relative names ("/assets/x.js"), read once per root and again after a miss (at most every 5 s). */
const buildFiles = new Map<string, { files: Set<string>; at: number }>();

async function listFiles(root: string, dir = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out;
}

async function exactName(root: string, relative: string): Promise<boolean> {
  const known = buildFiles.get(root);
  if (known?.files.has(relative)) return true;
  if (known && Date.now() - known.at < 5000) return false;
  const files = new Set(await listFiles(root));
  buildFiles.set(root, { files, at: Date.now() });
  return files.has(relative);
}

/** Serve GET `pathname` from the UI build; false when it names no file there (the caller answers 404). */
export async function serveUi(pathname: string, res: http.ServerResponse, root = UI_ROOT): Promise<boolean> {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    return false;
  }
  const file = path.resolve(root, '.' + relative);
  if (!file.startsWith(root) || relative.includes('\0')) return false;
  // Only the build's exact names: on a case-insensitive file system (Windows, macOS) /INDEX.HTML would otherwise be the
  // page, served as an unknown type without its Content-Security-Policy.
  if (!(await exactName(root, relative))) return pathname === '/' || pathname === '/index.html' ? notBuilt(res) : false;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return pathname === '/' || pathname === '/index.html' ? notBuilt(res) : false;
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const headers: http.OutgoingHttpHeaders = {
    'content-type': type,
    'content-length': info.size,
    'x-content-type-options': 'nosniff',
    // Vite names assets by content hash: they never change; the page and the decoder worker (a fixed name) are always
    // fetched anew.
    'cache-control':
      relative.startsWith('/assets/') && !relative.endsWith('.worker.js')
        ? 'public, max-age=31536000, immutable'
        : 'no-store',
  };
  if (relative.endsWith('.worker.js')) headers['content-security-policy'] = WORKER_POLICY;
  if (type.startsWith('text/html')) {
    headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    headers['referrer-policy'] = 'no-referrer';
  }
  res.writeHead(200, headers);
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    stream.on('end', () => resolve());
    stream.pipe(res);
  });
  return true;
}
