import path from 'node:path';
import type { Feature } from '../core/feature.ts';
import type { ArchiveCore } from '../core/archive-core.ts';
import { HttpApi } from '../api/http-api.ts';
import { ExpiringTokens } from '../api/expiring-tokens.ts';
import { UploadSpace } from '../api/upload-space.ts';
import type { LinkGrant } from '../api/request-auth.ts';
import { apiCertificate, apiNeedsTls, apiServer, type ApiCertificate } from '../api/api-tls.ts';
import { statusRoutes } from '../api/status-routes.ts';
import { settingsRoutes } from '../api/settings-routes.ts';
import { linkRoutes } from '../api/link-routes.ts';
import { apiSecret, newApiSecret } from '../accounts/install-secret.ts';
import { accounts } from './accounts.ts';
import { dicomListener } from './dicom-listener.ts';

export interface Api {
  /** The HTTP server once it listens. */
  http(): HttpApi | undefined;
  /** The API's address as this computer reaches it (a wildcard listen address is reached on loopback). */
  url(): string;
  /** The install's secret (DATA/api-secret) the local administrator's tools show. */
  secret(): string;
  /** One-time link tokens (a download or WebSocket URL of a page signed in with the secret: 60 s). */
  linkTokens: ExpiringTokens<LinkGrant>;
  /** One-time sign-in links for this computer's browser (printed at start, `cli.ts sign-in-link`: 10 minutes). */
  signIns: ExpiringTokens<true>;
  /** The local administrator's browser sessions, opened by sign-in links (SessionMaxHours; at most 100). */
  localSessions: ExpiringTokens<true>;
  /** The HTTPS certificate, when the API speaks HTTPS. */
  certificate(): ApiCertificate | undefined;
  /** The one-time link that sets up the first administrator, while there is none. */
  setupLink(): string | undefined;
}

/**
 * The one HTTP + WebSocket API of the UI (and of scripts): every route the features contribute, with the Monitor's
 * status, the Settings screen and sign-in links of its own; HTTPS when it listens beyond this computer (api-tls.ts).
 */
export const api: Feature<Api> = {
  name: 'api',
  settings: [
    'APIHttps',
    'APIHostNames',
    'APICertificate',
    'APIPrivateKey',
    'APIPort',
    'APIAddress',
    'MaxUploadMB',
    'SessionMaxHours',
  ],
  needs: [accounts],
  start(core, { the, maybe, all }) {
    const users = the(accounts);
    const listener = maybe(dicomListener);
    let http: HttpApi | undefined;
    let secret = '';
    let certificate: ApiCertificate | undefined;
    let setup: string | undefined;
    const url = () => apiUrl(core, certificate !== undefined, http?.port ?? 0);
    const secure = () => certificate !== undefined;
    const sessionMaxHours = () => core.settings.sessionMaxHours;
    const links = {
      links: new ExpiringTokens<LinkGrant>(60_000),
      signIns: new ExpiringTokens<true>(10 * 60_000),
      local: new ExpiringTokens<true>(() => sessionMaxHours() * 3_600_000, { max: 100 }),
    };
    const log = core.child('api');
    const serve = async () => {
      const s = core.settings;
      secret = await apiSecret(core.dataDir);
      certificate = apiNeedsTls(s) ? await apiCertificate(s, core.dataDir) : undefined;
      const routes = [
        ...statusRoutes({
          aeTitle: () => core.settings.aeTitle,
          virtualServers: () => core.settings.virtualServers.map((v) => v.ae),
          dicomPort: () => (listener ? listener.port() || listener.tlsPort() : 0),
          openAssociations: () => listener?.openAssociations() ?? 0,
          counts: () => core.index.counts(),
          devices: () =>
            core.store.roots
              .list()
              .map((r) => ({ path: r.root, device: r.device, mirror: r.side === 1, present: r.present })),
          copiesOwed: () => core.store.pending.size,
          activity: () => core.activity.snapshot(),
          storedBytes: storedBytesOf(core),
          https: () =>
            certificate ? { fingerprint: certificate.fingerprint, selfSigned: certificate.selfSigned } : undefined,
        }),
        ...settingsRoutes({
          config: () => core.config,
          applySettings: () => core.applySettings(),
          shutdown: core.shutdown,
          restartListener: () =>
            listener ? listener.restart() : all.restartListeners(async () => () => undefined).then(() => 0),
        }),
        ...linkRoutes({
          ...links,
          secret: () => secret,
          apiUrl: url,
          sessionMaxHours,
          secure,
          rotateSecret: async () => {
            secret = await newApiSecret(core.dataDir);
          },
        }),
        ...all.routes(),
      ];
      const frame = {
        events: core.events,
        accounts: users,
        links: { ...links, secret: () => secret },
        audit: (e: Parameters<typeof core.audit.record>[0]) => core.audit.record(e),
        uploads: new UploadSpace({
          dir: () => path.join(core.config.dataDir, 'uploads'),
          limitBytes: () => core.settings.maxUploadMB * 1024 * 1024,
          reserveBytes: () => core.settings.magFullThresholdMB * 1024 * 1024,
        }),
        hostNames: () => core.settings.apiHostNames,
        corsOrigins: () => core.settings.dicomWebCorsOrigins,
      };
      http = new HttpApi(frame, routes, log, apiServer(certificate));
      await http.listen(core.overrides.apiPort ?? s.apiPort, s.apiAddress);
      log.info(`API on ${certificate ? 'https' : 'http'}://${s.apiAddress}:${http.port}/`);
      if (certificate)
        log.info(
          `HTTPS certificate${certificate.selfSigned ? ' (self-signed, made here)' : ''}: SHA-256 fingerprint ${certificate.fingerprint}`,
        );
      core.audit.record({
        user: 'system',
        source: '',
        action: 'application-start',
        detail: `${s.aeTitle} on DICOM port ${listener?.port() ?? 0}, API ${url()}`,
      });
      const code = await users.accounts.prepareSetup();
      if (code) {
        setup = `${url()}/#setup=${code}`;
        log.warn(
          `no user accounts yet: open ${setup} once to create the first administrator (the link works until then)`,
        );
      }
    };
    const stop = async () => {
      if (!http) return;
      core.audit.record({ user: 'system', source: '', action: 'application-stop' });
      await http.close();
    };
    return {
      provides: {
        http: () => http,
        url,
        secret: () => secret,
        linkTokens: links.links,
        signIns: links.signIns,
        localSessions: links.local,
        certificate: () => certificate,
        setupLink: () => setup,
      },
      serve,
      stop,
    };
  },
};

function apiUrl(core: ArchiveCore, https: boolean, port: number): string {
  const address = core.settings.apiAddress;
  const host =
    address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  return `${https ? 'https' : 'http'}://${host}:${port}`;
}

/** The archive's size, recomputed at most every minute: a sum over every object row is a full scan on a big index. */
function storedBytesOf(core: ArchiveCore): () => Promise<number> {
  let cache: { at: number; value: Promise<number> } | undefined;
  return () => {
    const now = Date.now();
    if (!cache || now - cache.at > 60_000) cache = { at: now, value: core.index.storedBytes() };
    return cache.value;
  };
}
