import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomListener, connect } from '../../main/protocol/network.ts';
import type { Association } from '../../main/protocol/association.ts';
import { negotiate } from '../../main/protocol/negotiation.ts';
import { TransferSyntax, VERIFICATION_SOP_CLASS } from '../../common/uids.ts';
import { Logger, type LogRecord } from '../../main/util/log.ts';

const OPTIONS = { maxPduLength: 65536, artimTimeout: 5, idleTimeout: 30, maxBufferedDataSet: 1 << 20 };

/**
 * A release collision (PS3.8 9.2: both ends send A-RELEASE-RQ before seeing the other's): our requestor and our acceptor
 * release at the same moment, and both end with a clean release, not an abort.
 */
describe('release collision', () => {
  const logs: LogRecord[] = [];
  const logger = new Logger('debug');
  logger.addSink((r) => logs.push(r));
  let listener: DicomListener;
  let port = 0;
  const accepted: Association[] = [];

  beforeAll(async () => {
    const policy = {
      aeTitle: 'SERVER',
      acceptAnyCalledAe: false,
      sopClasses: new Set<string>(),
      transferSyntaxes: new Set([TransferSyntax.ImplicitLittleEndian]),
    };
    listener = new DicomListener(OPTIONS, { negotiate: (rq) => negotiate(rq, policy) }, logger.child('server'), (a) =>
      accepted.push(a),
    );
    port = await listener.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await listener?.close();
  });

  it('ends both sides with a clean release when both release at once', async () => {
    const client = await connect('127.0.0.1', port, OPTIONS, {}, logger.child('client'));
    await client.requestAssociation('CLIENT', 'SERVER', [
      { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
    ]);
    const server = accepted.at(-1)!;
    expect(server.isEstablished).toBe(true);
    const reasons = Promise.all(
      [client, server].map((a) => new Promise<string>((resolve) => a.once('closed', resolve))),
    );
    await Promise.all([client.release(), server.release()]);
    expect(await reasons).toEqual(['released', 'released']);
    expect(logs.map((r) => r.message).filter((m) => /release collision/.test(m))).toHaveLength(2);
    expect(logs.filter((r) => /abort/i.test(r.message))).toEqual([]);
  });

  it('releases as usual when only one side asks', async () => {
    const client = await connect('127.0.0.1', port, OPTIONS, {}, logger.child('client'));
    await client.requestAssociation('CLIENT', 'SERVER', [
      { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [TransferSyntax.ImplicitLittleEndian] },
    ]);
    const server = accepted.at(-1)!;
    const closed = new Promise<string>((resolve) => server.once('closed', resolve));
    await client.release();
    expect(await closed).toBe('released');
    expect(client.upperLayerState).toBe('Sta1');
  });
});
