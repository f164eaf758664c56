import type { AssociationHandler, AssociationOptions } from '../protocol/association.ts';
import type { StoredInstance, ArchiveIndex } from '../index/archive-index.ts';
import type { LoadedConfig } from '../config/load.ts';
import { needsObject, ruleMatches } from '../config/forward-rules.ts';
import type { ArchiveEvents, ObjectEvent } from '../runtime/events.ts';
import type { StoredEvent } from './ingest.ts';
import { PermanentJobError, forwardGroup, type JobContext, type JobQueue } from '../jobs/job-queue.ts';
import { jobRunners, type ForwardScriptRunner } from './job-runners.ts';
import type { Job, JobKind, RetrieveQuery } from '../jobs/job.ts';
import { LEVEL_NAMES, QR_BY_TAG, UNIQUE_KEYS } from '../query/attributes.ts';
import { DicomClient, type RemoteNode } from '../scu/dicom-client.ts';
import type { WebNode } from '../config/web-nodes.ts';
import { pingWebNode } from '../scu/dicomweb-client.ts';
import type { OutgoingObject, TranscodePort } from '../protocol/services/store-scu.ts';
import type { Logger } from '../util/log.ts';
import type { TlsSettings } from '../protocol/network.ts';
import { isTlsNode } from '../config/tls-files.ts';
import { Refusal } from '../util/refusal.ts';
import type { Message } from '../../common/message.ts';
import { msg } from '../../common/message.ts';

export interface TransferDependencies {
  config: () => LoadedConfig;
  /** The archive's job queue: sends, forwards and retrieves run on it. */
  queue: JobQueue;
  /** The codecs, for sends to nodes that take another syntax than the stored one. */
  codecs: TranscodePort;
  index: ArchiveIndex;
  read: (instance: StoredInstance) => OutgoingObject['read'];
  /** Our store SCP, answering the objects a C-GET brings back. */
  storage: AssociationHandler['onCommand'];
  /** An object retrieved from a DICOMweb node, into the archive (through the ingest, calling AE `source`). */
  ingestObject: (object: AsyncIterable<Buffer>, source: string) => Promise<void>;
  associationOptions: () => AssociationOptions;
  /** Our DICOM TLS credentials (read at start), for the nodes of TLSNodes. */
  tls: () => TlsSettings | undefined;
  events: ArchiveEvents;
  logger: Logger;
  /**
   * Where this archive's own DICOM listener is, on this computer (undefined while it does not listen): our AE title
   * as a node when acrnema.map does not list it, so a search of it is the search its own peers get (with its virtual
   * servers' answers merged) and a retrieve from it to it fetches what only its upstreams hold.
   */
  self?: () => { host: string; port: number } | undefined;
}

export class TransferError extends Refusal {
  constructor(said: Message | string) {
    super(400, said);
  }
}

/**
 * The archive talking to other nodes: the SCU operations (echo, find, move, get, store), the persistent job queue
 * that runs sends and retrieves, and forwarding of newly stored objects by the dicom.ini rules.
 */
export class Transfers {
  readonly client: DicomClient;
  readonly queue: JobQueue;
  private readonly deps: TransferDependencies;
  /** Storage Commitment of a send's objects once all are sent (the commitment feature, when it runs). */
  private commitment?: (ctx: JobContext, node: RemoteNode) => Promise<void>;
  /** A forward's `script` on each copy sent (the import-converters feature, which runs the converter language). */
  private forwardScript?: ForwardScriptRunner;

  constructor(deps: TransferDependencies) {
    this.deps = deps;
    const settings = () => deps.config().settings;
    this.client = new DicomClient({
      callingAe: () => settings().aeTitle,
      associationOptions: deps.associationOptions,
      storage: () => deps.config().sopList,
      events: deps.events,
      log: deps.logger.child('scu'),
      codecs: deps.codecs,
    });
    this.queue = deps.queue;
    for (const [kind, runner] of Object.entries(
      jobRunners({
        index: deps.index,
        client: this.client,
        node: (ae) => this.node(ae),
        ourAe: () => settings().aeTitle,
        read: deps.read,
        storage: deps.storage,
        webNode: (name) => this.webNode(name),
        ingestObject: deps.ingestObject,
        requestCommitment: (ctx, node) => {
          if (!this.commitment) throw new PermanentJobError(msg('Storage Commitment is not part of this archive'));
          return this.commitment(ctx, node);
        },
        forwardScript: (script, read, copy) => {
          if (!this.forwardScript) throw new PermanentJobError(msg("a forward's script does not run in this archive"));
          return this.forwardScript(script, read, copy);
        },
        receivedFrom: (ae, listener) => {
          const onObject = (e: ObjectEvent) => {
            if (e.direction === 'received' && e.peerAe === ae && e.status === 0) listener(e.size);
          };
          deps.events.on('object', onObject);
          return () => deps.events.off('object', onObject);
        },
      }),
    ))
      this.queue.addRunner(kind as JobKind, runner);
  }

