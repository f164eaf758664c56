/**
 * Versioned schema steps for MySQL/MariaDB; the `schema_version` table records how far a database has come. The
 * tables mirror the SQLite ones (migrations/sqlite.ts) at their latest version; text compares byte for byte (utf8mb4_bin)
 * as it does in SQLite, person names being matched on their upper-case key.
 */
const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MYSQL_MIGRATIONS: { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE patients (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        patient_id VARCHAR(64) NOT NULL UNIQUE,
        patient_name VARCHAR(324) NOT NULL DEFAULT '',
        name_key VARCHAR(324) NOT NULL DEFAULT '',
        birth_date VARCHAR(16) NOT NULL DEFAULT '',
        sex VARCHAR(16) NOT NULL DEFAULT '',
        updated_at VARCHAR(32) NOT NULL,
        INDEX patients_name_key (name_key)
      ) ${TABLE}`,
      `CREATE TABLE studies (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        study_uid VARCHAR(64) NOT NULL UNIQUE,
        patient_fk BIGINT NOT NULL,
        study_date VARCHAR(16) NOT NULL DEFAULT '',
        study_time VARCHAR(32) NOT NULL DEFAULT '',
        accession_number VARCHAR(64) NOT NULL DEFAULT '',
        study_id VARCHAR(64) NOT NULL DEFAULT '',
        description VARCHAR(255) NOT NULL DEFAULT '',
        referring_physician VARCHAR(324) NOT NULL DEFAULT '',
        charset VARCHAR(128) NOT NULL DEFAULT '',
        updated_at VARCHAR(32) NOT NULL,
        num_series INT NOT NULL DEFAULT 0,
        num_instances INT NOT NULL DEFAULT 0,
        modalities VARCHAR(255) NOT NULL DEFAULT '',
        INDEX studies_patient (patient_fk),
        INDEX studies_date (study_date),
        INDEX studies_accession (accession_number),
        FOREIGN KEY (patient_fk) REFERENCES patients(id)
      ) ${TABLE}`,
      `CREATE TABLE series (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        series_uid VARCHAR(64) NOT NULL UNIQUE,
        study_fk BIGINT NOT NULL,
        modality VARCHAR(16) NOT NULL DEFAULT '',
        series_number VARCHAR(16) NOT NULL DEFAULT '',
        description VARCHAR(255) NOT NULL DEFAULT '',
        body_part VARCHAR(64) NOT NULL DEFAULT '',
        series_date VARCHAR(16) NOT NULL DEFAULT '',
        series_time VARCHAR(32) NOT NULL DEFAULT '',
        updated_at VARCHAR(32) NOT NULL,
        num_instances INT NOT NULL DEFAULT 0,
        INDEX series_study (study_fk),
        INDEX series_modality (modality),
        FOREIGN KEY (study_fk) REFERENCES studies(id)
      ) ${TABLE}`,
      `CREATE TABLE instances (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        sop_uid VARCHAR(64) NOT NULL UNIQUE,
        series_fk BIGINT NOT NULL,
        sop_class_uid VARCHAR(64) NOT NULL,
        instance_number VARCHAR(16) NOT NULL DEFAULT '',
        transfer_syntax VARCHAR(64) NOT NULL,
        \`rows\` INT NULL,
        \`columns\` INT NULL,
        frames VARCHAR(16) NOT NULL DEFAULT '',
        device INT NOT NULL,
        path VARCHAR(1024) NOT NULL,
        size BIGINT NOT NULL,
        calling_ae VARCHAR(16) NOT NULL DEFAULT '',
        received_at VARCHAR(32) NOT NULL,
        INDEX instances_series (series_fk),
        FOREIGN KEY (series_fk) REFERENCES series(id)
      ) ${TABLE}`,
      `CREATE TABLE worklist (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        patient_id VARCHAR(64) NOT NULL,
        patient_name VARCHAR(324) NOT NULL,
        name_key VARCHAR(324) NOT NULL,
        birth_date VARCHAR(16) NOT NULL DEFAULT '',
        sex VARCHAR(16) NOT NULL DEFAULT '',
        accession_number VARCHAR(64) NOT NULL DEFAULT '',
        referring_physician VARCHAR(324) NOT NULL DEFAULT '',
        study_uid VARCHAR(64) NOT NULL,
        requested_procedure_id VARCHAR(64) NOT NULL DEFAULT '',
        requested_procedure_description VARCHAR(255) NOT NULL DEFAULT '',
        modality VARCHAR(16) NOT NULL,
        scheduled_ae VARCHAR(16) NOT NULL DEFAULT '',
        scheduled_date VARCHAR(16) NOT NULL,
        scheduled_time VARCHAR(32) NOT NULL DEFAULT '',
        performing_physician VARCHAR(324) NOT NULL DEFAULT '',
        step_id VARCHAR(64) NOT NULL DEFAULT '',
        step_description VARCHAR(255) NOT NULL DEFAULT '',
        station_name VARCHAR(64) NOT NULL DEFAULT '',
        step_status VARCHAR(16) NOT NULL DEFAULT 'SCHEDULED',
        updated_at VARCHAR(32) NOT NULL,
        INDEX worklist_date (scheduled_date),
        INDEX worklist_patient (patient_id),
        INDEX worklist_accession (accession_number)
      ) ${TABLE}`,
      `CREATE TABLE jobs (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        kind VARCHAR(16) NOT NULL,
        source VARCHAR(16) NOT NULL DEFAULT '',
        destination VARCHAR(16) NOT NULL DEFAULT '',
        query TEXT NOT NULL,
        study_uid VARCHAR(64) NOT NULL DEFAULT '',
        total INT NOT NULL DEFAULT 0,
        done INT NOT NULL DEFAULT 0,
        failed INT NOT NULL DEFAULT 0,
        bytes BIGINT NOT NULL DEFAULT 0,
        state VARCHAR(16) NOT NULL,
        error TEXT NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL DEFAULT 0,
        created_at VARCHAR(32) NOT NULL,
        started_at VARCHAR(32) NOT NULL DEFAULT '',
        finished_at VARCHAR(32) NOT NULL DEFAULT '',
        INDEX jobs_state (state, next_attempt_at)
      ) ${TABLE}`,
      `CREATE TABLE job_items (
        seq BIGINT PRIMARY KEY AUTO_INCREMENT,
        job_fk BIGINT NOT NULL,
        sop_uid VARCHAR(64) NOT NULL,
        state VARCHAR(16) NOT NULL DEFAULT 'pending',
        UNIQUE KEY job_item (job_fk, sop_uid),
        FOREIGN KEY (job_fk) REFERENCES jobs(id) ON DELETE CASCADE
      ) ${TABLE}`,
    ],
  },
  {
    // Person names folded for forgiving search (Dvořák = dvorak, Müller = mueller); filled by the index at open.
    version: 5,
    statements: [
      `ALTER TABLE patients ADD COLUMN name_fold VARCHAR(324) NOT NULL DEFAULT '', ADD INDEX patients_name_fold (name_fold)`,
      `ALTER TABLE worklist ADD COLUMN name_fold VARCHAR(324) NOT NULL DEFAULT ''`,
    ],
  },
  {
    // A forward rule's own compression code (`forward compressed as xx to AE`); '' sends as the node's code says.
    version: 6,
    statements: [`ALTER TABLE jobs ADD COLUMN compression VARCHAR(16) NOT NULL DEFAULT ''`],
  },
  {
    // The hospital's workflow: storage commitment on jobs, MPPS steps, worklist entries from HL7 orders, patient merges.
    version: 7,
    statements: [
      `ALTER TABLE jobs ADD COLUMN transaction_uid VARCHAR(64) NOT NULL DEFAULT '', ADD COLUMN commitment VARCHAR(16) NOT NULL DEFAULT '',
        ADD COLUMN detail LONGTEXT NULL, ADD INDEX jobs_transaction (transaction_uid)`,
      `ALTER TABLE worklist ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'typed', ADD COLUMN placer_order VARCHAR(64) NOT NULL DEFAULT '',
        ADD COLUMN mpps_status VARCHAR(16) NOT NULL DEFAULT '', ADD COLUMN mpps_uid VARCHAR(64) NOT NULL DEFAULT '',
        ADD INDEX worklist_placer_order (placer_order), ADD INDEX worklist_study (study_uid)`,
      `CREATE TABLE mpps (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        sop_uid VARCHAR(64) NOT NULL UNIQUE,
        status VARCHAR(16) NOT NULL,
        calling_ae VARCHAR(16) NOT NULL DEFAULT '',
        patient_id VARCHAR(64) NOT NULL DEFAULT '',
        patient_name VARCHAR(324) NOT NULL DEFAULT '',
        study_uid VARCHAR(64) NOT NULL DEFAULT '',
        step_id VARCHAR(64) NOT NULL DEFAULT '',
        accession_number VARCHAR(64) NOT NULL DEFAULT '',
        modality VARCHAR(16) NOT NULL DEFAULT '',
        description VARCHAR(255) NOT NULL DEFAULT '',
        started VARCHAR(32) NOT NULL DEFAULT '',
        ended VARCHAR(32) NOT NULL DEFAULT '',
        series LONGTEXT NULL,
        data_set LONGTEXT NULL,
        worklist_fk BIGINT NULL,
        created_at VARCHAR(32) NOT NULL,
        updated_at VARCHAR(32) NOT NULL,
        INDEX mpps_study (study_uid)
      ) ${TABLE}`,
      `CREATE TABLE patient_merges (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        prior_patient_id VARCHAR(64) NOT NULL,
        patient_id VARCHAR(64) NOT NULL,
        source VARCHAR(64) NOT NULL DEFAULT '',
        studies_moved INT NOT NULL DEFAULT 0,
        recorded_at VARCHAR(32) NOT NULL
      ) ${TABLE}`,
    ],
  },
  {
    // Retention: when each study was last stored, viewed or retrieved; studies kept whatever the disk; deletions journaled.
    version: 8,
    statements: [
      `ALTER TABLE studies ADD COLUMN accessed_at VARCHAR(32) NOT NULL DEFAULT '', ADD COLUMN protected TINYINT NOT NULL DEFAULT 0`,
      `CREATE TABLE deletions (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        at VARCHAR(32) NOT NULL,
        study_uid VARCHAR(64) NOT NULL,
        patient_id VARCHAR(64) NOT NULL DEFAULT '',
        patient_name VARCHAR(324) NOT NULL DEFAULT '',
        study_date VARCHAR(16) NOT NULL DEFAULT '',
        description VARCHAR(255) NOT NULL DEFAULT '',
        objects INT NOT NULL DEFAULT 0,
        bytes BIGINT NOT NULL DEFAULT 0,
        reason VARCHAR(255) NOT NULL DEFAULT '',
        state VARCHAR(16) NOT NULL DEFAULT 'pending',
        files LONGTEXT NULL,
        INDEX deletions_state (state)
      ) ${TABLE}`,
    ],
  },
  {
    // Edits: a corrected patient ID's old value, so that objects arriving later under it are corrected too.
    version: 9,
    statements: [
      `CREATE TABLE patient_aliases (
        old_id VARCHAR(64) PRIMARY KEY,
        new_id VARCHAR(64) NOT NULL,
        created_at VARCHAR(32) NOT NULL
      ) ${TABLE}`,
      `ALTER TABLE jobs ADD INDEX jobs_study (study_uid)`,
    ],
  },
  {
    // Accounts (users with a role) and the audit trail of who did what to which patient's data.
    version: 10,
    statements: [
      `CREATE TABLE users (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        name VARCHAR(64) NOT NULL UNIQUE,
        role VARCHAR(16) NOT NULL,
        password_hash VARCHAR(255) NOT NULL,
        created_at VARCHAR(32) NOT NULL,
        changed_at VARCHAR(32) NOT NULL,
        failures INT NOT NULL DEFAULT 0,
        locked_until VARCHAR(32) NOT NULL DEFAULT '',
        last_login VARCHAR(32) NOT NULL DEFAULT ''
      ) ${TABLE}`,
      `CREATE TABLE audit (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        at VARCHAR(32) NOT NULL,
        user_name VARCHAR(64) NOT NULL DEFAULT '',
        source VARCHAR(255) NOT NULL DEFAULT '',
        action VARCHAR(32) NOT NULL,
        outcome VARCHAR(16) NOT NULL DEFAULT 'success',
        patient_id VARCHAR(64) NOT NULL DEFAULT '',
        study_uid VARCHAR(64) NOT NULL DEFAULT '',
        detail TEXT NULL,
        INDEX audit_at (at),
        INDEX audit_user (user_name),
        INDEX audit_patient (patient_id),
        INDEX audit_action (action)
      ) ${TABLE}`,
    ],
  },
  {
    // Each study keeps its own patient name as its objects give it; the patient's name follows its newest study unless
    // an admin (or the hospital's HL7 ADT) confirmed one. Existing studies take their patient's name until re-indexed.
    version: 11,
    statements: [
      `ALTER TABLE studies ADD COLUMN patient_name VARCHAR(324) NOT NULL DEFAULT '', ADD COLUMN name_key VARCHAR(324) NOT NULL DEFAULT '',
        ADD COLUMN name_fold VARCHAR(324) NOT NULL DEFAULT '', ADD INDEX studies_name_key (name_key), ADD INDEX studies_name_fold (name_fold)`,
      `UPDATE studies st JOIN patients p ON p.id = st.patient_fk SET st.patient_name = p.patient_name, st.name_key = p.name_key, st.name_fold = p.name_fold`,
      `ALTER TABLE patients ADD COLUMN name_confirmed TINYINT NOT NULL DEFAULT 0`,
    ],
  },
  {
    // A job's error as a message too (common/message.ts), so the UI says it in the user's language.
    version: 12,
    statements: [`ALTER TABLE jobs ADD COLUMN error_message LONGTEXT NULL`],
  },
  {
    // Keys other systems sign their requests with (a second workstation's DICOMweb node), kept as hashes.
    version: 13,
    statements: [
      `CREATE TABLE api_keys (
        id BIGINT PRIMARY KEY AUTO_INCREMENT,
        name VARCHAR(64) NOT NULL UNIQUE,
        role VARCHAR(16) NOT NULL,
        key_hash VARCHAR(64) NOT NULL UNIQUE,
        created_at VARCHAR(32) NOT NULL,
        created_by VARCHAR(64) NOT NULL DEFAULT '',
        last_used VARCHAR(32) NOT NULL DEFAULT ''
      ) ${TABLE}`,
    ],
  },
  {
    // Converters' newuids/olduids (Conquest's UIDMODS): which new UID stands for which old one, per stage.
    version: 14,
    statements: [
      `CREATE TABLE uid_map (
        stage VARCHAR(64) NOT NULL,
        new_uid VARCHAR(64) NOT NULL,
        old_uid VARCHAR(64) NOT NULL,
        PRIMARY KEY (stage, new_uid)
      ) ${TABLE}`,
    ],
  },
  {
    // The UID a job's object was sent as, where a forward's script gave it new ones (Storage Commitment asks by it).
    version: 15,
    statements: [`ALTER TABLE job_items ADD COLUMN sent_uid VARCHAR(64) NOT NULL DEFAULT ''`],
  },
  {
    // VerifyStorage: each object's CRC-32 as written (NULL: not known yet; the first verification records it), and
    // what the verifications found wrong, until repaired.
    version: 16,
    statements: [
      'ALTER TABLE instances ADD COLUMN checksum BIGINT NULL',
      `CREATE TABLE storage_problems (
        sop_uid VARCHAR(64) PRIMARY KEY,
        device INT NOT NULL,
        path VARCHAR(1024) NOT NULL,
        problem VARCHAR(32) NOT NULL,
        found_at VARCHAR(32) NOT NULL,
        state VARCHAR(16) NOT NULL,
        detail VARCHAR(1024) NOT NULL DEFAULT ''
      ) ${TABLE}`,
    ],
  },
  {
    // dicom.sql: the columns it added to the patient, study, series and instance tables (index-columns.ts), and how
    // far the objects stored before each was added have been read into it.
    version: 17,
    statements: [
      `CREATE TABLE index_columns (
        tbl VARCHAR(16) NOT NULL,
        name VARCHAR(80) NOT NULL,
        tag BIGINT NOT NULL,
        type VARCHAR(24) NOT NULL,
        fill_below BIGINT NOT NULL,
        filled_to BIGINT NOT NULL,
        PRIMARY KEY (tbl, name)
      ) ${TABLE}`,
    ],
  },
  {
    // Forgiving matching (NameMatching, the search screens) compares patient IDs and accession numbers case aside.
    // MariaDB indexes no expression, so their upper-case forms are generated columns with an index, matched by name
    // (MYSQL_DIALECT.caseAside).
    version: 18,
    statements: [
      'ALTER TABLE patients ADD COLUMN patient_id_upper VARCHAR(64) AS (UPPER(patient_id)) VIRTUAL, ADD INDEX patients_id_upper (patient_id_upper)',
      'ALTER TABLE studies ADD COLUMN accession_upper VARCHAR(64) AS (UPPER(accession_number)) VIRTUAL, ADD INDEX studies_accession_upper (accession_upper)',
    ],
  },
];
