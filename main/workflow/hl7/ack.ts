import { randomUUID } from 'node:crypto';
import { charsetLabel, escape, type Delimiters, type Hl7Message } from './message.ts';
import { encodeText } from '../../dicom/charset-encode.ts';

/** MSA-1 acknowledgment codes (HL7 table 0008): accept, error, reject. */
export type AckCode = 'AA' | 'AE' | 'AR';

const DEFAULT: Delimiters = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

/**
 * The ACK for a message (HL7 v2.5 2.9.2): MSH with sender and receiver swapped and the message's character set, MSA with
 * the code and the message's control ID, and for AE/AR an ERR segment with the reason (ERR-3 code from table 0357,
 * ERR-4 severity E, ERR-8 the text). `message` is undefined when not even its MSH could be read.
 */
export function acknowledgment(
  message: Hl7Message | undefined,
  code: AckCode,
  reason = '',
  errorCode = 207,
  receiver = 'PACSWS',
): Buffer {
  const d = message?.delimiters ?? DEFAULT;
  const f = d.field;
  const now = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const encoding = `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
  const msh = [
    'MSH',
    encoding,
    message?.receivingApplication || receiver,
    message?.receivingFacility ?? '',
    message?.sendingApplication ?? '',
    message?.sendingFacility ?? '',
    now,
    '',
    `ACK${d.component}${message?.trigger ?? ''}${d.component}ACK`,
    randomUUID().replace(/-/g, '').slice(0, 20),
    message?.processingId ?? 'P',
    message?.version || '2.5',
  ];
  if (message?.charset) msh.push(...Array(5).fill(''), message.charset);
  const segments = [
    msh.join(f),
    ['MSA', code, message?.controlId ?? '', code === 'AA' ? '' : escape(reason, d).slice(0, 80)].join(f),
  ];
  if (code !== 'AA') {
    segments.push(
      [
        'ERR',
        '',
        '',
        `${errorCode}${d.component}${escape(reason, d).slice(0, 199)}${d.component}HL70357`,
        'E',
        '',
        '',
        '',
        escape(reason, d),
      ].join(f),
    );
  }
  const text = segments.join('\r') + '\r';
  const label = message?.charset ? charsetLabel(message.charset) : undefined;
  // The same bytes a DICOM value in ISO_IR 101 / 192 would have (charset-encode.ts); a character that does not fit is '?'.
  const term = label === 'utf-8' ? 'ISO_IR 192' : label === 'iso-8859-2' ? 'ISO_IR 101' : 'ISO_IR 100';
  return encodeText(text, term) ?? Buffer.from(text.replace(/[^\x00-\x7e]/g, '?'), 'latin1');
}
