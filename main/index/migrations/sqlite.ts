/** Versioned schema steps for SQLite; PRAGMA user_version records how far a database has come. */
export const SQLITE_MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE patients (
  id INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL UNIQUE,
  patient_name TEXT NOT NULL DEFAULT '',
  name_key TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
);
CREATE INDEX patients_name_key ON patients(name_key);

CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  study_uid TEXT NOT NULL UNIQUE,
  patient_fk INTEGER NOT NULL REFERENCES patients(id),
  study_date TEXT NOT NULL DEFAULT '',
  study_time TEXT NOT NULL DEFAULT '',
  accession_number TEXT NOT NULL DEFAULT '',
  study_id TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  referring_physician TEXT NOT NULL DEFAULT '',
  charset TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
);
CREATE INDEX studies_patient ON studies(patient_fk);
CREATE INDEX studies_date ON studies(study_date);
CREATE INDEX studies_accession ON studies(accession_number);

CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  series_uid TEXT NOT NULL UNIQUE,
  study_fk INTEGER NOT NULL REFERENCES studies(id),
  modality TEXT NOT NULL DEFAULT '',
  series_number TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  body_part TEXT NOT NULL DEFAULT '',
  series_date TEXT NOT NULL DEFAULT '',
  series_time TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
);
CREATE INDEX series_study ON series(study_fk);
CREATE INDEX series_modality ON series(modality);

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL UNIQUE,
  series_fk INTEGER NOT NULL REFERENCES series(id),
  sop_class_uid TEXT NOT NULL,
  instance_number TEXT NOT NULL DEFAULT '',
  transfer_syntax TEXT NOT NULL,
  rows INTEGER,
  columns INTEGER,
  frames TEXT NOT NULL DEFAULT '',
  device INTEGER NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  calling_ae TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL
);
CREATE INDEX instances_series ON instances(series_fk);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE worklist (
  id INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL,
  patient_name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  accession_number TEXT NOT NULL DEFAULT '',
  referring_physician TEXT NOT NULL DEFAULT '',
  study_uid TEXT NOT NULL,
  requested_procedure_id TEXT NOT NULL DEFAULT '',
  requested_procedure_description TEXT NOT NULL DEFAULT '',
  modality TEXT NOT NULL,
  scheduled_ae TEXT NOT NULL DEFAULT '',
  scheduled_date TEXT NOT NULL,
  scheduled_time TEXT NOT NULL DEFAULT '',
  performing_physician TEXT NOT NULL DEFAULT '',
  step_id TEXT NOT NULL DEFAULT '',
  step_description TEXT NOT NULL DEFAULT '',
  station_name TEXT NOT NULL DEFAULT '',
  step_status TEXT NOT NULL DEFAULT 'SCHEDULED',
  updated_at TEXT NOT NULL
);
CREATE INDEX worklist_date ON worklist(scheduled_date);
CREATE INDEX worklist_patient ON worklist(patient_id);
CREATE INDEX worklist_accession ON worklist(accession_number);
`,
  },
  {
    // Counts and modalities kept with each study and series, so C-FIND answers them without counting instances.
    version: 3,
    sql: `
ALTER TABLE series ADD COLUMN num_instances INTEGER NOT NULL DEFAULT 0;
ALTER TABLE studies ADD COLUMN num_series INTEGER NOT NULL DEFAULT 0;
ALTER TABLE studies ADD COLUMN num_instances INTEGER NOT NULL DEFAULT 0;
ALTER TABLE studies ADD COLUMN modalities TEXT NOT NULL DEFAULT '';
UPDATE series SET num_instances = (SELECT count(*) FROM instances WHERE series_fk = series.id);
UPDATE studies SET
  num_series = (SELECT count(*) FROM series WHERE study_fk = studies.id),
  num_instances = (SELECT coalesce(sum(num_instances), 0) FROM series WHERE study_fk = studies.id),
  modalities = (SELECT coalesce(replace(group_concat(DISTINCT modality), ',', '\\'), '') FROM series WHERE study_fk = studies.id);
