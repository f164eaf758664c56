import { Hl7Error, segment, type Hl7Message } from './message.ts';
import { msg } from '../../../common/message.ts';
import { patientOf } from './orders.ts';

/**
 * Patient messages: ADT^A08 (update patient information) and ADT^A31 (update person information) change a patient's
 * name, birth date and sex; ADT^A40 (merge patient, patient identifier list) joins the patient MRG-1 names into the one
 * PID names.
 */
export type PatientAction =
  | { kind: 'update'; patientId: string; patientName: string; birthDate: string; sex: string }
  | { kind: 'merge'; patientId: string; priorPatientId: string; patientName: string; birthDate: string; sex: string };

export function readPatientMessage(message: Hl7Message): PatientAction {
  const patient = patientOf(message);
  if (message.trigger === 'A08' || message.trigger === 'A31') return { kind: 'update', ...patient };
  if (message.trigger !== 'A40')
    throw new Hl7Error(
      200,
      msg('ADT^{trigger} is not a message this archive acts on (A08, A31, A40)', { trigger: message.trigger }),
    );
  const mrg = segment(message, 'MRG');
  const prior = mrg?.get(1) ?? '';
  if (!prior) throw new Hl7Error(101, msg('ADT^A40 without MRG-1 (the prior patient identifier)'));
  if (prior === patient.patientId)
    throw new Hl7Error(207, msg('MRG-1 and PID-3 name the same patient {prior}', { prior }));
  return { kind: 'merge', priorPatientId: prior, ...patient };
}
