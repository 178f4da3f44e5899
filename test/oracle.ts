/**
 * ansible-core as the tests' oracle: a virtualenv made on first use (the
 * version pinned here, with the community package's collections), its
 * templar for the template suite, and its modules run ad hoc against lab
 * hosts for the module suites.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ORACLE = process.env.HOIST_ORACLE_DIR ?? "/var/cache/hoist-oracle";
/** The ansible-core hoist is judged against (the one the bench measures, too). */
export const ANSIBLE_CORE = "ansible-core==2.19.14";
/**
 * The community package of the same ansible-core: the collections operators have installed with it
 * (ansible.posix's authorized_key and mount, community.general), which roles name.
 */
export const ANSIBLE_COLLECTIONS = "ansible==12.3.0";

/**
 * The oracle's Python, with ansible-core installed (made on first use, from PyPI).
 *
 * @example
 * execFileSync(oraclePython(), ["-c", "import ansible"]);
 */
export function oraclePython(): string {
  const python = join(ORACLE, "venv", "bin", "python");
  const marker = join(ORACLE, "venv", `${ANSIBLE_CORE}+${ANSIBLE_COLLECTIONS}`);
  if (!existsSync(marker)) {
    mkdirSync(ORACLE, { recursive: true });
    if (!existsSync(python)) execFileSync("python3", ["-m", "venv", join(ORACLE, "venv")], { stdio: "inherit" });
    execFileSync(python, ["-m", "pip", "install", "-q", ANSIBLE_CORE, ANSIBLE_COLLECTIONS], { stdio: "inherit" });
    execFileSync("touch", [marker]);
  }
  return python;
}

/**
 * What ansible-core's own module answers on a lab host (`ansible HOST -m MODULE -a ARGS`), as JSON.
 *
 * @example
 * const r = await ansibleModule("/var/lib/hoist-lab/x/hosts.ini", "node1", "stat", { path: "/etc" });
 */
export function ansibleModule(
  inventory: string,
  host: string,
  module: string,
  args: Record<string, unknown>,
  knownHosts: string,
): Promise<Record<string, unknown>> {
  const ansible = join(oraclePython(), "..", "ansible");
  const env = {
    ...process.env,
    // ansible-core's own minimal callback: "HOST | STATUS => {json}".
    ANSIBLE_LOAD_CALLBACK_PLUGINS: "1",
    ANSIBLE_STDOUT_CALLBACK: "ansible.builtin.minimal",
    ANSIBLE_PYTHON_INTERPRETER: "auto_silent",
    ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o ControlMaster=no`,
  };
  return new Promise((resolve, reject) =>
    execFile(
      ansible,
      [host, "-i", inventory, "-m", module, ...(Object.keys(args).length ? ["-a", JSON.stringify(args)] : [])],
      { env, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout.slice(stdout.indexOf("=>") + 2)) as Record<string, unknown>);
        } catch {
          reject(new Error(`ansible ${module} on ${host} gave no JSON: ${error?.message ?? ""} ${stderr.slice(0, 500)}`));
        }
      },
    ),
  );
}

/**
 * Run a playbook with ansible-core's own ansible-playbook against a lab host (roles from `rolesPath`); its exit code and output.
 *
 * @example
 * const r = await ansiblePlaybook(inventory, "- hosts: node2\n  roles: [memcached]\n", "test/compat/roles", knownHosts);
 */
export function ansiblePlaybook(inventory: string, playbook: string, rolesPath: string, knownHosts: string): Promise<{ code: number; output: string }> {
  const bin = join(oraclePython(), "..", "ansible-playbook");
  const dir = mkdtempSync(join(tmpdir(), "hoist-oracle-"));
  writeFileSync(join(dir, "site.yml"), playbook);
  const env = {
    ...process.env,
    ANSIBLE_ROLES_PATH: rolesPath,
    ANSIBLE_PYTHON_INTERPRETER: "auto_silent",
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o ControlMaster=no`,
  };
  return new Promise((resolve) =>
    execFile(bin, ["-i", inventory, join(dir, "site.yml")], { env, maxBuffer: 1 << 26 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}
