/**
 * What `copy` and `template` share: Ansible's destination arguments and the
 * plan that hands the file to the `file` module, which does the writing
 * (atomic, validated, with mode, owner and group).
 */
import type { Plan, PlanContext, Probe } from "../../engine/module.ts";
import { noChange } from "../../engine/module.ts";
import { absolutePath, accountName } from "./argument-types.ts";
import file from "../file.ts";

/** The arguments both take, besides where the content comes from. */
export interface Destination {
  dest: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  validate?: string;
  backup?: boolean;
  force?: boolean;
}

/** Their schema properties, Ansible's names. */
export const destinationProperties = {
  dest: { ...absolutePath, description: "Where it goes on the host." },
  mode: { type: ["string", "integer"], description: "Octal mode, e.g. '0644'." },
  owner: accountName,
  group: accountName,
  validate: { type: "string", description: "Command checking the new content before it replaces the old; %s is the new file." },
  backup: { type: "boolean", default: false },
  force: { type: "boolean", default: true, description: "false: leave an existing file alone." },
};

/**
 * The file written through `file`: left alone with `force: false` when it exists, else planned as `path: dest` plus `extra`.
 *
 * @example
 * planDestination(args, probe, ctx, { template: true })
 */
export async function planDestination<A extends Destination>(args: A, probe: Probe, ctx: PlanContext, extra: Record<string, unknown> = {}): Promise<Plan> {
  if (args.force === false && (await probe.stat(args.dest))) return noChange(`${args.dest} exists (force: false)`);
  const { dest, force: _force, ...rest } = args;
  return file.plan({ ...rest, ...extra, path: dest }, probe, ctx);
}
