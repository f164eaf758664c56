import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { launchChromium, screenshot, screenshotIfFailed } from '../helpers/browser.ts';
import { freePort } from '../helpers/storescp.ts';
import { CS } from '../../renderer/src/i18n/cs.ts';
import { DE } from '../../renderer/src/i18n/de.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * The UI in Czech and German (issue 18): every screen walked in each language with nothing left in English — no string
 * the catalog lacks (the UI lists them), no English UI sentence on screen — dates as each language writes them, the
 * Settings screen in plain words with yes/no switches and the dicom.ini key beside, the choice remembered, and the
 * system's language taken until one is chosen.
 */

const SCREENS = ['monitor', 'studies', 'query', 'worklist', 'nodes', 'settings', 'automation', 'users', 'audit'];
/** English words that no Czech or German UI text contains, but English sentences do. */
const ENGLISH = /\b(the|and|with|this|that|from|are|you|your|has|have|will|not|of)\b/i;

describe.each([
  {
    lang: 'cs',
    catalog: CS,
    studies: 'Studie',
    date: '25. 11. 2026',
    dicomPort: 'Port DICOM',
    yes: 'ano',
    settings: 'Nastavení',
  },
  {
    lang: 'de',
    catalog: DE,
    studies: 'Studien',
    date: '25.11.2026',
    dicomPort: 'DICOM-Port',
    yes: 'ja',
    settings: 'Einstellungen',
  },
])('the UI in $lang', ({ lang, catalog, studies, date, dicomPort, yes, settings }) => {
  let archive: TestArchive;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let work: string;
  const study = uid();
  let deadPort = 0;
  const base = () => `http://127.0.0.1:${archive.server.api!.port}`;

  beforeAll(async () => {
    deadPort = await freePort();
    archive = await startArchive({ MaximumExportRetries: '0' }, [], 'WORKSTATION');
    work = await mkdtemp(path.join(tmpdir(), `pacs-${lang}-`));
    const files = await writeImages(work, [
      makeImage({ patientId: 'LANG1', patientName: 'Jazyk^Jan', studyUid: study, studyDate: '20261125' }),
    ]);
    expect((await run('storescu', ['-aec', 'WORKSTATION', '127.0.0.1', String(archive.port), ...files])).code).toBe(0);
    browser = await launchChromium();
    // The system's language is this one: the UI takes it until the user chooses.
    context = await browser.newContext({
      locale: lang === 'cs' ? 'cs-CZ' : 'de-DE',
      viewport: { width: 1400, height: 900 },
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', (d) => void d.dismiss());
  });
  afterEach((ctx) => screenshotIfFailed(page, ctx));
  afterAll(async () => {
    await browser?.close();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** Text on screen (and in titles, labels, placeholders) that is an English UI string or reads as English. */
  const english = async () => {
    const texts = (await page.evaluate(`(() => {
      const out = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) if (!n.parentElement.closest('code, .dicom-header, .ini-text, textarea, option[value=en]')) out.push(n.textContent.trim());
      for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) for (const a of ['title', 'aria-label', 'placeholder']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
      return out.filter((t) => /[A-Za-z]{3}/.test(t));
    })()`)) as string[];
    const translations = new Set(Object.values(catalog));
    return texts.filter(
      (text) =>
        (catalog[text] !== undefined && catalog[text] !== text && !translations.has(text)) || ENGLISH.test(text),
    );
  };
  const missing = () => page.evaluate('[...window.pacsI18n.missing]') as Promise<string[]>;

  it("takes the system's language, and shows every screen without an English string", async () => {
    await page.goto(await signInUrl(archive.server, '#/studies'));
    await page.getByRole('link', { name: studies, exact: true }).waitFor();
    await page.locator(`tr[data-study="${study}"]`).waitFor();
    expect(await page.locator(`tr[data-study="${study}"]`).textContent()).toContain(date);
    // The row's menus, open: what they hold is in the language too.
    for (const menu of ['Send', 'More']) {
      await page
        .locator(`tr[data-study="${study}"]`)
        .getByRole('button', { name: catalog[menu]!, exact: true })
        .click();
      expect(await english(), `${menu} menu in ${lang}`).toEqual([]);
      await page.keyboard.press('Escape');
    }
    for (const screen of SCREENS) {
      await page.goto(`${base()}/#/${screen}`);
      await page.locator('main.screen .panel, main.screen section').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await english(), `${screen} in ${lang}`).toEqual([]);
    }
    await page.goto(`${base()}/#/viewer/${study}`);
    await page.locator('[data-testid=viewport-state]').first().waitFor();
    await page.getByRole('button', { name: catalog['Keys']! }).click();
    await page.waitForLoadState('networkidle');
    expect(await english(), `viewer in ${lang}`).toEqual([]);
    for (const menu of ['Measure', 'Presets']) {
      await page.getByRole('button', { name: catalog[menu]!, exact: true }).click();
      expect(await english(), `${menu} menu in ${lang}`).toEqual([]);
      await page.keyboard.press('Escape');
    }
    expect(await missing()).toEqual([]);
    await screenshot(page, `viewer-${lang}`);
  });

  it('shows the settings in plain words with the dicom.ini key beside them, and yes/no switches', async () => {
    await page.goto(`${base()}/#/settings`);
    const port = page.locator('label[data-key=TCPPort] .label');
    await expect.poll(() => port.textContent()).toBe(`${dicomPort} TCPPort`);
    await page.locator('label[data-key=DurableWrites]').getByRole('radio', { name: yes }).waitFor();
    expect(await page.locator('label[data-key=DurableWrites]').getByRole('radio', { name: yes }).isChecked()).toBe(
      true,
    );
    expect(await missing()).toEqual([]);
    await screenshot(page, `settings-${lang}`);
  });

  it('says what goes wrong in the language too: a refused setting, a node that does not answer, a failed job, a plural', async () => {
    // A setting refused by the core, with its line and reason.
    await page.goto(`${base()}/#/settings`);
    const port = page.locator('label[data-key=TCPPort] input');
    await port.fill('eleven');
    await page.locator('.settings-bar .form-actions button.primary').click();
    const problem = page.locator('.problems li').first();
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(
      lang === 'cs'
        ? /TCPPort: „eleven“ není celé číslo od 0 do 65535/
        : /TCPPort: „eleven“ ist keine ganze Zahl von 0 bis 65535/,
    );
    await page.locator('.settings-bar .form-actions button').nth(1).click();

    // A node that is not there: its echo, and a send to it that fails.
    await page.goto(`${base()}/#/nodes`);
    await page.fill('input[name=ae]', 'GONE');
    await page.fill('input[name=host]', '127.0.0.1');
    await page.fill('input[name=port]', String(deadPort));
    await page.locator('form.node-form button[type=submit]').first().click();
    const row = page.locator('tr[data-ae=GONE]');
    await row.locator('td.row-actions button').first().click();
    await expect
      .poll(() => row.locator('.echo-result .error').textContent())
      .toMatch(
        lang === 'cs'
          ? /^nelze se připojit k GONE na 127\.0\.0\.1:\d+: na 127\.0\.0\.1:\d+ nic nenaslouchá \(spojení odmítnuto\)$/
          : /^keine Verbindung zu GONE unter 127\.0\.0\.1:\d+: auf 127\.0\.0\.1:\d+ lauscht nichts \(Verbindung abgelehnt\)$/,
      );
    await archive.server.transfers.send('GONE', 'STUDY', study);
    await archive.server.transfers.queue.idle();
    await page.goto(`${base()}/#/monitor`);
    const failed = page.locator('table.jobs tr.job-failed .error-cell').first();
    await expect
      .poll(() => failed.textContent())
      .toMatch(lang === 'cs' ? /^nelze se připojit k GONE/ : /^keine Verbindung zu GONE/);
    await page.waitForLoadState('networkidle');
    expect(await english(), `monitor with errors in ${lang}`).toEqual([]);
    expect(await missing()).toEqual([]);

    // Plurals by the language's rules: the study list counts one image.
    await page.goto(`${base()}/#/studies`);
    const oneImage = page.locator(`tr[data-study="${study}"]`);
    await oneImage.waitFor();
    expect(await page.locator('.pager, .export-result').count()).toBe(0);
    expect(await english(), `studies in ${lang}`).toEqual([]);
  });

  it('keeps the language chosen in the top bar', async () => {
    await page.getByRole('combobox', { name: catalog['Language']! }).selectOption('en');
    await page.getByRole('link', { name: 'Settings', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Settings', exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Language' }).selectOption(lang);
    await page.getByRole('link', { name: settings, exact: true }).waitFor();
  });
});
