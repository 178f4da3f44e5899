"""The oracle of the differential template suite: ansible-core's own templar.

Reads the corpus (corpus.json) and writes, per case, what ansible-core makes of it: the value
(as JSON) or the error's class. Strings from YAML render as task arguments do; template files
as the template action renders them (escape_backslashes off, `#jinja2:` settings honoured).

    python3 oracle.py corpus.json > answers.json
"""
import json, sys
from ansible.template import Templar, trust_as_template
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader

def trust(v):
    if isinstance(v, str):
        return trust_as_template(v)
    if isinstance(v, list):
        return [trust(x) for x in v]
    if isinstance(v, dict):
        return {k: trust(x) for k, x in v.items()}
    return v

def main(path):
    init_plugin_loader()  # lookups and filters by their ansible.builtin names, as a playbook run has them
    corpus = json.load(open(path))
    loader = DataLoader()
    templars = {role: Templar(loader=loader, variables=trust(v)) for role, v in corpus["vars"].items()}
    answers = []
    for case in corpus["cases"]:
        templar = templars[case["role"]]
        try:
            if case.get("file"):
                value = templar.template(trust_as_template(case["template"]), escape_backslashes=False)
                if value is None:  # as the template action writes it
                    value = ""
            else:
                value = templar.template(trust_as_template(case["template"]))
            answers.append({"ok": True, "value": json.loads(json.dumps(value, default=str))})
        except Exception as e:
            answers.append({"ok": False, "error": type(e).__name__ + ": " + str(e).split("\n")[0][:300]})
    json.dump(answers, sys.stdout)

main(sys.argv[1])
