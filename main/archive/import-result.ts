/** What an import did: files looked at, objects stored, duplicates, and each file skipped with the reason. */
export interface ImportResult {
  files: number;
  imported: number;
  duplicates: number;
  /** Objects that could not be imported, and why: errors for the user to see. */
  skipped: { file: string; reason: string }[];
  /** Files that are not DICOM at all (a CD's README.TXT, AUTORUN.INF, its viewer): left aside, not errors. */
  other: string[];
  /**
   * An import by link where symbolic links are not allowed (Windows without administrator rights or Developer Mode):
   * how many objects were hard-linked instead (same volume) or copied.
   */
  notLinked?: { hardlinked: number; copied: number };
}
