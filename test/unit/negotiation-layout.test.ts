import { describe, expect, it } from 'vitest';
import { negotiate, type AcceptancePolicy } from '../../main/protocol/negotiation.ts';
import { PduType, ContextResult, RejectReason, type AssociateRQ } from '../../main/protocol/pdu.ts';
import { compileLayout } from '../../main/store/layout.ts';
import type { InstanceHeader } from '../../main/dicom/instance-header.ts';
import {
  APPLICATION_CONTEXT,
  QrSopClass,
  StorageSopClass,
  TransferSyntax,
  VERIFICATION_SOP_CLASS,
} from '../../common/uids.ts';

const CT = StorageSopClass.CtImage;
const policy: AcceptancePolicy = {
  aeTitle: 'ARCHIVE',
  acceptAnyCalledAe: false,
  sopClasses: new Set([CT]),
  transferSyntaxes: new Set([TransferSyntax.ImplicitLittleEndian, TransferSyntax.ExplicitLittleEndian]),
};
function rq(contexts: AssociateRQ['contexts'], calledAe = 'ARCHIVE'): AssociateRQ {
  return {
    type: PduType.AssociateRQ,
    calledAe,
    callingAe: 'CT1',
    applicationContext: APPLICATION_CONTEXT,
    contexts,
    userInfo: {
      maxPduLength: 0,
      implementationClassUid: '1.2',
      roles: [{ sopClass: CT, scuRole: true, scpRole: true }],
      other: [],
    },
  };
}

describe('presentation context negotiation (PS3.8 9.3.3.2)', () => {
  it("takes the requestor's first supported transfer syntax and says why others are refused", () => {
    const r = negotiate(
      rq([
        {
          id: 1,
          abstractSyntax: CT,
          transferSyntaxes: [
            TransferSyntax.JpegBaseline,
            TransferSyntax.ExplicitLittleEndian,
            TransferSyntax.ImplicitLittleEndian,
          ],
        },
        { id: 3, abstractSyntax: StorageSopClass.MrImage, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
        { id: 5, abstractSyntax: CT, transferSyntaxes: [TransferSyntax.Rle] },
        { id: 7, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
      ]),
      policy,
    );
    expect(r.rejection).toBeUndefined();
    expect(r.contexts).toEqual([
      { id: 1, result: ContextResult.Acceptance, transferSyntax: TransferSyntax.ExplicitLittleEndian },
      { id: 3, result: ContextResult.AbstractSyntaxNotSupported, transferSyntax: TransferSyntax.ImplicitLittleEndian },
      { id: 5, result: ContextResult.TransferSyntaxesNotSupported, transferSyntax: TransferSyntax.Rle },
      { id: 7, result: ContextResult.Acceptance, transferSyntax: TransferSyntax.ImplicitLittleEndian },
    ]);
    // A storage class: the requestor may act as its SCP, so C-GET can send it objects.
    expect(r.roles).toEqual([{ sopClass: CT, scuRole: true, scpRole: true }]);
  });

  it('keeps a requestor SCU for the Query/Retrieve classes it proposes the SCP role for', () => {
    const find = QrSopClass.StudyRootFind;
    const request = rq([{ id: 1, abstractSyntax: find, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] }]);
    request.userInfo.roles = [{ sopClass: find, scuRole: true, scpRole: true }];
    const r = negotiate(request, { ...policy, sopClasses: new Set([find]) });
    expect(r.roles).toEqual([{ sopClass: find, scuRole: true, scpRole: false }]);
  });

  it('rejects a wrong called AE, an unknown caller, and a request with nothing acceptable', () => {
    expect(negotiate(rq([], 'OTHER'), policy).rejection?.reason).toBe(RejectReason.CalledAeNotRecognized);
    expect(
      negotiate(rq([{ id: 1, abstractSyntax: CT, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] }]), {
        ...policy,
        knownCallingAe: () => false,
      }).rejection?.reason,
    ).toBe(RejectReason.CallingAeNotRecognized);
    const none = negotiate(
      rq([{ id: 1, abstractSyntax: '1.2.3', transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] }]),
      policy,
    );
    expect(none.rejection).toMatchObject({ result: 1, source: 1, reason: RejectReason.NoReasonGiven });
  });
});

