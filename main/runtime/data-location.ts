import path from 'node:path';

/**
 * Where the archive's data lives on a clinic computer. An archive that must receive at night and after a logoff runs as
 * a service (Windows) or a systemd unit (Linux) on a per-machine folder: %ProgramData%\PACS Workstation on Windows,
 * /var/lib/pacs-workstation on Linux. The desktop window uses that folder when it exists (attaching to the service's
 * core when one runs, else running the core itself on it), and the user's own folder only for a per-user install.
 */
export function machineDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32')
    return path.win32.join(env.ProgramData ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData', 'PACS Workstation');
  if (platform === 'darwin') return '/Library/Application Support/PACS Workstation';
  return '/var/lib/pacs-workstation';
}

export type DesktopCore =
  | { kind: 'attach'; dataDir: string; apiUrl: string; secret: string }
  | { kind: 'run'; dataDir: string };

/**
 * What the desktop window does: attach to the core serving the per-machine folder (a service), else run the core itself
 * on the per-machine folder when this user may write it, else on the user's own folder.
 */
export async function chooseDesktopCore(options: {
  machineDir: string;
  userDir: string;
  running: (dataDir: string) => Promise<{ record: { apiUrl: string }; secret: string } | undefined>;
  writable: (dir: string) => Promise<boolean>;
}): Promise<DesktopCore> {
  const core = await options.running(options.machineDir);
  if (core) return { kind: 'attach', dataDir: options.machineDir, apiUrl: core.record.apiUrl, secret: core.secret };
  if (await options.writable(options.machineDir)) return { kind: 'run', dataDir: options.machineDir };
  return { kind: 'run', dataDir: options.userDir };
}
