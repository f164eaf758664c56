import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { PDataSender } from '../../main/protocol/pdata-sender.ts';
import { decodePdu, PduType, type PDataTF } from '../../main/protocol/pdu.ts';
import { decodeCommand, type CommandSet } from '../../main/protocol/command.ts';
import { QrSopClass } from '../../common/uids.ts';

/**
 * A burst of small messages (C-FIND answers) leaves as one buffer, each message one P-DATA-TF PDU holding its command
 * and its data set as two PDVs (PS3.8 9.3.5); a peer whose maximum PDU is smaller gets them cut as before.
 */
function capture(maxPdu: number): { sender: PDataSender; pdus: () => PDataTF[]; writes: () => number } {
  const chunks: Buffer[] = [];
  const socket = {
    write: (b: Uint8Array) => {
      chunks.push(Buffer.from(b));
      return true;
    },
    cork: () => undefined,
    uncork: () => undefined,
    writableNeedDrain: false,
  } as unknown as Socket;
  const sender = new PDataSender(socket, {
    label: () => 'test',
    peerMaxPduLength: () => maxPdu,
    checkCanSend: () => undefined,
    broken: () => undefined,
  });
  return {
    sender,
    writes: () => chunks.length,
    pdus: () => {
      const all = Buffer.concat(chunks);
      const out: PDataTF[] = [];
      for (let at = 0; at < all.length; ) {
        const length = all.readUInt32BE(at + 2);
        expect(all[at]).toBe(PduType.PData);
        out.push(decodePdu(all[at]!, all.subarray(at + 6, at + 6 + length)) as PDataTF);
        at += 6 + length;
      }
      return out;
    },
  };
}

const pending: CommandSet = {
  commandField: 0x8020,
  messageIdBeingRespondedTo: 3,
  affectedSopClassUid: QrSopClass.StudyRootFind,
  status: 0xff00,
  hasDataSet: true,
};
const answers = [Buffer.from('first answer'), Buffer.from('second answer!'), Buffer.from('third')];

describe('sending a burst of DIMSE messages', () => {
  it('puts each small message in one PDU of two PDVs, the burst in one write', async () => {
    const { sender, pdus, writes } = capture(16384);
    await sender.sendMessageBatch(
      5,
      answers.map((dataSet) => ({ command: pending, dataSet })),
    );
    expect(writes()).toBe(1);
    const got = pdus();
    expect(got).toHaveLength(3);
    got.forEach((pdu, i) => {
      expect(pdu.pdvs.map((p) => [p.contextId, p.isCommand, p.isLast])).toEqual([
        [5, true, true],
        [5, false, true],
      ]);
      expect(decodeCommand(Buffer.from(pdu.pdvs[0]!.data))).toMatchObject({
        commandField: 0x8020,
        messageIdBeingRespondedTo: 3,
        status: 0xff00,
      });
      expect(Buffer.from(pdu.pdvs[1]!.data)).toEqual(answers[i]);
    });
  });

  it('cuts messages into PDUs of one PDV each when the peer takes only small PDUs', async () => {
    const { sender, pdus } = capture(256);
    const big = Buffer.alloc(600, 7);
    await sender.sendMessageBatch(1, [{ command: pending, dataSet: big }]);
    const got = pdus();
    // The PDU length field counts the PDV item (4 + 2 header bytes and the data): at most the peer's maximum.
    expect(got.every((p) => p.pdvs.length === 1 && 6 + p.pdvs[0]!.data.length <= 256)).toBe(true);
    expect(got.length).toBeGreaterThan(3);
    const data = Buffer.concat(
      got
        .flatMap((p) => p.pdvs)
        .filter((p) => !p.isCommand)
        .map((p) => p.data),
    );
    expect(data).toEqual(big);
    expect(
      got
        .flatMap((p) => p.pdvs)
        .filter((p) => p.isLast)
        .map((p) => p.isCommand),
    ).toEqual([true, false]);
  });
});
