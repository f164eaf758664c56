import { CT_PRESETS } from './presets.ts';

/**
 * The viewer's keyboard, as RadiAnt, Horos and OHIF users expect it. `keyAction` maps a key event to an action; the
 * shortcut list in the UI is made from SHORTCUTS, so the two cannot disagree.
 */
export type ViewerAction =
  | { kind: 'step'; delta: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'cine' }
  | { kind: 'invert' }
  | { kind: 'reset' }
  | { kind: 'overlays' }
  | { kind: 'back' }
  | { kind: 'preset'; ww: number; wc: number; name: string }
  | { kind: 'layout'; layout: Layout };

export type Layout = '1x1' | '1x2' | '2x2';
export const LAYOUTS: Layout[] = ['1x1', '1x2', '2x2'];

/** Images a Page Up / Page Down moves. */
export const PAGE_STEP = 10;
const PAGE = PAGE_STEP;

/** Window presets by modality: CT's in Hounsfield units; none where a fixed window makes no sense (US, XA, photos). */
export function presetsFor(modality: string): [string, number, number][] {
  return modality === 'CT' ? CT_PRESETS : [];
}

export function keyAction(
  e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean; shiftKey?: boolean },
  modality: string,
): ViewerAction | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey) return undefined;
  switch (e.key) {
    case 'ArrowDown':
    case 'ArrowRight':
      return { kind: 'step', delta: 1 };
    case 'ArrowUp':
    case 'ArrowLeft':
      return { kind: 'step', delta: -1 };
    case 'PageDown':
      return { kind: 'step', delta: PAGE };
    case 'PageUp':
      return { kind: 'step', delta: -PAGE };
    case 'Home':
      return { kind: 'first' };
    case 'End':
      return { kind: 'last' };
    case ' ':
      return { kind: 'cine' };
    case 'i':
    case 'I':
      return { kind: 'invert' };
    case 'r':
    case 'R':
      return { kind: 'reset' };
    case 'o':
    case 'O':
      return { kind: 'overlays' };
    case 'Escape':
      return { kind: 'back' };
    default:
      break;
  }
  if (/^[1-9]$/.test(e.key)) {
    const preset = presetsFor(modality)[Number(e.key) - 1];
    return preset ? { kind: 'preset', name: preset[0], ww: preset[1], wc: preset[2] } : undefined;
  }
  return undefined;
}

/** The shortcut list the viewer shows (key, what it does). */
export const SHORTCUTS: [string, string][] = [
  ['↑ ↓ or mouse wheel', 'previous / next image'],
  ['Page Up / Page Down', '{n} images back / on'],
  ['Home / End', 'first / last image'],
  ['Space', 'play / pause (cine)'],
  ['1 – 9', 'window presets of the modality (CT)'],
  ['I', 'invert'],
  ['R', 'reset zoom, pan and window'],
  ['O', 'overlays on / off'],
  ['Ctrl + wheel', 'zoom'],
  ['Left drag', 'the tool chosen (window/level by default)'],
  ['Middle drag / right drag', 'pan / zoom'],
  ['Esc', 'back to the study list'],
];
