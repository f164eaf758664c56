import { describe, expect, it } from 'vitest';
import { CommandField, decodeCommand, encodeCommand, CommandError } from '../../main/protocol/command.ts';
import {
  MPPS_SOP_CLASS,
  STORAGE_COMMITMENT_SOP_CLASS,
  STORAGE_COMMITMENT_SOP_INSTANCE,
  VERIFICATION_SOP_CLASS,
} from '../../common/uids.ts';

describe('DIMSE command sets (PS3.7 E)', () => {
  it('encodes in implicit VR LE with the group length first and even-padded UIDs', () => {
    const bytes = encodeCommand({
      commandField: CommandField.CEchoRQ,
      messageId: 7,
      affectedSopClassUid: VERIFICATION_SOP_CLASS,
      hasDataSet: false,
    });
    expect([...bytes.subarray(0, 8)]).toEqual([0, 0, 0, 0, 4, 0, 0, 0]);
    expect(bytes.readUInt32LE(8)).toBe(bytes.length - 12);
    // (0000,0002) UI length 18: 17 characters and a NUL pad
    expect([...bytes.subarray(12, 20)]).toEqual([0, 0, 2, 0, 18, 0, 0, 0]);
    expect(bytes[20 + 17]).toBe(0);
    expect(decodeCommand(bytes)).toEqual({
      commandField: 0x30,
      messageId: 7,
      affectedSopClassUid: VERIFICATION_SOP_CLASS,
      hasDataSet: false,
    });
  });

  it('round-trips a C-STORE-RSP with status and comment', () => {
    const cmd = {
      commandField: CommandField.CStoreRSP,
      messageIdBeingRespondedTo: 3,
      affectedSopClassUid: '1.2',
      affectedSopInstanceUid: '1.2.3',
      status: 0xa700,
      errorComment: 'disk full',
      hasDataSet: false,
    };
    expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd);
  });

  it('refuses command sets that are truncated or lack required elements', () => {
    const bytes = encodeCommand({ commandField: CommandField.CEchoRQ, messageId: 1, hasDataSet: false });
    expect(() => decodeCommand(bytes.subarray(0, bytes.length - 1))).toThrow(CommandError);
    expect(() => decodeCommand(encodeCommand({ commandField: 1, hasDataSet: true }).subarray(0, 12))).toThrow(
      /Command Field/,
    );
  });

  it("round-trips the N-commands' fields (PS3.7 10.3): requested SOP class and instance, action, event, attribute list", () => {
    const action = {
      commandField: CommandField.NActionRQ,
      messageId: 9,
      requestedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
      requestedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
      actionTypeId: 1,
      hasDataSet: true,
    };
    expect(decodeCommand(encodeCommand(action))).toEqual(action);
    const event = {
      commandField: CommandField.NEventReportRQ,
      messageId: 2,
      affectedSopClassUid: STORAGE_COMMITMENT_SOP_CLASS,
      affectedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
      eventTypeId: 2,
      hasDataSet: true,
    };
    expect(decodeCommand(encodeCommand(event))).toEqual(event);
    const get = {
      commandField: CommandField.NGetRQ,
      messageId: 3,
      requestedSopClassUid: MPPS_SOP_CLASS,
      requestedSopInstanceUid: '1.2.3',
      attributeIdentifierList: [0x00400252, 0x00400253],
      hasDataSet: false,
    };
    const bytes = encodeCommand(get);
    expect(decodeCommand(bytes)).toEqual(get);
    // (0000,1005) AT: two tags, group then element, little endian
    const at = bytes.indexOf(Buffer.from([0x00, 0x00, 0x05, 0x10, 0x08, 0x00, 0x00, 0x00]));
    expect([...bytes.subarray(at + 8, at + 16)]).toEqual([0x40, 0x00, 0x52, 0x02, 0x40, 0x00, 0x53, 0x02]);
  });
});
