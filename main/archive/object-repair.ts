import type { DataSet } from '../dicom/dataset.ts';
import type { StorageCheckStore, StorageProblem } from '../index/sql-storage-checks.ts';
import type { RetrieveQuery } from '../jobs/job.ts';
import { identifierFromKeywords } from '../query/keyword-identifiers.ts';
import type { RemoteNode } from '../scu/dicom-client.ts';
import type { SourceLogger } from '../util/log.ts';

export interface RepairDependencies {
  checks: StorageCheckStore;
  /** The AE titles to ask for a good copy, in order (VerifyRepairFrom). */
  sources(): string[];
  /** A DICOM node by AE title (undefined: a DICOMweb node, or unknown). */
  node(ae: string): RemoteNode | undefined;
  /** Whether a DICOMweb node of that name exists (dicomweb.map). */
  webNode(name: string): boolean;
  find(node: RemoteNode, identifier: DataSet): Promise<DataSet[]>;
  /** Queue a C-MOVE to us (or a WADO-RS retrieve); its job id. */
  retrieve(ae: string, query: RetrieveQuery): Promise<number>;
  /** Objects whose next arriving copy replaces the damaged file whatever the duplicate policy (ingest.repairs). */
  repairs: Set<string>;
  log: SourceLogger;
}

/**
 * Putting a damaged object right (VerifyStorage's "repair"): the nodes of VerifyRepairFrom are asked in turn, by the
 * object's Study, Series and SOP Instance UIDs (C-FIND at IMAGE level), whether they hold it; the first that does is
 * asked for it (a C-MOVE to this archive, as a job), and its copy replaces the damaged file when it arrives. None: the
 * object is marked unrepairable with what was asked. The copy's arrival is judged by the caller (it reads the file back).
 */
export class ObjectRepair {
  private readonly deps: RepairDependencies;
  /** The retrieve job fetching each object being repaired. */
  private readonly jobs = new Map<number, string>();

  constructor(deps: RepairDependencies) {
    this.deps = deps;
  }

  /** Ask for a good copy of the object; resolves once asked (or marked unrepairable). */
  async repair(problem: StorageProblem): Promise<void> {
    const { checks } = this.deps;
    const uid = problem.sopInstanceUid;
    const sources = this.deps.sources();
    if (!sources.length) {
      await checks.setState(uid, 'unrepairable', 'no node to ask: VerifyRepairFrom is empty');
      return;
    }
    const keys = {
      StudyInstanceUID: problem.studyInstanceUid,
      SeriesInstanceUID: problem.seriesInstanceUid,
      SOPInstanceUID: uid,
    };
    const asked: string[] = [];
    for (const ae of sources) {
      const node = this.deps.node(ae);
      if (!node && !this.deps.webNode(ae)) {
        asked.push(`${ae}: not in acrnema.map or dicomweb.map`);
        continue;
      }
      if (node) {
        const found = await this.deps.find(node, identifierFromKeywords(keys, 'IMAGE')).then(
          (answers) => answers.length > 0,
          (err: Error) => {
            asked.push(`${ae}: ${err.message}`);
            return undefined;
          },
        );
        if (found === undefined) continue;
        if (!found) {
          asked.push(`${ae}: does not have it`);
          continue;
        }
      }
      this.deps.repairs.add(uid);
      const job = await this.deps.retrieve(ae, { level: 'IMAGE', keys });
      this.jobs.set(job, uid);
      await checks.setState(uid, 'repairing', `retrieving a copy from ${ae} (job ${job})`);
      this.deps.log.info(`${uid}: retrieving a good copy from ${ae} (job ${job})`);
      return;
    }
    await checks.setState(uid, 'unrepairable', `no copy found: ${asked.join('; ')}`);
  }

  /** A copy of `uid` was stored: true when it was one asked for by a repair (the caller reads it back). */
  arrived(uid: string): boolean {
    return this.deps.repairs.delete(uid);
  }

  /** A job ended: a repair's retrieve that brought nothing puts its object back to damaged. */
  async jobEnded(id: number, state: string, error: string): Promise<void> {
    const uid = this.jobs.get(id);
    if (uid === undefined) return;
    this.jobs.delete(id);
    if (!this.deps.repairs.delete(uid)) return;
    const why = state === 'done' ? 'it sent nothing' : error || state;
    await this.deps.checks.setState(uid, 'damaged', `the retrieve (job ${id}) did not bring a copy: ${why}`);
  }
}
