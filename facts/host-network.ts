/**
 * The network part of HostFacts, from `ip -o link`, `ip -o addr` and the
 * default routes: every interface as `ansible_<name>`, the interfaces list,
 * all addresses, and the default IPv4/IPv6 interface with its gateway —
 * Ansible's shapes, so roles read them unchanged.
 */
type Facts = Record<string, unknown>;
type Sections = Map<string, string>;

interface Ipv4 {
  address: string;
  broadcast: string;
  netmask: string;
  network: string;
  prefix: string;
}
interface Ipv6 {
  address: string;
  prefix: string;
  scope: string;
}
interface Interface {
  device: string;
  active: boolean;
  macaddress?: string;
  mtu: number;
  type: string;
  promisc: boolean;
  ipv4?: Ipv4;
  ipv4_secondaries?: Ipv4[];
  ipv6?: Ipv6[];
}

const lines = (text: string | undefined): string[] => (text ?? "").split("\n").filter((l) => l !== "");

/**
 * Dotted netmask and network of an address with a prefix length.
 *
 * @example
 * ipv4Network("10.0.3.7", 24) // { netmask: "255.255.255.0", network: "10.0.3.0" }
 */
export function ipv4Network(address: string, prefix: number): { netmask: string; network: string } {
  const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const toDotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { netmask: toDotted(mask), network: toDotted((toInt(address) & mask) >>> 0) };
}

/** `ansible_<name>`: Ansible replaces what a variable name cannot hold. */
const factName = (device: string) => device.replace(/[^A-Za-z0-9_]/g, "_");

function parseLinks(text: string | undefined): Map<string, Interface> {
  const out = new Map<string, Interface>();
  for (const line of lines(text)) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/.exec(line);
    if (!m) continue;
    const [, device, flags, rest] = m;
    const link = /link\/(\S+)(?:\s+([0-9a-f:]{17}))?/.exec(rest);
    out.set(device, {
      device,
      active: flags.split(",").includes("UP"),
      ...(link?.[2] ? { macaddress: link[2] } : {}),
      mtu: Number(/\bmtu (\d+)/.exec(rest)?.[1] ?? 0),
      type: link?.[1] === "ether" ? "ether" : (link?.[1] ?? "unknown"),
      promisc: flags.split(",").includes("PROMISC"),
    });
  }
  return out;
}

function addAddresses(interfaces: Map<string, Interface>, text: string | undefined): void {
  for (const line of lines(text)) {
    const m = /^\d+:\s+([^:@\s]+)\s+(inet6?)\s+([0-9a-f.:]+)\/(\d+)(.*)$/.exec(line);
    if (!m) continue;
    const [, device, family, address, prefix, rest] = m;
    const iface = interfaces.get(device);
    if (!iface) continue;
    if (family === "inet") {
      const ip: Ipv4 = { address, broadcast: /\bbrd (\S+)/.exec(rest)?.[1] ?? "", ...ipv4Network(address, Number(prefix)), prefix };
      if (!iface.ipv4) iface.ipv4 = ip;
      else (iface.ipv4_secondaries ??= []).push(ip);
    } else {
      (iface.ipv6 ??= []).push({ address, prefix, scope: /\bscope (\S+)/.exec(rest)?.[1] ?? "" });
    }
  }
}

/** An IPv4 address as /proc/net/route writes it: hex, least significant byte first. */
const hexIpv4 = (hex: string) => [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(".");

/** An IPv6 address as /proc/net/ipv6_route writes it (32 hex digits), in the short form `ip` prints. */
function hexIpv6(hex: string): string {
  const groups = (hex.match(/.{4}/g) ?? []).map((g) => Number.parseInt(g, 16).toString(16));
  const text = groups.join(":");
  const zeros = [...text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length)[0];
  return zeros ? `${text.slice(0, zeros.index)}::${text.slice(zeros.index + zeros[0].length)}` : text;
}

const RTF_UP = 0x1;
const RTF_REJECT = 0x200;

/** The default route's device and gateway, from /proc/net/route or /proc/net/ipv6_route. */
function defaultVia(text: string | undefined, family: 4 | 6): { device: string; gateway: string } | undefined {
  for (const line of lines(text)) {
    const f = line.trim().split(/\s+/);
    if (family === 4 && f[1] === "00000000" && f[7] === "00000000" && Number.parseInt(f[3], 16) & RTF_UP)
      return { device: f[0], gateway: f[2] === "00000000" ? "" : hexIpv4(f[2]) };
    if (family === 6 && f.length >= 10 && /^0{32}$/.test(f[0]) && f[1] === "00") {
      const flags = Number.parseInt(f[8], 16);
      if (flags & RTF_UP && !(flags & RTF_REJECT)) return { device: f[9], gateway: /^0{32}$/.test(f[4]) ? "" : hexIpv6(f[4]) };
    }
  }
  return undefined;
}

/** The default route's interface and gateway, with that interface's address (Ansible's `default_ipv4`/`default_ipv6`). */
function defaultRoute(text: string | undefined, interfaces: Map<string, Interface>, family: 4 | 6): Facts {
  const route = defaultVia(text, family);
  const iface = route && interfaces.get(route.device);
  if (!route || !iface) return {};
  const base = { interface: route.device, alias: route.device, gateway: route.gateway, macaddress: iface.macaddress ?? "", mtu: iface.mtu, type: iface.type };
  if (family === 4) return iface.ipv4 ? { ...iface.ipv4, ...base } : base;
  const global = iface.ipv6?.find((a) => a.scope === "global");
  return global ? { ...global, ...base } : base;
}

/**
 * Network facts from the script's sections.
 *
 * @example
 * networkFacts(sections(output)).default_ipv4 // { address: "10.0.0.2", interface: "eth0", gateway: "10.0.0.1", … }
 */
export function networkFacts(s: Sections): Facts {
  if (!s.has("links")) return {};
  const interfaces = parseLinks(s.get("links"));
  addAddresses(interfaces, s.get("addrs"));
  const all = [...interfaces.values()];
  const out: Facts = {
    interfaces: all.map((i) => i.device),
    all_ipv4_addresses: all.flatMap((i) => [i.ipv4, ...(i.ipv4_secondaries ?? [])]).flatMap((a) => (a && !a.address.startsWith("127.") ? [a.address] : [])),
    all_ipv6_addresses: all.flatMap((i) => i.ipv6 ?? []).flatMap((a) => (a.address === "::1" ? [] : [a.address])),
    default_ipv4: defaultRoute(s.get("route4"), interfaces, 4),
    default_ipv6: defaultRoute(s.get("route6"), interfaces, 6),
  };
  for (const i of all) out[factName(i.device)] = i;
  return out;
}
