import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, for the UI's end-to-end tests. The flags keep it off the network
 * (this machine's network is closed) and out of the sandbox (CI runs as root). A missing browser fails the test: the
 * CI script installs it.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A page as the UI tests use it: a desktop-sized viewport, and 15 s for each step on a loaded 2-core machine. */
export async function newTestPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(15_000);
  return page;
}

/** For afterEach: what the page showed when a test failed, for whoever reads the failure. */
export async function screenshotIfFailed(
  page: Page | undefined,
  ctx: { task: { name: string; result?: { state?: string } } },
): Promise<void> {
  if (ctx.task.result?.state === 'fail' && page)
    await screenshot(page, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
}

/** Everything the page reports as an error (console errors, uncaught exceptions, CSP violations), into `errors`, to assert on. */
export function collectPageErrors(page: Page, errors: string[] = []): string[] {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // An object logged is described by its message or its first few hundred characters of JSON.
    const describe = (o: unknown) => {
      if (o instanceof Error) return o.message;
      if (typeof o !== 'object' || o === null) return String(o);
      try {
        return JSON.stringify(o, (_k, v: unknown) =>
          typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype
            ? String(v)
            : v,
        ).slice(0, 300);
      } catch {
        return String(o);
      }
    };
    const where = m.location();
    errors.push(`${m.text()} at ${where.url}:${where.lineNumber}`);
    const at = errors.length - 1;
    void Promise.all(m.args().map((a) => a.evaluate(describe).catch(() => ''))).then((parts) => {
      if (parts.join('')) errors[at] = `${parts.join(' ')} at ${where.url}:${where.lineNumber}`;
    });
  });
  page.on('pageerror', (e) =>
    errors.push(`${e.message} ${(e.stack ?? '').split('\n').slice(0, 3).join(' | ')}`.trim()),
  );
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/** Statistics of the viewport canvas's pixels (RGBA), read in the page: what the user sees, not the DOM. */
export interface CanvasPixels {
  /** 64 x 64 samples. */
  fine: number[];
  width: number;
  height: number;
  /** Mean gray level (0-255) and how many pixels are not black. */
  mean: number;
  lit: number;
  /** Gray levels of a 16 x 16 grid over the canvas, to compare renderings. */
  grid: number[];
  /** The same grid's red, green and blue, three numbers a point, to compare colour renderings. */
  colour: number[];
}

export async function viewportPixels(page: Page): Promise<CanvasPixels> {
  return page
    .locator('.viewport canvas')
    .first()
    .evaluate((node) => {
      // (test/ is typed without the DOM library: the canvas, as much of it as is used here)
      const canvas = node as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const { width, height } = canvas;
      const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
      let sum = 0;
      let lit = 0;
      for (let i = 0; i < data.length; i += 4) {
        const g = (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
        sum += g;
        if (g > 8) lit++;
      }
      const grid: number[] = [];
      const colour: number[] = [];
      for (let gy = 0; gy < 16; gy++) {
        for (let gx = 0; gx < 16; gx++) {
          const x = Math.floor(((gx + 0.5) * width) / 16);
          const y = Math.floor(((gy + 0.5) * height) / 16);
          const i = (y * width + x) * 4;
          grid.push(Math.round((data[i]! + data[i + 1]! + data[i + 2]!) / 3));
          colour.push(data[i]!, data[i + 1]!, data[i + 2]!);
        }
      }
      // A finer grid, for changes smaller than a 16x16 grid's cells (a spot that moves between frames).
      const fine: number[] = [];
      for (let gy = 0; gy < 64; gy++) {
        for (let gx = 0; gx < 64; gx++) {
          const i = (Math.floor(((gy + 0.5) * height) / 64) * width + Math.floor(((gx + 0.5) * width) / 64)) * 4;
          fine.push(Math.round((data[i]! + data[i + 1]! + data[i + 2]!) / 3));
        }
      }
      return { width, height, mean: sum / (width * height), lit, grid, colour, fine };
    });
}
