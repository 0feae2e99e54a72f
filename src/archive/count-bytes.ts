/** The chunks of a byte stream passed on as they come, each one's length told after it is taken. */
export async function* countBytes(
  source: AsyncIterable<Uint8Array>,
  onChunk: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    yield chunk;
    onChunk(chunk.length);
  }
}
