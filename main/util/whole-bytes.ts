/** Bytes given whole or as chunks (a stored object's data set read in pieces), as one buffer. */
export async function wholeBytes(bytes: Buffer | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (Buffer.isBuffer(bytes)) return bytes;
  const parts: Uint8Array[] = [];
  for await (const part of bytes) parts.push(part);
  return Buffer.concat(parts);
}
