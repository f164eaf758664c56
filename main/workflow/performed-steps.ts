import { CharacterSet } from '../dicom/charset.ts';
import { encodeDataSet, itemsOf, parseDataSet, textOf, type DataSet } from '../dicom/dataset.ts';
import { DimseError, Status } from '../dicom/status.ts';
import type { MppsPort } from '../protocol/services/ports.ts';
import { statusOf } from '../protocol/services/mpps-rules.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { MppsRecord } from '../index/mpps-record.ts';
import { PermanentJobError, type JobContext, type JobQueue, type JobRunner } from '../jobs/job-queue.ts';
import type { DicomClient, RemoteNode } from '../scu/dicom-client.ts';
import type { SourceLogger } from '../util/log.ts';
import type { ArchiveEvents } from '../runtime/events.ts';
import { msg } from '../../common/message.ts';
import { Tag } from '../dicom/tags.ts';

/** Steps are kept and passed on in Explicit VR Little Endian. */
const STORED_ENCODING = { explicitVR: true, littleEndian: true, deflated: false };

export interface PerformedStepDependencies {
  index: ArchiveIndex;
  queue: JobQueue;
  client: DicomClient;
  node: (ae: string) => RemoteNode | undefined;
  /** MPPSForward: the nodes each message is passed on to. */
  forwardTo: () => string[];
  log: SourceLogger;
  /** Told of each step created or set (the Worklist screen shows it at once). */
  events?: ArchiveEvents;
}

/**
 * The archive's side of MPPS: each step kept in the index with what the worklist shows (state, performed series), and
 * each N-CREATE and N-SET passed on to the MPPSForward nodes as an 'mpps-forward' job, in the order they came.
 */
export class PerformedSteps implements MppsPort {
  private readonly deps: PerformedStepDependencies;

  constructor(deps: PerformedStepDependencies) {
    this.deps = deps;
    deps.queue.addRunner('mpps-forward', this.forwardRunner());
  }

  async create(sopInstanceUid: string, step: DataSet, callingAe: string): Promise<void> {
    const now = new Date().toISOString();
    const record = { ...recordOf(sopInstanceUid, step, callingAe), createdAt: now, updatedAt: now };
    if (!(await this.deps.index.mppsStore().create(record)))
      throw new DimseError(Status.DuplicateSopInstance, `procedure step ${sopInstanceUid} exists`);
    this.deps.events?.emit('worklist', { reason: 'mpps', sopInstanceUid, status: record.status });
    await this.forward('create', sopInstanceUid, step);
  }

  async get(sopInstanceUid: string): Promise<DataSet | undefined> {
    const record = await this.deps.index.mppsStore().get(sopInstanceUid);
    return record ? parseDataSet(Buffer.from(record.dataSet, 'base64'), STORED_ENCODING) : undefined;
  }

  async set(sopInstanceUid: string, step: DataSet, changes: DataSet, callingAe: string): Promise<void> {
    const store = this.deps.index.mppsStore();
    const before = (await store.get(sopInstanceUid))!;
    const record = recordOf(sopInstanceUid, step, callingAe);
    await store.update({
      ...record,
      worklistId: before.worklistId,
      createdAt: before.createdAt,
      updatedAt: new Date().toISOString(),
    });
    this.deps.events?.emit('worklist', { reason: 'mpps', sopInstanceUid, status: record.status });
    await this.forward('set', sopInstanceUid, changes);
  }

  private async forward(operation: 'create' | 'set', sopInstanceUid: string, dataSet: DataSet): Promise<void> {
    for (const destination of this.deps.forwardTo()) {
      await this.deps.queue.add('mpps-forward', {
        destination,
        transactionUid: sopInstanceUid,
        detail: JSON.stringify({ operation, dataSet: encodeDataSet(dataSet, STORED_ENCODING).toString('base64') }),
      });
    }
  }

  private forwardRunner(): JobRunner {
    return async ({ job, signal }: JobContext) => {
      // An N-SET waits for the step's earlier messages to the same node: the receiver must see them in order.
      const earlier = (await this.deps.queue.list(['queued', 'running'])).find(
        (j) =>
          j.kind === 'mpps-forward' &&
          j.id < job.id &&
          j.destination === job.destination &&
          j.transactionUid === job.transactionUid,
      );
      if (earlier) throw new Error(`waits for job ${earlier.id}, an earlier message of the same step`);
      const node = this.deps.node(job.destination);
      if (!node)
        throw new PermanentJobError(msg('{destination} is not in acrnema.map', { destination: job.destination }));
      const { operation, dataSet } = JSON.parse(job.detail) as { operation: 'create' | 'set'; dataSet: string };
      await this.deps.client.sendMpps(
        node,
        operation,
        job.transactionUid,
        parseDataSet(Buffer.from(dataSet, 'base64'), STORED_ENCODING),
        signal,
      );
      this.deps.log.info(`procedure step ${job.transactionUid}: N-${operation.toUpperCase()} passed on to ${node.ae}`);
    };
  }
}

/** What the index and the worklist show of a step, read from its data set. */
function recordOf(
  sopInstanceUid: string,
  step: DataSet,
  callingAe: string,
): Omit<MppsRecord, 'createdAt' | 'updatedAt'> {
  const charset = new CharacterSet(textOf(step.get(Tag.SpecificCharacterSet)) || undefined);
  const text = (ds: DataSet, tag: number) => textOf(ds.get(tag), (b) => charset.decode(b));
  const scheduled = itemsOf(step, Tag.ScheduledStepAttributesSequence)[0] ?? new Map();
  return {
    sopInstanceUid,
    status: statusOf(step),
    callingAe,
    patientId: text(step, Tag.PatientID),
    patientName: text(step, Tag.PatientName),
    studyUid: text(scheduled, Tag.StudyInstanceUID),
    stepId: text(scheduled, Tag.ScheduledProcedureStepID),
    accessionNumber: text(scheduled, Tag.AccessionNumber),
    modality: text(step, Tag.Modality),
    description: text(step, Tag.PerformedProcedureStepDescription),
    started: text(step, Tag.PerformedProcedureStepStartDate) + text(step, Tag.PerformedProcedureStepStartTime),
    ended: text(step, Tag.PerformedProcedureStepEndDate) + text(step, Tag.PerformedProcedureStepEndTime),
    series: itemsOf(step, Tag.PerformedSeriesSequence).map((s) => ({
      seriesUid: text(s, Tag.SeriesInstanceUID),
      description: text(s, Tag.SeriesDescription),
      images: itemsOf(s, Tag.ReferencedImageSequence).length,
    })),
    dataSet: encodeDataSet(step, STORED_ENCODING).toString('base64'),
  };
}
