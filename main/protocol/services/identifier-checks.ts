import type { DataSet } from '../../dicom/dataset.ts';

/**
 * Checks on the identifier of each C-FIND, worklist C-FIND, C-MOVE and C-GET request before it is answered (Conquest's
 * QueryConverter0, WorkListQueryConverter0 and RetrieveConverter0): each may change the identifier, or drop the
 * request (undefined): a query then matches nothing, a retrieve is refused.
 */
export interface IdentifierRequest {
  kind: 'query' | 'worklist' | 'retrieve';
  identifier: DataSet;
  callingAe: string;
  calledAe: string;
  /** A C-MOVE's destination ('' for the others). */
  moveDestination: string;
  /** The request's Affected SOP Class UID (its information model) and command (C-FIND 0x20, C-MOVE 0x21, C-GET 0x10). */
  sopClassUid: string;
  commandField: number;
}

export type IdentifierCheck = (request: IdentifierRequest) => Promise<DataSet | undefined>;

export class IdentifierChecks {
  private readonly checks: IdentifierCheck[] = [];

  add(check: IdentifierCheck): void {
    this.checks.push(check);
  }

  /** The identifier as the checks leave it, or undefined when one dropped the request. */
  async run(request: IdentifierRequest): Promise<DataSet | undefined> {
    let identifier: DataSet | undefined = request.identifier;
    for (const check of this.checks) {
      identifier = await check({ ...request, identifier });
      if (!identifier) return undefined;
    }
    return identifier;
  }
}
