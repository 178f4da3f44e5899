/**
 * FileDigest: a file's checksum on the host (sha256, sha512, sha1 or md5),
 * null when the file is missing or unreadable.
 */
import { defineFact } from "../engine/fact.ts";

/** The checksum algorithms hosts have a `<algo>sum` command for. */
export const DIGESTS = ["sha256", "sha512", "sha1", "md5"] as const;
export type Digest = (typeof DIGESTS)[number];

/**
 * @example
 * await probe.fact(FileDigest, { path: "/usr/local/bin/etcd", algorithm: "sha256" }) // "3b0c…"
 */
export const FileDigest = defineFact<{ path: string; algorithm: Digest }, string | null>({
  name: "FileDigest",
  command: ({ path, algorithm }) => [`${algorithm}sum`, "--", path],
  parse: (r) => (r.code === 0 ? (r.stdout.split(/\s/)[0] ?? null) : null),
});
