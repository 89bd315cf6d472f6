# The X11 benchmark's ground-truth reader: an accessibility client apart from the product's own
# (Debian's python3-pyatspi, the reference AT-SPI bindings). One request a line on stdin, the pid
# "<request id> <pid of an app>"; one JSON line back: {"id": id, "tree": the app's tree cut to what
# is showing, as {"r": role, "n": name, "s": [states], "c": [children]}} or {"id": id, "error": "..."}.
import json
import sys

import pyatspi

KEPT_STATES = (("selected", pyatspi.STATE_SELECTED), ("modal", pyatspi.STATE_MODAL), ("expanded", pyatspi.STATE_EXPANDED))
MAX_NODES = 5000


def walk(node, depth, budget):
    budget[0] -= 1
    state = node.getState()
    if depth > 0 and not state.contains(pyatspi.STATE_SHOWING):
        return None
    children = []
    if budget[0] > 0:
        for child in node:
            if child is None:
                continue
            try:
                shown = walk(child, depth + 1, budget)
            except Exception:
                continue  # a node that went away while being read
            if shown is not None:
                children.append(shown)
    return {"r": node.getRoleName(), "n": node.name or "", "s": [name for name, flag in KEPT_STATES if state.contains(flag)], "c": children}


def answer(pid):
    for app in pyatspi.Registry.getDesktop(0):
        try:
            if app is not None and app.get_process_id() == pid:
                return {"tree": walk(app, 0, [MAX_NODES])}
        except Exception:
            continue
    return {"error": f"no application with pid {pid} on the accessibility bus"}


for line in sys.stdin:
    request, _, pid = line.strip().partition(" ")
    try:
        reply = answer(int(pid))
    except Exception as error:  # the bus or the app went away: say so, keep serving
        reply = {"error": str(error)}
    reply["id"] = request
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
