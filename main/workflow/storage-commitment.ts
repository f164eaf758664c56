import { open } from 'node:fs/promises';
import { newUid } from '../../common/uids.ts';
import type { Association } from '../protocol/association.ts';
import type { CommitmentPort } from '../protocol/services/ports.ts';
import {
  FailureReason,
  type CommitmentRequest,
  type CommitmentResult,
  type FailedReference,
  type SopReference,
} from '../protocol/services/commitment-info.ts';
import { formatStatus } from '../dicom/status.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { StoredLocation } from '../store/file-store.ts';
import { PermanentJobError, type JobContext, type JobQueue, type JobRunner } from '../jobs/job-queue.ts';
import type { Job } from '../jobs/job.ts';
import { DicomOperationError, sendCommitmentReport, type DicomClient, type RemoteNode } from '../scu/dicom-client.ts';
import type { SourceLogger } from '../util/log.ts';
import { msg } from '../../common/message.ts';

/**
 * Storage Commitment for the archive (PS3.4 J), both roles, on the job queue so that nothing is lost in a restart:
 * - SCP: each N-ACTION becomes a 'commit-report' job (kept in the index before the N-ACTION is answered). Its run checks
 *   every reference against what the archive holds (index row, same SOP class, file present and a readable Part-10
 *   header) and sends the N-EVENT-REPORT: on the requester's association while it is still open, otherwise on a new
 *   association to the requester's AE in acrnema.map (the SCP role proposed). A failed report is retried like a send.
 * - SCU: a send or forward job asked for commitment requests it once its objects are sent, waits a moment for the
 *   report on the same association, and otherwise takes it when the node calls us with it. Objects the node does not
 *   commit become the job's failed objects (Retry sends them again and asks again).
 */

export interface CommitmentDependencies {
  index: ArchiveIndex;
  queue: JobQueue;
  client: DicomClient;
  /** A node of acrnema.map by AE title. */
  node: (ae: string) => RemoteNode | undefined;
  objectFile: (location: StoredLocation) => string;
  ourAe: () => string;
  /** Seconds our SCU keeps its association open for a report on it (CommitmentWaitSeconds). */
  waitSeconds: () => number;
  log: SourceLogger;
}

/** The association a request came on, while it is open: the report goes there first. */
interface Channel {
  assoc: Association;
  contextId: number;
  answered: Promise<void>;
}

export class StorageCommitments implements CommitmentPort {
  private readonly deps: CommitmentDependencies;
  private readonly channels = new Map<string, Channel>();
  /** Our requests whose association is still open, waiting for a report: one on another association ends the wait. */
  private readonly waiting = new Map<string, () => void>();

  constructor(deps: CommitmentDependencies) {
    this.deps = deps;
    deps.queue.addRunner('commit-report', this.reportRunner());
  }

  // ------------------------------------------------------------------ SCP: a node asks us

  async requested(
    request: CommitmentRequest,
    from: { assoc: Association; contextId: number },
    answered: Promise<void>,
  ): Promise<void> {
    const { assoc } = from;
    this.channels.set(request.transactionUid, { ...from, answered });
    assoc.once('closed', () => {
      if (this.channels.get(request.transactionUid)?.assoc === assoc) this.channels.delete(request.transactionUid);
    });
    const classes = Object.fromEntries(request.references.map((r) => [r.sopInstanceUid, r.sopClassUid]));
    await this.deps.queue.add(
      'commit-report',
      {
        source: assoc.callingAe,
        destination: assoc.callingAe,
        transactionUid: request.transactionUid,
        detail: JSON.stringify(classes),
      },
      request.references.map((r) => r.sopInstanceUid),
    );
  }

