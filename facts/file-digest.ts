/**
 * FileDigest: a file's checksum on the host (sha256, sha512, sha1 or md5),
 * null when the file is missing or unreadable. A remembered fact: the
 * command prints the file's identity first (device, inode, size,
 * modification and change times, as rsync's quick check and git's index
 * trust them), and hashes the file only when that identity is not the one
 * the control machine kept the digest at (`since`). A change of content
 * changes the change time, which no one on the host can set back.
 */
import { defineFact, type RememberedFact } from "../engine/fact.ts";

/** The checksum algorithms hosts have a `<algo>sum` command for. */
export const DIGESTS = ["sha256", "sha512", "sha1", "md5"] as const;
/**
 * A digest algorithm with a coreutils `<name>sum` program.
 */
export type Digest = (typeof DIGESTS)[number];

const IDENTITY = /^\d+:\d+:\d+:\d+(\.\d+)?:\d+(\.\d+)?$/;

/**
 * @example
 * await probe.remembered(FileDigest, { path: "/usr/local/bin/etcd", algorithm: "sha256" }) // "3b0c…"
 */
export const FileDigest: RememberedFact<{ path: string; algorithm: Digest }, string> = defineFact({
  name: "FileDigest",
  command: ({ path, algorithm, since }) => [
    "sh",
    "-c",
    'id=$(stat -L -c %d:%i:%s:%.9Y:%.9Z -- "$1" 2>/dev/null) || exit 1; printf "%s\\n" "$id"; [ "$id" = "$3" ] || exec "$2" -- "$1"',
    "sh",
    path,
    `${algorithm}sum`,
    since,
  ],
  parse(r, { since }) {
    const [first = "", second = ""] = r.stdout.split("\n");
    const identity = IDENTITY.test(first) ? first : null;
    if (r.code !== 0 || identity === null) return { identity: null, value: null, unchanged: false };
    const unchanged = since !== "" && identity === since && second === "";
    const digest = /^[0-9a-f]+(?=\s)/.exec(second)?.[0] ?? null;
    return { identity, value: unchanged ? null : digest, unchanged };
  },
  files: ({ path }) => [path],
});
