import { CharacterSet } from '../dicom/charset.ts';
import { encodeDataSet, itemsOf, parseDataSet, textOf, type DataSet } from '../dicom/dataset.ts';
import { DimseError, Status } from '../dicom/status.ts';
import type { MppsPort } from '../protocol/services/ports.ts';
import {
  ACCESSION_NUMBER, MODALITY, PATIENT_ID, PATIENT_NAME, PERFORMED_SERIES_SEQUENCE, PPS_DESCRIPTION, PPS_END_DATE, PPS_END_TIME, PPS_START_DATE,
  PPS_START_TIME, REFERENCED_IMAGE_SEQUENCE, SCHEDULED_PROCEDURE_STEP_ID, SCHEDULED_STEP_ATTRIBUTE_SEQUENCE, SERIES_DESCRIPTION, SERIES_INSTANCE_UID,
  SPECIFIC_CHARACTER_SET, STUDY_INSTANCE_UID, statusOf,
} from '../protocol/services/mpps-rules.ts';
import type { ArchiveIndex } from '../index/archive-index.ts';
import type { MppsRecord } from '../index/mpps-record.ts';
import { PermanentJobError, type JobContext, type JobQueue, type JobRunner } from '../jobs/job-queue.ts';
import type { DicomClient, RemoteNode } from '../scu/dicom-client.ts';
import type { SourceLogger } from '../util/log.ts';
import type { ArchiveEvents } from '../runtime/events.ts';
import { msg } from '../../common/message.ts';

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
    if (!(await this.deps.index.mppsStore().create(record))) throw new DimseError(Status.DuplicateSopInstance, `procedure step ${sopInstanceUid} exists`);
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
    await store.update({ ...record, worklistId: before.worklistId, createdAt: before.createdAt, updatedAt: new Date().toISOString() });
    this.deps.events?.emit('worklist', { reason: 'mpps', sopInstanceUid, status: record.status });
    await this.forward('set', sopInstanceUid, changes);
  }

  private async forward(operation: 'create' | 'set', sopInstanceUid: string, dataSet: DataSet): Promise<void> {
    for (const destination of this.deps.forwardTo()) {
      await this.deps.queue.add('mpps-forward', {
        destination, transactionUid: sopInstanceUid,
        detail: JSON.stringify({ operation, dataSet: encodeDataSet(dataSet, STORED_ENCODING).toString('base64') }),
      });
    }
  }

  private forwardRunner(): JobRunner {
    return async ({ job, signal }: JobContext) => {
      // An N-SET waits for the step's earlier messages to the same node: the receiver must see them in order.
      const earlier = (await this.deps.queue.list(['queued', 'running']))
        .find((j) => j.kind === 'mpps-forward' && j.id < job.id && j.destination === job.destination && j.transactionUid === job.transactionUid);
      if (earlier) throw new Error(`waits for job ${earlier.id}, an earlier message of the same step`);
      const node = this.deps.node(job.destination);
      if (!node) throw new PermanentJobError(msg('{destination} is not in acrnema.map', { destination: job.destination }));
      const { operation, dataSet } = JSON.parse(job.detail) as { operation: 'create' | 'set'; dataSet: string };
      await this.deps.client.sendMpps(node, operation, job.transactionUid, parseDataSet(Buffer.from(dataSet, 'base64'), STORED_ENCODING), signal);
      this.deps.log.info(`procedure step ${job.transactionUid}: N-${operation.toUpperCase()} passed on to ${node.ae}`);
    };
  }
}

/** What the index and the worklist show of a step, read from its data set. */
function recordOf(sopInstanceUid: string, step: DataSet, callingAe: string): Omit<MppsRecord, 'createdAt' | 'updatedAt'> {
  const charset = new CharacterSet(textOf(step.get(SPECIFIC_CHARACTER_SET)) || undefined);
  const text = (ds: DataSet, tag: number) => textOf(ds.get(tag), (b) => charset.decode(b));
  const scheduled = itemsOf(step, SCHEDULED_STEP_ATTRIBUTE_SEQUENCE)[0] ?? new Map();
  return {
    sopInstanceUid,
    status: statusOf(step),
    callingAe,
    patientId: text(step, PATIENT_ID),
    patientName: text(step, PATIENT_NAME),
    studyUid: text(scheduled, STUDY_INSTANCE_UID),
    stepId: text(scheduled, SCHEDULED_PROCEDURE_STEP_ID),
    accessionNumber: text(scheduled, ACCESSION_NUMBER),
    modality: text(step, MODALITY),
    description: text(step, PPS_DESCRIPTION),
    started: text(step, PPS_START_DATE) + text(step, PPS_START_TIME),
    ended: text(step, PPS_END_DATE) + text(step, PPS_END_TIME),
    series: itemsOf(step, PERFORMED_SERIES_SEQUENCE).map((s) => ({
      seriesUid: text(s, SERIES_INSTANCE_UID), description: text(s, SERIES_DESCRIPTION), images: itemsOf(s, REFERENCED_IMAGE_SEQUENCE).length,
    })),
    dataSet: encodeDataSet(step, STORED_ENCODING).toString('base64'),
  };
}
