import { describe, expect, it } from 'vitest';
import { orientationLabels } from '../../renderer/src/viewer/orientation.ts';
import { scaleBar } from '../../renderer/src/viewer/scale-bar.ts';
import { cineFramesPerSecond } from '../../renderer/src/viewer/cine-rate.ts';
import { firstSeries } from '../../renderer/src/viewer/first-series.ts';
import { keyAction } from '../../renderer/src/viewer/keymap.ts';

describe('viewer logic', () => {
  it('labels the image edges from Image Orientation (Patient)', () => {
    // Axial: rows run to the patient's left, columns to posterior.
    expect(orientationLabels([1, 0, 0], [0, 1, 0])).toEqual({ right: 'L', left: 'R', bottom: 'P', top: 'A' });
    // Coronal: rows to the left, columns to the feet.
    expect(orientationLabels([1, 0, 0], [0, 0, -1])).toEqual({ right: 'L', left: 'R', bottom: 'F', top: 'H' });
    // Sagittal: rows to posterior, columns to the feet.
    expect(orientationLabels([0, 1, 0], [0, 0, -1])).toEqual({ right: 'P', left: 'A', bottom: 'F', top: 'H' });
    // Oblique: the strongest axis first.
    expect(orientationLabels([0.866, 0.5, 0], [0, 0, -1])?.right).toBe('LP');
    expect(orientationLabels(undefined, [0, 1, 0])).toBeUndefined();
  });

  it('draws a scale bar of a round length that fits', () => {
    expect(scaleBar(0.5, 1, 100)).toEqual({ px: 100, label: '5 cm' });
    expect(scaleBar(0.5, 2, 100)).toEqual({ px: 80, label: '2 cm' });
    expect(scaleBar(0.1, 1, 120)).toEqual({ px: 100, label: '1 cm' });
    expect(scaleBar(0.01, 1, 120)).toEqual({ px: 100, label: '1 mm' });
    expect(scaleBar(0, 1, 100)).toBeUndefined();
  });

  it('plays at the rate of the object: recommended rate, cine rate, frame time, frame time vector, else the default', () => {
    expect(cineFramesPerSecond({ recommendedDisplayFrameRate: 25, frameTime: 33.3 })).toBe(25);
    expect(cineFramesPerSecond({ cineRate: 15 })).toBe(15);
    expect(cineFramesPerSecond({ frameTime: 33.333 })).toBeCloseTo(30, 1);
    expect(cineFramesPerSecond({ frameTimeVector: [0, 40, 40] })).toBe(25);
    expect(cineFramesPerSecond({})).toBe(10);
  });

  it('opens the largest image series, not the lowest number or a report', () => {
    const s = (number: string, modality: string, count: number, frames?: number) => ({
      uid: number,
      number,
      modality,
      description: '',
      count,
      frames,
    });
    expect(firstSeries([s('1', 'CT', 2), s('2', 'CT', 120), s('3', 'SR', 500)])?.uid).toBe('2');
    expect(firstSeries([s('1', 'US', 1, 40), s('2', 'US', 12)])?.uid).toBe('1');
    expect(firstSeries([s('3', 'CT', 5), s('2', 'CT', 5)])?.uid).toBe('2');
    expect(firstSeries([s('9', 'SR', 1)])?.uid).toBe('9');
  });

  it('maps keys as peers do, with presets only where the modality has them', () => {
    expect(keyAction({ key: 'Home' }, 'CT')).toEqual({ kind: 'first' });
    expect(keyAction({ key: 'PageDown' }, 'CT')).toEqual({ kind: 'step', delta: 10 });
    expect(keyAction({ key: ' ' }, 'US')).toEqual({ kind: 'cine' });
    expect(keyAction({ key: '5' }, 'CT')).toEqual({ kind: 'preset', name: 'Lung', ww: 1500, wc: -600 });
    expect(keyAction({ key: '5' }, 'US')).toBeUndefined();
    expect(keyAction({ key: 'i' }, 'MR')).toEqual({ kind: 'invert' });
    expect(keyAction({ key: 'r', ctrlKey: true }, 'MR')).toBeUndefined();
  });
});

describe('measurements between the viewer and the archive', async () => {
  const { imageOf, toAnnotations, toToolData } = await import('../../renderer/src/viewer/measurements.ts');
  type ToolState = import('../../renderer/src/viewer/measurements.ts').ToolState;
  const id = (uid: string, frame?: number) =>
    `wadouri:http://x/wado?requestType=WADO&contentType=application%2Fdicom&objectUID=${uid}${frame === undefined ? '' : `&frame=${frame}`}`;

  it('names the object and frame of an image id', () => {
    expect(imageOf(id('1.2.3'))).toEqual({ sopInstanceUid: '1.2.3', frame: undefined });
    expect(imageOf(id('1.2.3', 4))).toEqual({ sopInstanceUid: '1.2.3', frame: 5 });
  });

  it('turns tool state into annotations with their text, and annotations back into tool data', () => {
    const h = (x: number, y: number) => ({ x, y });
    const state = {
      [id('1.2.3')]: {
        Length: { data: [{ handles: { start: h(1, 2), end: h(3, 4), textBox: h(0, 0) }, length: 12.345 }] },
        EllipticalRoi: {
          data: [
            {
              handles: { start: h(0, 0), end: h(10, 6) },
              unit: 'HU',
              cachedStats: { mean: 40.04, stdDev: 2.5, min: 30, max: 50, area: 47.1 },
            },
          ],
        },
        Wwwc: { data: [{ handles: {} }] },
      },
      [id('1.2.4', 1)]: { ArrowAnnotate: { data: [{ handles: { start: h(5, 5), end: h(9, 1) }, text: 'fracture' }] } },
    };
    const list = toAnnotations(state as unknown as ToolState, (imageId) => imageId.includes('1.2.3'));
    expect(list).toEqual([
      {
        sopInstanceUid: '1.2.3',
        frame: undefined,
        kind: 'Length',
        points: [
          [1, 2],
          [3, 4],
        ],
        text: '12.3 mm',
      },
      {
        sopInstanceUid: '1.2.3',
        frame: undefined,
        kind: 'EllipticalRoi',
        points: [
          [0, 0],
          [10, 6],
        ],
        text: 'Mean 40.0 HU SD 2.5 Min 30 Max 50 Area 47.1 mm²',
      },
      {
        sopInstanceUid: '1.2.4',
        frame: 2,
        kind: 'ArrowAnnotate',
        points: [
          [5, 5],
          [9, 1],
        ],
        text: 'fracture',
      },
    ]);
    const data = toToolData(list[2]!);
    expect(data).toMatchObject({
      text: 'fracture',
      invalidated: true,
      handles: { start: { x: 5, y: 5 }, end: { x: 9, y: 1 } },
    });
    expect(toAnnotations({ [id('1.2.4', 1)]: { ArrowAnnotate: { data: [data] } } }, () => false)).toEqual([list[2]]);
  });
});