  private reportRunner(): JobRunner {
    return async ({ job, signal, progress }: JobContext) => {
      const store = this.deps.index.jobStore();
      const classes = JSON.parse(job.detail || '{}') as Record<string, string>;
      const references = (await store.items(job.id)).map((uid) => ({
        sopInstanceUid: uid,
        sopClassUid: classes[uid] ?? '',
      }));
      const result: CommitmentResult = {
        transactionUid: job.transactionUid,
        committed: [],
        failed: [],
        retrieveAe: this.deps.ourAe(),
      };
      for (const ref of references) {
        const reason = await this.holds(ref);
        if (reason === undefined) result.committed.push(ref);
        else result.failed.push({ ...ref, reason });
      }
      await progress({ total: references.length, done: result.committed.length, failed: result.failed.length }, true);
      if (signal.aborted) return;
      await this.report(job, result, signal);
      await store.setItems(
        job.id,
        result.committed.map((r) => r.sopInstanceUid),
        'done',
      );
      await store.setItems(
        job.id,
        result.failed.map((r) => r.sopInstanceUid),
        'failed',
      );
      this.channels.delete(job.transactionUid);
      this.deps.log.info(
        `commitment ${job.transactionUid} reported to ${job.destination}: ${result.committed.length} committed, ${result.failed.length} not`,
      );
    };
  }

  /** Why we cannot commit to an object, or undefined when we hold it: its row, its SOP class, its file. */
  private async holds(ref: SopReference): Promise<number | undefined> {
    const inst = await this.deps.index.findInstance(ref.sopInstanceUid);
    if (!inst) return FailureReason.NoSuchObjectInstance;
    if (inst.sopClassUid !== ref.sopClassUid) return FailureReason.ClassInstanceConflict;
    const file = await open(this.deps.objectFile(inst.location), 'r').catch(() => undefined);
    if (!file) return FailureReason.ProcessingFailure;
    try {
      const head = Buffer.alloc(132);
      const { bytesRead } = await file.read(head, 0, 132, 0);
      const { size } = await file.stat();
      return bytesRead === 132 && head.toString('latin1', 128, 132) === 'DICM' && size === inst.size
        ? undefined
        : FailureReason.ProcessingFailure;
    } catch {
      return FailureReason.ProcessingFailure;
    } finally {
      await file.close();
    }
  }

  /** On the request's association while it is open, else on a new one to the requester (PS3.4 J.3.3.1.2). */
  private async report(job: Job, result: CommitmentResult, signal: AbortSignal): Promise<void> {
    const channel = this.channels.get(job.transactionUid);
    if (channel?.assoc.isEstablished) {
      await channel.answered;
      try {
        await sendCommitmentReport(channel.assoc, channel.contextId, result, job.destination);
        return;
      } catch (err) {
        this.deps.log.info(
          `commitment ${job.transactionUid}: not reported on ${channel.assoc.label} (${(err as Error).message}); opening a new association`,
        );
      }
    }
    const node = this.deps.node(job.destination);
    if (!node)
      throw new PermanentJobError(
        msg(
          '{destination} has released the association and is not in acrnema.map: add it, then retry, to send the report',
          { destination: job.destination },
        ),
      );
    await this.deps.client.reportCommitment(node, result, signal);
  }

  // ------------------------------------------------------------------ SCU: we ask a node

