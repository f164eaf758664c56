import { CHARSET_VRS } from '../dicom/vr.ts';
import { randomBytes } from 'node:crypto';
import { newUid, StorageSopClass } from '../../common/uids.ts';
import { CharacterSet } from '../dicom/charset.ts';
import { encodeText } from '../dicom/charset-encode.ts';
import { isSequence, textElement, textOf, type DataSet, type DicomElement } from '../dicom/dataset.ts';
import { actionFor, methodCodes, type ProfileOptions } from './confidentiality-profile.ts';
import { Tag } from '../dicom/tags.ts';

/**
 * De-identification of a set of objects (a patient, a study, a series) by the Basic Application Level Confidentiality
 * Profile (confidentiality-profile.ts): one Anonymizer per set, so that the same old UID becomes the same new UID in
 * every object (references between them stay right) and the whole set gets one new patient. The data set is changed
 * before Pixel Data only: text burned into the pixels is not removed, which `warnings` says where it is likely.
 */

export interface AnonymizeRequest extends ProfileOptions {
  /** The new patient's name and ID; generated (the same for the whole set) when not given. */
  patientName?: string;
  patientId?: string;
}

const SECONDARY_CAPTURE = StorageSopClass.SecondaryCapture;
const DUMMY: Record<string, string> = {
  PN: 'ANONYMOUS',
  DA: '19000101',
  TM: '000000',
  DT: '19000101000000',
  AS: '000Y',
};

export class Anonymizer {
  readonly patientName: string;
  readonly patientId: string;
  private readonly options: ProfileOptions;
  private readonly uids = new Map<string, string>();

  constructor(request: AnonymizeRequest = {}) {
    const tag = randomBytes(4).toString('hex').toUpperCase();
    this.patientName = request.patientName?.trim() || `ANONYMOUS^${tag}`;
    this.patientId = request.patientId?.trim() || `ANON${tag}`;
    this.options = request;
  }

  /** The new UID for an old one: made once, then the same everywhere in the set. */
  uid(old: string): string {
    let fresh = this.uids.get(old);
    if (!fresh) {
      fresh = newUid();
      this.uids.set(old, fresh);
    }
    return fresh;
  }

  /** Why an object may still identify the patient after this: text in its pixels. */
  warnings(ds: DataSet): string[] {
    const out: string[] = [];
    if (textOf(ds.get(Tag.BurnedInAnnotation)).toUpperCase() === 'YES')
      out.push('Burned In Annotation is YES: the pixels hold text that may identify the patient');
    else if (textOf(ds.get(Tag.Modality)).toUpperCase() === 'US')
      out.push('an ultrasound image: text is usually burned into its pixels');
    else if (textOf(ds.get(Tag.SOPClassUID)) === SECONDARY_CAPTURE)
      out.push("a secondary capture: a screenshot may show the patient's name");
    return out;
  }

  /** The data set de-identified (the elements before Pixel Data). */
  transform(ds: DataSet): DataSet {
    const charsetTerm = textOf(ds.get(Tag.SpecificCharacterSet));
    const charset = new CharacterSet(charsetTerm || undefined);
    const decode = (b: Buffer) => charset.decode(b);
    // Words that would identify the patient in a cleaned description: the name's parts and the ID.
    const identity = [
      ...textOf(ds.get(Tag.PatientName), decode).split(/[\^= ]+/),
      textOf(ds.get(Tag.PatientID), decode),
    ]
      .map((w) => w.trim())
      .filter((w) => w.length >= 3);
    const out = this.clean(ds, charsetTerm, decode, identity);
    const put = (e: DicomElement) => out.set(e.tag, e);
    put(
      textElement(
        Tag.PatientName,
        'PN',
        encodeText(this.patientName, charsetTerm || 'ISO_IR 6') ?? Buffer.from(this.patientName, 'utf8'),
      ),
    );
    put(textElement(Tag.PatientID, 'LO', this.patientId));
    put(textElement(Tag.PatientIdentityRemoved, 'CS', 'YES'));
    const codes = methodCodes(this.options);
    put(
      textElement(
        Tag.DeidentificationMethod,
        'LO',
        `PS3.15 E.1 ${codes.map(([, meaning]) => meaning).join('; ')}`.slice(0, 64),
      ),
    );
    put({
      tag: Tag.DeidentificationMethodCodeSequence,
      vr: 'SQ',
      value: codes.map(
        ([value, meaning]) =>
          new Map([
            [Tag.CodeValue, textElement(Tag.CodeValue, 'SH', value)],
            [Tag.CodingSchemeDesignator, textElement(Tag.CodingSchemeDesignator, 'SH', 'DCM')],
            [Tag.CodeMeaning, textElement(Tag.CodeMeaning, 'LO', meaning)],
          ]),
      ),
    });
    put(
      textElement(
        Tag.LongitudinalTemporalInformationModified,
        'CS',
        this.options.retainLongitudinalFullDates ? 'UNMODIFIED' : 'REMOVED',
      ),
    );
    return new Map([...out].sort((a, b) => a[0] - b[0]));
  }

  private clean(ds: DataSet, charsetTerm: string, decode: (b: Buffer) => string, identity: string[]): DataSet {
    const out: DataSet = new Map();
    for (const [tag, e] of ds) {
      const action = actionFor(tag, e.vr, this.options);
      if (action === 'X') continue;
      if (isSequence(e)) {
        // Z: an empty sequence; K and C: kept, each item cleaned by the same rules; D and U do not apply to sequences.
        out.set(
          tag,
          action === 'Z'
            ? { ...e, value: [] }
            : { ...e, value: e.value.map((item) => this.clean(item, charsetTerm, decode, identity)) },
        );
        continue;
      }
      if (!Buffer.isBuffer(e.value)) {
        out.set(tag, e);
        continue;
      }
      switch (action) {
        case 'Z':
          out.set(tag, { ...e, value: Buffer.alloc(0) });
          break;
        case 'D':
          out.set(tag, textElement(tag, e.vr, DUMMY[e.vr] ?? 'ANONYMIZED'));
          break;
        case 'U':
          out.set(
            tag,
            textElement(
              tag,
              e.vr,
              textOf(e)
                .split('\\')
                .map((u) => (u ? this.uid(u) : u))
                .join('\\'),
            ),
          );
          break;
        case 'C': {
          if (!CHARSET_VRS.has(e.vr)) {
            out.set(tag, e);
            break;
          }
          let text = textOf(e, decode);
          for (const word of identity)
            text = text.replace(new RegExp(word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '');
          text = text.replace(/\s{2,}/g, ' ').trim();
          out.set(
            tag,
            textElement(tag, e.vr, encodeText(text, charsetTerm || 'ISO_IR 6') ?? Buffer.from(text, 'utf8')),
          );
          break;
        }
        default:
          out.set(tag, e);
      }
    }
    return out;
  }
}
