import type { ArchiveCore } from './archive-core.ts';
import type { Contributions, Feature, FeatureContext, Running } from './feature.ts';

export class FeatureOrderError extends Error {}

/**
 * Features in the order they start: each after every feature it needs. A feature needed but not given is added
 * before the one that needs it; a circle of needs is refused with its members.
 */
export function startOrder(features: readonly Feature<unknown>[]): Feature<unknown>[] {
  const ordered: Feature<unknown>[] = [];
  const visiting: Feature<unknown>[] = [];
  const visit = (f: Feature<unknown>) => {
    if (ordered.includes(f)) return;
    if (visiting.includes(f))
      throw new FeatureOrderError(
        `features need each other: ${[...visiting.slice(visiting.indexOf(f)), f].map((x) => x.name).join(' -> ')}`,
      );
    visiting.push(f);
    for (const n of f.needs ?? []) visit(n);
    visiting.pop();
    ordered.push(f);
  };
  for (const f of features) visit(f);
  return ordered;
}

/**
 * Features started on one core: in dependency order, each with what the features it needs provide; served (listeners
 * opened, then work begun) in the same order; stopped in reverse. When a start fails, what started is stopped again.
 */
export class Composition {
  private readonly running = new Map<Feature<unknown>, Running<unknown>>();
  private readonly order: Feature<unknown>[] = [];
  private readonly core: ArchiveCore;

  private constructor(core: ArchiveCore) {
    this.core = core;
  }

  static async start(core: ArchiveCore, features: readonly Feature<unknown>[]): Promise<Composition> {
    const composition = new Composition(core);
    try {
      for (const f of startOrder(features)) await composition.startOne(f);
    } catch (err) {
      await composition.stop();
      throw err;
    }
    return composition;
  }

  private async startOne(f: Feature<unknown>): Promise<void> {
    const needs = f.needs ?? [];
    const ctx: FeatureContext = {
      the: <P>(other: Feature<P>) => {
        if (!needs.includes(other as Feature<unknown>))
          throw new FeatureOrderError(`${f.name} asks for ${other.name}, which it does not name in its needs`);
        return this.get(other) as P;
      },
      maybe: <P>(other: Feature<P>) => this.running.get(other as Feature<unknown>)?.provides as P | undefined,
      all: this.contributions,
    };
    this.running.set(f, await f.start(this.core, ctx));
    this.order.push(f);
  }

  /** What a running feature provides. */
  get<P>(f: Feature<P>): P {
    const running = this.running.get(f as Feature<unknown>);
    if (!running) throw new FeatureOrderError(`${f.name} is not part of this archive`);
    return running.provides as P;
  }

  has(f: Feature<unknown>): boolean {
    return this.running.has(f);
  }

  /** Names of the running features, in start order. */
  get names(): string[] {
    return this.order.map((f) => f.name);
  }

  private parts(): Running<unknown>[] {
    return this.order.map((f) => this.running.get(f)!);
  }

  readonly contributions: Contributions = {
    services: () => this.parts().flatMap((r) => r.services ?? []),
    sopClasses: () => this.parts().flatMap((r) => r.sopClasses?.() ?? []),
    routes: () => this.parts().flatMap((r) => r.routes ?? []),
    restartListeners: async (apply) => {
      const listeners = this.parts().flatMap((r) => (r.listener ? [r.listener] : []));
      const closeAll = async () => {
        for (const l of [...listeners].reverse()) await l.close().catch(() => undefined);
      };
      await closeAll();
      const undo = await apply();
      try {
        for (const l of listeners) await l.open();
      } catch (err) {
        // A listener may be up on the new settings while a later one could not open: all go back.
        await closeAll();
        undo();
        for (const l of listeners) await l.open();
        throw err;
      }
    },
  };

  /** Open every listener, then begin each feature's work, in start order. */
  async serve(): Promise<void> {
    for (const r of this.parts()) await r.listener?.open();
    for (const r of this.parts()) await r.serve?.();
  }

  /** Stop every feature in reverse start order (each listener first); one that fails to stop does not keep the others running. */
  async stop(): Promise<void> {
    const log = this.core.logger.child('server');
    for (const f of [...this.order].reverse()) {
      const r = this.running.get(f)!;
      try {
        await r.listener?.close();
        await r.stop?.();
      } catch (err) {
        log.error(`stopping ${f.name}: ${(err as Error).message}`);
      }
      this.running.delete(f);
    }
    this.order.length = 0;
  }
}
