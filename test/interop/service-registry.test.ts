import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomListener, connect } from '../../main/protocol/network.ts';
import type { Association } from '../../main/protocol/association.ts';
import { negotiate } from '../../main/protocol/negotiation.ts';
import { CommandField } from '../../main/protocol/command.ts';
import { DimseError, Status } from '../../main/dicom/status.ts';
import {
  TransferSyntax,
  VERIFICATION_SOP_CLASS,
  MPPS_SOP_CLASS,
  STORAGE_COMMITMENT_SOP_CLASS,
  STORAGE_COMMITMENT_SOP_INSTANCE,
} from '../../common/uids.ts';
import { ServiceRegistry } from '../../main/protocol/services/registry.ts';
import { verificationService } from '../../main/protocol/services/echo.ts';
import { RunningOperations } from '../../main/protocol/services/operations.ts';
import { Logger } from '../../main/util/log.ts';

const STORAGE_COMMITMENT = STORAGE_COMMITMENT_SOP_CLASS;
const MPPS = MPPS_SOP_CLASS;
const OPTIONS = { maxPduLength: 65536, artimTimeout: 10, idleTimeout: 30, maxBufferedDataSet: 1 << 20 };

/**
 * The service registry on a real association (our listener and our requester on loopback): requests reach the service
 * registered for their SOP class and command, N-commands by Requested SOP Class; what no service takes is answered
 * with the standard status in one place; a service's DimseError becomes its response.
 */
describe('DIMSE service registry', () => {
  const log = new Logger('error').child('test');
  let listener: DicomListener;
  let port = 0;
  let assoc: Association;
  const actions: { sopInstance?: string; actionType?: number }[] = [];

  beforeAll(async () => {
    const registry = new ServiceRegistry(log, new RunningOperations()).register(verificationService).register({
      name: 'Storage Commitment SCP (test)',
      sopClasses: [STORAGE_COMMITMENT],
      commands: [CommandField.NActionRQ],
      handle: async (a, msg) => {
        actions.push({ sopInstance: msg.command.requestedSopInstanceUid, actionType: msg.command.actionTypeId });
        if (msg.command.actionTypeId !== 1)
          throw new DimseError(Status.NoSuchActionType, `action type ${msg.command.actionTypeId} is not 1`);
        await a.sendMessage(msg.context.id, {
          commandField: CommandField.NActionRSP,
          messageIdBeingRespondedTo: msg.command.messageId,
          affectedSopClassUid: STORAGE_COMMITMENT,
          affectedSopInstanceUid: msg.command.requestedSopInstanceUid,
          actionTypeId: 1,
          status: Status.Success,
          hasDataSet: false,
        });
      },
    });
    const policy = {
      aeTitle: 'REGISTRY',
      acceptAnyCalledAe: false,
      sopClasses: new Set([STORAGE_COMMITMENT, MPPS]),
      transferSyntaxes: new Set([TransferSyntax.ImplicitLittleEndian]),
    };
    listener = new DicomListener(OPTIONS, { negotiate: (rq) => negotiate(rq, policy), ...registry.handlers() }, log);
    port = await listener.listen(0, '127.0.0.1');
    assoc = await connect('127.0.0.1', port, OPTIONS, {}, log);
    await assoc.requestAssociation('TESTER', 'REGISTRY', [
      { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
      { id: 3, abstractSyntax: STORAGE_COMMITMENT, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
      { id: 5, abstractSyntax: MPPS, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
    ]);
  });
  afterAll(async () => {
    await assoc?.release();
    await listener?.close();
  });

  const request = (contextId: number, fields: Parameters<Association['request']>[1]) =>
    assoc.request(contextId, { ...fields, messageId: assoc.nextMessageId() });

  it('routes a C-ECHO to the verification service', async () => {
    const rsp = await request(1, {
      commandField: CommandField.CEchoRQ,
      affectedSopClassUid: VERIFICATION_SOP_CLASS,
      hasDataSet: false,
    });
    expect(rsp.command).toMatchObject({ commandField: CommandField.CEchoRSP, status: Status.Success });
  });

  it('routes an N-ACTION by its Requested SOP Class to the service registered for it', async () => {
    const rsp = await request(3, {
      commandField: CommandField.NActionRQ,
      requestedSopClassUid: STORAGE_COMMITMENT,
      requestedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
      actionTypeId: 1,
      hasDataSet: false,
    });
    expect(rsp.command).toMatchObject({
      commandField: CommandField.NActionRSP,
      status: Status.Success,
      affectedSopInstanceUid: STORAGE_COMMITMENT_SOP_INSTANCE,
    });
    expect(actions.at(-1)).toEqual({ sopInstance: STORAGE_COMMITMENT_SOP_INSTANCE, actionType: 1 });
  });

  it("answers a service's DimseError with its status and comment", async () => {
    const rsp = await request(3, {
      commandField: CommandField.NActionRQ,
      requestedSopClassUid: STORAGE_COMMITMENT,
      requestedSopInstanceUid: '1.2.3',
      actionTypeId: 7,
      hasDataSet: false,
    });
    expect(rsp.command).toMatchObject({
      commandField: CommandField.NActionRSP,
      status: Status.NoSuchActionType,
      errorComment: 'action type 7 is not 1',
      affectedSopClassUid: STORAGE_COMMITMENT,
      affectedSopInstanceUid: '1.2.3',
    });
  });

  it('answers an operation the SOP class has no service for, and a SOP class no service takes', async () => {
    const wrongOperation = await request(1, {
      commandField: CommandField.CFindRQ,
      affectedSopClassUid: VERIFICATION_SOP_CLASS,
      priority: 0,
      hasDataSet: false,
    });
    expect(wrongOperation.command).toMatchObject({
      commandField: CommandField.CFindRSP,
      status: Status.UnrecognizedOperation,
    });
    const noService = await request(5, {
      commandField: CommandField.NCreateRQ,
      affectedSopClassUid: MPPS,
      affectedSopInstanceUid: '1.2.4',
      hasDataSet: false,
    });
    expect(noService.command).toMatchObject({ commandField: CommandField.NCreateRSP, status: Status.NoSuchSopClass });
    const noStorage = await request(5, {
      commandField: CommandField.CStoreRQ,
      affectedSopClassUid: MPPS,
      affectedSopInstanceUid: '1.2.5',
      priority: 0,
      hasDataSet: false,
    });
    expect(noStorage.command).toMatchObject({
      commandField: CommandField.CStoreRSP,
      status: Status.SopClassNotSupported,
    });
    // The association still serves.
    expect(
      (
        await request(1, {
          commandField: CommandField.CEchoRQ,
          affectedSopClassUid: VERIFICATION_SOP_CLASS,
          hasDataSet: false,
        })
      ).command.status,
    ).toBe(Status.Success);
  });
});
