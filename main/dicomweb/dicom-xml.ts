import { keywordOf } from '../dicom/dictionary.ts';
import type { JsonDataSet } from './dicom-json.ts';

/**
 * The Native DICOM Model (PS3.19 A.1), the XML form of DICOMweb answers (application/dicom+xml), written from the JSON
 * model (dicom-json.ts) so both say the same: one DicomAttribute per attribute with its tag, VR and keyword, values
 * numbered from 1, person names by component group and component, sequences as numbered items, bulk data by URI.
 */

const escape = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const NAME_PARTS = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix'];

function personName(value: Record<string, string>): string {
  return ['Alphabetic', 'Ideographic', 'Phonetic']
    .filter((group) => value[group])
    .map((group) => {
      const parts = value[group]!.split('^')
        .map((p, i) => (p ? `<${NAME_PARTS[i]}>${escape(p)}</${NAME_PARTS[i]}>` : ''))
        .join('');
      return `<${group}>${parts}</${group}>`;
    })
    .join('');
}

function attributes(ds: JsonDataSet): string {
  let out = '';
  for (const [tag, attr] of Object.entries(ds)) {
    const keyword = keywordOf(parseInt(tag, 16));
    out += `<DicomAttribute tag="${tag}" vr="${attr.vr}"${keyword ? ` keyword="${keyword}"` : ''}>`;
    if (attr.BulkDataURI) out += `<BulkData uri="${escape(attr.BulkDataURI)}"/>`;
    if (attr.InlineBinary) out += `<InlineBinary>${attr.InlineBinary}</InlineBinary>`;
    (attr.Value ?? []).forEach((v, i) => {
      const n = i + 1;
      if (attr.vr === 'SQ') out += `<Item number="${n}">${attributes(v as JsonDataSet)}</Item>`;
      else if (attr.vr === 'PN')
        out += `<PersonName number="${n}">${personName((v ?? {}) as Record<string, string>)}</PersonName>`;
      else
        out +=
          v === null || v === undefined
            ? `<Value number="${n}"/>`
            : `<Value number="${n}">${escape(String(v))}</Value>`;
    });
    out += '</DicomAttribute>';
  }
  return out;
}

export function xmlFromJson(ds: JsonDataSet): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM" xml:space="preserve">${attributes(ds)}</NativeDicomModel>\n`;
}
