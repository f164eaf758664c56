import { describe, expect, it } from 'vitest';
import { hostAllowed } from '../../main/api/host-names.ts';

/** The API's Host allow-list (issue 30.14): IP addresses, localhost, this computer's names, and APIHostNames. */
describe('host names the API answers to', () => {
  it("takes IP addresses, localhost and this computer's name, with or without a port", () => {
    for (const host of [
      '127.0.0.1:8711',
      '192.168.1.20',
      '[::1]:8711',
      '[fe80::1]',
      'localhost:8711',
      'LOCALHOST',
      'rdg-ws1',
      'rdg-ws1.clinic.cz:8711',
      'RDG-WS1.local',
      undefined,
    ]) {
      expect(hostAllowed(host, [], 'rdg-ws1.clinic.cz'), String(host)).toBe(true);
    }
  });

  it('refuses other names unless APIHostNames lists them (* takes any)', () => {
    for (const host of ['evil.example', 'evil.example:8711', 'rdg-ws1.evil.example', '127.0.0.1.nip.io'])
      expect(hostAllowed(host, [], 'rdg-ws1.clinic.cz'), host).toBe(false);
    expect(hostAllowed('pacs.clinic.local:8711', ['pacs.clinic.local'], 'rdg-ws1')).toBe(true);
    expect(hostAllowed('PACS.Clinic.Local.', ['pacs.clinic.local'], 'rdg-ws1')).toBe(true);
    expect(hostAllowed('anything.example', ['*'], 'rdg-ws1')).toBe(true);
  });
});
