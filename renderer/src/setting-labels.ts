/**
 * The Settings screen's words for the storage folders (MAGDevice0, 1, ...) and their mirrors, numbered here in the UI's language; every
 * other key's words come with it from the core (main/config/setting-keys.ts).
 */
/** A storage folder's label ("Storage folder 0"). */
export const MAG_DEVICE_LABEL = 'Storage folder {n}';
/** A storage folder's mirror (MIRRORDevice0, 1, ...). */
export const MIRROR_DEVICE_LABEL = 'Mirror of storage folder {n}';
export const MIRROR_DEVICE_HELP =
  'The mirror of storage folder {n} (relative to the data folder, or a full path; best on another disk): every object of MAGDevice{n} is written there too.';
export const MAG_DEVICE_HELP =
  'Storage folder {n} (relative to the data folder, or a full path); new objects go to the first with free space above MAGDeviceFullThreshold.';
