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
    const s = (number: string, modality: string, count: number, frames?: number) => ({ uid: number, number, modality, description: '', count, frames });
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
