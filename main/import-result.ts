/** What an import did: files looked at, objects stored, duplicates, and each file skipped with the reason. */
export interface ImportResult {
  files: number;
  imported: number;
  duplicates: number;
  skipped: { file: string; reason: string }[];
}
