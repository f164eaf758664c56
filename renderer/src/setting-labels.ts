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
/** A virtual server's upstream (VirtualServerFor0, 1, ...) and its fetch by series (VirtualServerPerSeries0, 1, ...). */
export const VIRTUAL_SERVER_LABEL = 'Upstream node {n} (virtual server)';
export const VIRTUAL_SERVER_HELP =
  "An AE title of acrnema.map whose studies this archive answers too: a search here lists them beside ours, and a retrieve of what only it holds fetches it through us, keeping a copy (Conquest's VirtualServerFor{n}). After a comma: `CACHESTUDIES` or `CACHESERIES` keep its image lists for the day, `NONVIRTUAL` asks it not to ask its own upstreams. Empty: none.";
export const VIRTUAL_SERIES_LABEL = 'Fetch whole series from upstream {n} past';
export const VIRTUAL_SERIES_HELP =
  "When more than this many objects of one series are missing here, the whole series is fetched from upstream {n} in one request instead of object by object; 0: by object, unless none of the series is here (Conquest's VirtualServerPerSeries{n}).";
