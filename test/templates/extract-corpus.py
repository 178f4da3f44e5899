"""Builds the differential template corpus from public roles (run by hand; the corpus is committed).

For every role of every repository given (a directory with tasks/), every template file and every
string holding `{{`, `{%` or a `when:`-style condition in its tasks, handlers, defaults and vars
becomes one case, with the role's defaults and vars plus a Debian 12 host's facts as variables.

    python3 extract-corpus.py corpus.json SOURCES.md probes.json /work/.mirror/OWNER+NAME/repo[:SUBDIR,SUBDIR] ...

probes.json holds cases written for the suite (the forms issue 22 names), with their variables.
"""
import json, os, subprocess, sys, tempfile
import yaml

FACTS = json.load(open(os.path.join(os.path.dirname(__file__), "facts.json")))
CONDITIONS = ("when", "changed_when", "failed_when", "until")

def tree(git_dir):
    out = tempfile.mkdtemp()
    subprocess.run(f"git --git-dir={git_dir} archive HEAD | tar -x -C {out}", shell=True, check=True)
    commit = subprocess.run(["git", f"--git-dir={git_dir}", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    return out, commit

def load(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except Exception:
        return None

def strings(node, key=None):
    if isinstance(node, str):
        if key in CONDITIONS and "{{" not in node:
            yield "{{ " + node + " }}"
        elif "{{" in node or "{%" in node:
            yield node
    elif isinstance(node, list):
        for x in node:
            yield from strings(x, key if key in CONDITIONS else None)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings(v, k)

def roles(root):
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("molecule", "tests")]
        if "tasks" in dirnames and os.path.isdir(os.path.join(dirpath, "tasks")):
            yield dirpath

def role_vars(role):
    merged = {}
    for sub in ("defaults", "vars"):
        data = load(os.path.join(role, sub, "main.yml")) or load(os.path.join(role, sub, "main.yaml"))
        if isinstance(data, dict):
            merged.update(data)
    return merged

def main(out_path, sources_path, probes_path, repos):
    seen = set()
    cases, sources, role_variables = [], [], {}
    probes = json.load(open(probes_path))
    role_variables["hoist:probes"] = {**FACTS, **probes["vars"]}
    cases += [{"template": t, "role": "hoist:probes"} for t in probes["templates"]]
    sources.append(f"| hoist (probes.json, written for this suite) | | MIT | {len(probes['templates'])} |")
    for spec in repos:
        git_dir, _, subdirs = spec.partition(":")
        root, commit = tree(git_dir)
        name = os.path.basename(os.path.dirname(git_dir)).replace("+", "/")
        licence = next((f for f in sorted(os.listdir(root)) if f.upper().startswith(("LICEN", "COPYING")) and os.path.isfile(os.path.join(root, f))), None)
        licence_line = next((l.strip() for l in open(os.path.join(root, licence)) if l.strip()), "") if licence else None
        if licence_line is None:
            print(f"skipped {name}: no licence file", file=sys.stderr)
            continue
        count = 0
        for role in (r for d in (subdirs.split(",") if subdirs else [""]) for r in roles(os.path.join(root, d))):
            variables = {**FACTS, **role_vars(role), "role_path": "/etc/ansible/roles/" + os.path.basename(role)}
            role_id = f"{name}:{os.path.relpath(role, root)}"
            role_variables[role_id] = json.loads(json.dumps(variables, default=str))
            found = []  # (template, is a template file)
            for sub in ("tasks", "handlers", "defaults", "vars"):
                d = os.path.join(role, sub)
                for dirpath, _, files in os.walk(d):
                    for f in sorted(files):
                        if f.endswith((".yml", ".yaml")):
                            found += [(t, False) for t in strings(load(os.path.join(dirpath, f)))]
            t = os.path.join(role, "templates")
            for dirpath, _, files in os.walk(t):
                for f in sorted(files):
                    try:
                        found.append((open(os.path.join(dirpath, f)).read(), True))
                    except UnicodeDecodeError:
                        pass
            for template, is_file in found:
                key = (template, name, os.path.relpath(role, root))
                if key in seen:
                    continue
                seen.add(key)
                cases.append({"template": template, "role": role_id, **({"file": True} if is_file else {})})
                count += 1
        sources.append(f"| {name} | `{commit[:12]}` | {licence_line} | {count} |")
    with open(out_path, "w") as f:
        json.dump({"vars": role_variables, "cases": cases}, f, sort_keys=True, indent=0)
    with open(sources_path, "w") as f:
        f.write("# Sources of the template corpus\n\nEvery case in `corpus.json` is a template or a `{{ }}` string taken unchanged from these public roles (each keeps its own licence, named here), with the role's defaults and vars and a Debian 12 host's facts (`facts.json`) as variables.\n\n| Repository | Commit | Licence (first line) | Cases |\n|---|---|---|---|\n")
        f.write("\n".join(sources) + "\n")
    print(f"{len(cases)} cases from {len(repos)} repositories")

main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
