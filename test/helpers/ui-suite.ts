import { afterAll, afterEach, beforeAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchChromium, newTestPage, screenshotIfFailed } from './browser.ts';

/** What an end-to-end suite shares: Chromium, its page and the errors the page reported, a work folder. */
export interface UiSuite {
  readonly browser: Browser;
  /** The suite's first page. */
  readonly page: Page;
  /** Everything the first page reported as an error (console, uncaught, CSP). */
  readonly errors: string[];
  /** A folder for the suite's files, removed after it. */
  readonly work: string;
  /** Another page (another user's browser); the newest page is the one screenshotted when a test fails. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * The preamble of every end-to-end suite, once: Chromium launched before the tests (its page at `viewport`, dialogs
 * accepted when `acceptDialogs`), page errors collected, a screenshot of the newest page when a test fails, and the
 * browser closed and the work folder removed after. Call it in the `describe` before the suite's own hooks; start and
 * stop the suite's archives there as usual.
 */
export function uiSuite(
  name: string,
  options: { viewport?: { width: number; height: number }; acceptDialogs?: boolean } = {},
): UiSuite {
  let browser: Browser | undefined;
  let work = '';
  const pages: Page[] = [];
  const errors: string[] = [];
  const open = async (viewport = options.viewport) => {
    const page = await newTestPage(browser!, viewport);
    if (options.acceptDialogs) page.on('dialog', (d) => void d.accept());
    pages.push(page);
    return page;
  };
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), `pacs-${name}-`));
    browser = await launchChromium();
    collectPageErrors(await open(), errors);
  }, 60_000);
  afterEach((ctx) => screenshotIfFailed(pages.at(-1), ctx));
  afterAll(async () => {
    await browser?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is made in the suite's beforeAll`);
    return value;
  };
  return {
    get browser() {
      return started(browser, 'the browser');
    },
    get page() {
      return started(pages[0], 'the page');
    },
    errors,
    get work() {
      return work || started<string>(undefined, 'the work folder');
    },
    newPage: (viewport) => open(viewport),
  };
}
