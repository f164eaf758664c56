/** A listener restart that could not listen on dicom.ini's new values: the listener is back as it was, and says why. */
export class ListenerNotMoved extends Error {}
