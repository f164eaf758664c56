import type { Feature } from '../core/feature.ts';
import { Hl7Inbox } from '../workflow/hl7/hl7-inbox.ts';
import { Hl7Listener } from '../workflow/hl7/hl7-listener.ts';
import { TlsFileError, readTlsFiles } from '../config/tls-files.ts';
import { edit } from './edit.ts';

export interface Hl7 {
  /** The listener while it listens (HL7Listener = 1). */
  listener(): Hl7Listener | undefined;
}

/**
 * HL7 v2 over MLLP (HL7Listener = 1, on the DICOM listener's address): orders become worklist entries, ADT messages
 * update and merge patients (through the editor, so stored objects follow).
 */
export const hl7: Feature<Hl7> = {
  name: 'hl7',
  settings: ['HL7Listener', 'HL7Port', 'HL7AllowedSenders', 'HL7TLS', 'HL7DefaultCharset'],
  needs: [edit],
  start(core, { the }) {
    const inbox = new Hl7Inbox(
      core.index,
      () => ({ defaultCharset: core.settings.hl7DefaultCharset, ourApplication: core.settings.aeTitle }),
      core.child('hl7'),
      the(edit),
      (e) => core.audit.record(e),
    );
    inbox.onScheduled = (e) =>
      core.events.emit('worklist', {
        reason: 'scheduled',
        patientId: e.patientId,
        studyUid: e.studyUid,
        accessionNumber: e.accessionNumber,
      });
    let listener: Hl7Listener | undefined;
    const open = async () => {
      const s = core.settings;
      if (!s.hl7Listener) return;
      const secure = s.hl7Tls ? await readTlsFiles(s) : undefined;
      if (s.hl7Tls && !secure) throw new TlsFileError('HL7TLS is on but TLSCertificate and TLSPrivateKey are not set');
      const opening = new Hl7Listener(
        inbox,
        () => core.settings.hl7AllowedSenders,
        core.events,
        core.child('hl7'),
        secure,
      );
      await opening.listen(s.hl7Port, core.listenAddress);
      listener = opening;
    };
    const close = async () => {
      await listener?.close();
      listener = undefined;
    };
    return { provides: { listener: () => listener }, listener: { open, close } };
  },
};
