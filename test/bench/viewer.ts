import path from 'node:path';
import { startArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { compressedFile, TS } from '../helpers/compressed.ts';
import { launchChromium, newTestPage } from '../helpers/browser.ts';
import { out } from './common.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * The viewer in Debian's Chromium against our server: time from opening a study to its first image on the canvas
 * (cold, then warm), the time of each scroll step through a 512x512 CT series once loaded (p50/p95), and the frame
 * rate cine reaches on a 40-frame 640x480 JPEG ultrasound loop that asks for 30 frames a second. Printed, not asserted.
 */
export async function viewerBench(work: string, rounds: number): Promise<void> {
  const archive = await startArchive({}, [], 'BENCHVIEW');
  const browser = await launchChromium();
  try {
    const ct = uid();
    const series = uid();
    const images = Array.from({ length: 60 }, (_, i) =>
      makeImage({
        patientId: 'VIEWBENCH',
        studyUid: ct,
        seriesUid: series,
        instanceNumber: i + 1,
        rows: 512,
        columns: 512,
        rescaleIntercept: -1024,
        pixel: phantom(512, 512, i),
      }),
    );
    const us = uid();
    const loop = makeImage({
      patientId: 'VIEWBENCH',
      studyUid: us,
      modality: 'US',
      sopClassUid: StorageSopClass.UsMultiFrameImage,
      rows: 480,
      columns: 640,
      frames: 40,
      bitsAllocated: 8,
      pixel: (r, c, f) => (Math.hypot(r - 240, c - 320 - 6 * (f - 20)) < 60 ? 230 : 40),
      extra: [{ tag: 0x00181063, vr: 'DS', value: '33.3' }],
    });
    const files = [
      ...(await writeImages(path.join(work, 'viewer'), images)),
      await compressedFile(path.join(work, 'viewer'), loop, TS.jpegBaseline, 480, 640),
    ];
    const sent = await run('storescu', ['-aec', 'BENCHVIEW', '-xy', '127.0.0.1', String(archive.port), ...files]);
    if (sent.code !== 0) throw new Error(`storescu: ${sent.stderr}`);
    const page = await newTestPage(browser, { width: 1280, height: 900 });
    const url = async (study: string) => signInUrl(archive.server, `#/viewer/${study}`);
    const state = page.locator('[data-testid=viewport-state]').first();
    // (test/ is typed without the DOM library: the page's document, as much of it as is used; functions, not strings,
    // since the page's CSP forbids evaluating strings)
    type Doc = {
      querySelector(s: string): { textContent: string | null; getAttribute(a: string): string | null } | null;
    };
    const atIndex = (n: number) =>
      page.waitForFunction(
        (i) =>
          (globalThis as unknown as { document: Doc }).document
            .querySelector('.pane.active .viewport')
            ?.getAttribute('data-image-index') === String(i),
        n,
      );
    const showing = (text: string) =>
      page.waitForFunction(
        (t) =>
          (
            (globalThis as unknown as { document: Doc }).document.querySelector('[data-testid=viewport-state]')
              ?.textContent ?? ''
          ).includes(t),
        text,
      );
    const firstImage: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await page.goto('about:blank');
      const start = performance.now();
      await page.goto(await url(ct));
      await showing('Image 1/60');
      firstImage.push(performance.now() - start);
    }
    // Scroll once through (warming the cache), then time each step back.
    await page.locator('.pane.active .viewport').focus();
    for (let i = 1; i < 60; i++) {
      await page.keyboard.press('ArrowDown');
      await atIndex(i);
    }
    const steps: number[] = [];
    for (let i = 58; i >= 0; i--) {
      const start = performance.now();
      await page.keyboard.press('ArrowUp');
      await atIndex(i);
      steps.push(performance.now() - start);
    }
    steps.sort((a, b) => a - b);
    await page.goto(await url(us));
    await state.waitFor();
    await showing('Image 1/40');
    await page.locator('.pane.active .viewport').focus();
    await page.keyboard.press('Space');
    // Two loops to warm the decoded frames, then the rate the viewer measures itself.
    await new Promise((r) => setTimeout(r, 3000));
    const fps = Number((await page.locator('[data-testid=cine-fps]').textContent())?.replace(/[^\d.]/g, ''));
    out('viewer (Chromium, our server)');
    out(
      `  first image of a 60-image 512x512 CT series: cold ${firstImage[0]!.toFixed(0)} ms, warm ${Math.min(...firstImage.slice(1)).toFixed(0)} ms`,
    );
    out(
      `  scroll step (loaded): p50 ${steps[Math.floor(steps.length / 2)]!.toFixed(1)} ms, p95 ${steps[Math.floor(steps.length * 0.95)]!.toFixed(1)} ms (includes Playwright's round trip)`,
    );
    out(`  cine of a 40-frame 640x480 JPEG US loop asking for 30 fps: ${fps.toFixed(0)} fps reached`);
  } finally {
    await browser.close();
    await archive.stop();
  }
}
