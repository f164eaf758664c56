import net from 'node:net';
import os from 'node:os';

/** The host a Host header names, without its port, in lower case ('' when there is none). */
function hostOf(header: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed) return bracketed[1]!.toLowerCase();
  return header.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
}

/**
 * Whether a request's Host header names this server, against DNS rebinding (a page of another site whose name is made
 * to resolve to this address reaches the API as "its" origin): an IP address, localhost, this computer's own name
 * (also short and as name.local), or a name the admin lists in APIHostNames (`*` takes any). A request without a Host
 * header (HTTP/1.0) names nothing and is taken.
 */
export function hostAllowed(
  header: string | undefined,
  listed: readonly string[],
  computerName = os.hostname(),
): boolean {
  if (!header) return true;
  const host = hostOf(header);
  if (net.isIP(host) || host === 'localhost' || listed.includes('*')) return true;
  const computer = computerName.toLowerCase();
  const short = computer.split('.')[0]!;
  return [computer, short, `${short}.local`, ...listed.map((n) => n.toLowerCase().replace(/\.$/, ''))].includes(host);
}
