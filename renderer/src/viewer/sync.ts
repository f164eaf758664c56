import { cornerstone, cornerstoneTools } from './cornerstone-setup.ts';

/**
 * Synchronized viewports: scrolling follows the slice position when the images share a frame of reference (a CT and
 * its reformat, two series of one MR), else the image index; window/level follows as set. cornerstone-tools'
 * synchronizers do the work; this chooses between position and index for each pair.
 */

type Handler = (synchronizer: unknown, source: HTMLElement, target: HTMLElement, eventData: unknown) => void;

function frameOfReference(el: HTMLElement): string {
  const image = cornerstone.getImage(el);
  const plane = image ? cornerstone.metaData.get('imagePlaneModule', image.imageId) as { frameOfReferenceUID?: string } | undefined : undefined;
  return plane?.frameOfReferenceUID ?? '';
}

/** Only viewports that show a stack take part (an empty one of a 2x2 layout has neither image nor stack). */
function showsStack(el: HTMLElement): boolean {
  return !!cornerstone.getImage(el) && !!cornerstoneTools.getToolState(el, 'stack')?.data[0];
}

const byPositionOrIndex: Handler = (sync, source, target, data) => {
  if (!showsStack(source) || !showsStack(target)) return;
  const same = frameOfReference(source) && frameOfReference(source) === frameOfReference(target);
  const handler = (same ? cornerstoneTools.stackImagePositionSynchronizer : cornerstoneTools.stackImageIndexSynchronizer) as Handler;
  handler(sync, source, target, data);
};

const windowLevel: Handler = (sync, source, target, data) => {
  if (!cornerstone.getImage(source) || !cornerstone.getImage(target)) return;
  (cornerstoneTools.wwwcSynchronizer as Handler)(sync, source, target, data);
};

export class ViewportSync {
  private readonly scroll = new cornerstoneTools.Synchronizer('cornerstonenewimage', byPositionOrIndex);
  private readonly windowing = new cornerstoneTools.Synchronizer('cornerstoneimagerendered', windowLevel);
  private readonly elements = new Set<HTMLElement>();
  private on = false;

  setElements(elements: HTMLElement[]): void {
    for (const el of [...this.elements]) if (!elements.includes(el)) { this.remove(el); this.elements.delete(el); }
    for (const el of elements) if (!this.elements.has(el)) { this.elements.add(el); if (this.on) this.add(el); }
  }

  enable(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    for (const el of this.elements) (on ? this.add(el) : this.remove(el));
  }

  private add(el: HTMLElement): void {
    this.scroll.add(el);
    this.windowing.add(el);
  }

  private remove(el: HTMLElement): void {
    this.scroll.remove(el);
    this.windowing.remove(el);
  }

  destroy(): void {
    this.scroll.destroy();
    this.windowing.destroy();
  }
}
