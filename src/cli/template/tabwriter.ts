/**
 * Go's `text/tabwriter` as docker's tables use it (`NewWriter(out, 10, 1, 3, ' ', 0)`): cells
 * are tab-terminated; each column block — consecutive lines that have a cell in that column — is
 * as wide as its widest cell plus 3 (at least 10); the last cell of a line is not aligned.
 * Widths count code points, as Go counts runes.
 */

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

export const DOCKER_TABLE: TabwriterOptions = { minWidth: 10, padding: 3 };

const width = (cell: string) => Array.from(cell).length;

export function tabwrite(text: string, options: TabwriterOptions = DOCKER_TABLE): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  const out: string[] = [];
  const writeLines = (widths: number[], from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(
        cells
          .map((cell, j) =>
            j < widths.length ? cell + ' '.repeat(widths[j]! - width(cell)) : cell,
          )
          .join('') + (i + 1 < lines.length ? '\n' : ''),
      );
    }
  };
  /** Go's format(): align column `widths.length` in each block of lines [line0, line1). */
  const format = (widths: number[], line0: number, line1: number): void => {
    const column = widths.length;
    for (let line = line0; line < line1; line++) {
      if (column >= lines[line]!.length - 1) continue;
      writeLines(widths, line0, line);
      line0 = line;
      let columnWidth = options.minWidth;
      for (; line < line1 && column < lines[line]!.length - 1; line++)
        columnWidth = Math.max(columnWidth, width(lines[line]![column]!) + options.padding);
      format([...widths, columnWidth], line0, line);
      line0 = line;
    }
    writeLines(widths, line0, line1);
  };
  format([], 0, lines.length);
  return out.join('');
}
