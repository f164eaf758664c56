import type { Feature } from '../core/feature.ts';
import { StudyEditor } from '../edit/study-editor.ts';
import { editRoutes } from '../api/edit-routes.ts';

/**
 * Corrections of stored objects (edit a patient or study, merge, move a series), each an edit job under the objects'
 * locks; objects that arrive under a patient ID since corrected take the correction too.
 */
export const edit: Feature<StudyEditor> = {
  name: 'edit',
  async start(core) {
    const editor = new StudyEditor({
      index: core.index,
      queue: core.queue,
      objectFile: (location) => core.objectFile(location),
      tempFile: (location) => core.store.tempPathFor(location),
      rewritten: (location) => core.store.rewritten(location),
      locks: core.ingest.locks,
      log: core.child('edit'),
    });
    await editor.open();
    const log = core.child('server');
    core.onStored((e) => {
      const corrected = editor.aliasOf(e.header.patientId);
      if (!corrected) return;
      void editor
        .followAlias(e.header.sopInstanceUid, e.header.patientId, corrected)
        .catch((err: Error) =>
          log.error(
            `cannot correct ${e.header.sopInstanceUid} from patient ${e.header.patientId} to ${corrected}: ${err.message}`,
          ),
        );
    });
    const routes = editRoutes({
      editor,
      destinations: (uid) => core.index.studyDestinations(uid),
      patientNames: (ids) => core.index.patientNames(ids),
    });
    return { provides: editor, routes };
  },
};