describe('FileNameSyntax layout', () => {
  const h = {
    patientId: '../etc/PID 7',
    studyInstanceUid: '1.2.3',
    seriesInstanceUid: '1.2.3.4',
    sopInstanceUid: '1.2.3.4.5',
    modality: 'CT',
  } as InstanceHeader;
  it('builds a safe relative path from the template', () => {
    expect(compileLayout('%id/%studyuid/%seriesuid/%sopuid.dcm').relativePath(h)).toBe(
      '.._etc_PID_7/1.2.3/1.2.3.4/1.2.3.4.5.dcm',
    );
    expect(compileLayout('%modality\\%sopuid').relativePath(h)).toBe('CT/1.2.3.4.5');
    expect(compileLayout('4').relativePath(h)).toBe('.._etc_PID_7/1.2.3/1.2.3.4/1.2.3.4.5.dcm');
    expect(compileLayout('%id/%sopuid').relativePath({ ...h, patientId: '..' })).toBe('_/1.2.3.4.5');
  });
  it('maps patient IDs Windows cannot use as names (devices, trailing dots and spaces, <>:"|?*) the same on every system', () => {
    const layout = compileLayout('%id/%sopuid.dcm');
    const folder = (patientId: string) => layout.relativePath({ ...h, patientId }).split('/')[0];
    expect(['CON', 'aux', 'COM1', 'NUL.txt', 'lpt9', 'prn', 'Com0'].map(folder)).toEqual([
      '_CON',
      '_aux',
      '_COM1',
      '_NUL.txt',
      '_lpt9',
      '_prn',
      '_Com0',
    ]);
    expect(['abc.', 'abc..', 'abc. ', ' x '].map(folder)).toEqual(['abc_', 'abc__', 'abc_', 'x']);
    expect(folder('a<b>c:d"e|f?g*h\\i/j')).toBe('a_b_c_d_e_f_g_h_i_j');
    expect(['CONSOLE', 'COM10', 'NULL', 'CON_1'].map(folder)).toEqual(['CONSOLE', 'COM10', 'NULL', 'CON_1']);
  });
  it('keeps paths below the storage folder well under 260 characters, the same value always to the same folder', () => {
    const uid = (n: number) => `1.2.826.0.1.3680043.8.498.${String(n).repeat(40)}`.slice(0, 64);
    const long = {
      ...h,
      patientId: 'P'.repeat(64),
      studyInstanceUid: uid(1),
      seriesInstanceUid: uid(2),
      sopInstanceUid: uid(3),
    };
    const layout = compileLayout('%id/%studyuid/%seriesuid/%sopuid.dcm');
    const p = layout.relativePath(long);
    expect(p.length).toBeLessThanOrEqual(160);
    expect(p.split('/')).toHaveLength(4);
    expect(p.endsWith('.dcm')).toBe(true);
    expect(
      layout
        .relativePath({ ...long, sopInstanceUid: uid(4) })
        .split('/')
        .slice(0, 3),
    ).toEqual(p.split('/').slice(0, 3));
    expect(layout.relativePath({ ...long, sopInstanceUid: uid(4) })).not.toBe(p);
    // Short paths stay as they were.
    expect(layout.relativePath(h)).toBe('.._etc_PID_7/1.2.3/1.2.3.4/1.2.3.4.5.dcm');
  });
  it('refuses unknown variables and templates without %sopuid', () => {
    expect(() => compileLayout('%nope/%sopuid')).toThrow(/unknown variable %nope/);
    expect(() => compileLayout('%id/%studyuid')).toThrow(/must contain %sopuid/);
  });
});
