/** The parts of the codec packages (WebAssembly builds of CharLS, OpenJPEG, OpenJPH, libjpeg-turbo; a JavaScript JPEG
 * lossless decoder) the core uses, typed here: the packages ship none. */

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    /** Decoded samples: Uint8Array for 1 byte per sample, Uint16Array for 2. */
    decode(buffer: ArrayBufferLike, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
