/** A DICOMweb request refused, with the HTTP status PS3.18 gives for it (400, 404, 406, 409, 415 ...) and the reason. */
export class DicomWebError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
