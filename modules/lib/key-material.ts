/**
 * Whether text holds key material (a PEM or OpenSSH private key): a content
 * change that does is marked sensitive, so no output shows it.
 *
 * @example
 * holdsKeyMaterial("-----BEGIN EC PRIVATE KEY-----\n…") // true
 */
export function holdsKeyMaterial(...texts: unknown[]): boolean {
  return texts.some((t) => typeof t === "string" && /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/.test(t));
}
