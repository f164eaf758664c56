import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireTool } from './dcmtk.ts';
import { freePort } from './storescp.ts';

/**
 * rsyslog (Debian's rsyslog and rsyslog-gnutls) as an audit record repository: its own configuration, UDP and TLS
 * (RFC 5425) inputs on free loopback ports, every message written to one file in RFC 5424 form.
 */
export interface RunningSyslog {
  udpPort: number;
  tlsPort: number;
  messages(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startRsyslog(tls: { ca: string; cert: string; key: string }): Promise<RunningSyslog> {
  const bin = requireTool('/usr/sbin/rsyslogd');
  const dir = await mkdtemp(path.join(tmpdir(), 'pacs-rsyslog-'));
  const udpPort = await freePort();
  const tlsPort = await freePort();
  const out = path.join(dir, 'messages.log');
  await writeFile(
    path.join(dir, 'rsyslog.conf'),
    [
      `global(workDirectory="${dir}" maxMessageSize="64k" DefaultNetstreamDriver="gtls"`,
      `  DefaultNetstreamDriverCAFile="${tls.ca}" DefaultNetstreamDriverCertFile="${tls.cert}" DefaultNetstreamDriverKeyFile="${tls.key}")`,
      'module(load="imudp")',
      'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")',
      `input(type="imudp" address="127.0.0.1" port="${udpPort}")`,
      `input(type="imtcp" address="127.0.0.1" port="${tlsPort}")`,
      `*.* action(type="omfile" file="${out}" template="RSYSLOG_SyslogProtocol23Format")`,
    ].join('\n') + '\n',
  );
  const child: ChildProcess = spawn(
    bin,
    ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (d) => {
    errors += String(d);
  });
  // Ready when both ports listen (TLS: a TCP connect succeeds; UDP cannot be probed: the log line tells).
  const deadline = Date.now() + 15_000;
  const net = await import('node:net');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${errors}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net
        .connect(tlsPort, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on ${tlsPort}: ${errors}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    udpPort,
    tlsPort,
    messages: async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
