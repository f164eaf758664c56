import type { WorklistEntry } from '../../index/worklist-entry.ts';
import { Hl7Error, segment, type Hl7Message, type Segment } from './message.ts';
import { msg } from '../../../common/message.ts';
import { dateTime, personName } from './hl7-values.ts';
import { withOrderColumns, type OrderColumn } from './order-columns.ts';

/**
 * Orders into the worklist: ORM^O01 (HL7 v2.3-2.4) and OMI^O23 (v2.5, with IPC) as IHE Radiology's RAD-4 fills a
 * scheduled procedure step. Each ORC group is one entry; ORC-1 says what happens to it. The field mapping is the
 * table in docs/features.md (the HL7 v2 over MLLP entry); keep both in step.
 */

export type OrderControl = 'new' | 'change' | 'cancel' | 'discontinue';

export interface OrderAction {
  control: OrderControl;
  /** ORC-2 (else OBR-2, else ORC-3): the order's key, by which XO, CA and DC find the entry. */
  placerOrder: string;
  entry: Partial<WorklistEntry>;
}

/** ORC-1 codes (HL7 table 0119) we act on; SC (status changed) with status CA/DC counts as those. */
const CONTROLS: Record<string, OrderControl> = {
  NW: 'new',
  XO: 'change',
  CA: 'cancel',
  OC: 'cancel',
  DC: 'discontinue',
  OD: 'discontinue',
};

const SEX: Record<string, string> = { M: 'M', F: 'F', O: 'O' };

/** Patient attributes from PID (and the referring physician from PV1-8) shared by orders and ADT. */
export function patientOf(message: Hl7Message): Pick<WorklistEntry, 'patientId' | 'patientName' | 'birthDate' | 'sex'> {
  const pid = segment(message, 'PID');
  if (!pid) throw new Hl7Error(100, msg('the message has no PID segment'));
  const patientId = pid.get(3) || pid.get(2);
  if (!patientId) throw new Hl7Error(101, msg('PID-3 (patient identifier) is empty'));
  return {
    patientId,
    patientName: personName(pid.components(5)),
    birthDate: dateTime(pid.get(7)).date,
    sex: SEX[pid.get(8).toUpperCase()] ?? '',
  };
}

/** The message's orders; `columns`: dicom.sql's WorkList HL7 fields, which replace this mapping where given. */
export function readOrders(message: Hl7Message, columns: readonly OrderColumn[] = []): OrderAction[] {
  const patient = patientOf(message);
  const pv1 = segment(message, 'PV1');
  const referring = pv1 ? personName(pv1.components(8), 1) : '';
  const groups: { orc: Segment; obr?: Segment; ipc?: Segment; tq1?: Segment }[] = [];
  for (const s of message.segments) {
    if (s.name === 'ORC') groups.push({ orc: s });
    const g = groups[groups.length - 1];
    if (!g) continue;
    if (s.name === 'OBR' && !g.obr) g.obr = s;
    if (s.name === 'IPC' && !g.ipc) g.ipc = s;
    if (s.name === 'TQ1' && !g.tq1) g.tq1 = s;
  }
  if (!groups.length) throw new Hl7Error(100, msg('the order has no ORC segment'));
  return groups.map(({ orc, obr, ipc, tq1 }, i) => {
    const code = orc.get(1).toUpperCase();
    const control = CONTROLS[code === 'SC' ? orc.get(5).toUpperCase() : code];
    if (!control)
      throw new Hl7Error(
        207,
        msg('ORC-1 order control "{code}" of order {value} is not NW, XO, CA or DC', { code, value: i + 1 }),
      );
    const placerOrder = orc.get(2) || obr?.get(2) || orc.get(3);
    if (!placerOrder)
      throw new Hl7Error(
        101,
        msg('order {value} has no placer order number (ORC-2, OBR-2) nor filler order number (ORC-3)', {
          value: i + 1,
        }),
      );
    if (control !== 'new' && control !== 'change') return { control, placerOrder, entry: {} };
    if (!obr) throw new Hl7Error(100, msg('order {placerOrder} has no OBR segment', { placerOrder }));
    // Scheduled start: TQ1-7 (v2.5), OBR-27.4 (quantity/timing, v2.3), OBR-36, then ORC-9 (the order's time).
    const start = dateTime(tq1?.get(7) || obr.get(27, 4) || obr.get(36) || orc.get(9));
    const entry: Partial<WorklistEntry> = {
      ...patient,
      referringPhysician: referring || personName(obr.components(16), 1),
      accessionNumber: ipc?.get(1) || obr.get(18),
      requestedProcedureId: ipc?.get(2) || obr.get(19) || placerOrder,
      studyUid: ipc?.get(3) || segment(message, 'ZDS')?.get(1) || '',
      stepId: ipc?.get(4) || obr.get(20) || placerOrder,
      modality: (ipc?.get(5) || obr.get(24)).toUpperCase(),
      scheduledAe: ipc?.get(9) ?? '',
      requestedProcedureDescription: obr.get(4, 2) || obr.get(4, 1),
      stepDescription: obr.get(4, 2) || obr.get(4, 1),
      scheduledDate: start.date,
      scheduledTime: start.time,
      source: 'HL7',
      placerOrder,
    };
    const group = [orc, obr, ipc, tq1].filter((s): s is Segment => s !== undefined);
    return { control, placerOrder, entry: withOrderColumns(entry, columns, message, group) };
  });
}
