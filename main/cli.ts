import path from 'node:path';
import { parseArgs } from 'node:util';
import { ArchiveServer } from './server.ts';
import { ConfigError, ConfigErrors } from './config/config-error.ts';

const USAGE = `usage: node main/cli.ts serve [options]

  --data DIR          data folder: storage and index paths in dicom.ini are relative to it (default: ./data)
  --config DIR        folder of dicom.ini, acrnema.map, dgatesop.lst (default: DATA/config, seeded from config/)
  --port N            DICOM port for this run, overriding TCPPort (0 picks a free port)
  --listen ADDRESS    address to listen on, overriding ListenAddress
  --help              this text`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      config: { type: 'string' },
      port: { type: 'string' },
      listen: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || positionals[0] !== 'serve') {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const dataDir = path.resolve(values.data ?? 'data');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port ${values.port}: not a port number from 0 to 65535\n`);
    return 2;
  }
  const server = new ArchiveServer({ dataDir, configDir: path.resolve(values.config ?? path.join(dataDir, 'config')), port, listenAddress: values.listen });
  try {
    await server.start();
  } catch (err) {
    if (err instanceof ConfigErrors || err instanceof ConfigError) {
      process.stderr.write(`configuration refused:\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // Machine-readable line for scripts and tests that start us on a free port.
  process.stdout.write(`LISTENING ${server.config.settings.aeTitle} ${server.port}\n`);
  const stop = async (signal: string) => {
    server.logger.write('info', 'server', `${signal}: stopping`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return -1;
}

main().then((code) => { if (code >= 0) process.exit(code); }, (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
