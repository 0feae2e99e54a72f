/**
 * Go's `json.Indent` (what `json.MarshalIndent` applies) over compact JSON: a newline, the prefix
 * and one indent per level after `{`, `[` and `,`; `": "` after keys; empty objects and arrays
 * stay `{}` and `[]`; the first line gets no prefix.
 */
import { ByteWriter } from './writer.ts';

export function indentJson(compact: Uint8Array, prefix: string, indent: string): Uint8Array {
  const out = new ByteWriter();
  const newline = (depth: number): void => {
    out.byte(0x0a).text(prefix + indent.repeat(depth));
  };
  let depth = 0;
  let pendingIndent = false;
  let inString = false;
  for (let i = 0; i < compact.length; i++) {
    const b = compact[i]!;
    const closes = !inString && (b === 0x7d || b === 0x5d);
    if (pendingIndent && !closes) {
      pendingIndent = false;
      newline(++depth);
    }
    if (inString) {
      out.byte(b);
      if (b === 0x5c) out.byte(compact[++i]!);
      else if (b === 0x22) inString = false;
    } else if (b === 0x7b || b === 0x5b) {
      pendingIndent = true;
      out.byte(b);
    } else if (closes) {
      if (pendingIndent) pendingIndent = false;
      else newline(--depth);
      out.byte(b);
    } else {
      out.byte(b);
      if (b === 0x22) inString = true;
      else if (b === 0x2c) newline(depth);
      else if (b === 0x3a) out.byte(0x20);
    }
  }
  return out.toBytes();
}
