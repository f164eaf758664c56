import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { makeDoseReport } from '../helpers/report-fixture.ts';
import { screenshot, viewportPixels } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { StorageSopClass } from '../../common/uids.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

const RT_DOSE = StorageSopClass.RtDose;

/**
 * Objects that made the viewer show the wrong thing or nothing (issue 11): an image without a Modality, a study opened
 * straight after another (one patient's image under the other's name), a stack whose images differ in size, a CT dose
 * report, and a 32-bit multi-frame RT Dose. Each is checked on the canvas's pixels, as the user sees them.
 */
describe('viewer traps', () => {
  const ui = uiSuite('viewer-traps');
  let local: TestArchive;
  const A = { study: uid(), name: 'Alpha^Anna' };
  const B = { study: uid(), name: 'Beta^Bert' };
  const C = { study: uid() };
  const D = { study: uid() };
  const state = () => ui.page.locator('[data-testid=viewport-state]');
  const open = async (study: string) => ui.page.goto(await signInUrl(local.server, `#/viewer/${study}`));
  const rendered = async () => {
    await expect.poll(async () => (await viewportPixels(ui.page)).lit).toBeGreaterThan(100);
  };

  beforeAll(async () => {
    local = await startArchive({}, [], 'WORKSTATION');
    const ctSeries = uid();
    const cSeries = uid();
    const images = [
      // A: a CT phantom series and its dose report.
      ...[0, 1, 2].map((i) =>
        makeImage({
          patientId: 'PA',
          patientName: A.name,
          studyUid: A.study,
          seriesUid: ctSeries,
          instanceNumber: i + 1,
          rows: 128,
          columns: 128,
          rescaleIntercept: -1024,
          pixel: phantom(128, 128, i),
        }),
      ),
      makeDoseReport({ studyUid: A.study, patientId: 'PA', patientName: A.name, dlp: '812.5' }),
      // B: a scanned document without Modality: bright left half, dark right half.
      makeImage({
        patientId: 'PB',
        patientName: B.name,
        studyUid: B.study,
        modality: null,
        sopClassUid: StorageSopClass.SecondaryCapture,
        rows: 64,
        columns: 64,
        pixel: (_r, c) => (c < 32 ? 4000 : 0),
      }),
      // C: a 3x3 image, then two 100x100 images, in one series.
      makeImage({
        patientId: 'PC',
        studyUid: C.study,
        seriesUid: cSeries,
        instanceNumber: 1,
        rows: 3,
        columns: 3,
        pixel: (r, c) => ((r + c) % 2 ? 3000 : 500),
      }),
      ...[2, 3].map((n) =>
        makeImage({
          patientId: 'PC',
          studyUid: C.study,
          seriesUid: cSeries,
          instanceNumber: n,
          rows: 100,
          columns: 100,
          pixel: (r, c) => (Math.hypot(r - 50, c - 50) < 30 ? 3000 : 200),
        }),
      ),
      // D: an RT Dose grid, 32-bit unsigned, 3 frames, a dose peak in the middle of each.
      makeImage({
        patientId: 'PD',
        studyUid: D.study,
        sopClassUid: RT_DOSE,
        modality: 'RTDOSE',
        rows: 40,
        columns: 40,
        frames: 3,
        bitsAllocated: 32,
        pixel: (r, c, f) => Math.round(2_000_000 * Math.exp(-((r - 20) ** 2 + (c - 20) ** 2) / (60 + 40 * f))),
        extra: [
          // Doses up to 1 Gy (Dose Grid Scaling 5e-7), 1.25 mm grid planes.
          { tag: 0x3004000e, vr: 'DS', value: '0.0000005' },
          { tag: 0x00180050, vr: 'DS', value: '1.25' },
          { tag: 0x30040004, vr: 'CS', value: 'PHYSICAL' },
          { tag: 0x30040002, vr: 'CS', value: 'GY' },
          { tag: 0x3004000c, vr: 'DS', value: '0\\3\\6' },
          { tag: 0x00280009, vr: 'AT', value: Buffer.from([0x04, 0x30, 0x0c, 0x00]) },
        ],
      }),
    ];
    const sent = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      'WORKSTATION',
      '127.0.0.1',
      String(local.port),
      ...(await writeImages(ui.work, images)),
    ]);
    expect(sent.code).toBe(0);
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('shows an image that has no Modality', async () => {
    await open(B.study);
    await rendered();
    const px = await viewportPixels(ui.page);
    // Bright left, dark right, as the object holds.
    const row = px.grid.slice(8 * 16, 9 * 16);
    expect(Math.min(...row.slice(5, 7))).toBeGreaterThan(150);
    expect(Math.max(...row.slice(9, 11))).toBeLessThan(30);
    expect(await ui.page.locator('.viewport-message').count()).toBe(0);
    await screenshot(ui.page, 'viewer-no-modality');
  });

  it("going from one study straight to another shows only the second study's patient and image", async () => {
    await open(A.study);
    await expect.poll(() => ui.page.locator('.viewport .top-left').textContent()).toContain('Alpha');
    await rendered();
    const a = await viewportPixels(ui.page);
    await open(B.study);
    await expect.poll(() => ui.page.locator('.viewport .top-left').textContent()).toContain('Beta');
    // The canvas shows B's image (bright left half, dark right), not A's phantom.
    await expect
      .poll(async () => {
        const g = (await viewportPixels(ui.page)).grid;
        return g[8 * 16 + 5]! > 150 && g[8 * 16 + 10]! < 30;
      })
      .toBe(true);
    expect((await viewportPixels(ui.page)).grid).not.toEqual(a.grid);
    // B has one series; A's series are not offered.
    await expect.poll(() => ui.page.locator('.series-list .series').count()).toBe(1);
    await expect.poll(() => state().textContent()).toMatch(/Image 1\/1/);
  });

  it('fits each image of a stack whose images differ in size, unless the user zoomed', async () => {
    await open(C.study);
    await rendered();
    await expect.poll(() => state().textContent()).toMatch(/Image 1\/3/);
    await ui.page.locator('.viewport').focus();
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => state().textContent()).toMatch(/Image 2\/3/);
    // The 100x100 disc is seen whole: bright centre, dark border, not one magnified band of pixels.
    await expect
      .poll(async () => {
        const g = (await viewportPixels(ui.page)).grid;
        return g[8 * 16 + 8]! > 150 && g[8 * 16 + 1]! < 60;
      })
      .toBe(true);
    const zoomOf = (text: string) => Number(/Zoom ([\d.]+)/.exec(text)![1]);
    const fitted = zoomOf((await state().textContent())!);
    // Zoomed by the user (right-drag), the next image keeps that zoom.
    const box = (await ui.page.locator('.viewport').boundingBox())!;
    await ui.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await ui.page.mouse.down({ button: 'right' });
    await ui.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 120, { steps: 5 });
    await ui.page.mouse.up({ button: 'right' });
    // The overlay follows the last render of the drag: read it once it has settled.
    let last = NaN;
    await expect
      .poll(async () => {
        const now = zoomOf((await state().textContent())!);
        const same = now === last;
        last = now;
        return same;
      })
      .toBe(true);
    const zoomed = last;
    expect(zoomed).not.toBe(fitted);
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => state().textContent()).toMatch(/Image 3\/3/);
    expect(zoomOf((await state().textContent())!)).toBe(zoomed);
  });

  it('reads a CT dose report as text, and shows its header', async () => {
    await open(A.study);
    // The series strip: the CT series as a picture the core rendered, the report as a report.
    const ctThumb = ui.page.locator('.series-list .series', { hasText: 'CT' }).locator('img.thumb');
    await expect
      .poll(() => ctThumb.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(96);
    await expect
      .poll(() => ui.page.locator('.series-list .series', { hasText: 'SR' }).locator('.report-thumb').count())
      .toBe(1);
    await ui.page.locator('.series-list .series', { hasText: 'SR' }).click();
    const report = ui.page.getByTestId('report');
    await expect.poll(() => report.textContent()).toContain('X-Ray Radiation Dose Report');
    const text = (await report.textContent())!;
    expect(text).toContain('CT Dose Length Product Total: 812.5 mGy.cm');
    expect(text).toContain('Mean CTDIvol: 52.3 mGy');
    expect(text).toContain('Procedure reported: Computed Tomography X-Ray');
    expect(text).toContain('Acquisition Protocol: Head routine');
    expect(text).toContain('COMPLETE');
    // The series' image is not left under the report.
    expect((await viewportPixels(ui.page)).lit).toBe(0);
    await ui.page.getByRole('button', { name: 'Header' }).click();
    await expect
      .poll(() => ui.page.locator('.header-panel').textContent())
      .toContain(StorageSopClass.XRayRadiationDoseSr);
    await ui.page.getByRole('button', { name: 'Header' }).click();
    await screenshot(ui.page, 'viewer-dose-report');
  });

  it('displays a 32-bit multi-frame RT Dose with a usable window', async () => {
    await open(D.study);
    await rendered();
    const text = (await state().textContent())!;
    expect(text).toMatch(/Image 1\/3/);
    expect(text).not.toMatch(/W 0 L 0/);
    // The window in Gy as it is (level 0.5, not rounded to 1), the thickness to the hundredth (1.25 mm, not 1.3).
    expect(text).toMatch(/W 1 L 0\.5\b/);
    expect(text).toContain('Thick 1.25 mm');
    const px = await viewportPixels(ui.page);
    // The dose peak in the middle is bright, the corners dark.
    expect(px.grid[8 * 16 + 8]).toBeGreaterThan(150);
    expect(px.grid[0]).toBeLessThan(30);
    await screenshot(ui.page, 'viewer-rt-dose');
  });

  it('says so when the study is not in this archive, instead of an empty viewer', async () => {
    await open(uid());
    await expect.poll(() => ui.page.getByRole('alert').textContent()).toContain('This study is not in this archive');
    expect(await ui.page.locator('.viewport').count()).toBe(0);
    await ui.page.getByRole('link', { name: 'Back to the studies' }).click();
    await expect.poll(() => ui.page.url()).toMatch(/#\/studies$/);
  });

  it('left no page errors', () => {
    expect(ui.errors).toEqual([]);
  });
});
