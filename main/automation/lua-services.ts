import type { DataSet } from '../dicom/dataset.ts';

/**
 * What a script reaches outside its object (Conquest's Lua functions that talk to DICOM nodes, the index and the
 * configuration), done by the archive's own thread for the scripts' worker (lua-host.ts passes each call on). Each one
 * either resolves or throws an Error whose message the script sees; none touches a file or a socket of its own choice.
 */
export interface LuaServices {
  /** dicomecho(AE): a C-ECHO to a node of acrnema.map. */
  echo(ae: string): Promise<void>;
  /** dicomquery(AE, level, query): a C-FIND, the answers in order. */
  query(ae: string, level: string, identifier: DataSet): Promise<DataSet[]>;
  /** dicommove(AE, destination, query, patientroot): a C-MOVE from a node to another (or to us). */
  move(ae: string, destination: string, identifier: DataSet, patientRoot: boolean): Promise<void>;
  /** dicomget(AE, level, query): a C-GET; the objects it brings, held by the script (never stored). */
  get(ae: string, level: string, identifier: DataSet): Promise<DataSet[]>;
  /** dicomstore(AE, objects): C-STORE of objects the script holds. */
  store(ae: string, objects: DataSet[]): Promise<void>;
  /** io.popen(command): a program's output (where AllowExternalCommands = 1; audited). */
  popen(command: string): Promise<string>;
  /** sql(SELECT ...) and dbquery: a read-only statement on the index; rows of text (null stays nil). */
  sql(statement: string): Promise<(string | null)[][]>;
  /** get_amap(n): entry n (from 0) of acrnema.map as AE, host, port, compression; undefined past the end. */
  amap(entry: number): Promise<string[] | undefined>;
  /**
   * get_sqldef(table, n): line n (from 0) of dicom.sql's table (0 patient ... 4 worklist) as group, element, column,
   * length, SQL type, DICOM type; undefined past the end.
   */
  sqlDef(table: number, entry: number): Promise<(string | number)[] | undefined>;
  /** gpps(section, key): a dicom.ini value (secrets are not given out); undefined when it is not set. */
  gpps(section: string, key: string): Promise<string | undefined>;
  /** changeuid(old[, proposed[, stage]]): the new UID for an old one (kept in the index for changeuidback). */
  changeUid(oldUid: string, proposed: string | undefined, stage: string): Promise<string>;
  /** changeuidback(new[, stage]): the old UID a new one stands for, if the index knows it. */
  changeUidBack(newUid: string, stage: string): Promise<string | undefined>;
  /** Global.X: BaseDir (the data folder), ConfigFile, DGATEVERSION, StatusString, or [sscscp]'s X (secrets withheld). */
  global(name: string): Promise<string | undefined>;
  /** DicomObject:Read(file): a DICOM file inside the data folder, whole. */
  readObject(file: string): Promise<DataSet>;
  /** DicomObject:Write(file): an object the script made, as a Part-10 file inside the data folder. */
  writeObject(file: string, dataSet: DataSet): Promise<void>;
  /** dicomread(query): the headers of this archive's objects the query names (at most a thousand). */
  read(identifier: DataSet): Promise<DataSet[]>;
  /** newdicommodify(query, script): this archive's objects the query names changed by the script (an edit job); how many. */
  modify(identifier: DataSet, script: string): Promise<number>;
  /** dicomdelete(query): this archive's studies the query names (by PatientID or StudyInstanceUID), deleted. */
  delete(identifier: DataSet): Promise<number>;
  /** listoldestpatients(max, device): patient IDs with studies on device n, the least recently used first. */
  oldestPatients(max: number, device: number): Promise<string[]>;
  /** servercommand(command): `display_status:` and `get_param:KEY` (secrets withheld); any other is refused. */
  serverCommand(command: string): Promise<string>;
}

export type LuaServiceName = keyof LuaServices;

export const LUA_SERVICE_NAMES: readonly LuaServiceName[] = [
  'echo',
  'query',
  'move',
  'get',
  'store',
  'popen',
  'sql',
  'amap',
  'sqlDef',
  'gpps',
  'changeUid',
  'changeUidBack',
  'global',
  'readObject',
  'writeObject',
  'read',
  'delete',
  'modify',
  'serverCommand',
  'oldestPatients',
];

/** One call from the scripts' worker, and its answer (values cross the thread boundary as structured clones). */
export type LuaServiceRequest = { service: number; name: LuaServiceName; args: unknown[] };
export type LuaServiceAnswer = { service: number; value?: unknown; error?: string };

/** Where no services were given (a test of the language alone): every call fails with this. */
export const NO_SERVICES: LuaServices = new Proxy({} as LuaServices, {
  get: (_target, name) => () => Promise.reject(new Error(`${String(name)} is not available here`)),
});
