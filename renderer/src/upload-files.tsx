import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { useFileDrop } from './file-drop.ts';
import { useState, type ReactNode } from 'react';
import { upload } from './api.ts';
import { t } from './i18n.ts';

/**
 * Import DICOM files into the archive from the browser (or the desktop window): picked in a file dialog, or dropped on
 * the window — files, whole folders (a CD's copy) and ZIPs (unpacked by the core, DICOMDIR and all). Each is uploaded
 * and stored as if from a CD; the report says what came in and what was skipped, and why.
 */

type Report = { imported: number; duplicates: number; skipped: { file: string; reason: string }[]; other: string[] };

const isZip = (f: File) => /\.zip$/i.test(f.name) || f.type === 'application/zip';

function useImport(onDone: () => void) {
  const [busy, setBusy] = useState('');
  const [report, setReport] = useState<Report>();
  const run = async (files: File[]) => {
    const total: Report = { imported: 0, duplicates: 0, skipped: [], other: [] };
    for (const [i, file] of files.entries()) {
      setBusy(t('importing {n} of {total}…', { n: i + 1, total: files.length }));
      try {
        const r = await upload(
          ENDPOINTS.importFile,
          file,
          { name: file.name },
          isZip(file) ? 'application/zip' : 'application/dicom',
        );
        total.imported += r.imported;
        total.duplicates += r.duplicates;
        total.skipped.push(...r.skipped);
        total.other.push(...(r.other ?? []));
      } catch (e) {
        total.skipped.push({ file: file.name, reason: (e as Error).message });
      }
    }
    setBusy('');
    setReport(total);
    onDone();
  };
  return { busy, report, run };
}

/** Every file of what was dropped: files as they are, folders walked (the File and Directory Entries API). */
async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  type Entry = {
    isFile: boolean;
    isDirectory: boolean;
    file(ok: (f: File) => void, fail: (e: unknown) => void): void;
    createReader(): { readEntries(ok: (e: Entry[]) => void, fail: (e: unknown) => void): void };
  };
  const entries = [...dt.items]
    .map((i) => (i as unknown as { webkitGetAsEntry?(): Entry | null }).webkitGetAsEntry?.())
    .filter((e): e is Entry => !!e);
  if (!entries.length) return [...dt.files];
  const out: File[] = [];
  const walk = async (entry: Entry): Promise<void> => {
    if (entry.isFile) {
      out.push(await new Promise<File>((ok, fail) => entry.file(ok, fail)));
      return;
    }
    if (!entry.isDirectory) return;
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      for (const e of batch) await walk(e);
    }
  };
  for (const e of entries) await walk(e);
  return out;
}

function ImportReport({ busy, report }: { busy: string; report?: Report }) {
  return (
    <div aria-live="polite">
      {busy && <span className="inline">{busy}</span>}
      {report && (
        <div className="import-report" role="status">
          <span className="ok">{t('{n} imported', { n: report.imported })}</span>,{' '}
          {t('{n} already here', { n: report.duplicates })}
          {/* A CD's README or viewer program is no error: counted, named on request. */}
          {report.other.length > 0 && (
            <>
              ,{' '}
              <details className="other-files">
                <summary>
                  {t('{n, plural, one {# other file} other {# other files}} (not DICOM) left aside', {
                    n: report.other.length,
                  })}
                </summary>
                {report.other.join(', ')}
              </details>
            </>
          )}
          {report.skipped.length > 0 && (
            <>
              , {t('{n} skipped:', { n: report.skipped.length })}
              <ul>
                {report.skipped.map((s, i) => (
                  <li key={i} className="error">
                    {s.file}: {s.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}

/** A file picker for DICOM files and ZIPs. */
export function UploadFiles({ onDone }: { onDone: () => void }) {
  const { busy, report, run } = useImport(onDone);
  return (
    <div className="import">
      <label className="field compact">
        <span className="label">{t('Import DICOM files or ZIPs (or drop them, or folders, on this screen)')}</span>
        <input
          type="file"
          multiple
          aria-label={t('Import DICOM files')}
          disabled={!!busy}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) void run(files);
          }}
        />
      </label>
      <ImportReport busy={busy} report={report} />
    </div>
  );
}

/** Files, folders and ZIPs dropped anywhere on `children` are imported (for those who may import). */
export function DropImport({
  enabled,
  onDone,
  children,
}: {
  enabled: boolean;
  onDone: () => void;
  children: ReactNode;
}) {
  const { busy, report, run } = useImport(onDone);
  const drop = useFileDrop((dropped) => {
    void droppedFiles(dropped).then((files) => {
      if (files.length) void run(files);
    });
  });
  if (!enabled) return <>{children}</>;
  return (
    <div className={`drop-zone ${drop.over ? 'drop-target' : ''}`} data-testid="drop-zone" {...drop.handlers}>
      {(busy || report) && (
        <div className="drop-report">
          <ImportReport busy={busy} report={report} />
        </div>
      )}
      {children}
    </div>
  );
}
