import dgram from 'node:dgram';
import os from 'node:os';
import tls from 'node:tls';
import type { SourceLogger } from '../util/log.ts';
import type { TlsSettings } from '../protocol/network.ts';
import type { AuditEntry } from './audit-record.ts';
import type { AuditSink } from './audit-trail.ts';
import { atnaMessage } from './atna-message.ts';

/**
 * Audit records sent on to an audit record repository as syslog (IHE ATNA): RFC 5424 messages, facility authpriv (10),
 * severity notice (5), MSGID "IHE+RFC-3881", the DICOM audit message as UTF-8 XML after a BOM. Over UDP (RFC 5426, one
 * message a datagram) or TLS (RFC 5425: octet-counted frames, TLS 1.2+, our DICOM TLS certificate and trusted CAs).
 * Records that cannot be sent (the repository is down) are logged; the index keeps them either way.
 */

const PRI = 10 * 8 + 5;
const MAX_QUEUED = 10_000;

export function syslogFrame(xml: string, at: string, appName = 'PACSWS'): Buffer {
  const host =
    os
      .hostname()
      .replace(/[^\x21-\x7e]/g, '')
      .slice(0, 255) || '-';
  const header = `<${PRI}>1 ${at} ${host} ${appName} ${process.pid} IHE+RFC-3881 - `;
  return Buffer.concat([Buffer.from(header, 'ascii'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, 'utf8')]);
}

export interface SyslogTarget {
  host: string;
  port: number;
  protocol: 'udp' | 'tls';
  /** TLS: our certificate and key (optional: a repository may ask for them) and the CAs that sign the repository's certificate. */
  credentials?: Partial<Pick<TlsSettings, 'ca' | 'cert' | 'key'>>;
}

export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`"${value}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

export class AtnaSyslog implements AuditSink {
  private udp?: dgram.Socket;
  private socket?: tls.TLSSocket;
  private connecting = false;
  private pending: Buffer[] = [];
  private readonly target: SyslogTarget;
  private readonly sourceId: () => string;
  private readonly log: SourceLogger;

  constructor(target: SyslogTarget, sourceId: () => string, log: SourceLogger) {
    this.target = target;
    this.sourceId = sourceId;
    this.log = log;
  }

  send(entries: AuditEntry[]): void {
    const frames = entries.map((e) => syslogFrame(atnaMessage(e, this.sourceId()), e.at ?? new Date().toISOString()));
    if (this.target.protocol === 'udp') {
      this.udp ??= dgram
        .createSocket(this.target.host.includes(':') ? 'udp6' : 'udp4')
        .on('error', (err) => this.log.warn(`audit syslog: ${err.message}`));
      this.udp.unref();
      for (const f of frames)
        this.udp.send(f, this.target.port, this.target.host, (err) => {
          if (err) this.log.warn(`audit syslog to ${this.target.host}:${this.target.port}: ${err.message}`);
        });
      return;
    }
    // RFC 5425 4.3: MSG-LEN SP SYSLOG-MSG.
    this.pending.push(...frames.map((f) => Buffer.concat([Buffer.from(`${f.length} `), f])));
    if (this.pending.length > MAX_QUEUED) {
      this.log.warn(
        `audit syslog: ${this.pending.length - MAX_QUEUED} messages dropped, ${this.target.host}:${this.target.port} does not take them`,
      );
      this.pending = this.pending.slice(-MAX_QUEUED);
    }
    this.drain();
  }

  private drain(): void {
    if (this.socket && !this.socket.destroyed && !this.connecting) {
      for (const frame of this.pending.splice(0)) this.socket.write(frame);
      return;
    }
    if (this.connecting) return;
    this.connecting = true;
    const c = this.target.credentials;
    const socket = tls.connect({
      host: this.target.host,
      port: this.target.port,
      minVersion: 'TLSv1.2',
      ca: c?.ca,
      cert: c?.cert,
      key: c?.key,
      servername: this.target.host.match(/^[\d.:]+$/) ? undefined : this.target.host,
    });
    socket.once('secureConnect', () => {
      this.connecting = false;
      this.socket = socket;
      this.drain();
    });
    socket.on('error', (err) => {
      this.log.warn(
        `audit syslog over TLS to ${this.target.host}:${this.target.port}: ${err.message}; ${this.pending.length} messages wait`,
      );
      this.connecting = false;
      socket.destroy();
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.connecting = false;
    });
  }

  /** Send what waits, then close (at stop). */
  async close(): Promise<void> {
    this.udp?.close();
    const socket = this.socket;
    if (socket && !socket.destroyed) await new Promise<void>((resolve) => socket.end(resolve));
  }
}
