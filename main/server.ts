import { ArchiveCore, type CoreOptions } from './core/archive-core.ts';
import { Composition } from './core/compose.ts';
import type { Contributions, Feature } from './core/feature.ts';
import { Logger, consoleSink } from './util/log.ts';
import { ALL_FEATURES } from './features/all.ts';
import { dicomListener } from './features/dicom-listener.ts';
import { transfers } from './features/transfers.ts';
import { hl7 } from './features/hl7.ts';
import { exporterOf } from './features/media-export.ts';
import { api } from './features/api.ts';

export interface ServerOptions extends Omit<CoreOptions, 'overrides'> {
  /** Overrides of dicom.ini for this run only. */
  port?: number;
  listenAddress?: string;
  /** API port for this run, overriding APIPort. */
  apiPort?: number;
  /** DICOM TLS port for this run, overriding TLSPort (0 picks a free one). */
  tlsPort?: number;
  /** The features this archive runs (and what they need); all of them when not given. */
  features?: readonly Feature<unknown>[];
}

/**
 * The archive: its core (core/archive-core.ts) and its features (features/), started in dependency order and stopped
 * in reverse (core/compose.ts). `start({ listen: false })` opens the core and features without listening or running
 * jobs (the CLI's import, export and regen).
 */
export class ArchiveServer {
  readonly logger: Logger;
  private readonly options: ServerOptions;
  private running?: { core: ArchiveCore; features: Composition };

  constructor(options: ServerOptions) {
    this.options = options;
    this.logger = options.logger ?? new Logger();
    if (!options.logger) this.logger.addSink(consoleSink);
  }

  async start(options: { listen?: boolean } = {}): Promise<void> {
    const { port, listenAddress, apiPort, tlsPort } = this.options;
    const core = await ArchiveCore.open({
      ...this.options,
      logger: this.logger,
      levelFromSettings: !this.options.logger,
      overrides: { port, listenAddress, apiPort, tlsPort },
    });
    let features: Composition | undefined;
    try {
      features = await Composition.start(core, this.options.features ?? ALL_FEATURES);
      this.running = { core, features };
      if (options.listen === false) return;
      await core.serve();
      await features.serve();
    } catch (err) {
      this.running = undefined;
      await features?.stop();
      await core.close();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.features.stop();
    await running?.core.close();
  }

  get core(): ArchiveCore {
    if (!this.running) throw new Error('the archive is not running');
    return this.running.core;
  }

  /** What a running feature provides (features/). */
  feature<P>(f: Feature<P>): P {
    if (!this.running) throw new Error('the archive is not running');
    return this.running.features.get(f);
  }

  /** Every running feature's contributions (their DIMSE services, SOP classes, routes). */
  get contributions(): Contributions {
    if (!this.running) throw new Error('the archive is not running');
    return this.running.features.contributions;
  }

  has(f: Feature<unknown>): boolean {
    return this.running?.features.has(f) ?? false;
  }

  // What the shells (cli.ts, electron/) and tests reach most, by name.
  get config() {
    return this.core.config;
  }
  get index() {
    return this.core.index;
  }
  get store() {
    return this.core.store;
  }
  /** The DICOM ports and open associations: 0 without a DICOM listener. */
  get port(): number {
    return this.has(dicomListener) ? this.feature(dicomListener).port() : 0;
  }
  get openAssociations(): number {
    return this.has(dicomListener) ? this.feature(dicomListener).openAssociations() : 0;
  }
  get transfers() {
    return this.feature(transfers);
  }
  get hl7() {
    return this.feature(hl7).listener();
  }
  get apiUrl(): string {
    return this.feature(api).url();
  }
  get apiSecret(): string {
    return this.feature(api).secret();
  }
  get api() {
    return this.feature(api).http();
  }
  /** Media export (folder, ZIP, ISO) of what the archive holds; also the CLI's `export`. */
  exporter() {
    return exporterOf(this.core);
  }
}
