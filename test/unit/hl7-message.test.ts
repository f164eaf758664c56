import { describe, expect, it } from 'vitest';
import { Hl7Error, parseMessage, segment } from '../../main/workflow/hl7/message.ts';
import { MllpReader, frame } from '../../main/workflow/hl7/mllp.ts';
import { acknowledgment } from '../../main/workflow/hl7/ack.ts';
import { readOrders } from '../../main/workflow/hl7/orders.ts';
import { dateTime, personName } from '../../main/workflow/hl7/hl7-values.ts';

describe('HL7 v2 messages', () => {
  it('reads fields, components, repetitions and escapes with the delimiters MSH declares', () => {
    const m = parseMessage(
      Buffer.from('MSH#*~!&#HIS#F#PACS#R#2026##ADT*A08#C1#P#2.5\rPID###ID1~ID2##Novák*Jan!F!&x#\r', 'utf8'),
      'UNICODE UTF-8',
    );
    expect(m).toMatchObject({
      type: 'ADT',
      trigger: 'A08',
      controlId: 'C1',
      version: '2.5',
      sendingApplication: 'HIS',
    });
    const pid = segment(m, 'PID')!;
    expect(pid.get(3)).toBe('ID1');
    expect(pid.get(3, 1, 1, 1)).toBe('ID2');
    expect(pid.get(5, 2)).toBe('Jan#');
    expect(pid.get(5, 2, 2)).toBe('x');
    expect(pid.get(9)).toBe('');
  });

  it('decodes the character set MSH-18 names and refuses one it does not know', () => {
    const latin2 = Buffer.concat([
      Buffer.from('MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.3||||||8859/2\rPID|||1||Dvo'),
      Buffer.from([0xf8, 0xe1]),
      Buffer.from('k'),
    ]);
    expect(segment(parseMessage(latin2), 'PID')!.get(5)).toBe('Dvořák');
    expect(() => parseMessage(Buffer.from('MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.3||||||ISO IR87\rPID|||1'))).toThrow(
      /not one this archive reads/,
    );
    expect(() =>
      parseMessage(
        Buffer.concat([
          Buffer.from('MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.3||||||UNICODE UTF-8\rPID|||'),
          Buffer.from([0xff]),
        ]),
      ),
    ).toThrow(Hl7Error);
    expect(() => parseMessage(Buffer.from('PID|||1'))).toThrow(/does not start with an MSH/);
    expect(() => parseMessage(Buffer.from('MSH|^~\\&|A|B|C|D|2026||ADT^A08||P|2.3'))).toThrow(/MSH-10/);
  });

  it('maps names and times the way the worklist needs them', () => {
    expect(personName(['Novák', 'Jan', 'Karel', 'Jr', 'Ing.'])).toBe('Novák^Jan^Karel^Ing.^Jr');
    expect(personName(['1234', 'Černý', 'Petr'], 1)).toBe('Černý^Petr');
    expect(dateTime('20261127093000.123+0100')).toEqual({ date: '20261127', time: '093000' });
    expect(dateTime('2026')).toEqual({ date: '', time: '' });
  });

  it('refuses an order control it does not act on', () => {
    const m = parseMessage(Buffer.from('MSH|^~\\&|A|B|C|D|2026||ORM^O01|1|P|2.3\rPID|||1||X^Y\rORC|RE|O1\rOBR|1|O1'));
    expect(() => readOrders(m)).toThrow(/ORC-1 order control "RE"/);
  });

  it("acknowledges in the message's character set, with the reason in MSA-3 and ERR", () => {
    const m = parseMessage(Buffer.from('MSH|^~\\&|HIS|NEM|PACS|RDG|2026||ORM^O01|77|P|2.3||||||8859/2\rPID|||1'));
    const ack = acknowledgment(m, 'AE', 'order Č|1 is not in the worklist', 207);
    const segments = ack.toString('latin1').split('\r');
    expect(segments[0]).toMatch(
      /^MSH\|\^~\\&\|PACS\|RDG\|HIS\|NEM\|\d{14}\|\|ACK\^O01\^ACK\|\w+\|P\|2\.3\|{6}8859\/2$/,
    );
    expect(ack.includes(Buffer.from([0xc8]))).toBe(true); // Č in ISO 8859-2
    expect(segments[1]).toBe('MSA|AE|77|order \xc8\\F\\1 is not in the worklist');
    expect(segments[2]).toMatch(/^ERR\|\|\|207\^order/);
    expect(acknowledgment(undefined, 'AR', 'garbage', 100).toString('latin1')).toMatch(/\rMSA\|AR\|\|garbage\r/);
  });
});

describe('MLLP framing', () => {
  it('finds messages split across chunks, skips bytes outside frames, and drops an oversized frame', () => {
    const reader = new MllpReader(20);
    const bytes = Buffer.concat([
      Buffer.from('noise'),
      frame(Buffer.from('MSH|first')),
      frame(Buffer.from('MSH|second')),
      frame(Buffer.alloc(30, 0x41)),
      frame(Buffer.from('MSH|third')),
    ]);
    const events = [];
    for (let at = 0; at < bytes.length; at += 3) events.push(...reader.push(bytes.subarray(at, at + 3)));
    expect(events.map((e) => (e.kind === 'message' ? e.bytes.toString() : `oversized ${e.size}`))).toEqual([
      'MSH|first',
      'MSH|second',
      'oversized 30',
      'MSH|third',
    ]);
  });
});