  /** Sends asked for commitment ask it through `request` (the commitment feature). */
  commitWith(request: (ctx: JobContext, node: RemoteNode) => Promise<void>): void {
    this.commitment = request;
  }

  /** Forwards with a `script` clause run it on each copy sent through `run`. */
  scriptWith(run: ForwardScriptRunner): void {
    this.forwardScript = run;
  }

  /** A node of acrnema.map by exact AE title (wildcard entries name callers, not destinations). */
  node(ae: string): RemoteNode | undefined {
    const n = this.deps
      .config()
      .nodes.nodes.find((x) => x.ae.toUpperCase() === ae.toUpperCase() && !/[*?]/.test(x.host));
    const tls = isTlsNode(this.deps.config().settings, ae) ? this.deps.tls() : undefined;
    if (n) return { ae: n.ae, host: n.host, port: n.port, compression: n.compression, tls };
    const ours = this.deps.config().settings.aeTitle;
    const self = ae.toUpperCase() === ours.toUpperCase() ? this.deps.self?.() : undefined;
    return self?.port ? { ae: ours, host: self.host, port: self.port } : undefined;
  }

  /** A DICOMweb node of dicomweb.map by name. */
  webNode(name: string): WebNode | undefined {
    return this.deps.config().webNodes.find(name);
  }

  /** A node jobs may name: of acrnema.map, or a DICOMweb node. */
  private required(ae: string): void {
    if (!this.node(ae) && !this.webNode(ae))
      throw new TransferError(msg('{ae} is not in acrnema.map or dicomweb.map', { ae }));
  }

  /**
   * Queue forwards for a newly stored object, one per matching plain rule (the rules that need the object's attributes,
   * and scripts, are the export-converters feature's); never delays or fails the store itself.
   */
  onStored(e: StoredEvent): void {
    for (const rule of this.deps.config().forwardRules) {
      if (
        needsObject(rule) ||
        !ruleMatches(rule, {
          modality: e.header.modality,
          callingAe: e.callingAe,
          calledAe: e.calledAe,
          sopClassUid: e.header.sopClassUid,
        })
      )
        continue;
      const { group, acrossStudies } = forwardGroup(this.deps.config().settings.forwardAssociationLevel, e.header);
      this.queue
        .forward(
          rule.destination,
          acrossStudies ? '' : e.header.studyInstanceUid,
          e.header.sopInstanceUid,
          rule.compression,
          rule.commitment,
          undefined,
          { group },
        )
        .catch((err) =>
          this.deps.logger
            .child('jobs')
            .error(
              `cannot queue forward of ${e.header.sopInstanceUid} to ${rule.destination}: ${(err as Error).message}`,
            ),
        );
    }
  }

  /** Queue a send of a local patient, study, series or object to a node. */
  async send(
    destination: string,
    level: RetrieveQuery['level'],
    uid: string,
    options: { commit?: boolean } = {},
  ): Promise<Job> {
    this.required(destination);
    const attr = QR_BY_TAG.get(UNIQUE_KEYS[LEVEL_NAMES.indexOf(level)]!)!;
    const instances = await this.deps.index.instancesMatching([{ attr, match: { kind: 'single', value: uid } }]);
    if (!instances.length)
      throw new TransferError(msg('nothing in the archive for {level} {uid}', { level, uid: String(uid) }));
    if (options.commit && !this.commitment)
      throw new TransferError(msg('Storage Commitment is not part of this archive'));
    if (options.commit && this.webNode(destination))
      throw new TransferError(
        msg('{destination} is a DICOMweb node: Storage Commitment is a DICOM service', { destination }),
      );
    return this.queue.add(
      'send',
      { destination, studyUid: level === 'STUDY' ? uid : undefined, commitment: options.commit ? 'asked' : '' },
      instances.map((i) => i.sopInstanceUid),
    );
  }

  /**
   * Queue a retrieve from a node: C-MOVE to us (or to `destination`), or C-GET into our archive. `detail`: what the job
   * list shows of the study until it is here (the search answer's patient name and description, as JSON).
   */
  async retrieve(
    source: string,
    query: RetrieveQuery,
    how: 'move' | 'get',
    destination = '',
    detail = '',
  ): Promise<Job> {
    this.required(source);
    if (destination) this.required(destination);
    return this.queue.add(how, { source, destination, query, detail });
  }

  /** C-ECHO, or for a DICOMweb node the smallest search: how long it took, in ms. */
  async echo(ae: string, signal?: AbortSignal): Promise<number> {
    const web = this.webNode(ae);
    if (web) return pingWebNode(web, signal);
    const node = this.node(ae);
    if (!node) throw new TransferError(msg('{ae} is not in acrnema.map or dicomweb.map', { ae }));
    return this.client.echo(node, signal);
  }

  /** Interrupt running jobs (they resume at the next start) and end every association to a remote node now. */
  async stop(): Promise<void> {
    const stopped = this.queue.stop();
    this.client.abortAll('server is stopping');
    await stopped;
  }
}
