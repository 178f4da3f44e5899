/**
 * The hostile-input suite's figures: each test prints how many cases it tried
 * and how many held, one line each, so CI output shows the suite's size.
 */

/**
 * Print one line of figures.
 *
 * @example
 * tally("template escapes", 120, 120) // "hostile: template escapes: tried 120, held 120"
 */
export function tally(what: string, tried: number, held: number): void {
  console.log(`hostile: ${what}: tried ${tried}, held ${held}`);
}
