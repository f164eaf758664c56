import type { DataSet } from '../../dicom/dataset.ts';
import type { OutgoingObject } from './store-scu.ts';

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

/** A check on each C-FIND answer before it is sent (QueryResultConverter0, ModalityWorkListQueryResultConverter0). */
export interface AnswerCheck {
  /** Whether it would look at answers to this kind of query now (else they go out as built, not parsed again). */
  active(kind: 'query' | 'worklist'): boolean;
  check(request: IdentifierRequest, answer: DataSet): Promise<DataSet | undefined>;
}

/**
 * A check on each object a C-MOVE or C-GET sends (RetrieveResultConverter0): the object as it will go out, or a reason
 * it is not sent. It is asked for when the object is read to be sent.
 */
export interface ObjectCheck {
  active(): boolean;
  check(request: IdentifierRequest, object: OutgoingObject): OutgoingObject;
}

export class IdentifierChecks {
  private readonly checks: IdentifierCheck[] = [];
  private readonly answerChecks: AnswerCheck[] = [];
  private readonly objectChecks: ObjectCheck[] = [];

  addObjectCheck(check: ObjectCheck): void {
    this.objectChecks.push(check);
  }

  /** The objects a retrieve sends, as the object checks leave them (each checked when it is read). */
  objects(request: IdentifierRequest, objects: OutgoingObject[]): OutgoingObject[] {
    const active = this.objectChecks.filter((c) => c.active());
    if (!active.length) return objects;
    return objects.map((o) => active.reduce((out, c) => c.check(request, out), o));
  }

  add(check: IdentifierCheck): void {
    this.checks.push(check);
  }

  addAnswerCheck(check: AnswerCheck): void {
    this.answerChecks.push(check);
  }

  /** Whether answers to this kind of query are to be checked. */
  checksAnswers(kind: 'query' | 'worklist'): boolean {
    return this.answerChecks.some((c) => c.active(kind));
  }

  /** The answer as the checks leave it, or undefined when one dropped it. */
  async answer(request: IdentifierRequest, answer: DataSet): Promise<DataSet | undefined> {
    let out: DataSet | undefined = answer;
    for (const c of this.answerChecks) {
      if (!c.active(request.kind as 'query' | 'worklist')) continue;
      out = await c.check(request, out);
      if (!out) return undefined;
    }
    return out;
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
