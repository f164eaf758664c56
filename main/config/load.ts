import {
  checkConverterLua,
  fileNameLua,
  readImportConverters,
  readRequestConverters,
  type ImportConverter,
  type RequestConverters,
} from './import-converters.ts';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { fileExists } from '../util/file-exists.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLuaHooks, type LuaHooks } from './lua-hooks.ts';
import type { ConfigError } from './config-error.ts';
import { IniDocument } from '../../common/ini-document.ts';
import { AcrNemaMap } from './acrnema-map.ts';
import { parseDicomSql } from './dicom-sql.ts';
import { BUILT_IN_SCHEMA, indexSchemaOf, type IndexSchema } from './index-schema.ts';
import { parseSopList, type SopList } from './sop-list.ts';
import { readSettings, type ServerSettings } from './server-settings.ts';
import { readForwardRules, type ForwardRule } from './forward-rules.ts';
import { WEB_NODES_FILE, WebNodeMap } from './web-nodes.ts';
import { NODE_RIGHTS_FILE, NodeRightsMap } from './node-rights.ts';
import { lookup } from 'node:dns/promises';
import net from 'node:net';

/** The shipped defaults, copied into a new configuration folder on first start. */
export const DEFAULT_CONFIG_DIR = fileURLToPath(new URL('../../config/', import.meta.url));
const SEED_FILES = ['dicom.ini', 'acrnema.map', 'dgatesop.lst', 'dicom.sql'];

export interface LoadedConfig {
  configDir: string;
  dataDir: string;
  ini: IniDocument;
  settings: ServerSettings;
  nodes: AcrNemaMap;
  /** DICOMweb nodes (dicomweb.map; empty when the file is not there yet). */
  webNodes: WebNodeMap;
  sopList: SopList;
  forwardRules: ForwardRule[];
  /** ImportConverter0..99 with their filters (import-converters.ts). */
  importConverters: ImportConverter[];
  /** QueryConverter0, WorkListQueryConverter0, RetrieveConverter0. */
  requestConverters: RequestConverters;
  /** dicom.ini's [lua] hooks (lua-hooks.ts). */
  luaHooks: LuaHooks;
  /** Converters left out at start (a line this version refuses), with the line and why; the others run. */
  skippedConverters: { key: string; line: number; reason: string }[];
  /** What each node may ask of us (noderights.map; everything when the file is not there). */
  nodeRights: NodeRightsMap;
  /** For nodes whose calls are checked against their address: acrnema.map's host as addresses, by AE title (upper case). */
  checkedHosts: Map<string, string[]>;
  /** dicom.sql (kFactorFile): the index's columns beyond its own; none when the file is not there. */
  indexSchema: IndexSchema;
}

/** The addresses of the acrnema.map hosts of nodes whose address noderights.map checks (names resolved once, here). */
export async function resolveCheckedHosts(nodes: AcrNemaMap, rights: NodeRightsMap): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of nodes.nodes) {
    if (!rights.of(node.ae).checkHost) continue;
    if (node.host === '*') {
      out.set(node.ae.toUpperCase(), ['*']);
      continue;
    }
    const addresses = net.isIP(node.host)
      ? [node.host]
      : (await lookup(node.host, { all: true }).catch(() => [])).map((a) => a.address);
    out.set(node.ae.toUpperCase(), addresses);
  }
  return out;
}

/** Give a configuration folder the default files it lacks, so a fresh install starts with no editing. */
export async function seedConfig(configDir: string): Promise<string[]> {
  await mkdir(configDir, { recursive: true });
  const seeded: string[] = [];
  for (const name of SEED_FILES) {
    const target = path.join(configDir, name);
    if (await fileExists(target)) continue;
    await copyFile(path.join(DEFAULT_CONFIG_DIR, name), target);
    seeded.push(name);
  }
  return seeded;
}

/** Read dicom.ini, acrnema.map and dgatesop.lst; throws ConfigError(s) naming file, line and reason. */
export async function loadConfig(configDir: string, dataDir: string): Promise<LoadedConfig> {
  const iniFile = path.join(configDir, 'dicom.ini');
  const ini = new IniDocument(iniFile, await readFile(iniFile, 'utf8'));
  const settings = readSettings(ini, configDir, dataDir);
  const nodes = new AcrNemaMap(settings.acrNemaMap, await readFile(settings.acrNemaMap, 'utf8'));
  const sopList = parseSopList(settings.sopClassList, await readFile(settings.sopClassList, 'utf8'));
  const indexSchema = (await fileExists(settings.kFactorFile))
    ? indexSchemaOf(parseDicomSql(settings.kFactorFile, await readFile(settings.kFactorFile, 'utf8')))
    : { ...BUILT_IN_SCHEMA, file: settings.kFactorFile };
  // A converter this version refuses does not stop the start: it is left out, and said (skippedConverters).
  const skippedConverters: LoadedConfig['skippedConverters'] = [];
  const skip = (key: string, errors: ConfigError[]) =>
    skippedConverters.push({ key, line: errors[0]?.line ?? 0, reason: errors.map((e) => e.reason).join('; ') });
  let forwardRules = readForwardRules(ini, nodes, skip);
  let importConverters = readImportConverters(ini, skip);
  const requestConverters = readRequestConverters(ini, skip);
  const badLua = await checkConverterLua(
    ini.file,
    [
      ...importConverters.map((c) => ({ ...c, kind: 'Import' as const })),
      ...forwardRules.map((r) => ({ ...r, kind: 'Export' as const })),
      ...Object.values(requestConverters).map((c) => ({ ...c, kind: 'Request' as const })),
      ...fileNameLua(ini),
    ],
    skip,
  );
  importConverters = importConverters.filter((c) => !badLua.has(`ImportConverter${c.index}`));
  forwardRules = forwardRules.filter((r) => !badLua.has(`ExportConverter${r.index}`));
  for (const [kind, c] of Object.entries(requestConverters))
    if (c && badLua.has(c.key)) delete requestConverters[kind as keyof typeof requestConverters];
  const luaHooks = await readLuaHooks(ini);
  const webFile = path.join(configDir, WEB_NODES_FILE);
  const webNodes = new WebNodeMap(webFile, (await fileExists(webFile)) ? await readFile(webFile, 'utf8') : '');
  const rightsFile = path.join(configDir, NODE_RIGHTS_FILE);
  const nodeRights = new NodeRightsMap(
    rightsFile,
    (await fileExists(rightsFile)) ? await readFile(rightsFile, 'utf8') : '',
  );
  return {
    configDir,
    dataDir,
    ini,
    settings,
    nodes,
    webNodes,
    sopList,
    forwardRules,
    importConverters,
    requestConverters,
    luaHooks,
    skippedConverters,
    nodeRights,
    checkedHosts: await resolveCheckedHosts(nodes, nodeRights),
    indexSchema,
  };
}
