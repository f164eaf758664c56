import { cornerstone, cornerstoneTools } from './cornerstone-setup.ts';

/**
 * Synchronized viewports, as peers do it. Scrolling follows the slice position between stacks of parallel slices:
 * directly when they share a frame of reference (a CT and its reformat, two series of one MR), and with an offset the
 * user sets otherwise (a prior, scanned on another day): scroll both to the same anatomy, then press Sync, and the
 * difference of their positions at that moment is kept. Stacks without positions (ultrasound loops, angiography runs)
 * follow by image index; stacks of other orientations (a localizer beside axial slices) do not follow at all. A series
 * just opened in a viewport moves nobody: only scrolling does. Window/level follows as set.
 */

type Handler = (
  synchronizer: unknown,
  source: HTMLElement,
  target: HTMLElement,
  eventData: unknown,
  offset?: Vector,
) => void;
interface Vector {
  x: number;
  y: number;
  z: number;
}
interface Plane {
  frameOfReferenceUID?: string;
  imagePositionPatient?: number[];
  rowCosines?: number[];
  columnCosines?: number[];
}

/** Set on a viewport's element while it shows the first image of a series it was just given (ViewportPane). */
export const JUST_OPENED = 'justOpened';

function planeOf(el: HTMLElement): Plane | undefined {
  const image = cornerstone.getImage(el);
  return image ? (cornerstone.metaData.get('imagePlaneModule', image.imageId) as Plane | undefined) : undefined;
}

/** Only viewports that show a stack take part (an empty one of a 2x2 layout has neither image nor stack). */
function showsStack(el: HTMLElement): boolean {
  return !!cornerstone.getImage(el) && !!cornerstoneTools.getToolState(el, 'stack')?.data[0];
}

function normal(p: Plane): Vector | undefined {
  const [r, c] = [p.rowCosines, p.columnCosines];
  if (!r || !c || r.length < 3 || c.length < 3) return undefined;
  return { x: r[1]! * c[2]! - r[2]! * c[1]!, y: r[2]! * c[0]! - r[0]! * c[2]!, z: r[0]! * c[1]! - r[1]! * c[0]! };
}

/** Both planes have positions and their slices are parallel (within about 8 degrees). */
function parallel(a: Plane | undefined, b: Plane | undefined): boolean {
  const [na, nb] = [a && normal(a), b && normal(b)];
  if (!na || !nb || !a?.imagePositionPatient || !b?.imagePositionPatient) return false;
  return Math.abs(na.x * nb.x + na.y * nb.y + na.z * nb.z) > 0.99;
}

function position(p: Plane): Vector {
  const [x = 0, y = 0, z = 0] = p.imagePositionPatient ?? [];
  return { x, y, z };
}

export class ViewportSync {
  /** Per pair of viewports in other frames of reference: the offset from the source's position to the target's. */
  private offsets = new WeakMap<HTMLElement, WeakMap<HTMLElement, Vector>>();
  private readonly scroll = new cornerstoneTools.Synchronizer(
    'cornerstonenewimage',
    (sync: unknown, source: HTMLElement, target: HTMLElement, data: unknown) => this.follow(sync, source, target, data),
  );
  private readonly windowing = new cornerstoneTools.Synchronizer(
    'cornerstoneimagerendered',
    (sync: unknown, source: HTMLElement, target: HTMLElement, data: unknown) => {
      if (source.dataset[JUST_OPENED] || !cornerstone.getImage(source) || !cornerstone.getImage(target)) return;
      (cornerstoneTools.wwwcSynchronizer as Handler)(sync, source, target, data);
    },
  );
  private readonly elements = new Set<HTMLElement>();
  private on = false;

  setElements(elements: HTMLElement[]): void {
    for (const el of [...this.elements])
      if (!elements.includes(el)) {
        this.remove(el);
        this.elements.delete(el);
      }
    for (const el of elements)
      if (!this.elements.has(el)) {
        this.elements.add(el);
        if (this.on) this.add(el);
      }
  }

  /** Turning it on takes the viewports' present positions as matching (the offsets between frames of reference). */
  enable(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    if (on) this.register();
    for (const el of this.elements) on ? this.add(el) : this.remove(el);
  }

  private register(): void {
    this.offsets = new WeakMap();
    for (const a of this.elements) {
      for (const b of this.elements) {
        const [pa, pb] = [planeOf(a), planeOf(b)];
        if (a === b || !pa || !pb || !parallel(pa, pb) || pa.frameOfReferenceUID === pb.frameOfReferenceUID) continue;
        const [xa, xb] = [position(pa), position(pb)];
        if (!this.offsets.has(a)) this.offsets.set(a, new WeakMap());
        this.offsets.get(a)!.set(b, { x: xb.x - xa.x, y: xb.y - xa.y, z: xb.z - xa.z });
      }
    }
  }

  private follow(sync: unknown, source: HTMLElement, target: HTMLElement, data: unknown): void {
    if (source.dataset[JUST_OPENED] || !showsStack(source) || !showsStack(target)) return;
    const [ps, pt] = [planeOf(source), planeOf(target)];
    if (parallel(ps, pt)) {
      const same = !!ps!.frameOfReferenceUID && ps!.frameOfReferenceUID === pt!.frameOfReferenceUID;
      const offset = same ? { x: 0, y: 0, z: 0 } : this.offsets.get(source)?.get(target);
      // Another frame of reference whose offset was never set (opened after Sync was pressed): it waits for the user.
      if (offset)
        (cornerstoneTools.stackImagePositionOffsetSynchronizer as Handler)(sync, source, target, data, offset);
    } else if (!ps?.imagePositionPatient && !pt?.imagePositionPatient) {
      (cornerstoneTools.stackImageIndexSynchronizer as Handler)(sync, source, target, data);
    }
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
