import type { DimseService } from '../protocol/services/registry.ts';
import type { RouteDef } from '../api/router.ts';
import type { ArchiveCore } from './archive-core.ts';
import type { KeyName } from '../config/setting-keys.ts';

/**
 * A feature of the archive as one unit (dcm4che's device extensions, VS Code's contributions): what it needs of other
 * features, and, once started on the core, what it contributes - DIMSE services, SOP classes the listener accepts while
 * it is on, API routes, listeners that move with the Settings screen's "restart listener", what it does once the
 * archive serves, and how it stops. The server (compose.ts) starts features in dependency order and stops them in
 * reverse; a test starts a core with only the features it needs. Job runners and event hooks a feature adds itself
 * when it starts (core.queue.addRunner, core.onStored).
 */
export interface Feature<P = undefined> {
  readonly name: string;
  /** Features that must run first; `ctx.the(feature)` in `start` gives what they provide. */
  readonly needs?: readonly Feature<unknown>[];
  /** The dicom.ini keys this feature brings (declared in config/setting-keys.ts; each key belongs to one feature or the core). */
  readonly settings?: readonly KeyName[];
  start(core: ArchiveCore, ctx: FeatureContext): Promise<Running<P>> | Running<P>;
}

/** What a started feature gives the others and the server. */
export interface Running<P> {
  /** For features that name this one in `needs`. */
  provides: P;
  /** DIMSE services for the listener's registry. */
  services?: readonly DimseService[];
  /** SOP classes accepted besides dgatesop.lst's while this is on (N-services a Conquest dgatesop.lst does not list). */
  sopClasses?: () => readonly string[];
  /** API routes (the HTTP layer checks their permissions). */
  routes?: readonly RouteDef[];
  /** Listeners on network ports: opened when the archive serves, closed and opened again by a listener restart. */
  listener?: FeatureListener;
  /** Begin work once the archive serves (after every listener opened): timers, queues. */
  serve?(): Promise<void> | void;
  /** Stop; called in reverse start order, after the listener closed. */
  stop?(): Promise<void> | void;
}

export interface FeatureListener {
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface FeatureContext {
  /** What a feature named in `needs` provides (asking for another throws). */
  the<P>(feature: Feature<P>): P;
  /** What a feature provides when it runs in this core (not named in `needs`: it may be left out). */
  maybe<P>(feature: Feature<P>): P | undefined;
  /** Every running feature's contributions, gathered when asked. */
  all: Contributions;
}

export interface Contributions {
  services(): DimseService[];
  sopClasses(): string[];
  routes(): RouteDef[];
  /** Close every listener, change the configuration with `apply`, open them again; back as before when one cannot open. */
  restartListeners(apply: () => Promise<() => void>): Promise<void>;
}
