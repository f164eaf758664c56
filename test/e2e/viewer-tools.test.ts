import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages, type Element } from '../helpers/fixtures.ts';
import { compressedFile, TS } from '../helpers/compressed.ts';
import { screenshot, viewportPixels } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { StorageSopClass } from '../../common/uids.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * The viewer as radiographers use it (issue 18): overlays in the four corners with orientation markers and a scale bar,
 * the keyboard (Home/End, Page Up/Down, presets by modality, invert, reset, overlays, Esc), cine of a 40-frame JPEG
 * ultrasound loop at its own rate, the largest series first, layouts with the patient's prior study beside the current
 * one, and synchronized scrolling.
 */
describe('viewer tools', () => {
  const ui = uiSuite('viewer-tools', { viewport: { width: 1280, height: 900 }, acceptDialogs: true });
  let archive: TestArchive;
  const ct = { study: uid(), localizer: uid(), axial: uid(), frame: uid() };
  const prior = { study: uid(), series: uid() };
  const us = { study: uid() };
  const state = () => ui.page.locator('.pane.active [data-testid=viewport-state]');
  const open = async (study: string) => ui.page.goto(await signInUrl(archive.server, `#/viewer/${study}`));
  const index = async (pane = '.pane.active') =>
    Number(await ui.page.locator(`${pane} .viewport`).getAttribute('data-image-index'));

  /** An axial CT slice at z, 0.5 mm pixels, 2.5 mm thick, in frame of reference `frame`. */
  const axial = (z: number, frame: string): Element[] => [
    { tag: 0x00180050, vr: 'DS', value: '2.5' },
    { tag: 0x00200032, vr: 'DS', value: `-64\\-64\\${z}` },
    { tag: 0x00200037, vr: 'DS', value: '1\\0\\0\\0\\1\\0' },
    { tag: 0x00200052, vr: 'UI', value: frame },
    { tag: 0x00201041, vr: 'DS', value: String(z) },
    { tag: 0x00280030, vr: 'DS', value: '0.5\\0.5' },
  ];

  beforeAll(async () => {
    archive = await startArchive({}, [], 'WORKSTATION');
    const patient = {
      patientId: 'TOOLS1',
      patientName: 'Tools^Tina',
      rows: 128,
      columns: 128,
      rescaleIntercept: -1024,
    };
    const images = [
      // The current CT: a one-image localizer as series 1, twelve axial slices as series 2.
      makeImage({
        ...patient,
        studyUid: ct.study,
        seriesUid: ct.localizer,
        seriesNumber: 1,
        pixel: phantom(128, 128, 9),
      }),
      ...Array.from({ length: 12 }, (_, i) =>
        makeImage({
          ...patient,
          studyUid: ct.study,
          seriesUid: ct.axial,
          seriesNumber: 2,
          instanceNumber: i + 1,
          pixel: phantom(128, 128, i),
          extra: axial(i * 2.5, ct.frame),
        }),
      ),
      // A prior CT of the same patient, a year before, in another frame of reference.
      ...Array.from({ length: 6 }, (_, i) =>
        makeImage({
          ...patient,
          studyUid: prior.study,
          seriesUid: prior.series,
          seriesNumber: 3,
          instanceNumber: i + 1,
          studyDate: '20251125',
          pixel: phantom(128, 128, i),
          extra: axial(i * 5, uid()),
        }),
      ),
    ];
    const files = await writeImages(ui.work, images);
    // A 40-frame 640x480 ultrasound loop in JPEG baseline at 30 frames a second (Frame Time 33.3 ms).
    const loop = makeImage({
      patientId: 'US1',
      patientName: 'Echo^Emil',
      studyUid: us.study,
      modality: 'US',
      sopClassUid: StorageSopClass.UsMultiFrameImage,
      rows: 480,
      columns: 640,
      frames: 40,
      bitsAllocated: 8,
      pixel: (r, c, f) => (Math.hypot(r - 240, c - 320 - 6 * (f - 20)) < 60 ? 230 : 40),
      extra: [
        { tag: 0x00181063, vr: 'DS', value: '33.3' },
        { tag: 0x00181065, vr: 'DS', value: '33.3' },
      ],
    });
    files.push(await compressedFile(ui.work, loop, TS.jpegBaseline, 480, 640));
    const sent = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      'WORKSTATION',
      '-xy',
      '127.0.0.1',
      String(archive.port),
      ...files,
    ]);
    expect(sent.code, sent.stderr).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
  });

  it('opens the largest series, with patient, study, series, slice and orientation in the corners and a scale bar', async () => {
    await open(ct.study);
    await expect.poll(() => state().textContent()).toContain('Image 1/12');
    expect(await ui.page.locator('.pane.active .viewport').getAttribute('data-series')).toBe(ct.axial);
    await expect.poll(() => ui.page.locator('[data-corner=patient]').textContent()).toContain('Tools, Tina');
    expect(await ui.page.locator('[data-corner=patient]').textContent()).toMatch(
      /TOOLS1 · 01\.01\.1970 · O|TOOLS1 · .*1970.* · O/,
    );
    expect(await ui.page.locator('[data-corner=study]').textContent()).toMatch(/Head routine.*Se 2.*Im 1/s);
    expect(await state().textContent()).toMatch(/Loc 0 mm · Thick 2\.5 mm/);
    expect(await ui.page.locator('.pane.active .orientation.left').textContent()).toBe('R');
    expect(await ui.page.locator('.pane.active .orientation.top').textContent()).toBe('A');
    expect(await ui.page.locator('.pane.active [data-testid=scale-bar]').textContent()).toMatch(/^\d+ (cm|mm)$/);
    // The localizer is there too, and the thumbnails say how many images.
    expect(await ui.page.locator('.series-list .series').allTextContents()).toEqual([
      expect.stringContaining('CT #1 · 1 img'),
      expect.stringContaining('CT #2 · 12 img'),
    ]);
    await screenshot(ui.page, 'viewer-overlays');
  });

  it('takes the keyboard as peers do, at once, without a click on the image first', async () => {
    // Opened from the study list: the focus is wherever the View button left it.
    await ui.page.goto(`http://127.0.0.1:${archive.server.api!.port}/#/studies`);
    await ui.page.locator(`tr[data-study="${ct.study}"]`).getByRole('link', { name: 'View' }).click();
    await expect.poll(() => state().textContent()).toContain('Image 1/12');
    await ui.page.keyboard.press('End');
    await expect.poll(() => state().textContent()).toContain('Image 12/12');
    await expect.poll(() => state().textContent()).toMatch(/Loc 27\.5 mm/);
    await ui.page.keyboard.press('Home');
    await expect.poll(() => state().textContent()).toContain('Image 1/12');
    await ui.page.keyboard.press('PageDown');
    await expect.poll(() => state().textContent()).toContain('Image 11/12');
    await ui.page.keyboard.press('5');
    await expect.poll(() => state().textContent()).toContain('W 1500 L -600');
    const before = await viewportPixels(ui.page);
    await ui.page.keyboard.press('i');
    // Inverted: each pixel's grey level becomes its complement.
    await expect
      .poll(async () => {
        const g = (await viewportPixels(ui.page)).grid;
        return g.filter((v, i) => Math.abs(v + before.grid[i]! - 255) <= 2).length;
      })
      .toBeGreaterThan(150);
    await ui.page.keyboard.press('r');
    await expect.poll(() => state().textContent()).not.toContain('W 1500 L -600');
    await expect
      .poll(
        async () =>
          (await viewportPixels(ui.page)).grid.filter((v, i) => Math.abs(v + before.grid[i]! - 255) <= 2).length,
      )
      .toBeLessThan(200);
    // Ctrl + wheel zooms (the wheel alone scrolls).
    const zoomOf = async () => Number(/Zoom ([\d.]+)/.exec((await state().textContent()) ?? '')?.[1]);
    const zoom = await zoomOf();
    const box = (await ui.page.locator('.pane.active .viewport').boundingBox())!;
    await ui.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await ui.page.keyboard.down('Control');
    await ui.page.mouse.wheel(0, -200);
    await ui.page.keyboard.up('Control');
    await expect.poll(zoomOf).toBeGreaterThan(zoom);
    await ui.page.keyboard.press('r');
    await ui.page.keyboard.press('o');
    await expect.poll(() => ui.page.locator('[data-corner=patient]').count()).toBe(0);
    await ui.page.keyboard.press('o');
    await expect.poll(() => ui.page.locator('[data-corner=patient]').count()).toBe(1);
    await ui.page.getByRole('button', { name: 'Keys' }).click();
    expect(await ui.page.getByRole('table', { name: 'Keyboard and mouse' }).textContent()).toContain(
      'Page Up / Page Down',
    );
    await ui.page.getByRole('button', { name: 'Keys' }).click();
  });

  it('measures a length and an ellipse, labels an arrow, saves them as a presentation state, and shows them again when the study opens', async () => {
    await open(ct.study);
    await expect.poll(() => state().textContent()).toContain('Image 1/12');
    const drawn = async () =>
      ui.page.locator('.pane.active .viewport canvas').evaluate((c) => {
        const canvas = c as unknown as {
          width: number;
          height: number;
          getContext(k: '2d'): {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
        };
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i]! > 200 && d[i + 1]! > 200 && d[i + 2]! < 90) n++;
        return n;
      });
    expect(await drawn()).toBe(0);
    const box = (await ui.page.locator('.pane.active .viewport').boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
    await ui.page.getByRole('button', { name: 'Measure', exact: true }).click();
    await ui.page.getByRole('button', { name: 'Length', exact: true }).click();
    await ui.page.mouse.move(...at(0.35, 0.5));
    await ui.page.mouse.down();
    await ui.page.mouse.move(...at(0.5, 0.5), { steps: 5 });
    await ui.page.mouse.move(...at(0.65, 0.5), { steps: 5 });
    await ui.page.mouse.up();
    await ui.page.getByRole('button', { name: 'Measure', exact: true }).click();
    await ui.page.getByRole('button', { name: 'Ellipse ROI' }).click();
    await ui.page.mouse.move(...at(0.45, 0.35));
    await ui.page.mouse.down();
    await ui.page.mouse.move(...at(0.55, 0.42), { steps: 5 });
    await ui.page.mouse.up();
    // The arrow's text is asked in the page (window.prompt does not exist in Electron's windows).
    await ui.page.getByRole('button', { name: 'Measure', exact: true }).click();
    await ui.page.getByRole('button', { name: 'Arrow and text' }).click();
    await ui.page.mouse.move(...at(0.3, 0.7));
    await ui.page.mouse.down();
    await ui.page.mouse.move(...at(0.4, 0.62), { steps: 5 });
    await ui.page.mouse.up();
    const ask = ui.page.getByRole('dialog');
    await ask.getByLabel('Text of the arrow:').fill('Lesion');
    await ask.getByLabel('Text of the arrow:').press('Enter');
    await ask.waitFor({ state: 'detached' });
    await ui.page.getByRole('button', { name: 'Window/level' }).click();
    await expect.poll(drawn).toBeGreaterThan(50);
    await ui.page.getByRole('button', { name: 'Save measurements' }).click();
    await ui.page.getByRole('button', { name: 'Measurements saved' }).waitFor();
    const saved = (await (
      await fetch(`${archive.server.apiUrl}/api/studies/${ct.study}/annotations`, {
        headers: { authorization: `Bearer ${archive.server.apiSecret}` },
      })
    ).json()) as { annotations: { kind: string; text: string }[] };
    expect(saved.annotations.map((a) => a.kind).sort()).toEqual(['ArrowAnnotate', 'EllipticalRoi', 'Length']);
    expect(saved.annotations.find((a) => a.kind === 'ArrowAnnotate')!.text).toBe('Lesion');
    // 0.5 mm pixels: the length is in millimetres, the ROI's mean in Hounsfield units.
    expect(saved.annotations.find((a) => a.kind === 'Length')!.text).toMatch(/^\d+\.\d mm$/);
    expect(saved.annotations.find((a) => a.kind === 'EllipticalRoi')!.text).toMatch(
      /^Mean -?\d+\.\d HU SD .* Area \d+\.\d mm²$/,
    );
    await screenshot(ui.page, 'viewer-measurements');
    // Opened again: drawn from the presentation state.
    await ui.page.goto('about:blank');
    await open(ct.study);
    await expect.poll(() => state().textContent()).toContain('Image 1/12');
    await expect.poll(drawn).toBeGreaterThan(50);
  });

  it('puts the prior study beside the current one, in 1x2 and 2x2, and scrolls them together when synchronized', async () => {
    await ui.page.keyboard.press('Home');
    const priorButton = ui.page
      .getByRole('list', { name: 'Other studies of this patient' })
      .getByRole('button')
      .first();
    expect(await priorButton.textContent()).toMatch(/2025.*CT.*6 img/);
    await priorButton.click();
    await expect.poll(() => ui.page.locator('.viewport-grid').getAttribute('data-layout')).toBe('1x2');
    await expect
      .poll(() => ui.page.locator('.pane').nth(1).locator('.viewport').getAttribute('data-series'))
      .toBe(prior.series);
    await expect
      .poll(() => ui.page.locator('.pane').nth(1).locator('[data-testid=viewport-state]').textContent())
      .toContain('Image 1/6');
    // The prior is in another frame of reference: the user scrolls it to the same anatomy (z 10 mm against 0 mm here),
    // then presses Sync; from then on it follows by position with that offset (its slices are 5 mm apart, these 2.5).
    await ui.page.locator('.pane').nth(1).locator('.viewport').click();
    await ui.page.keyboard.press('ArrowDown');
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => index('.pane:nth-child(2)')).toBe(2);
    await ui.page.getByRole('button', { name: 'Sync' }).click();
    await ui.page.locator('.pane').first().locator('.viewport').click();
    await ui.page.keyboard.press('ArrowDown');
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => index('.pane:nth-child(1)')).toBe(2);
    await expect.poll(() => index('.pane:nth-child(2)')).toBe(3); // z 5 + 10 = 15 mm: its fourth slice
    await ui.page.keyboard.press('End');
    await expect.poll(() => index('.pane:nth-child(2)')).toBe(5); // z 27.5 + 10 = 37.5 mm: nearest its last, 25 mm
    await ui.page.keyboard.press('Home');
    await expect.poll(() => index('.pane:nth-child(2)')).toBe(2);
    await ui.page.keyboard.press('ArrowDown');
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => index('.pane:nth-child(2)')).toBe(3);

    // A localizer opened in a third viewport moves neither of the others.
    await ui.page.getByRole('button', { name: 'Layout 2x2' }).click();
    await expect.poll(() => ui.page.locator('.pane').count()).toBe(4);
    await ui.page.locator('.pane').nth(3).locator('.viewport').click();
    await ui.page.locator('.series-list .series').first().click();
    await expect
      .poll(() => ui.page.locator('.pane').nth(3).locator('.viewport').getAttribute('data-series'))
      .toBe(ct.localizer);
    await expect
      .poll(() => ui.page.locator('.pane').nth(3).locator('[data-testid=viewport-state]').textContent())
      .toContain('Image 1/1');
    await screenshot(ui.page, 'viewer-2x2');
    expect(await index('.pane:nth-child(1)')).toBe(2);
    expect(await index('.pane:nth-child(2)')).toBe(3);

    // Back to one viewport while the fourth was active: the one shown becomes active, and the keys move it.
    await ui.page.getByRole('button', { name: 'Layout 1x1' }).click();
    await expect.poll(() => ui.page.locator('.pane').count()).toBe(1);
    await expect.poll(() => ui.page.locator('.pane.active').count()).toBe(1);
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => index('.pane:nth-child(1)')).toBe(3);
    await ui.page.getByRole('button', { name: 'Sync' }).click();
  });

  it('plays a multi-frame ultrasound loop at its rate, with speed control, and pauses', async () => {
    await open(us.study);
    await expect.poll(() => state().textContent()).toContain('Image 1/40');
    expect(await ui.page.locator('.series-list .series').first().textContent()).toContain('1 img · 40 frames');
    await expect
      .poll(() => ui.page.getByLabel('Cine speed').locator('option:checked').textContent())
      .toBe('1× (30 fps)');
    // US has no window presets.
    expect(await ui.page.getByRole('button', { name: 'Presets' }).count()).toBe(0);
    await ui.page.locator('.pane.active .viewport').focus();
    await ui.page.keyboard.press('Space');
    await expect.poll(() => ui.page.locator('.pane.active .viewport').getAttribute('data-playing')).toBe('yes');
    const seen = new Set<number>();
    await expect
      .poll(async () => {
        seen.add(await index());
        return seen.size;
      })
      .toBeGreaterThan(10);
    await expect
      .poll(async () =>
        Number(
          await ui.page
            .locator('[data-testid=cine-fps]')
            .textContent()
            .then((t) => t?.replace(/ fps/, '')),
        ),
      )
      .toBeGreaterThan(0);
    await screenshot(ui.page, 'viewer-cine');
    await ui.page.getByLabel('Cine speed').selectOption('2');
    await expect
      .poll(() => ui.page.getByLabel('Cine speed').locator('option:checked').textContent())
      .toBe('2× (60 fps)');
    await ui.page.keyboard.press('Space');
    await expect.poll(() => ui.page.locator('.pane.active .viewport').getAttribute('data-playing')).toBe('no');
    // A frame already on its way may still land; after that the loop stands still. Counted in the page's own frames
    // (requestAnimationFrame), not in milliseconds: a loaded machine draws fewer of both, the cine's and these.
    const frames = (n: number) =>
      ui.page.evaluate(
        `new Promise((r) => { let left = ${n}; const f = () => (--left > 0 ? requestAnimationFrame(f) : r(0)); requestAnimationFrame(f); })`,
      );
    await frames(10);
    const stopped = await index();
    await frames(30);
    expect(await index()).toBe(stopped);
  });

  it('goes back to the study list with Esc', async () => {
    await ui.page.locator('.pane.active .viewport').focus();
    await ui.page.keyboard.press('Escape');
    await expect.poll(() => ui.page.url()).toMatch(/#\/studies$/);
    expect(ui.errors).toEqual([]);
  });
});