  /** After a send job's objects are all sent: ask the node to commit to the ones it took. */
  async requestFor(ctx: JobContext, node: RemoteNode): Promise<void> {
    const { job, signal } = ctx;
    const store = this.deps.index.jobStore();
    const references: SopReference[] = [];
    // By the UIDs they went as (a forward's script may have given new ones); those left out are not asked for.
    const sentAs = await store.sentAs(job.id);
    for (const uid of await store.items(job.id, 'done')) {
      const inst = await this.deps.index.findInstance(uid);
      if (inst) references.push({ sopClassUid: inst.sopClassUid, sopInstanceUid: sentAs.get(uid) ?? uid });
    }
    if (!references.length) return;
    const transactionUid = newUid();
    // Recorded before the N-ACTION leaves: a report on a new association may come before the N-ACTION response.
    await store.updateJob(job.id, { transactionUid, commitment: 'requested' });
    Object.assign(job, { transactionUid, commitment: 'requested' });
    const elsewhere = new Promise<void>((resolve) => this.waiting.set(transactionUid, resolve));
    let result: CommitmentResult | undefined;
    try {
      result = await this.deps.client.requestCommitment(
        node,
        { transactionUid, references },
        { ms: this.deps.waitSeconds() * 1000, elsewhere },
        signal,
      );
    } catch (err) {
      // A node without the service will not commit however often the objects are sent again: the job ends here.
      if (!(err instanceof DicomOperationError) || !/does not support/.test(err.message)) throw err;
      const error = `${node.ae} does not offer Storage Commitment (the objects were sent)`;
      await store.updateJob(job.id, { commitment: 'failed', error });
      throw new PermanentJobError(error);
    } finally {
      this.waiting.delete(transactionUid);
    }
    // A report on another association during the wait has been applied to the stored job: the run goes on from it.
    const fresh = await store.getJob(job.id);
    if (fresh)
      Object.assign(job, { commitment: fresh.commitment, error: fresh.error, failed: fresh.failed, done: fresh.done });
    this.deps.log.info(
      `job ${job.id}: commitment of ${references.length} object(s) requested from ${node.ae}, transaction ${transactionUid}${result ? '; reported at once' : ''}`,
    );
    if (result) await this.apply(job, result, node.ae);
  }

  /** A node's report (PS3.4 J.3.3.1.3) on one of our requests. */
  async reported(result: CommitmentResult, fromAe: string): Promise<boolean> {
    const store = this.deps.index.jobStore();
    const found = await store.jobByTransaction(result.transactionUid);
    if (!found || (found.kind !== 'send' && found.kind !== 'forward')) return false;
    if (found.destination.toUpperCase() !== fromAe.toUpperCase())
      this.deps.log.warn(
        `commitment ${result.transactionUid} of job ${found.id} (to ${found.destination}) reported by ${fromAe}`,
      );
    const waiter = this.waiting.get(result.transactionUid);
    // A run that no longer waits for this report is ending: apply the report to what it records, not under it.
    if (!waiter) await this.deps.queue.settled(found.id);
    const job = (await store.getJob(found.id))!;
    await this.apply(job, result, fromAe);
    waiter?.();
    await this.deps.queue.changed(job.id);
    return true;
  }

  private async apply(job: Job, result: CommitmentResult, fromAe: string): Promise<void> {
    const store = this.deps.index.jobStore();
    if (!result.failed.length) {
      await store.updateJob(job.id, { commitment: 'committed' });
      job.commitment = 'committed';
      this.deps.log.info(`job ${job.id}: ${fromAe} committed to keep ${result.committed.length} object(s)`);
      return;
    }
    const error = `${result.failed.length} object(s) not committed by ${fromAe}: ${describeFailures(result.failed)}`;
    // The node names objects as they went; the job's items are the stored ones.
    const storedAs = new Map([...(await store.sentAs(job.id))].map(([stored, sent]) => [sent, stored]));
    await store.setItems(
      job.id,
      result.failed.map((f) => storedAs.get(f.sopInstanceUid) ?? f.sopInstanceUid),
      'failed',
    );
    const failed = (await store.items(job.id, 'failed')).length;
    const done = (await store.items(job.id, 'done')).length + (await store.items(job.id, 'skipped')).length;
    const finished = job.state !== 'running' && job.state !== 'queued';
    await store.updateJob(job.id, {
      commitment: 'failed',
      failed,
      done,
      error,
      ...(finished ? { state: 'failed' as const } : {}),
    });
    Object.assign(job, { commitment: 'failed', failed, done, error });
    this.deps.log.warn(`job ${job.id}: ${error}`);
  }
}

function describeFailures(failed: FailedReference[]): string {
  const reasons = new Map<number, number>();
  for (const f of failed) reasons.set(f.reason, (reasons.get(f.reason) ?? 0) + 1);
  return [...reasons].map(([reason, n]) => `${n} x ${reasonName(reason)}`).join(', ');
}

function reasonName(reason: number): string {
  const name = Object.entries(FailureReason).find(([, v]) => v === reason)?.[0];
  return name
    ? `${name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} (0x${reason.toString(16).padStart(4, '0')})`
    : formatStatus(reason);
}
