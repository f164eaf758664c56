/** What an import did: files looked at, objects stored, duplicates, and each file skipped with the reason. */
export interface ImportResult {
  files: number;
  imported: number;
  duplicates: number;
  skipped: { file: string; reason: string }[];
  /**
   * An import by link where symbolic links are not allowed (Windows without administrator rights or Developer Mode):
   * how many objects were hard-linked instead (same volume) or copied.
   */
  notLinked?: { hardlinked: number; copied: number };
}
