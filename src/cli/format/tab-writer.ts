/**
 * Go's text/tabwriter as Docker's tables use it (tabwriter.NewWriter(out,
 * 10, 1, 3, ' ', 0)): a cell is text ended by a tab; a column is as wide
 * as its widest cell plus 3, and at least 10; the text after a line's last
 * tab is not a cell and is never padded. A column runs over consecutive
 * lines that have a cell in it (tabwriter's column blocks).
 */
const MIN_WIDTH = 10
const PADDING = 3

/** Display width: the number of code points, as tabwriter counts runes. */
function width(s: string): number {
  // without surrogates (every ASCII cell), a code unit is a code point
  return /[\uD800-\uDFFF]/.test(s) ? [...s].length : s.length
}

export function alignTabs(text: string, o: { minWidth?: number; padding?: number } = {}): string {
  const minWidth = o.minWidth ?? MIN_WIDTH
  const padding = o.padding ?? PADDING
  const lines = text.split('\n').map((l) => l.split('\t'))
  const widths = lines.map((cells) => cells.map(() => 0))
  // column by column, block by block: a run of lines with a cell (not the trailing text) in that column
  const maxColumns = Math.max(0, ...lines.map((c) => c.length - 1))
  for (let col = 0; col < maxColumns; col++) {
    let start = 0
    while (start < lines.length) {
      if (lines[start]!.length - 1 <= col) {
        start++
        continue
      }
      let end = start
      let w = minWidth
      while (end < lines.length && lines[end]!.length - 1 > col) {
        w = Math.max(w, width(lines[end]![col]!) + padding)
        end++
      }
      for (let l = start; l < end; l++) widths[l]![col] = w
      start = end
    }
  }
  return lines
    .map((cells, l) => cells.map((cell, col) => (col < cells.length - 1 ? cell + ' '.repeat(Math.max(0, widths[l]![col]! - width(cell))) : cell)).join(''))
    .join('\n')
}