`,
  },
  {
    // Transfer jobs (sends, forwards, retrieves) and the objects of each send.
    version: 4,
    sql: `
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  destination TEXT NOT NULL DEFAULT '',
  query TEXT NOT NULL DEFAULT '{}',
  study_uid TEXT NOT NULL DEFAULT '',
  total INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT '',
  finished_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_state ON jobs(state, next_attempt_at);
CREATE TABLE job_items (
  job_fk INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  sop_uid TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  PRIMARY KEY (job_fk, sop_uid)
);
`,
  },
  {
    // Person names folded for forgiving search (Dvořák = dvorak, Müller = mueller), by the index's fold_name function.
    version: 5,
    sql: `
ALTER TABLE patients ADD COLUMN name_fold TEXT NOT NULL DEFAULT '';
UPDATE patients SET name_fold = fold_name(patient_name);
CREATE INDEX patients_name_fold ON patients(name_fold);
ALTER TABLE worklist ADD COLUMN name_fold TEXT NOT NULL DEFAULT '';
UPDATE worklist SET name_fold = fold_name(patient_name);
`,
  },
  {
    // A forward rule's own compression code (`forward compressed as xx to AE`); '' sends as the node's code says.
    version: 6,
    sql: `ALTER TABLE jobs ADD COLUMN compression TEXT NOT NULL DEFAULT '';`,
  },
  {
    // The hospital's workflow: storage commitment on jobs, MPPS steps, worklist entries from HL7 orders, patient merges.
    version: 7,
    sql: `
