import type { AssociationHandler } from '../protocol/association.ts';
import { formatStatus, Status } from '../dicom/status.ts';
import { QrSopClass } from '../../common/uids.ts';
import type { OutgoingObject, ReadObject, SendResult } from '../protocol/services/store-scu.ts';
import type { ArchiveIndex, StoredInstance } from '../index/archive-index.ts';
import type { DicomClient, RemoteNode, RetrieveOutcome } from '../scu/dicom-client.ts';
import { identifierFromKeywords } from '../query/keyword-identifiers.ts';
import { HOST_PORT } from '../../common/forward-rule.ts';
import { forwardViaOf, type ForwardVia } from '../jobs/job-queue.ts';
import type { Job, JobKind } from '../jobs/job.ts';
import type { WebNode } from '../config/web-nodes.ts';
import { retrieveFromWebNode, searchWebNode, sendToWebNode } from '../scu/dicomweb-client.ts';
import { PermanentJobError, type JobContext, type JobRunner } from '../jobs/job-queue.ts';
import { msg } from '../../common/message.ts';
import { matchingImageType } from './image-type-filter.ts';

/** What a forward job's object is, for its script: the stored object's UID and syntax, and the forward's AE titles. */
export interface ScriptedCopy {
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The called AE title (the destination's). */
  destination: string;
  /** Our calling AE title for this forward. */
  callingAe: string;
}

/** Run by the import-converters feature (features/forward-scripts.ts). */
export type ForwardScriptRunner = (script: string, read: ReadObject, copy: ScriptedCopy) => Promise<ReadObject>;

/** What each kind of job does, with the archive's parts. */
export interface RunnerDependencies {
  index: ArchiveIndex;
  client: DicomClient;
  /** A remote node by AE title (acrnema.map), or undefined. */
  node: (ae: string) => RemoteNode | undefined;
  ourAe: () => string;
  read: (instance: StoredInstance) => OutgoingObject['read'];
  /** Answers the C-STORE requests a C-GET brings back (our store SCP). */
  storage: AssociationHandler['onCommand'];
  /** A DICOMweb node by name (dicomweb.map), or undefined. */
  webNode: (name: string) => WebNode | undefined;
  /** One Part-10 object from a DICOMweb node into the archive, through the ingest; throws with the reason it is refused. */
  ingestObject: (object: AsyncIterable<Buffer>, source: string) => Promise<void>;
  /** Storage Commitment of a send's objects once all are sent (storage-commitment.ts). */
  requestCommitment?: (ctx: JobContext, node: RemoteNode) => Promise<void>;
  /** Each object stored here from the node with this AE title, by its size, until the returned function is called. */
  receivedFrom?: (ae: string, listener: (bytes: number) => void) => () => void;
  /** A forward's `script` run on each copy as it is read to be sent (features/forward-scripts.ts). */
  forwardScript?: ForwardScriptRunner;
}

export function jobRunners(deps: RunnerDependencies): Partial<Record<JobKind, JobRunner>> {
  const send = sendRunner(deps);
  return { send, forward: send, move: retrieveRunner(deps, 'move'), get: retrieveRunner(deps, 'get') };
}

function nodeOf(deps: RunnerDependencies, ae: string): RemoteNode {
  const node = deps.node(ae);
  if (!node) throw new PermanentJobError(msg('{ae} is not in acrnema.map or dicomweb.map', { ae }));
  return node;
}

/**
 * Where a send or forward goes: its destination's node, with the AE titles a converter's forward said (`org`, `dest`);
 * a destination given as `host:port` (not in acrnema.map) is reached there, called by `dest` or by that text.
 */
function forwardNode(deps: RunnerDependencies, job: Job, via: ForwardVia): RemoteNode {
  const known = deps.node(job.destination);
  const at = known ? undefined : HOST_PORT.exec(job.destination);
  const node = at
    ? { ae: job.destination.slice(0, 16), host: at[1]!, port: Number(at[2]) }
    : nodeOf(deps, job.destination);
  return { ...node, ...(via.dest ? { ae: via.dest } : {}), ...(via.org ? { callingAe: via.org } : {}) };
}

/**
 * How a forward reads each object to send: as stored, or left out when a delayed forward's `imagetype` does not match,
 * then changed by its `script`.
 */
function readForForward(
  read: () => Promise<ReadObject>,
  copy: ScriptedCopy,
  imageType: string | undefined,
  script: ((read: ReadObject) => Promise<ReadObject>) | undefined,
): () => Promise<ReadObject> {
  if (imageType === undefined && !script) return read;
  return async () => {
    const stored = await read();
    const kept = imageType === undefined ? stored : await matchingImageType(stored, imageType, copy.transferSyntaxUid);
    return kept.skipped || !script ? kept : script(kept);
  };
}

/** Send (or forward) the job's objects still pending; objects a node refused are tried again at the next attempt. */
function sendRunner(deps: RunnerDependencies): JobRunner {
  return async (ctx: JobContext) => {
    const { job, signal, progress } = ctx;
    const store = deps.index.jobStore();
    const web = deps.webNode(job.destination);
    const via = job.kind === 'forward' ? forwardViaOf(job.detail) : {};
    const own = web ? { ae: web.name, host: '', port: 0 } : forwardNode(deps, job, via);
    const node = job.compression ? { ...own, compression: job.compression } : own;
    const { script, imageType } = via;
    if (script !== undefined && !deps.forwardScript)
      throw new PermanentJobError(msg("a forward's script does not run in this archive"));
    await store.setItems(job.id, await store.items(job.id, 'failed'), 'pending');
    const objects: OutgoingObject[] = [];
    const missing: string[] = [];
    for (const uid of await store.items(job.id, 'pending')) {
      const inst = await deps.index.findInstance(uid);
      if (!inst) {
        missing.push(uid);
        continue;
      }
      const read = deps.read(inst);
      const copy = {
        sopInstanceUid: inst.sopInstanceUid,
        transferSyntaxUid: inst.transferSyntaxUid,
        destination: node.ae,
        callingAe: node.callingAe ?? deps.ourAe(),
      };
      objects.push({
        sopClassUid: inst.sopClassUid,
        sopInstanceUid: inst.sopInstanceUid,
        transferSyntaxUid: inst.transferSyntaxUid,
        read: readForForward(
          read,
          copy,
          imageType,
          script === undefined ? undefined : (r) => deps.forwardScript!(script, r, copy),
        ),
      });
    }
    await store.setItems(job.id, missing, 'failed');
    if (!objects.length && missing.length)
      throw new PermanentJobError(
        msg("none of the job's {n} object(s) is in the archive any more", { n: missing.length }),
      );
    let done = (await store.items(job.id, 'done')).length + (await store.items(job.id, 'skipped')).length;
    let failed = missing.length;
    let bytes = job.bytes;
    let lastRefusal = missing.length ? `${missing.length} object(s) no longer in the archive` : '';
    await progress({ total: done + failed + objects.length, done, failed }, true);
    // Item states are written in batches, with the progress (see JobContext.progress).
    const settled = {
      done: [] as string[],
      failed: [] as string[],
      skipped: [] as string[],
      sentAs: [] as { uid: string; as: string }[],
    };
    const flush = async () => {
      const batch = {
        done: settled.done.splice(0),
        failed: settled.failed.splice(0),
        skipped: settled.skipped.splice(0),
        sentAs: settled.sentAs.splice(0),
      };
      await store.setItems(job.id, batch.done, 'done');
      await store.setItems(job.id, batch.failed, 'failed');
      await store.setItems(job.id, batch.skipped, 'skipped');
      await store.recordSentAs(job.id, batch.sentAs);
    };
    let lastFlush = performance.now();
    try {
      const onResult = (obj: OutgoingObject, result: SendResult) => {
        if (result.outcome === 'failed') {
          failed++;
          lastRefusal = `${obj.sopInstanceUid}: ${result.reason}`;
          settled.failed.push(obj.sopInstanceUid);
        } else {
          done++;
          (result.skipped ? settled.skipped : settled.done).push(obj.sopInstanceUid);
          if (result.sentAs) settled.sentAs.push({ uid: obj.sopInstanceUid, as: result.sentAs });
        }
        bytes += result.size ?? 0;
        if (performance.now() - lastFlush >= 100) {
          lastFlush = performance.now();
          void flush();
        }
        void progress({ done, failed, bytes });
      };
      if (web) await sendToWebNode(web, objects, onResult, signal);
      else await deps.client.store(node, objects, onResult, signal);
    } finally {
      await flush();
      await progress({ done, failed, bytes }, true);
    }
    if (signal.aborted) return;
    if (failed > 0) throw new Error(`${failed} object(s) not accepted by ${node.ae}; last: ${lastRefusal}`);
    if (job.commitment && !web && deps.requestCommitment) {
      await deps.requestCommitment(ctx, node);
      if (job.commitment === 'failed') throw new PermanentJobError(job.error);
    }
  };
}

/**
 * Retrieve from a DICOMweb node with WADO-RS, into this archive: each study the query names (a patient's: found first
 * with QIDO-RS), each object through the ingest as it arrives.
 */
async function retrieveFromWeb(
  deps: RunnerDependencies,
  web: WebNode,
  { job, signal, progress }: JobContext,
): Promise<void> {
  const query = job.query!;
  if (job.destination && job.destination !== deps.ourAe())
    throw new PermanentJobError(
      msg('{name} is a DICOMweb node: it can give objects to this archive, not send them to {destination}', {
        name: web.name,
        destination: job.destination,
      }),
    );
  const keys = query.keys;
  const studies =
    query.level === 'PATIENT' || !keys.StudyInstanceUID
      ? (await searchWebNode(web, 'STUDY', { ...keys, StudyInstanceUID: '' }, signal))
          .map((s) => s.StudyInstanceUID!)
          .filter(Boolean)
      : keys.StudyInstanceUID.split('\\');
  if (!studies.length)
    throw new PermanentJobError(
      msg('{name} has nothing that matches {keys}', { name: web.name, keys: JSON.stringify(keys) }),
    );
  let done = 0;
  let failed = 0;
  let lastFailure = '';
  for (const study of studies) {
    if (signal.aborted) return;
    const before = { done, failed };
    const result = await retrieveFromWebNode(
      web,
      {
        study,
        series: query.level !== 'STUDY' ? keys.SeriesInstanceUID : undefined,
        instance: query.level === 'IMAGE' ? keys.SOPInstanceUID : undefined,
      },
      (object) => deps.ingestObject(object, web.name),
      (d, f) => {
        done = before.done + d;
        failed = before.failed + f;
        void progress({ total: done + failed, done, failed });
      },
      signal,
    );
    if (result.lastFailure) lastFailure = result.lastFailure;
  }
  await progress({ total: done + failed, done, failed }, true);
  if (failed > 0) throw new Error(`${failed} object(s) from ${web.name} could not be stored; last: ${lastFailure}`);
}

/** Ask a remote node to send a study (series, ...) to us or a third node (C-MOVE), or to give it to us (C-GET). */
function retrieveRunner(deps: RunnerDependencies, how: 'move' | 'get'): JobRunner {
  return async (context: JobContext) => {
    const { job, signal, progress } = context;
    if (!job.query) throw new PermanentJobError(msg('the job has no query'));
    const web = deps.webNode(job.source);
    if (web) return retrieveFromWeb(deps, web, context);
    const node = nodeOf(deps, job.source);
    const patientRoot = job.query.level === 'PATIENT';
    const identifier = identifierFromKeywords(job.query.keys, job.query.level);
    // The total is what the node announced (remaining + done): a cancelled retrieve shows how much was left undone.
    const counts = (c: { remaining?: number; completed: number; failed: number; warning: number }) => ({
      total: Math.max(job.total, (c.remaining ?? 0) + c.completed + c.failed + c.warning),
      done: c.completed + c.warning,
      failed: c.failed,
    });
    const onProgress = (c: { remaining?: number; completed: number; failed: number; warning: number }) => {
      void progress(counts(c));
    };
    // What arrives here from the node while it runs gives the job its size and speed (to a third node nothing does).
    const here = !job.destination || job.destination === deps.ourAe();
    const stopCounting = here
      ? deps.receivedFrom?.(node.ae, (bytes) => {
          void progress({ bytes: job.bytes + bytes });
        })
      : undefined;
    let outcome: RetrieveOutcome;
    try {
      if (how === 'move') {
        outcome = await deps.client.move(
          node,
          patientRoot ? QrSopClass.PatientRootMove : QrSopClass.StudyRootMove,
          identifier,
          job.destination || deps.ourAe(),
          onProgress,
          signal,
        );
      } else {
        outcome = await deps.client.get(
          node,
          patientRoot ? QrSopClass.PatientRootGet : QrSopClass.StudyRootGet,
          identifier,
          deps.storage,
          onProgress,
          signal,
        );
      }
    } finally {
      stopCounting?.();
    }
    await progress(counts(outcome), true);
    if (signal.aborted || outcome.status === Status.Cancel) return;
    if (outcome.status !== Status.Success) {
      const why = `${node.ae} answered ${formatStatus(outcome.status)}${outcome.comment ? ' (' + outcome.comment + ')' : ''}: ${outcome.failed} failed, ${outcome.completed} completed`;
      if (outcome.status === Status.MoveDestinationUnknown)
        throw new PermanentJobError(
          msg('{why}; {ae} does not know {value}', { why, ae: node.ae, value: job.destination || deps.ourAe() }),
        );
      throw new Error(why);
    }
  };
}
