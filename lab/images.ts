/**
 * Container images for the lab, built here: no image registry is reachable
 * from this machine. `hoist.lab/hello:1`: a static Go program (compiled with
 * the Go toolchain, no modules needed) that prints a greeting, or with `serve`
 * answers HTTP on :8080 with its host name — enough for a Deployment behind a
 * Service; `hoist.lab/pause:1`, the same program waiting for ever (a pod
 * sandbox). Each written as an OCI image layout in a tar (hello.tar, pause.tar), which
 * `ctr image import` reads; cached in the lab cache and bind-mounted
 * read-only into hosts that run containers, at /opt/hoist-lab/images.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "zx";

/**
 * Where the lab keeps the container images it builds from the Go module proxy.
 */
export const IMAGES_DIR = "/var/cache/hoist-lab/images-v3";
/**
 * The lab's smallest image, for tests that need one to run.
 */
export const HELLO_IMAGE = "hoist.lab/hello:1";
/** The same program waiting for ever: a pod sandbox's pause container (registry.k8s.io is unreachable here). */
export const PAUSE_IMAGE = "hoist.lab/pause:1";

const HELLO_GO = `package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	host, _ := os.Hostname()
	if len(os.Args) > 1 && os.Args[1] == "pause" {
		// Until told to stop, as a pause container does (a bare select{} is a deadlock Go ends at once).
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		<-stop
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "hello from %s\\n", host) })
		if err := http.ListenAndServe(":8080", nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("hello from a container on %s\\n", host)
}
`;

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** One image as an OCI layout in a tar: the layer, a config with its entrypoint, a manifest, an index naming it. */
async function writeImage(layout: string, name: string, entrypoint: string[], layerBytes: Buffer, tarball: string): Promise<void> {
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  const blob = (b: Buffer) => {
    const digest = sha(b);
    writeFileSync(join(layout, "blobs", "sha256", digest), b);
    return { digest: `sha256:${digest}`, size: b.length };
  };
  const layer = blob(layerBytes);
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Entrypoint: entrypoint, WorkingDir: "/" },
        rootfs: { type: "layers", diff_ids: [`sha256:${sha(layerBytes)}`] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      }),
    ),
  );
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.split(":")[1] },
        },
      ],
    }),
  );
  await $`tar --mtime=@0 --owner=0 --group=0 --numeric-owner -cf ${`${tarball}.tmp`} -C ${layout} oci-layout index.json blobs`;
  renameSync(`${tarball}.tmp`, tarball);
}

/**
 * The images, built when missing; returns the directory holding `hello.tar`.
 *
 * @example
 * const dir = await ensureImages(console.log); // ctr image import /opt/hoist-lab/images/hello.tar
 */
export async function ensureImages(log: (s: string) => void): Promise<string> {
  if (existsSync(join(IMAGES_DIR, "hello.tar")) && existsSync(join(IMAGES_DIR, "pause.tar"))) return IMAGES_DIR;
  log(`building the lab's container images ${HELLO_IMAGE} and ${PAUSE_IMAGE} (a static Go program)`);
  const work = mkdtempSync(join(tmpdir(), "hoist-image-"));
  try {
    writeFileSync(join(work, "main.go"), HELLO_GO);
    mkdirSync(join(work, "rootfs"));
    await $({ cwd: work, env: { ...process.env, CGO_ENABLED: "0", GO111MODULE: "off" } })`go build -trimpath -ldflags=-s -o rootfs/hello main.go`;
    await $`tar --mtime=@0 --owner=0 --group=0 --numeric-owner -cf ${join(work, "layer.tar")} -C ${join(work, "rootfs")} hello`;
    const layerBytes = readFileSync(join(work, "layer.tar"));
    mkdirSync(IMAGES_DIR, { recursive: true });
    for (const [name, entrypoint, file] of [
      [HELLO_IMAGE, ["/hello"], "hello.tar"],
      [PAUSE_IMAGE, ["/hello", "pause"], "pause.tar"],
    ] as const)
      await writeImage(join(work, file.replace(".tar", "")), name, [...entrypoint], layerBytes, join(IMAGES_DIR, file));
    return IMAGES_DIR;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
