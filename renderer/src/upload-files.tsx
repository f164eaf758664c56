import { useState } from 'react';
import { API_ROUTES, type ImportResult } from '../../main/api/contract.ts';
import { upload } from './api.ts';

/** Import DICOM files picked in the browser (or the desktop window): each is uploaded and stored as if from a CD. */
export function UploadFiles({ onDone }: { onDone: () => void }) {
  const [busy, setBusy] = useState('');
  const [report, setReport] = useState<{ imported: number; duplicates: number; skipped: { file: string; reason: string }[] }>();
  const run = async (files: File[]) => {
    const total = { imported: 0, duplicates: 0, skipped: [] as { file: string; reason: string }[] };
    for (const [i, file] of files.entries()) {
      setBusy(`importing ${i + 1} of ${files.length}…`);
      try {
        const r = await upload<ImportResult>(API_ROUTES.importFile(file.name), file);
        total.imported += r.imported;
        total.duplicates += r.duplicates;
        total.skipped.push(...r.skipped);
      } catch (e) {
        total.skipped.push({ file: file.name, reason: (e as Error).message });
      }
    }
    setBusy('');
    setReport(total);
    onDone();
  };
  return (
    <div className="import">
      <label className="field compact">
        <span className="label">Import DICOM files</span>
        <input type="file" multiple aria-label="Import DICOM files" disabled={!!busy}
          onChange={(e) => { const files = [...(e.target.files ?? [])]; e.target.value = ''; if (files.length) void run(files); }} />
      </label>
      {busy && <span className="inline">{busy}</span>}
      {report && (
        <div className="import-report" role="status">
          <span className="ok">{report.imported} imported</span>, {report.duplicates} already here
          {report.skipped.length > 0 && <>, {report.skipped.length} skipped:<ul>{report.skipped.map((s, i) => <li key={i} className="error">{s.file}: {s.reason}</li>)}</ul></>}
        </div>
      )}
    </div>
  );
}