ALTER TABLE jobs ADD COLUMN transaction_uid TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN commitment TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN detail TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_transaction ON jobs(transaction_uid);
ALTER TABLE worklist ADD COLUMN source TEXT NOT NULL DEFAULT 'typed';
ALTER TABLE worklist ADD COLUMN placer_order TEXT NOT NULL DEFAULT '';
ALTER TABLE worklist ADD COLUMN mpps_status TEXT NOT NULL DEFAULT '';
ALTER TABLE worklist ADD COLUMN mpps_uid TEXT NOT NULL DEFAULT '';
CREATE INDEX worklist_placer_order ON worklist(placer_order);
CREATE INDEX worklist_study ON worklist(study_uid);
CREATE TABLE mpps (
  id INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  calling_ae TEXT NOT NULL DEFAULT '',
  patient_id TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL DEFAULT '',
  study_uid TEXT NOT NULL DEFAULT '',
  step_id TEXT NOT NULL DEFAULT '',
  accession_number TEXT NOT NULL DEFAULT '',
  modality TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  started TEXT NOT NULL DEFAULT '',
  ended TEXT NOT NULL DEFAULT '',
  series TEXT NOT NULL DEFAULT '[]',
  data_set TEXT NOT NULL DEFAULT '',
  worklist_fk INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX mpps_study ON mpps(study_uid);
CREATE TABLE patient_merges (
  id INTEGER PRIMARY KEY,
  prior_patient_id TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  studies_moved INTEGER NOT NULL DEFAULT 0,
  recorded_at TEXT NOT NULL
);
`,
  },
  {
    // Retention: when each study was last stored, viewed or retrieved; studies kept whatever the disk; deletions journaled.
    version: 8,
    sql: `
ALTER TABLE studies ADD COLUMN accessed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN protected INTEGER NOT NULL DEFAULT 0;
CREATE TABLE deletions (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  patient_id TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL DEFAULT '',
  study_date TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  objects INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending',
  files TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deletions_state ON deletions(state);
`,
  },
  {
    // Edits: a corrected patient ID's old value, so that objects arriving later under it are corrected too.
    version: 9,
    sql: `
CREATE TABLE patient_aliases (
  old_id TEXT PRIMARY KEY,
  new_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX jobs_study ON jobs(study_uid);
`,
  },
  {
    // Accounts (users with a role) and the audit trail of who did what to which patient's data.
    version: 10,
    sql: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT NOT NULL DEFAULT '',
  last_login TEXT NOT NULL DEFAULT ''
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user_name TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT 'success',
  patient_id TEXT NOT NULL DEFAULT '',
  study_uid TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_user ON audit(user_name);
CREATE INDEX audit_patient ON audit(patient_id);
CREATE INDEX audit_action ON audit(action);
`,
  },
  {
    // Each study keeps its own patient name as its objects give it; the patient's name follows its newest study unless
    // an admin (or the hospital's HL7 ADT) confirmed one. Existing studies take their patient's name until re-indexed.
    version: 11,
    sql: `
ALTER TABLE studies ADD COLUMN patient_name TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN name_fold TEXT NOT NULL DEFAULT '';
UPDATE studies SET patient_name = (SELECT p.patient_name FROM patients p WHERE p.id = studies.patient_fk),
  name_key = (SELECT p.name_key FROM patients p WHERE p.id = studies.patient_fk),
  name_fold = (SELECT p.name_fold FROM patients p WHERE p.id = studies.patient_fk);
CREATE INDEX studies_name_key ON studies(name_key);
CREATE INDEX studies_name_fold ON studies(name_fold);
ALTER TABLE patients ADD COLUMN name_confirmed INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    // A job's error as a message too (common/message.ts), so the UI says it in the user's language.
    version: 12,
    sql: `ALTER TABLE jobs ADD COLUMN error_message TEXT NOT NULL DEFAULT '';`,
  },
  {
    // Keys other systems sign their requests with (a second workstation's DICOMweb node), kept as hashes.
    version: 13,
    sql: `
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  last_used TEXT NOT NULL DEFAULT ''
);
`,
  },
  {
    // Converters' newuids/olduids (Conquest's UIDMODS): which new UID stands for which old one, per stage.
    version: 14,
    sql: `
CREATE TABLE uid_map (
  stage TEXT NOT NULL,
  new_uid TEXT NOT NULL,
  old_uid TEXT NOT NULL,
  PRIMARY KEY (stage, new_uid)
);
`,
  },
  {
    // The UID a job's object was sent as, where a forward's script gave it new ones (Storage Commitment asks by it).
    version: 15,
    sql: `ALTER TABLE job_items ADD COLUMN sent_uid TEXT NOT NULL DEFAULT '';`,
  },
  {
    // VerifyStorage: each object's CRC-32 as written (NULL: not known yet; the first verification records it), and
    // what the verifications found wrong, until repaired.
    version: 16,
    sql: `
ALTER TABLE instances ADD COLUMN checksum INTEGER;
CREATE TABLE storage_problems (
  sop_uid TEXT PRIMARY KEY,
  device INTEGER NOT NULL,
  path TEXT NOT NULL,
  problem TEXT NOT NULL,
  found_at TEXT NOT NULL,
  state TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
`,
  },
  {
    // dicom.sql: the columns it added to the patient, study, series and instance tables (index-columns.ts), and how
    // far the objects stored before each was added have been read into it.
    version: 17,
    sql: `
CREATE TABLE index_columns (
  tbl TEXT NOT NULL,
  name TEXT NOT NULL,
  tag INTEGER NOT NULL,
  type TEXT NOT NULL,
  fill_below INTEGER NOT NULL,
  filled_to INTEGER NOT NULL,
  PRIMARY KEY (tbl, name)
);
`,
  },
  {
    // Forgiving matching (NameMatching, the search screens) compares patient IDs and accession numbers case aside,
    // as upper(column) = ?: an index on that expression keeps it a look-up instead of a scan of every row.
    version: 18,
    sql: `
CREATE INDEX patients_id_upper ON patients(upper(patient_id));
CREATE INDEX studies_accession_upper ON studies(upper(accession_number));
`,
  },
];
