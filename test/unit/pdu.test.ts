import { describe, expect, it } from 'vitest';
import {
  decodePdu,
  encodePdu,
  encodePData,
  PduError,
  PduType,
  AbortReason,
  type AssociateRQ,
  type Pdu,
} from '../../main/protocol/pdu.ts';
import { PduReader, type ReaderEvent } from '../../main/protocol/pdu-reader.ts';
import { APPLICATION_CONTEXT, StorageSopClass, TransferSyntax, VERIFICATION_SOP_CLASS } from '../../common/uids.ts';

const rq: AssociateRQ = {
  type: PduType.AssociateRQ,
  calledAe: 'ARCHIVE',
  callingAe: 'CT1',
  applicationContext: APPLICATION_CONTEXT,
  contexts: [
    { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
  ],
  userInfo: {
    maxPduLength: 16384,
    implementationClassUid: '1.2.3',
    implementationVersionName: 'V1',
    roles: [{ sopClass: StorageSopClass.CtImage, scuRole: true, scpRole: false }],
    other: [],
  },
};

describe('PDU codec (PS3.8 9.3)', () => {
  it('encodes an A-ASSOCIATE-RQ byte for byte', () => {
    const bytes = encodePdu(rq);
    expect(bytes[0]).toBe(0x01);
    expect(bytes.readUInt32BE(2)).toBe(bytes.length - 6);
    expect(bytes.readUInt16BE(6)).toBe(1); // protocol version
    expect(bytes.toString('latin1', 10, 26)).toBe('ARCHIVE         ');
    expect(bytes.toString('latin1', 26, 42)).toBe('CT1             ');
    expect(bytes.subarray(42, 74).every((b) => b === 0)).toBe(true);
    // application context item: type 0x10, reserved, length 21, UID without padding
    expect([...bytes.subarray(74, 78)]).toEqual([0x10, 0, 0, 21]);
    expect(bytes.toString('latin1', 78, 99)).toBe(APPLICATION_CONTEXT);
    expect(bytes[99]).toBe(0x20);
  });

  it('round-trips every PDU type', () => {
    const pdus: Pdu[] = [
      rq,
      {
        ...rq,
        type: PduType.AssociateAC,
        contexts: [{ id: 1, result: 0, transferSyntax: TransferSyntax.ImplicitLittleEndian }],
      },
      { type: PduType.AssociateRJ, result: 1, source: 1, reason: 7 },
      { type: PduType.ReleaseRQ },
      { type: PduType.ReleaseRP },
      { type: PduType.Abort, source: 2, reason: 6 },
    ];
    for (const pdu of pdus) {
      const bytes = encodePdu(pdu);
      expect(decodePdu(bytes[0]!, bytes.subarray(6))).toEqual(pdu);
    }
  });

  it('refuses malformed PDUs with the abort reason to send', () => {
    const bytes = encodePdu(rq);
    bytes.writeUInt16BE(999, 76); // application context item claims more than there is
    expect(() => decodePdu(1, bytes.subarray(6))).toThrow(PduError);
    expect(() => decodePdu(0x42, Buffer.alloc(4))).toThrow(
      expect.objectContaining({ abortReason: AbortReason.UnrecognizedPdu }),
    );
    expect(() => decodePdu(PduType.ReleaseRQ, Buffer.alloc(3))).toThrow(/expected 4/);
    const even = encodePdu({ ...rq, contexts: [{ id: 2, abstractSyntax: '1.2', transferSyntaxes: ['1.2'] }] });
    expect(() => decodePdu(1, even.subarray(6))).toThrow(/even/);
  });
});

describe('PduReader', () => {
  const pdata = encodePData([
    { contextId: 3, isCommand: true, isLast: true, data: Buffer.from('command!') },
    { contextId: 3, isCommand: false, isLast: false, data: Buffer.from('0123456789') },
  ]);
  const stream = Buffer.concat([encodePdu({ type: PduType.ReleaseRQ }), pdata, encodePdu({ type: PduType.ReleaseRP })]);

  function collect(events: ReaderEvent[]) {
    const pdus = events.filter((e) => e.kind === 'pdu').map((e) => e.type);
    const pdvs = new Map<string, string>();
    for (const e of events)
      if (e.kind === 'pdv') pdvs.set(`${e.isCommand}`, (pdvs.get(`${e.isCommand}`) ?? '') + e.data.toString());
    return { pdus, pdvs: Object.fromEntries(pdvs) };
  }

  it('cuts PDUs and PDV pieces the same wherever the stream is split', () => {
    const whole = collect(new PduReader(1 << 20).push(stream));
    expect(whole).toEqual({
      pdus: [PduType.ReleaseRQ, PduType.ReleaseRP],
      pdvs: { true: 'command!', false: '0123456789' },
    });
    for (let cut = 1; cut < stream.length; cut++) {
      const reader = new PduReader(1 << 20);
      const events = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(collect(events)).toEqual(whole);
    }
    for (let size = 1; size < 8; size++) {
      const reader = new PduReader(1 << 20);
      const events: ReaderEvent[] = [];
      for (let at = 0; at < stream.length; at += size) events.push(...reader.push(stream.subarray(at, at + size)));
      expect(collect(events)).toEqual(whole);
    }
  });

  it('refuses a length above its limit from the header alone', () => {
    expect(() => new PduReader(1000).push(Buffer.from([1, 0, 0, 0, 0x10, 0]))).toThrow(/announces 4096 bytes/);
  });

  it('refuses a PDV that overruns its P-DATA-TF', () => {
    const bad = Buffer.from(pdata);
    bad.writeUInt32BE(500, 6);
    expect(() => new PduReader(1 << 20).push(bad)).toThrow(/does not fit/);
  });
});
